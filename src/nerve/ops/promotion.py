"""Operands of elementwise ops: type promotion (torch's rules), devices, Python scalars.

Kept apart from the ops so that each op stays a few lines: an op receives operands that
already share a dtype (or are Python scalars that NumPy will not upcast).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import dtypes
from ..tensor import Tensor

SCALARS = (int, float, bool)

# torch's ScalarType names ("not implemented for 'Long'") and C++ type names
# ("float != double") in its messages, by nerve dtype name
TORCH_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "uint8": "Byte",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "bool": "Bool",
}


def torch_name(dtype: Any) -> str:
    """torch's name of a dtype in its kernels' errors: 'Float', 'Long', 'Bool' ..."""
    return TORCH_NAMES.get(dtype.name, dtype.name)


CPP_NAMES = {
    "float16": "c10::Half",
    "float32": "float",
    "float64": "double",
    "uint8": "unsigned char",
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "bool": "bool",
}


def as_scalar(value: Any) -> Any:
    """Python numbers pass; NumPy scalars become Python numbers (NumPy would treat them as
    typed arrays and upcast float32 tensors, which torch does not)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def raw(value: Any) -> Any:
    """A tensor's array; anything else (a Python number) unchanged."""
    return value._data if isinstance(value, Tensor) else value


def to_tensor_operand(value: Any, like: Tensor) -> Tensor | None:
    """Lists and arrays in arithmetic with a tensor become tensors on its device."""
    if isinstance(value, (list, tuple, np.ndarray)):
        from ..creation import tensor

        return tensor(value, device=like.device)
    return None


def check_same_device(a: Tensor, b: Tensor, op: str) -> None:
    if type(a._data) is not type(b._data) and a._data.ndim and b._data.ndim:
        raise RuntimeError(
            f"{op}: expected all tensors to be on the same device, but found at least two "
            f"devices, {a.device} and {b.device}! Move one with .to(device)."
        )


def promote_pair(a: Any, b: Any, op: str, *, to_float: bool = False) -> tuple[Any, Any]:
    """Cast tensor operands to their common dtype (torch.result_type); scalars stay scalars.

    ``to_float`` gives integer results the default float dtype (true division, float math).
    """
    a, b = as_scalar(a), as_scalar(b)
    a_tensor, b_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    if a_tensor and b_tensor:
        check_same_device(a, b, op)
        if a._data.dtype is b._data.dtype and not (to_float and a._data.dtype.kind != "f"):
            return a, b
        dims = [t.dtype for t in (a, b) if t._data.ndim]
        zero_dims = [t.dtype for t in (a, b) if not t._data.ndim]
        target = dtypes.result_type(dims, zero_dims, [])
    elif a_tensor or b_tensor:
        tensor, scalar = (a, b) if a_tensor else (b, a)
        if not isinstance(scalar, SCALARS):
            raise TypeError(
                f"{op}: unsupported operand type {type(scalar).__name__}; expected a Tensor or "
                "a Python number"
            )
        own = tensor.dtype
        target = (
            own if dtypes.scalar_category(scalar) <= own.category else dtypes.scalar_dtype(scalar)
        )
    else:
        raise TypeError(f"{op}: expected at least one Tensor operand")
    if to_float and not target.is_floating_point:
        target = dtypes.get_default_dtype()
    if a_tensor and a.dtype is not target:
        a = a.to(target)
    if b_tensor and b.dtype is not target:
        b = b.to(target)
    return a, b


def result_type(tensor1: Any, tensor2: Any) -> dtypes.dtype:
    """The dtype of an arithmetic op on these operands, tensors or Python numbers
    (torch.result_type).

    Example:
        >>> import nerve
        >>> nerve.result_type(nerve.tensor([1, 2]), 1.0), nerve.result_type(nerve.tensor([1, 2]), 1)
        (nerve.float32, nerve.int64)
    """
    operands = [as_scalar(x) for x in (tensor1, tensor2)]
    tensors = [x for x in operands if isinstance(x, Tensor)]
    return dtypes.result_type(
        [t.dtype for t in tensors if t._data.ndim],
        [t.dtype for t in tensors if not t._data.ndim],
        [x for x in operands if not isinstance(x, Tensor)],
    )


def float_operand(x: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (for exp, log, sin ...)."""
    if x._data.dtype.kind == "f":
        return x
    return x.to(dtypes.get_default_dtype())


def softmax_operand(x: Tensor, op: str, dim: int | None) -> Tensor:
    """softmax and log_softmax take floating-point tensors only, as torch's kernels: an
    integer or bool tensor raises torch's NotImplementedError (pass ``dtype=`` to convert)."""
    if x._data.dtype.kind == "f":
        return x
    ndim = x._data.ndim
    last = ndim == 0 or dim is None or dim in (-1, ndim - 1)
    kernel = f"{op}_lastdim_kernel_impl" if last else f"{op}_kernel_impl"
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{TORCH_NAMES[x.dtype.name]}'")


def matmul_operands(a: Any, b: Any) -> None:
    """torch's matmul never promotes: two tensors of different dtypes raise its error."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return
    if a._data.dtype is b._data.dtype:
        return
    left, right = a.dtype.name, b.dtype.name
    if a._data.ndim == 1 and b._data.ndim == 1:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{TORCH_NAMES[left]} and {TORCH_NAMES[right]}"
        )
    raise RuntimeError(
        "expected m1 and m2 to have the same dtype, but got: "
        f"{CPP_NAMES[left]} != {CPP_NAMES[right]}"
    )
