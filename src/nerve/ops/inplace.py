"""In-place ops (``add_``, ``mul_``, ``x[...] = v``, ``w -= lr * w.grad`` ...).

Without gradient recording they write straight into the tensor's array. When recording, the
op is computed out of place on a *shadow* that carries the tensor's old value and history, the
result is written back into the same memory (so views stay in sync), and the tensor takes the
new node as its ``grad_fn``. Either way the version counter goes up, so a backward that needs
the old value raises torch's clear error instead of computing a wrong gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import state
from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..tensor import Tensor
from .compare import where
from .dual import const, data, shape_of
from .dual import where as dual_where
from .promotion import as_scalar, raw
from .shape import memory_owner


def _check_leaf(x: Tensor) -> None:
    if not state.enabled:
        return
    if x.requires_grad and x.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "Wrap the update in `with nerve.no_grad():` (as optimizers do) or use an "
            "out-of-place op."
        )
    base = x._base
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Wrap the update in `with nerve.no_grad():` or use an out-of-place op."
        )


def _records(x: Tensor, others: tuple[Any, ...]) -> bool:
    if not state.enabled:
        return False
    return x.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others)


_OVERLAP = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def _cast_error(x: Tensor, error: Exception) -> RuntimeError:
    message = str(error)
    if "read-only" in message:
        # expand()/broadcast_to() views repeat one element (a zero stride): torch's message
        if any(st == 0 and n > 1 for st, n in zip(x._data.strides, x._data.shape)):
            return RuntimeError(_OVERLAP)
        return RuntimeError(
            f"in-place op on a read-only tensor of shape {list(x.shape)} (its memory cannot be "
            "written, e.g. a NumPy array marked read-only); clone() it first"
        )
    if "broadcast" in message or "shape" in message:
        return RuntimeError(f"in-place op on a tensor of shape {list(x.shape)}: {message}")
    return RuntimeError(
        f"result type can't be cast to the desired output type {x.dtype.name} of the in-place "
        f"op ({message})"
    )


def write_inplace(
    x: Tensor,
    others: tuple[Any, ...],
    recorded: Callable[[Tensor], Tensor],
    direct: Callable[[Any], None],
) -> Tensor:
    """Change ``x`` in place: ``direct(array)`` when no graph is needed, else ``recorded``."""
    _check_leaf(x)
    if _records(x, others):
        result = recorded(_shadow(x))
        if result._data.shape != x._data.shape:
            raise RuntimeError(
                f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}"
            )
        try:
            xp_of(x._data).copyto(x._data, result._data, casting="same_kind")
        except (TypeError, ValueError) as error:
            raise _cast_error(x, error) from None
        if x._base is None:
            _take_history(x, result)
        else:
            _record_on_base(x, result)
    else:
        try:
            direct(x._data)
        except (TypeError, ValueError) as error:
            raise _cast_error(x, error) from None
    x._bump_version()
    return x


def _shadow(x: Tensor) -> Tensor:
    """A copy of ``x``'s current values that carries its history: what the graph saw."""
    return stand_in(x, x._data.copy())


def stand_in(x: Tensor, data: Any) -> Tensor:
    """A new tensor over ``data`` that carries ``x``'s history (grad_fn, leaf accumulator),
    without ``x``'s own view links: what an op recorded in place of ``x`` reads."""
    other = Tensor._make(data)
    other.requires_grad, other.grad_fn, other._output_nr = x.requires_grad, x.grad_fn, x._output_nr
    other._accumulator = x._accumulator
    return other


def _take_history(x: Tensor, source: Tensor) -> None:
    x.grad_fn, x.requires_grad, x._output_nr = source.grad_fn, True, source._output_nr


class CopySlices(Node):
    """The new history of a base whose view was changed in place (torch's CopySlices): the old
    base with the view's region replaced by the view's new value."""

    saves = ()

    def name(self) -> str:
        return "CopySlices"

    def forward(self, base: Any, value: Any, replay: Callable[[Tensor], Tensor]) -> Any:
        self.replay = replay
        out = base.copy(order="K")  # the same memory layout, so the view ops stay views
        region = replay(Tensor._make(out))._data
        if memory_owner(region) is not memory_owner(out):
            raise RuntimeError("nerve cannot write through this view: its base layout changed")
        region[...] = value
        return out

    def backward(self, g: Any) -> tuple[Any, Any]:
        need_base, need_value = self.needs_input_grad
        gb = gv = None
        if need_base:  # the overwritten region gets no gradient
            keep = xp_of(data(g)).ones(shape_of(g), dtype=bool)
            self.replay(Tensor._make(keep))._data[...] = False
            gb = dual_where(const(keep, g), g, 0.0)
        if need_value:  # the view's region of the gradient (replay takes tensors)
            gv = self.replay(g) if isinstance(g, Tensor) else self.replay(Tensor._make(g))._data
        return gb, gv


def _record_on_base(view: Tensor, result: Tensor) -> None:
    """After an in-place change of ``view`` (its memory already written), give its base the
    history of that change, and the view the history of being a view of the new base."""
    base, replay = view._base, view._view_fn
    _take_history(base, apply(CopySlices, _shadow(base), result, replay=replay))
    _take_history(view, replay(base))


def _raw(value: Any) -> Any:
    return raw(as_scalar(value))


def _ufunc_inplace(
    x: Tensor, other: Any, name: str, function: Callable[[Tensor, Any], Tensor]
) -> Tensor:
    def direct(data: Any) -> None:
        getattr(xp_of(data), name)(data, _raw(other), out=data, casting="same_kind")

    return write_inplace(x, (other,), lambda shadow: function(shadow, other), direct)


def add_(x: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    if alpha != 1:
        other = other * alpha
    return _ufunc_inplace(x, other, "add", lambda a, b: a + b)


def sub_(x: Tensor, other: Any, *, alpha: float = 1) -> Tensor:
    if alpha != 1:
        other = other * alpha
    return _ufunc_inplace(x, other, "subtract", lambda a, b: a - b)


def mul_(x: Tensor, other: Any) -> Tensor:
    return _ufunc_inplace(x, other, "multiply", lambda a, b: a * b)


def div_(x: Tensor, other: Any) -> Tensor:
    return _ufunc_inplace(x, other, "true_divide", lambda a, b: a / b)


def pow_(x: Tensor, exponent: Any) -> Tensor:
    return _ufunc_inplace(x, exponent, "power", lambda a, b: a**b)


def floor_divide_(x: Tensor, other: Any) -> Tensor:
    return _ufunc_inplace(x, other, "floor_divide", lambda a, b: a // b)


def remainder_(x: Tensor, other: Any) -> Tensor:
    return _ufunc_inplace(x, other, "remainder", lambda a, b: a % b)


def _assign(x: Tensor, value: Any) -> Callable[[Any], None]:
    def direct(data: Any) -> None:
        data[...] = value

    return direct


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0)


def _replaced(shadow: Tensor, value: Any) -> Tensor:
    """``value`` broadcast over ``shadow``, recorded so that the old values get a zero gradient
    (``shadow * 0 + value`` would turn an inf in the old values into nan)."""
    everywhere = Tensor._make(xp_of(shadow._data).ones(shadow._data.shape, dtype=bool))
    return where(everywhere, value, shadow)


def fill_(x: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value._data.ndim} dimensions."
        )
    array = _raw(value)
    return write_inplace(x, (value,), lambda shadow: _replaced(shadow, value), _assign(x, array))


def copy_(x: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast, converted to this dtype and device) into this tensor."""
    if isinstance(src, Tensor):
        if src.device != x.device:
            src = src.to(x.device)
        src = src.to(x.dtype)
    array = _raw(src)
    return write_inplace(x, (src,), lambda shadow: _replaced(shadow, src), _assign(x, array))


def clamp_(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    from .compare import clamp

    def direct(data: Any) -> None:
        xp_of(data).clip(data, _raw(min), _raw(max), out=data)

    return write_inplace(x, (min, max), lambda shadow: clamp(shadow, min, max), direct)


def masked_fill_(x: Tensor, mask: Tensor, value: Any) -> Tensor:
    from .index import masked_fill

    def direct(data: Any) -> None:
        xp_of(data).copyto(data, _raw(value), where=mask._data, casting="unsafe")

    return write_inplace(x, (value,), lambda shadow: masked_fill(shadow, mask, value), direct)


def apply_inplace(
    x: Tensor, function: Callable[[Tensor], Tensor], others: tuple[Any, ...] = ()
) -> Tensor:
    """``x`` changed in place to ``function(x)``, an op that keeps ``x``'s shape and reads the
    tensors among ``others`` too (recorded as that op when a gradient is needed): what
    ``inplace=True`` means to torch's activation functions, such as
    ``F.relu(x, inplace=True)``, and the in-place form of ops such as ``scatter_``."""
    # Without a graph the value is computed before the write, so that the function's own
    # errors (a bad option) reach the caller as they are, not as a failed write's.
    value = None if _records(x, others) else function(Tensor._make(x._data))._data
    if value is not None and value.shape != x._data.shape:
        raise RuntimeError(
            f"output with shape {list(x.shape)} doesn't match the broadcast shape "
            f"{list(value.shape)}"
        )

    def direct(data: Any) -> None:
        data[...] = value

    return write_inplace(x, others, function, direct)


def unary_(name: str) -> Callable[[Tensor], Tensor]:
    """The in-place form of an elementwise method such as ``relu`` or ``exp``."""

    def method(x: Tensor) -> Tensor:
        return apply_inplace(x, lambda tensor: getattr(tensor, name)())

    method.__name__ = name + "_"
    return method


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with uniform random numbers in [a, b)."""
    from ..random import numpy_generator

    values = numpy_generator(generator).uniform(a, b, x._data.shape)
    return _random_fill(x, values)


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with normal random numbers of the given mean and standard deviation."""
    from ..random import numpy_generator

    if not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")

    values = numpy_generator(generator).normal(mean, std, x._data.shape)
    return _random_fill(x, values)


def _random_fill(x: Tensor, values: Any) -> Tensor:
    _check_leaf(x)
    from ..backend.device import device_of, move

    x._data[...] = move(values.astype(x._data.dtype), device_of(x._data))
    x._bump_version()
    return x
