"""Everyday elementwise formulas and reductions torch has at top level: lerp, addcmul,
addcdiv, nan_to_num, nansum, nanmean, var_mean, std_mean, aminmax, and the integer- and
bool-valued isin, tril_indices and triu_indices.

The differentiable ones are compositions of existing ops (the arithmetic, where, var, amin
and amax), so their gradients and double backward come from those ops; the others are
computed on arrays directly.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .promotion import torch_name
from .reduce import Dim, normalize_dims
from .return_types import return_types
from .spread import var

__all__ = [
    "addcdiv",
    "addcmul",
    "aminmax",
    "isin",
    "lerp",
    "nan_to_num",
    "nanmean",
    "nansum",
    "std_mean",
    "tril_indices",
    "triu_indices",
    "var_mean",
]

# torch names dtypes by their C type in its messages ("expected dtype float ... double")
_C_NAMES = {"float32": "float", "float64": "double", "float16": "half", "int64": "long"}


def _c_name(dtype: Any) -> str:
    return _C_NAMES.get(dtype.name, dtype.name)


def _min_max_pair() -> type:
    """torch.return_types.aminmax: a (min, max) named tuple printed as torch prints it."""
    base = namedtuple("aminmax", ["min", "max"])  # type: ignore[misc,name-match]

    def __repr__(self: Any) -> str:
        return f"nerve.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"

    pair = type("aminmax", (base,), {"__slots__": (), "__repr__": __repr__})
    pair.__module__ = "nerve.return_types"
    return pair


# nerve.return_types gathers torch's named tuples: this one joins them there
return_types.aminmax = _min_max_pair()  # type: ignore[attr-defined]


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)`` (``weight`` a number or a
    tensor).

    Example:
        >>> import nerve
        >>> nerve.lerp(nerve.tensor([0.0, 10.0]), nerve.tensor([1.0, 20.0]), 0.5)
        tensor([ 0.5000, 15.0000])
    """
    if isinstance(end, Tensor) and end.dtype != input.dtype:
        raise RuntimeError(
            f"expected dtype {_c_name(input.dtype)} for `end` but got dtype {_c_name(end.dtype)}"
        )
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        raise RuntimeError(
            f"expected dtype {_c_name(input.dtype)} for `weight` but got dtype "
            f"{_c_name(weight.dtype)}"
        )
    return input + weight * (end - input)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 * tensor2`` (broadcast).

    Example:
        >>> import nerve
        >>> t1, t2 = nerve.tensor([1.0, 2.0]), nerve.tensor([3.0, 4.0])
        >>> nerve.addcmul(nerve.ones(2), t1, t2, value=0.5)
        tensor([2.5000, 5.0000])
    """
    product = tensor1 * tensor2
    return input + (product if value == 1 else product * value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 / tensor2`` (broadcast); integer quotients are refused, as
    torch does.

    Example:
        >>> import nerve
        >>> nerve.addcdiv(nerve.ones(2), nerve.tensor([1.0, 2.0]), nerve.tensor([4.0, 4.0]))
        tensor([1.2500, 1.5000])
    """
    if tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes."
        )
    quotient = tensor1 / tensor2
    return input + (quotient if value == 1 else quotient * value)


def nan_to_num(
    input: Tensor,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default 0 and the
    dtype's largest and lowest finite values). The gradient passes only where ``input`` is
    finite.

    Example:
        >>> import nerve
        >>> nerve.nan_to_num(nerve.tensor([float("nan"), float("inf"), -1.0]), posinf=9.0)
        tensor([ 0.,  9., -1.])
    """
    from .compare import where

    if input._data.dtype.kind != "f":
        return input.clone()  # integers hold no NaN or inf
    info = xp_of(input._data).finfo(input._data.dtype)
    posinf = float(info.max) if posinf is None else posinf
    neginf = float(info.min) if neginf is None else neginf
    out = where(input.isnan(), nan, input)
    out = where(input == float("inf"), posinf, out)
    return where(input == float("-inf"), neginf, out)


def isin(
    elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False
) -> Tensor:
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a number): a
    bool tensor of ``elements``' shape.

    Example:
        >>> import nerve
        >>> nerve.isin(nerve.tensor([1, 2, 3, 4]), nerve.tensor([2, 4]))
        tensor([False,  True, False,  True])
    """
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() expects elements or test_elements to be a tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    xp = xp_of(like._data)
    a = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    found = xp.isin(a, b, assume_unique=assume_unique, invert=invert)
    return Tensor._make(xp.asarray(found, dtype=bool))


def _triangle_indices(
    row: int, col: int, offset: int, lower: bool, dtype: Any, device: Any
) -> Tensor:
    from ..creation import tensor

    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    # numpy's, whatever the device: the indices are built once, then moved
    ask = np.tril_indices if lower else np.triu_indices
    rows, cols = ask(row, offset, col)
    return tensor(np.stack([rows, cols]), dtype=dtype, device=device)


def tril_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = dtypes.int64, device: Any = None
) -> Tensor:
    """The (row, column) indices of the lower triangle of a ``row`` x ``col`` matrix (on and
    below diagonal ``offset``), as a 2 x N tensor in row-major order.

    Example:
        >>> import nerve
        >>> nerve.tril_indices(3, 3)
        tensor([[0, 1, 1, 2, 2, 2],
                [0, 0, 1, 0, 1, 2]])
    """
    return _triangle_indices(row, col, offset, True, dtype, device)


def triu_indices(
    row: int, col: int, offset: int = 0, *, dtype: Any = dtypes.int64, device: Any = None
) -> Tensor:
    """The (row, column) indices of the upper triangle of a ``row`` x ``col`` matrix (on and
    above diagonal ``offset``), as a 2 x N tensor in row-major order.

    Example:
        >>> import nerve
        >>> nerve.triu_indices(3, 3, 1)
        tensor([[0, 0, 1],
                [1, 2, 2]])
    """
    return _triangle_indices(row, col, offset, False, dtype, device)


def nansum(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The sum over ``dim`` with NaN counted as zero.

    Example:
        >>> import nerve
        >>> nerve.nansum(nerve.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    from .compare import where

    if input._data.dtype.kind == "f":
        input = where(input.isnan(), 0.0, input)
    return input.sum(dim=dim, keepdim=keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The mean over ``dim`` of the elements that are not NaN (NaN where all are).

    Example:
        >>> import nerve
        >>> nerve.nanmean(nerve.tensor([1.0, float("nan"), 2.0]))
        tensor(1.5000)
    """
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "nanmean(): expected input to have floating point or complex dtype but got "
            f"{torch_name(input.dtype)}"
        )
    present = (~input.isnan()).sum(dim=dim, keepdim=keepdim)
    with np.errstate(invalid="ignore"):  # all NaN: 0 / 0, the NaN torch gives
        return nansum(input, dim, keepdim, dtype=dtype) / present


def var_mean(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call (Bessel's ``correction``, 1 by default).

    Example:
        >>> import nerve
        >>> nerve.var_mean(nerve.tensor([1.0, 2.0, 3.0, 4.0]))
        (tensor(1.6667), tensor(2.5000))
    """
    axes = normalize_dims(dim, input._data.ndim, "var_mean")
    spread = var(input, axes, unbiased, keepdim, correction=correction)
    return spread, input.mean(dim=axes, keepdim=keepdim)


def std_mean(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call (Bessel's ``correction``, 1 by default).

    Example:
        >>> import nerve
        >>> nerve.std_mean(nerve.tensor([1.0, 2.0, 3.0, 4.0]), correction=0)
        (tensor(1.1180), tensor(2.5000))
    """
    spread, mean = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return spread.sqrt(), mean


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """The smallest and the largest value (over ``dim``, or all elements) as the named pair
    ``(min, max)``; ties share the gradient, as amin and amax.

    Example:
        >>> import nerve
        >>> nerve.aminmax(nerve.tensor([[1, 5], [7, 2]]), dim=1)
        nerve.return_types.aminmax(
        min=tensor([1, 2]),
        max=tensor([5, 7]))
    """
    if input._data.size == 0 or (dim is not None and input._data.ndim and input.shape[dim] == 0):
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity."
        )
    axes: Any = () if dim is None else _check_dim(dim, input._data.ndim, "aminmax")
    low, high = input.amin(dim=axes, keepdim=keepdim), input.amax(dim=axes, keepdim=keepdim)
    return return_types.aminmax(low, high)  # type: ignore[attr-defined]


TENSOR_METHODS = {
    "lerp": lerp,
    "addcmul": addcmul,
    "addcdiv": addcdiv,
    "nan_to_num": nan_to_num,
    "nansum": nansum,
    "nanmean": nanmean,
    "aminmax": aminmax,
}
