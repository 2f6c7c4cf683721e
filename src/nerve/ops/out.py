"""``out=``: write a function's result into a given tensor, as torch's ``out=`` arguments do.

:func:`with_out` wraps a public function (``nerve.add``, ``nerve.exp``, ``nerve.zeros`` ...) so
that ``nerve.add(a, b, out=c)`` computes ``a + b``, writes it into ``c`` and returns ``c``. The
rules are torch's:

* not differentiable: with gradient recording on, an input (or ``out``) that requires grad
  raises "functions with out=... arguments don't support automatic differentiation";
* dtypes: the result is cast to ``out``'s dtype when torch's ``canCast`` allows it (not floating
  point into an integer tensor, nothing but bool into a bool one); otherwise torch's error;
  a ``(values, indices)`` result needs exactly the dtypes it makes;
* shapes: an ``out`` of another shape is resized; when it had elements, with torch's
  deprecation warning;
* factories (``zeros``, ``arange``, ``randn`` ...) take ``out``'s dtype and device when none
  is given.

Calls without ``out`` go straight to the wrapped function: the only cost is one call.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ..autograd.grad_mode import state
from ..backend import dtypes
from ..tensor import Tensor
from .promotion import CPP_NAMES, TORCH_NAMES

F = TypeVar("F", bound=Callable[..., Any])


def _tensors(values: Any) -> Any:
    for value in values:
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _tensors(value)


def _can_cast(source: dtypes.dtype, target: dtypes.dtype) -> bool:
    """torch's ``canCast``: no floating point into integers, nothing but bool into bool."""
    if source.is_floating_point and not target.is_floating_point:
        return False
    return not (target is dtypes.bool_ and source is not dtypes.bool_)


def _resize(out: Tensor, shape: tuple[int, ...]) -> None:
    if out._data.size != 0:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{list(out._data.shape)}, which does not match the required output shape "
            f"{list(shape)}. This behavior is deprecated, and in a future release outputs will "
            "not be resized unless they have zero elements. You can explicitly reuse an out "
            "tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
            UserWarning,
            stacklevel=4,
        )
    xp = out.device.xp
    out._data = xp.empty(shape, dtype=out._data.dtype)


def _write(out: Any, result: Tensor, exact: bool, any_cast: bool, index: int = 0) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"out must be a Tensor, got {type(out).__name__}")
    if out.device != result.device:
        raise RuntimeError(
            f"Expected out tensor to be on {result.device}, but it is on {out.device}"
        )
    source, target = result.dtype, out.dtype
    if exact and source is not target:
        raise RuntimeError(
            f"Expected out tensor to have dtype {CPP_NAMES[source.name]}, but got "
            f"{CPP_NAMES[target.name]} instead"
        )
    if not any_cast and not _can_cast(source, target):
        raise RuntimeError(
            f"result type {TORCH_NAMES[source.name]} can't be cast to the desired output type "
            f"{TORCH_NAMES[target.name]}"
        )
    if out._data.shape != result._data.shape:
        _resize(out, result._data.shape)
    try:
        out.device.xp.copyto(out._data, result._data, casting="unsafe")
    except ValueError as error:  # a read-only (expanded) out
        from .inplace import _cast_error

        raise _cast_error(out, error) from None
    out._bump_version()
    return out


def write_out(
    name: str, result: Any, out: Any, *, exact: bool = False, any_cast: bool = False
) -> Any:
    """Write ``result`` (a tensor, or a tuple such as ``(values, indices)``) into ``out``."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(
                f"{name}(): out must be a tuple of {len(result)} tensors, got {type(out).__name__}"
            )
        written = [_write(o, r, True, False) for o, r in zip(out, result)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    return _write(out, result, exact, any_cast)


def with_out(function: F, *, factory: bool = False, any_cast: bool = False) -> F:
    """``function`` with torch's ``out=`` keyword (see the module's docstring).

    ``factory``: a creation function (``out``'s dtype and device are the defaults).
    ``any_cast``: a reduction that takes ``dtype=`` (``sum``): torch computes it in ``out``'s
    dtype, whatever the input's.

    Example:
        >>> import nerve
        >>> from nerve.ops.out import with_out
        >>> twice = with_out(lambda input: input * 2)
        >>> out = nerve.empty(2)
        >>> twice(nerve.tensor([1.0, 2.0]), out=out) is out, out
        (True, tensor([2., 4.]))
        >>> nerve.add(nerve.tensor([1, 2]), 1, out=nerve.empty(2))
        tensor([2., 3.])
    """
    name = function.__name__

    @functools.wraps(function)
    def wrapper(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return function(*args, **kwargs)
        if factory:
            if not isinstance(out, Tensor):
                raise TypeError(f"{name}(): out must be a Tensor, got {type(out).__name__}")
            if kwargs.get("requires_grad"):
                raise RuntimeError(
                    f"{name}(): functions with out=... arguments don't support automatic "
                    "differentiation, but one of the arguments requires grad."
                )
            if kwargs.get("dtype") is None:
                kwargs["dtype"] = out.dtype
            if kwargs.get("device") is None:
                kwargs["device"] = out.device
        elif state.enabled and any(
            t.requires_grad for t in _tensors((*args, *kwargs.values(), out))
        ):
            raise RuntimeError(
                f"{name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad."
            )
        if any_cast and isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype  # torch reduces in out's dtype (sum into a long out)
        return write_out(name, function(*args, **kwargs), out, any_cast=any_cast)

    return wrapper  # type: ignore[return-value]
