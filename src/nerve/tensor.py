"""The Tensor: an imperative n-dimensional array that can record how it was computed.

This is the first level of the lecture's three levels of a framework. A tensor holds an array
of its device's array module (NumPy on the CPU, CuPy on a GPU) in ``_data``; when it
``requires_grad``, the ops that use it record graph nodes (``grad_fn``) that ``backward()``
walks by the chain rule. This file holds the data and its conversions; the autograd side
(``.grad``, hooks, ``backward``) is in tensor_autograd.py. The math lives in ``nerve.ops``:
``ops/methods.py`` declares the operators and methods (``+``, ``@``, ``.sum()``,
``.reshape()`` ...) and attaches them to this class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import dtypes
from .backend.device import device, device_of, move
from .tensor_autograd import HookHandle, TensorAutograd

if TYPE_CHECKING:
    from .ops.methods import TensorMethods
else:
    TensorMethods = object  # the ops import Tensor: ops/methods.py's install() copies them here


class Size(tuple):
    """The shape of a tensor: a tuple of ints, printed as ``nerve.Size([2, 3])``.

    Example:
        >>> import nerve
        >>> s = nerve.zeros(2, 3).shape
        >>> s, s[0], s.numel(), s[1:]
        (nerve.Size([2, 3]), 2, 6, nerve.Size([3]))
    """

    def __repr__(self) -> str:
        return f"nerve.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    # A slice, a sum with a tuple and a repetition are shapes too, as torch.Size's.
    def __getitem__(self, index: Any) -> Any:
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other: Any) -> Any:
        return Size(tuple(self) + other) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other: Any) -> Any:
        return Size(other + tuple(self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, times: Any) -> Size:
        return Size(tuple(self) * times)

    __rmul__ = __mul__


class Tensor(TensorAutograd, TensorMethods):
    """A multi-dimensional array with autograd, following ``torch.Tensor``.

    Create tensors with :func:`nerve.tensor`, :func:`nerve.zeros`, :func:`nerve.randn` ...;
    ``nerve.Tensor(data)`` builds a float tensor as ``torch.Tensor`` does.

    Example:
        >>> import nerve
        >>> w = nerve.tensor([1.0, 2.0], requires_grad=True)
        >>> loss = (w * w).sum()
        >>> loss.backward()
        >>> w.grad
        tensor([2., 4.])
    """

    # the data's slots; the gradient's (requires_grad, grad_fn, ...) are TensorAutograd's
    __slots__ = ("_data", "_vc", "_base", "_view_fn", "__weakref__")

    # NumPy must hand mixed expressions (ndarray * Tensor) to Tensor's reflected operators.
    __array_ufunc__ = None

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        from .creation import empty, tensor

        if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
            source = tensor(args[0], dtype=dtype or dtypes.get_default_dtype(), device=device)
        else:
            source = empty(*args, dtype=dtype, device=device)
        _init(self, source._data)

    @classmethod
    def _make(cls, array: Any) -> Tensor:
        """Wrap an array without copying (the fast path every op uses)."""
        tensor = object.__new__(cls)
        _init(tensor, array)
        return tensor

    # -- inspection ------------------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """The same storage as a tensor outside the graph (torch's ``.data``)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> device:
        return device_of(self._data)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_check_dim(dim, self._data.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    ndim = property(dim)

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return int(self._data.itemsize)

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the values lie densely in ``memory_format``'s order (default: contiguous,
        C order; ``nerve.channels_last``: NHWC)."""
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        from . import memory_formats as formats

        return formats.is_in(self._data, formats.check(memory_format))

    def stride(self, dim: int | None = None) -> Any:
        """The step in memory, in elements, from one index to the next along each dimension
        (of ``dim`` alone when given).

        Example:
            >>> import nerve
            >>> nerve.zeros(2, 3).stride(), nerve.zeros(2, 3).t().stride(0)
            ((3, 1), 1)
        """
        data = self._data
        strides = tuple(step // data.itemsize for step in data.strides)
        if dim is None:
            return strides
        return strides[_check_dim(dim, data.ndim, "stride")]

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc[0]

    def _counter(self) -> list[int]:
        """The version counter, shared with views of the same storage."""
        if self._vc is None:
            self._vc = [0]
        return self._vc

    def _bump_version(self) -> None:
        self._counter()[0] += 1

    # -- conversion ------------------------------------------------------------------------

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a NumPy array sharing memory (copied from a GPU with ``force``)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        if not isinstance(self._data, np.ndarray):
            if not force:
                raise TypeError(
                    f"can't convert {self.device} tensor to numpy. Use Tensor.cpu() to copy the "
                    "tensor to host memory first."
                )
            return self._data.get()
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = self._data if isinstance(self._data, np.ndarray) else self._data.get()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self) -> Any:
        return self.__array__().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} values is ambiguous"
            )
        return bool(self.item())

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Convert dtype and/or device: ``t.to(nerve.float64)``, ``t.to("cpu")``, ``t.to(other)``.

        Differentiable: the gradient flows back, converted to the original dtype and device.
        Returns ``self`` when nothing changes. ``memory_format=nerve.channels_last`` also
        lays the values out in that order (:meth:`contiguous`).
        """
        if len(args) == 1 and not kwargs and args[0] is self.dtype:
            return self  # ``target.to(input.dtype)`` in every loss call: no parsing needed
        memory_format = kwargs.get("memory_format")
        if memory_format is not None:
            from . import memory_formats as formats

            converted = self.to(*args, **{k: v for k, v in kwargs.items() if k != "memory_format"})
            if formats.check(memory_format) is formats.preserve_format:
                return converted
            return converted.contiguous(memory_format=memory_format)
        target_dtype, target_device = _parse_to_args(args, kwargs)
        copy = bool(kwargs.get("copy", False))
        if (
            (target_dtype is None or target_dtype is self.dtype)
            and (target_device is None or target_device == self.device)
            and not copy
        ):
            return self
        from .ops.convert import convert

        return convert(self, target_dtype or self.dtype, target_device or self.device)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> str | Tensor:
        """Without an argument, torch's legacy type name (``'torch.FloatTensor'``); with one
        (a dtype, ``'torch.DoubleTensor'``, ``nerve.LongTensor``), the converted tensor."""
        from . import legacy

        if dtype is None:
            return legacy.type_name(self)
        target_device = None
        if isinstance(dtype, str):
            dtype, target_device = legacy.dtype_of_type_name(dtype)
        elif isinstance(dtype, legacy._LegacyTensorType):
            dtype, target_device = dtype._dtype, ("cuda" if dtype._cuda else "cpu")
        return self.to(dtypes.to_dtype(dtype), target_device)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def cpu(self) -> Tensor:
        return self.to(device("cpu"))

    def cuda(self, index: int | None = None) -> Tensor:
        return self.to(device("cuda", index))

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut off from the graph."""
        result = Tensor._make(self._data)
        result._vc = self._counter()
        return result

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    # -- Python protocol -------------------------------------------------------------------

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in torch."""
        from .printing import tensor_format

        return tensor_format(self, spec)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # Tensors pickle as plain data (for multiprocessing), never as code.
        return (_rebuild, (self.__array__(), self.requires_grad))


def _init(tensor: Tensor, array: Any, grad_fn: Any = None) -> None:
    """Fill a new tensor's slots; with ``grad_fn``, the output of that recorded op."""
    if type(array) is not np.ndarray and isinstance(array, np.generic):
        array = np.asarray(array)  # NumPy reductions return scalars; a tensor keeps an array
    tensor._data = array
    tensor.requires_grad = grad_fn is not None
    tensor._grad = None
    tensor.grad_fn = grad_fn
    tensor._output_nr = 0
    tensor._vc = None
    tensor._base = None
    tensor._view_fn = None  # for a view: redoes the view ops on its base (see ops/inplace.py)
    tensor._accumulator = None
    tensor._hooks = None
    tensor._post_accumulate_hooks = None


def _rebuild(array: np.ndarray, requires_grad: bool) -> Tensor:
    tensor = Tensor._make(array)
    tensor.requires_grad = requires_grad
    return tensor


def _check_dim(dim: int, ndim: int, op: str) -> int:
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(
            f"{op}: dimension out of range (expected to be in range of [{-span}, {span - 1}], "
            f"but got {dim})"
        )
    return dim % span


def _parse_to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    target_dtype = kwargs.get("dtype")
    target_device = kwargs.get("device")
    for arg in args:
        if isinstance(arg, Tensor):
            target_dtype, target_device = arg.dtype, arg.device
        elif isinstance(arg, (str, device)):
            target_device = arg
        elif arg is not None:
            target_dtype = arg
    return (
        None if target_dtype is None else dtypes.to_dtype(target_dtype),
        None if target_device is None else device(target_device),
    )


def is_tensor(obj: object) -> bool:
    """True when ``obj`` is a nerve Tensor.

    Example:
        >>> import nerve
        >>> nerve.is_tensor(nerve.zeros(1)), nerve.is_tensor([0.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


__all__ = ["HookHandle", "Size", "Tensor", "is_tensor", "move"]
