"""``nerve.autograd.Function``: user-defined ops with a hand-written backward, as in torch.

Example:
    >>> import nerve
    >>> class Square(nerve.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> x = nerve.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).backward(nerve.ones(1)); x.grad
    tensor([6.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .anomaly import creation_trace
from .engine import _FREED_MESSAGE
from .grad_mode import no_grad, state
from .node import Node, _raise_version_error, _sequence, edge_of


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function; it is also the graph node (``grad_fn``) it creates.

    Tensors needed by ``backward`` go through ``ctx.save_for_backward(...)`` (read back as
    ``ctx.saved_tensors``, checked against later in-place changes); other values are plain
    attributes.

    Example:
        >>> import nerve
        >>> class Scale(nerve.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x, factor):
        ...         ctx.factor = factor  # plain values go on ctx as attributes
        ...         return x * factor
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         return grad * ctx.factor, None  # no gradient for the number
        >>> y = Scale.apply(nerve.tensor([1.0, 2.0], requires_grad=True), 3.0)
        >>> y.grad_fn.factor
        3.0
    """

    saves = ()

    def __init__(self, function: type[Function]) -> None:
        self._function = function
        self._saved: list[Any] = []
        self._saved_versions: list[int] = []
        self._output_arrays: dict[int, Any] = {}
        self._output_counters: dict[int, list[int]] = {}  # version counters of saved outputs
        self._non_differentiable: set[int] = set()
        self._dirty: set[int] = set()
        self.materialize_grads = True
        self.inputs = None
        self.next_edges = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (or None) for ``backward``; they are checked against in-place changes."""
        self._saved = list(tensors)
        self._saved_versions = [t._version if t is not None else 0 for t in tensors]

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self.freed:
            raise RuntimeError(_FREED_MESSAGE)
        from ..tensor import Tensor

        result = []
        for index, (saved, version) in enumerate(zip(self._saved, self._saved_versions)):
            if index in self._output_arrays:  # an output: rebuilt here to avoid a cycle
                counter = self._output_counters[index]
                if counter[0] != version:
                    _raise_version_error(None, version, self, counter[0])
                saved = Tensor._make(self._output_arrays[index])
                if state.enabled:
                    saved.requires_grad, saved.grad_fn = True, self
            elif saved is not None and saved._version != version:
                _raise_version_error(saved, version, self)
            result.append(saved)
        return tuple(result)

    def mark_non_differentiable(self, *outputs: Any) -> None:
        self._non_differentiable.update(id(o) for o in outputs)

    def mark_dirty(self, *tensors: Any) -> None:
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    def name(self) -> str:
        return f"{self._function.__name__}Backward"

    def check_versions(self) -> None:  # done lazily in saved_tensors, as torch does
        pass

    def release(self) -> None:
        if self._saved:
            self._saved = []
            self._output_arrays = {}
            self.freed = True

    def backward(self, *grads: Any) -> tuple[Any, ...]:
        """The user's backward, which takes and returns tensors as in torch: when the backward
        pass is not recorded the engine's arrays are wrapped, and the results unwrapped."""
        from ..tensor import Tensor

        arrays = not state.enabled
        if arrays:
            grads = tuple(None if g is None else Tensor._make(g) for g in grads)
        results = self._user_backward(grads)
        if arrays:
            return tuple(r._data if isinstance(r, Tensor) else r for r in results)
        return results

    def _user_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.materialize_grads:
            grads = tuple(
                g if g is not None else _zeros_like_output(self, i) for i, g in enumerate(grads)
            )
        result = self._function.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self.next_edges)
        if len(result) < expected or any(r is not None for r in result[expected:]):
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {expected}, got {len(result)})"
            )
        return tuple(
            _check_grad(self, index, g, meta)
            if g is not None and self.needs_input_grad[index]
            else None
            for index, (g, meta) in enumerate(zip(result[:expected], self._input_meta))
        )


def _zeros_like_output(ctx: FunctionCtx, index: int) -> Any:
    from ..tensor import Tensor

    shape, dtype, xp = ctx._output_meta[index]
    return None if xp is None else Tensor._make(xp.zeros(shape, dtype))


def _check_grad(ctx: FunctionCtx, index: int, grad: Any, meta: Any) -> Any:
    from ..creation import tensor as make_tensor
    from ..ops.dual import sum_to
    from ..tensor import Tensor

    if not isinstance(grad, Tensor):
        grad = make_tensor(grad)
    shape = meta
    if tuple(grad.shape) != tuple(shape):
        try:
            return sum_to(grad.expand(*_broadcast(grad.shape, shape)), shape)
        except (RuntimeError, ValueError):
            raise RuntimeError(
                f"Function {ctx.name()} returned an invalid gradient at index {index} - got "
                f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
            ) from None
    return grad


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    import numpy as np

    return tuple(np.broadcast_shapes(tuple(a), tuple(b)))


class Function:
    """Base class of custom differentiable ops: define ``forward`` and ``backward``
    as static methods and call ``MyFunction.apply(...)``.

    Example:
        >>> import nerve
        >>> class Cube(nerve.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x**3
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * 3 * x**2
        >>> x = nerve.tensor([1.0, 2.0], requires_grad=True)
        >>> Cube.apply(x).sum().backward()
        >>> x.grad
        tensor([ 3., 12.])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def setup_context(ctx: FunctionCtx, inputs: tuple[Any, ...], output: Any) -> None:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    vjp = backward

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from ..tensor import Tensor

        ctx = FunctionCtx(cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        separate_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(output, tuple)
        outputs = output if is_tuple else (output,)
        if not (state.enabled and any(ctx.needs_input_grad)):
            return output
        ctx.next_edges = tuple(
            edge_of(a) if needs else None for a, needs in zip(args, ctx.needs_input_grad)
        )
        ctx.sequence_nr = next(_sequence)
        ctx._input_meta = tuple(tuple(a.shape) if isinstance(a, Tensor) else () for a in args)
        ctx.n_outputs = len(outputs)
        ctx._output_meta = tuple(
            (o._data.shape, o._data.dtype, o.device.xp)
            if isinstance(o, Tensor)
            else ((), None, None)
            for o in outputs
        )
        if state.anomaly:
            ctx.trace = creation_trace()
        wrapped = tuple(_wrap_output(ctx, index, o, args) for index, o in enumerate(outputs))
        for index, saved in enumerate(ctx._saved):
            for out_index, original in enumerate(outputs):
                if saved is original and isinstance(original, Tensor):
                    ctx._output_arrays[index] = wrapped[out_index]._data
                    ctx._output_counters[index] = counter = wrapped[out_index]._counter()
                    ctx._saved_versions[index] = counter[0]
                    ctx._saved[index] = None
        return wrapped if is_tuple else wrapped[0]


def _wrap_output(ctx: FunctionCtx, index: int, output: Any, args: tuple[Any, ...]) -> Any:
    from ..tensor import Tensor

    if not isinstance(output, Tensor):
        return output
    if id(output) in ctx._dirty:  # changed in place: the input itself now has this history
        result = output
    elif any(output is a for a in args) or output.grad_fn is not None or output.requires_grad:
        result = Tensor._make(output._data)  # returned an input unchanged: a new node's output
    else:
        result = output
    if id(output) in ctx._non_differentiable or not output.is_floating_point():
        result.requires_grad = False
        return result
    result.requires_grad = True
    result.grad_fn = ctx
    result._output_nr = index
    return result


def once_differentiable(backward: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a Function's backward as not itself differentiable (it runs under no_grad).

    Example:
        >>> import nerve
        >>> class Square(nerve.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     @nerve.autograd.function.once_differentiable
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * grad
        >>> x = nerve.tensor([3.0], requires_grad=True)
        >>> Square.apply(x).backward()
        >>> x.grad
        tensor([6.])
    """

    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grads: Any) -> Any:
        with no_grad():
            return backward(ctx, *grads)

    return wrapper


__all__ = ["Function", "FunctionCtx", "once_differentiable"]
