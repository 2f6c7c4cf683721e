"""The spellings of older PyTorch that course notebooks still use.

* ``torch.FloatTensor(2, 3)`` / ``torch.LongTensor([1, 2])``: typed constructors. They return
  plain :class:`~nerve.Tensor` objects (``type(x) is Tensor``, as in torch), and
  ``isinstance(x, torch.FloatTensor)`` asks for the dtype (and a CPU tensor), as torch's does.
* ``torch.autograd.Variable(t, requires_grad=True)``: since torch 0.4 a Variable is a tensor;
  the call returns a tensor sharing ``t``'s data, and every tensor is an instance of it.
* ``x.type('torch.FloatTensor')`` / ``x.type()``: the legacy type names (:func:`type_name`,
  :func:`dtype_of_type_name`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import dtypes
from .tensor import Tensor

# the legacy class name of each dtype (torch.FloatTensor is float32 on the CPU)
LEGACY_NAMES: dict[str, dtypes.dtype] = {
    "FloatTensor": dtypes.float32,
    "DoubleTensor": dtypes.float64,
    "HalfTensor": dtypes.float16,
    "LongTensor": dtypes.int64,
    "IntTensor": dtypes.int32,
    "ShortTensor": dtypes.int16,
    "CharTensor": dtypes.int8,
    "ByteTensor": dtypes.uint8,
    "BoolTensor": dtypes.bool_,
}
_NAME_OF = {dtype: name for name, dtype in LEGACY_NAMES.items()}


class _LegacyTensorType(type):
    """Metaclass of ``FloatTensor`` & co: calling builds a Tensor of the class's dtype, and
    ``isinstance`` tests the dtype and the device, not the Python class."""

    _dtype: dtypes.dtype
    _cuda: bool

    def __call__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[override]
        from .creation import empty, tensor

        target = "cuda" if cls._cuda else device
        if not args:
            return empty(0, dtype=cls._dtype, device=target)
        if _all_ints(args):
            return empty(*args, dtype=cls._dtype, device=target)  # sizes; a tuple is data
        if len(args) != 1:
            raise TypeError(
                f"{cls.__name__}() takes sizes (ints) or one sequence of data, got {args!r}"
            )
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype is not cls._dtype:
                raise TypeError(
                    f"expected {cls._dtype!r} (got {data.dtype!r}): {cls.__name__}(tensor) does "
                    f"not convert; use tensor.to({cls._dtype!r})"
                )
            return data.detach()
        # torch truncates floats toward zero for integer types, as NumPy's cast does
        return tensor(np.asarray(data).astype(cls._dtype.np), device=target)

    def __instancecheck__(cls, instance: object) -> bool:
        return (
            isinstance(instance, Tensor)
            and instance.dtype is cls._dtype
            and (instance.device.type == "cuda") == cls._cuda
        )


def _all_ints(values: tuple[Any, ...]) -> bool:
    return all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in values)


# name -> the data its docstring example converts and what that prints; written by hand (and
# checked against torch), so a constructor that drifts fails its doctest
_EXAMPLES = {
    "FloatTensor": ("[1.5, -2.5]", "tensor([ 1.5000, -2.5000])"),
    "DoubleTensor": ("[1.5, -2.5]", "tensor([ 1.5000, -2.5000], dtype=nerve.float64)"),
    "HalfTensor": ("[1.5, -2.5]", "tensor([ 1.5000, -2.5000], dtype=nerve.float16)"),
    "LongTensor": ("[1.7, -2.7]", "tensor([ 1, -2])"),
    "IntTensor": ("[1.7, -2.7]", "tensor([ 1, -2], dtype=nerve.int32)"),
    "ShortTensor": ("[1.7, -2.7]", "tensor([ 1, -2], dtype=nerve.int16)"),
    "CharTensor": ("[1.7, -2.7]", "tensor([ 1, -2], dtype=nerve.int8)"),
    "ByteTensor": ("[1.7, 2.2]", "tensor([1, 2], dtype=nerve.uint8)"),
    "BoolTensor": ("[1, 0]", "tensor([ True, False])"),
}


def _legacy_class(name: str, dtype: dtypes.dtype, cuda: bool) -> type:
    doc = f"Legacy constructor of {dtype!r} tensors on the {'GPU' if cuda else 'CPU'}."
    if not cuda:  # the GPU types' examples could not run on a machine without one
        data, shown = _EXAMPLES[name]
        doc += (
            f"\n\n    ``{name}(2, 3)`` makes a tensor of that size, ``{name}(data)`` converts "
            "data (floats\n    truncated toward zero for integer types), as torch's.\n\n"
            f"    Example:\n        >>> import nerve\n        >>> nerve.{name}({data})\n"
            f"        {shown}\n        >>> nerve.{name}(2, 3).shape\n"
            "        nerve.Size([2, 3])\n    "
        )
    return _LegacyTensorType(name, (), {"_dtype": dtype, "_cuda": cuda, "__doc__": doc})


CPU_TYPES = {name: _legacy_class(name, dtype, False) for name, dtype in LEGACY_NAMES.items()}
CUDA_TYPES = {name: _legacy_class(name, dtype, True) for name, dtype in LEGACY_NAMES.items()}
# the classes live in these dictionaries, not as module attributes, where doctest looks: name
# them here so that their examples run (tests/docs/test_doctests.py)
__test__ = dict(CPU_TYPES)


def type_name(t: Tensor) -> str:
    """``x.type()``: torch's legacy name, e.g. ``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``.

    The string is torch's (not ``nerve.``), so code that compares it with a literal runs
    unchanged."""
    place = "torch.cuda." if t.device.type == "cuda" else "torch."
    return place + _NAME_OF[t.dtype]


def dtype_of_type_name(name: str) -> tuple[dtypes.dtype, str | None]:
    """The dtype (and ``"cuda"`` when named) of ``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``
    or ``'nerve.DoubleTensor'``; a dtype name such as ``'float32'`` is accepted too."""
    given, parts = name, name.split(".")
    device = None
    if len(parts) == 3 and parts[0] in ("torch", "nerve") and parts[1] == "cuda":
        device, parts = "cuda", [parts[0], parts[2]]
    if len(parts) == 2 and parts[0] in ("torch", "nerve") and parts[1] in LEGACY_NAMES:
        return LEGACY_NAMES[parts[1]], device
    if len(parts) == 2 and parts[0] in ("torch", "nerve"):
        name = parts[1]
    try:
        return dtypes.to_dtype(name), None
    except TypeError:
        raise ValueError(f"invalid type: '{given}'") from None


class _VariableMeta(type):
    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``torch.autograd.Variable``: since torch 0.4 a Variable *is* a tensor.

    ``Variable(t, requires_grad=True)`` returns a tensor sharing ``t``'s data (a new leaf), and
    ``isinstance(x, Variable)`` is true of every tensor.

    Example:
        >>> import nerve
        >>> from nerve.autograd import Variable
        >>> Variable(nerve.ones(2), requires_grad=True)
        tensor([1., 1.], requires_grad=True)
    """

    def __new__(  # type: ignore[misc]
        cls, data: Any = None, requires_grad: bool = False, volatile: bool = False
    ) -> Tensor:
        if data is None:
            from .creation import empty

            return empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        result = data.detach()
        if requires_grad:
            result.requires_grad_(True)
        return result
