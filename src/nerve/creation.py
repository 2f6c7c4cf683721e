"""Creating tensors: from data (tensor, as_tensor, from_numpy), filled (zeros, ones, full,
empty, eye), ranges (arange, linspace), random (rand, randn, randint, randperm; they live in
creation_random.py), and the ``*_like`` variants. Arguments follow torch: sizes as
``zeros(2, 3)`` or ``zeros((2, 3))``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .backend import dtypes
from .backend.device import _DEFAULT_DEVICE, CPU, device, move
from .tensor import Size, Tensor


def _sizes(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, Tensor):
            n = int(n.item())
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"sizes must be integers, got {n!r} in {list(size)}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(size)}")
    return tuple(int(n) for n in size)


def _finish(array: np.ndarray, dev: Any, requires_grad: bool) -> Tensor:
    target = _DEFAULT_DEVICE[0] if dev is None else device(dev)
    result = Tensor._make(move(array, target) if target is not CPU else array)
    if requires_grad:
        result.requires_grad_(True)
    return result


def _np_dtype(dtype: Any, fallback: dtypes.dtype | None = None) -> np.dtype:
    chosen = fallback if dtype is None else dtypes.to_dtype(dtype)
    return (chosen or dtypes.get_default_dtype()).np


def _infer(data: Any, default_float: bool = True) -> np.ndarray:
    """A NumPy array of ``data`` with torch's dtype inference for Python values.

    ``default_float=False`` keeps Python floats as float64: the caller casts to an explicit
    dtype, and going through float32 first would lose precision (tensor(0.1, dtype=float64)).
    """
    if isinstance(data, Tensor):
        return np.array(data.__array__())
    if isinstance(data, np.ndarray):
        if data.dtype not in dtypes._FROM_NUMPY:
            dtypes.from_numpy_dtype(data.dtype)  # a clear error for unsupported dtypes
        return data.copy()
    if isinstance(data, np.generic):
        return np.array(data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flatten(data)):
        data = _detach_nested(data)
    try:
        array = np.array(data)
    except ValueError as error:
        raise ValueError(
            f"tensor(): could not build a tensor from nested sequences: {error}"
        ) from None
    if (array.dtype == object or array.dtype.kind == "u") and _has_huge_int(data):
        if default_float:
            raise ValueError("Overflow when unpacking long long")  # torch's error
        array = np.array(data, dtype=np.float64)  # an explicit dtype converts, as torch
    if array.dtype == object:
        raise TypeError(
            f"tensor(): could not infer a dtype from {type(data).__name__} data; expected numbers, "
            "bools, or (nested) lists of them with equal lengths"
        )
    if array.dtype.kind == "f" and default_float and not _contains_tensor_or_array(data):
        array = array.astype(dtypes.get_default_dtype().np)
    elif array.dtype.kind in "iu":
        array = array.astype(np.int64)
    elif array.dtype.kind in "US":
        raise TypeError(f"tensor(): strings are not numbers: {data!r}")
    return array


def _check_fits(data: Any, array: Any, target: Any) -> None:
    """Python ints given for a narrower integer dtype must fit it, as torch checks (``tensor(300,
    dtype=uint8)`` raises); torch lets negative values wrap into unsigned types."""
    if isinstance(data, (np.ndarray, Tensor)) or target.itemsize >= 8:
        return  # arrays convert as NumPy converts; nothing overflows int64 here
    info = np.iinfo(target)
    low, high = int(array.min()), int(array.max())
    if high > info.max or (target.kind == "i" and low < info.min):
        raise RuntimeError(f"value cannot be converted to type {target.name} without overflow")


def _has_huge_int(data: Any) -> bool:
    """A Python int outside int64 (``2**63``): NumPy would wrap it or give up silently."""
    values = _flatten(data) if isinstance(data, (list, tuple)) else [data]
    return any(
        isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63 for v in values
    )


def _flatten(data: Any) -> list[Any]:
    out: list[Any] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            out.append(item)
    return out


def _detach_nested(data: Any) -> Any:
    if isinstance(data, (list, tuple)):
        return [_detach_nested(x) for x in data]
    return data.__array__() if isinstance(data, Tensor) else data


def _contains_tensor_or_array(data: Any) -> bool:
    return isinstance(data, (list, tuple)) and any(
        isinstance(x, (np.ndarray, np.generic)) for x in _flatten(data)
    )


def tensor(
    data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, NumPy arrays, tensors).

    Python floats give float32 (the default dtype), ints int64, bools bool.

    Example:
        >>> import nerve
        >>> nerve.tensor([[0.9, -0.2], [0.75, 0.6]]).shape
        nerve.Size([2, 2])
    """
    array = _infer(data, default_float=dtype is None)
    if dtype is not None:
        target = _np_dtype(dtype)
        if target.kind != "f" and array.dtype.kind == "f" and _has_huge_int(data):
            raise ValueError("Overflow when unpacking long long")  # torch's error
        if target.kind in "iu" and array.dtype.kind in "iu" and array.size:
            _check_fits(data, array, target)
        array = array.astype(target, copy=False)
    return _finish(array, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or a NumPy array when it can.

    Example:
        >>> import nerve
        >>> import numpy as np
        >>> a = np.array([1.0, 2.0])
        >>> t = nerve.as_tensor(a)
        >>> a[0] = 5.0
        >>> t
        tensor([5., 2.], dtype=nerve.float64)
    """
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, np.ndarray) and data.dtype in dtypes._FROM_NUMPY:
        array = data if dtype is None else data.astype(_np_dtype(dtype), copy=False)
        return _finish(array, device, False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: changing one changes the other.

    Example:
        >>> import nerve
        >>> import numpy as np
        >>> a = np.array([1, 2, 3])
        >>> t = nerve.from_numpy(a)
        >>> t[0] = -1
        >>> a.tolist()
        [-1, 2, 3]
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return Tensor._make(array)


def _filled(
    size: tuple[Any, ...],
    value: Any,
    dtype: Any,
    dev: Any,
    requires_grad: bool,
    fallback: dtypes.dtype | None = None,
) -> Tensor:
    array = np.full(_sizes(size), value, dtype=_np_dtype(dtype, fallback))
    return _finish(array, dev, requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given size (sizes or one sequence), in the default float dtype
    unless ``dtype`` is given (torch.zeros).

    Example:
        >>> import nerve
        >>> nerve.zeros(2, 3).shape, nerve.zeros((2,), dtype=nerve.int64)
        (nerve.Size([2, 3]), tensor([0, 0]))
    """
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given size (sizes or one sequence), in the default float dtype
    unless ``dtype`` is given (torch.ones).

    Example:
        >>> import nerve
        >>> nerve.ones(2, 2)
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size, zero-filled (uninitialised memory is not worth the risk).

    Example:
        >>> import nerve
        >>> nerve.empty(2, 3).shape
        nerve.Size([2, 3])
    """
    return _filled(size, 0, dtype, device, requires_grad)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value (bool, int64 or float).

    Example:
        >>> import nerve
        >>> nerve.full((2, 2), 7)
        tensor([[7, 7],
                [7, 7]])
        >>> nerve.full((3,), 0.5)
        tensor([0.5000, 0.5000, 0.5000])
    """
    fallback = (
        dtypes.scalar_dtype(fill_value) if not isinstance(fill_value, Tensor) else fill_value.dtype
    )
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _filled(
        (size,) if isinstance(size, int) else (tuple(size),),
        value,
        dtype,
        device,
        requires_grad,
        fallback,
    )


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` = ``n`` by default), as torch.eye.

    Example:
        >>> import nerve
        >>> nerve.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
        >>> nerve.eye(2, 3, dtype=nerve.int64)
        tensor([[1, 0, 0],
                [0, 1, 0]])
    """
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), device, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 when all arguments are ints.

    Example:
        >>> import nerve
        >>> nerve.arange(4)
        tensor([0, 1, 2, 3])
        >>> nerve.arange(1, 2, 0.25)
        tensor([1.0000, 1.2500, 1.5000, 1.7500])
    """
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) for v in values)
    fallback = dtypes.int64 if integral else dtypes.get_default_dtype()
    count = max(math.ceil((values[1] - values[0]) / values[2]), 0)
    array = values[0] + np.arange(count, dtype=np.float64 if not integral else np.int64) * values[2]
    return _finish(array.astype(_np_dtype(dtype, fallback)), device, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (torch.linspace).

    Example:
        >>> import nerve
        >>> nerve.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    array = np.linspace(float(start), float(end), int(steps)).astype(_np_dtype(dtype))
    return _finish(array, device, requires_grad)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced in the exponent
    (torch.logspace).

    Example:
        >>> import nerve
        >>> nerve.logspace(0, 3, 4)
        tensor([   1.,   10.,  100., 1000.])
    """
    array = np.logspace(float(start), float(end), int(steps), base=base).astype(_np_dtype(dtype))
    return _finish(array, device, False)


def _like(x: Tensor, dtype: Any, dev: Any) -> tuple[tuple[int, ...], Any, Any]:
    return (
        tuple(x.shape),
        dtype if dtype is not None else x.dtype,
        dev if dev is not None else x.device,
    )


def zeros_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros in ``input``'s shape, with its dtype and device unless given (torch.zeros_like).

    Example:
        >>> import nerve
        >>> nerve.zeros_like(nerve.tensor([[1, 2]]))
        tensor([[0, 0]])
    """
    shape, d, dev = _like(input, dtype, device)
    return zeros(shape, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Ones in ``input``'s shape, with its dtype and device unless given (torch.ones_like).

    Example:
        >>> import nerve
        >>> nerve.ones_like(nerve.tensor([[1, 2]]), dtype=nerve.float32)
        tensor([[1., 1.]])
    """
    shape, d, dev = _like(input, dtype, device)
    return ones(shape, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor in ``input``'s shape, dtype and device (zero-filled, as :func:`empty`).

    Example:
        >>> import nerve
        >>> nerve.empty_like(nerve.ones(2, 3)).shape
        nerve.Size([2, 3])
    """
    return zeros_like(input, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` in ``input``'s shape, with its dtype and device unless given.

    Example:
        >>> import nerve
        >>> nerve.full_like(nerve.tensor([1, 2]), 7)
        tensor([7, 7])
    """
    shape, d, dev = _like(input, dtype, device)
    return full(shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


# The random factories live in creation_random.py, which uses the helpers above: imported last,
# once those exist, so that ``from nerve.creation import rand`` keeps working.
from .creation_random import (  # noqa: E402, F401 - re-exported
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
