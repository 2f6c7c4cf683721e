"""Attach the ops to :class:`~nerve.tensor.Tensor` as operators and methods, in one table,
so that ``x + y``, ``x @ w``, ``x.sum(dim=1)`` and ``x.add_(y)`` all reach the same functions
as ``nerve.add``, ``nerve.matmul`` and ``nerve.sum``."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import arith, compare, index, inplace, linalg, reduce, shape, softmax, unary


def _reflected(function: Any) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        return function(other, self)

    return method


def _eq(self: Tensor, other: Any) -> Any:
    return False if other is None else compare.eq(self, other)


def _ne(self: Tensor, other: Any) -> Any:
    return True if other is None else compare.ne(self, other)


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind == "b":
        return compare.logical_not(self)
    return compare.bitwise_not(self)


def _inplace_operator(function: Any) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return function(self, other)

    return method


def _new(factory_name: str) -> Any:
    def method(
        self: Tensor, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        from .. import creation

        factory = getattr(creation, factory_name)
        return factory(
            *args,
            dtype=dtype or self.dtype,
            device=device or self.device,
            requires_grad=requires_grad,
        )

    return method


def _new_tensor(
    self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    from ..creation import tensor

    return tensor(
        data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return self.to(other.dtype)


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return shape.view(self, other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return shape.reshape(self, other.shape)


def _where(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return compare.where(condition, self, other)


OPERATORS = {
    "__add__": arith.add,
    "__radd__": _reflected(arith.add),
    "__sub__": arith.sub,
    "__rsub__": _reflected(arith.sub),
    "__mul__": arith.mul,
    "__rmul__": _reflected(arith.mul),
    "__truediv__": arith.div,
    "__rtruediv__": _reflected(arith.div),
    "__floordiv__": arith.floor_divide,
    "__rfloordiv__": _reflected(arith.floor_divide),
    "__mod__": arith.remainder,
    "__rmod__": _reflected(arith.remainder),
    "__pow__": arith.pow,
    "__rpow__": _reflected(arith.pow),
    "__matmul__": linalg.matmul,
    "__rmatmul__": _reflected(linalg.matmul),
    "__neg__": unary.neg,
    "__pos__": lambda self: self,
    "__abs__": unary.abs,
    "__invert__": _invert,
    "__and__": compare.bitwise_and,
    "__rand__": _reflected(compare.bitwise_and),
    "__or__": compare.bitwise_or,
    "__ror__": _reflected(compare.bitwise_or),
    "__xor__": compare.bitwise_xor,
    "__rxor__": _reflected(compare.bitwise_xor),
    "__eq__": _eq,
    "__ne__": _ne,
    "__lt__": compare.lt,
    "__le__": compare.le,
    "__gt__": compare.gt,
    "__ge__": compare.ge,
    "__getitem__": index.getitem,
    "__setitem__": index.setitem,
    "__iadd__": _inplace_operator(inplace.add_),
    "__isub__": _inplace_operator(inplace.sub_),
    "__imul__": _inplace_operator(inplace.mul_),
    "__itruediv__": _inplace_operator(inplace.div_),
    "__ipow__": _inplace_operator(inplace.pow_),
    "__ifloordiv__": _inplace_operator(inplace.floor_divide_),
    "__imod__": _inplace_operator(inplace.remainder_),
}

METHODS = {
    # arithmetic and elementwise math
    "add": arith.add,
    "sub": arith.sub,
    "subtract": arith.sub,
    "mul": arith.mul,
    "multiply": arith.mul,
    "div": arith.div,
    "divide": arith.div,
    "true_divide": arith.div,
    "floor_divide": arith.floor_divide,
    "remainder": arith.remainder,
    "pow": arith.pow,
    "neg": unary.neg,
    "negative": unary.neg,
    "abs": unary.abs,
    "absolute": unary.abs,
    "exp": unary.exp,
    "expm1": unary.expm1,
    "log": unary.log,
    "log2": unary.log2,
    "log10": unary.log10,
    "log1p": unary.log1p,
    "sqrt": unary.sqrt,
    "rsqrt": unary.rsqrt,
    "reciprocal": unary.reciprocal,
    "square": unary.square,
    "sin": unary.sin,
    "cos": unary.cos,
    "tan": unary.tan,
    "tanh": unary.tanh,
    "sigmoid": unary.sigmoid,
    "erf": unary.erf,
    "relu": unary.relu,
    "sign": unary.sign,
    "floor": unary.floor,
    "ceil": unary.ceil,
    "round": unary.round,
    "trunc": unary.trunc,
    "frac": unary.frac,
    "clamp": compare.clamp,
    "clip": compare.clamp,
    "maximum": compare.maximum,
    "minimum": compare.minimum,
    "where": _where,
    # comparisons and logic
    "eq": compare.eq,
    "ne": compare.ne,
    "lt": compare.lt,
    "le": compare.le,
    "gt": compare.gt,
    "ge": compare.ge,
    "equal": compare.equal,
    "allclose": compare.allclose,
    "isclose": compare.isclose,
    "isnan": compare.isnan,
    "isinf": compare.isinf,
    "isfinite": compare.isfinite,
    "logical_and": compare.logical_and,
    "logical_or": compare.logical_or,
    "logical_xor": compare.logical_xor,
    "logical_not": compare.logical_not,
    # linear algebra
    "matmul": linalg.matmul,
    "mm": linalg.mm,
    "bmm": linalg.bmm,
    "dot": linalg.dot,
    "outer": linalg.outer,
    # reductions
    "sum": reduce.sum,
    "mean": reduce.mean,
    "prod": reduce.prod,
    "max": reduce.max,
    "min": reduce.min,
    "amax": reduce.amax,
    "amin": reduce.amin,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "var": reduce.var,
    "std": reduce.std,
    "logsumexp": reduce.logsumexp,
    "norm": reduce.norm,
    "cumsum": reduce.cumsum,
    "all": reduce.all,
    "any": reduce.any,
    "count_nonzero": reduce.count_nonzero,
    "softmax": softmax.softmax,
    "log_softmax": softmax.log_softmax,
    # shapes
    "reshape": shape.reshape,
    "view": shape.view,
    "view_as": _view_as,
    "reshape_as": _reshape_as,
    "flatten": shape.flatten,
    "unflatten": shape.unflatten,
    "squeeze": shape.squeeze,
    "unsqueeze": shape.unsqueeze,
    "transpose": shape.transpose,
    "swapaxes": shape.transpose,
    "swapdims": shape.transpose,
    "permute": shape.permute,
    "t": shape.t,
    "movedim": shape.movedim,
    "expand": shape.expand,
    "expand_as": shape.expand_as,
    "broadcast_to": shape.broadcast_to,
    "repeat": shape.repeat,
    "split": shape.split,
    "chunk": shape.chunk,
    "unbind": shape.unbind,
    "flip": shape.flip,
    "roll": shape.roll,
    "tril": shape.tril,
    "triu": shape.triu,
    "narrow": shape.narrow,
    "select": shape.select,
    "clone": shape.clone,
    "contiguous": shape.contiguous,
    # indexing
    "gather": index.gather,
    "scatter_add": index.scatter_add,
    "scatter": index.scatter,
    "index_select": index.index_select,
    "masked_fill": index.masked_fill,
    "masked_select": index.masked_select,
    "nonzero": index.nonzero,
    "take": index.take,
    # in place
    "add_": inplace.add_,
    "sub_": inplace.sub_,
    "mul_": inplace.mul_,
    "div_": inplace.div_,
    "pow_": inplace.pow_,
    "zero_": inplace.zero_,
    "fill_": inplace.fill_,
    "copy_": inplace.copy_,
    "clamp_": inplace.clamp_,
    "clip_": inplace.clamp_,
    "masked_fill_": inplace.masked_fill_,
    "uniform_": inplace.uniform_,
    "normal_": inplace.normal_,
    # construction and conversion
    "new_zeros": _new("zeros"),
    "new_ones": _new("ones"),
    "new_empty": _new("empty"),
    "new_full": _new("full"),
    "new_tensor": _new_tensor,
    "type_as": _type_as,
}

IN_PLACE_UNARY = (
    "relu",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "sqrt",
    "neg",
    "abs",
    "floor",
    "ceil",
    "round",
    "trunc",
    "sign",
    "sin",
    "cos",
    "reciprocal",
)

PROPERTIES = {"T": shape.T, "mT": shape.mT}


def install() -> None:
    for name, function in {**OPERATORS, **METHODS}.items():
        setattr(Tensor, name, function)
    for name in IN_PLACE_UNARY:
        setattr(Tensor, name + "_", inplace.unary_(name))
    for name, function in PROPERTIES.items():
        setattr(Tensor, name, property(function))
    Tensor.__hash__ = object.__hash__  # __eq__ is elementwise; hashing stays by identity
