"""``nerve.autograd.grad``, ``backward``, and the finite-difference checks ``gradcheck`` and
``gradgradcheck`` that learners can use on their own functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import engine
from .grad_mode import enable_grad, no_grad

if TYPE_CHECKING:
    from ..tensor import Tensor


def _as_list(value: Any) -> list[Any]:
    from ..tensor import Tensor

    if value is None:
        return []
    return [value] if isinstance(value, Tensor) else list(value)


def prepare_outputs(
    outputs: Sequence[Tensor], grad_outputs: Sequence[Any] | None, caller: str
) -> tuple[list[Tensor], list[Tensor]]:
    """Check the outputs to differentiate and build their starting gradients."""
    from ..tensor import Tensor

    grads_in = list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    if len(grads_in) != len(outputs):
        raise RuntimeError(
            f"{caller}: got {len(grads_in)} grad_outputs for {len(outputs)} outputs; "
            "expected one gradient per output"
        )
    prepared: list[Tensor] = []
    for index, (output, grad) in enumerate(zip(outputs, grads_in)):
        if not isinstance(output, Tensor):
            raise TypeError(
                f"{caller}: output {index} is a {type(output).__name__}, expected a Tensor"
            )
        if not output.requires_grad:
            raise RuntimeError(
                f"element {index} of tensors does not require grad and does not have a grad_fn"
            )
        if grad is None:
            if output.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output {index} has "
                    f"shape {list(output.shape)}: pass a gradient of that shape"
                )
            grad = Tensor._make(output.device.xp.ones(output._data.shape, output._data.dtype))
        elif not isinstance(grad, Tensor):
            from ..creation import tensor as make_tensor

            grad = make_tensor(grad, dtype=output.dtype, device=output.device)
        if grad._data.shape != output._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{index}] has a shape of {list(grad.shape)} and "
                f"output[{index}] has a shape of {list(output.shape)}."
            )
        prepared.append(grad)
    return list(outputs), prepared


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate gradients of ``tensors`` into the leaves' ``.grad`` (torch.autograd.backward).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0], requires_grad=True)
        >>> a, b = (x * x).sum(), (3 * x).sum()
        >>> nerve.autograd.backward([a, b])  # the gradients of a and b add up in x.grad
        >>> x.grad
        tensor([5., 7.])
    """
    outputs = _as_list(tensors)
    grads = None if grad_tensors is None else _as_list(grad_tensors)
    outputs, prepared = prepare_outputs(outputs, grads, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    capture = None if inputs is None else _as_list(inputs)
    engine.run_backward(outputs, prepared, retain, create_graph, capture, accumulate=True)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not accumulated.

    Example:
        >>> import nerve
        >>> x = nerve.tensor(3.0, requires_grad=True)
        >>> (dx,) = nerve.autograd.grad(x ** 3, x, create_graph=True)
        >>> dx, nerve.autograd.grad(dx, x)[0]   # 3x^2 and 6x
        (tensor(27., grad_fn=<MulBackward0>), tensor(18.))
    """
    from ..tensor import Tensor

    output_list = _as_list(outputs)
    input_list = _as_list(inputs)
    for index, tensor in enumerate(input_list):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(
                f"One of the differentiated Tensors (index {index}) does not require grad"
            )
    grads = None if grad_outputs is None else _as_list(grad_outputs)
    output_list, prepared = prepare_outputs(output_list, grads, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    result = engine.run_backward(
        output_list, prepared, retain, create_graph, input_list, accumulate=False
    )
    assert result is not None
    for index, value in enumerate(result):
        if value is None:
            if materialize_grads:
                from ..creation import zeros_like

                result[index] = zeros_like(input_list[index])
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (index {index}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior."
                )
        elif not create_graph:
            result[index] = value.detach()
    return tuple(result)


def composition_gradients(
    inputs: Sequence[Any],
    needs: Sequence[bool],
    compose: Callable[..., Any],
    grad_outputs: Sequence[Any],
) -> tuple[Tensor | None, ...]:
    """A fused op's backward under ``create_graph``: the gradients of ``compose(*inputs)`` (a
    tensor or a tuple of them, the composition of recorded ops the op fuses) for the inputs
    that ``needs`` marks, recorded so that they can be differentiated again (None for the
    others). Outputs given no gradient (None) are left out. The composition runs on aliases of
    the inputs, where its gradient stops: the inputs' own hooks and ``retain_grad`` are the
    outer backward's business, and an input used twice gets one gradient per use.

    Example:
        >>> import nerve
        >>> x = nerve.tensor(3.0, requires_grad=True)
        >>> (dx,) = composition_gradients([x], [True], lambda t: t * t, [nerve.tensor(1.0)])
        >>> dx
        tensor(6., grad_fn=<AddBackward0>)
    """
    with enable_grad():
        aliases = [t.view_as(t) if n else t for t, n in zip(inputs, needs)]
        outs = compose(*aliases)
        given = [
            (out, g)
            for out, g in zip(outs if isinstance(outs, tuple) else (outs,), grad_outputs)
            if g is not None
        ]
        wanted = [a for a, n in zip(aliases, needs) if n]
        found = iter(
            grad(
                [out for out, _ in given],
                wanted,
                [g for _, g in given],
                create_graph=True,
                allow_unused=True,
            )
        )
    return tuple(next(found) if n else None for n in needs)


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytical and numerical gradients disagree.

    Example:
        >>> import nerve
        >>> class WrongSquare(nerve.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...     @staticmethod
        ...     def backward(ctx, grad):
        ...         (x,) = ctx.saved_tensors
        ...         return grad * x  # should be 2 * x
        >>> x = nerve.tensor([1.0, 2.0], dtype=nerve.float64, requires_grad=True)
        >>> try:
        ...     nerve.autograd.gradcheck(WrongSquare.apply, (x,))
        ... except nerve.autograd.GradcheckError:
        ...     print("the backward disagrees with finite differences")
        the backward disagrees with finite differences
    """


def _outputs_of(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Tensor]:
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else [o for o in out if isinstance(o, Tensor)]
    return outs


def _differentiable(outputs: list[Tensor]) -> list[Tensor]:
    return [o for o in outputs if o.requires_grad and o.is_floating_point()]


def _jacobians(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Numerical (central differences) and analytical Jacobians, one per (input, output)."""
    from ..tensor import Tensor

    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    outputs = _outputs_of(fn, inputs)
    wanted = _differentiable(outputs)
    numerical = [jac for x in diff for jac in _numerical(fn, inputs, x, outputs, wanted, eps)]
    analytical = [_analytical(output, x) for x in diff for output in wanted]
    return numerical, analytical


def _numerical(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    x: Tensor,
    outputs: list[Tensor],
    wanted: list[Tensor],
    eps: float,
) -> list[np.ndarray]:
    """d(output)/dx by central differences, for each wanted output."""
    indices = [next(k for k, o in enumerate(outputs) if o is w) for w in wanted]
    data = x._data  # perturbed in place, element by element (any memory layout)
    rows: list[list[np.ndarray]] = [[] for _ in wanted]

    def evaluate() -> list[np.ndarray]:  # copies: an output may be a view of x
        outs = _outputs_of(fn, inputs)
        return [np.array(outs[k]._data, dtype=float).reshape(-1) for k in indices]

    for position in np.ndindex(data.shape):
        original = data[position].item()
        with no_grad():
            data[position] = original + eps
            plus = evaluate()
            data[position] = original - eps
            minus = evaluate()
            data[position] = original
        for row, p, m in zip(rows, plus, minus):
            row.append((p - m) / (2 * eps))
    return [np.array(row).reshape(x.numel(), w.numel()) for row, w in zip(rows, wanted)]


def _analytical(output: Tensor, x: Tensor) -> np.ndarray:
    """d(output)/dx by backpropagating one unit vector per output element."""
    jac = np.zeros((x.numel(), output.numel()))
    for j in range(output.numel()):
        seed = np.zeros(output.numel(), dtype=output._data.dtype)
        seed[j] = 1
        grad_out = type(output)._make(seed.reshape(output._data.shape))
        (g,) = grad(output, x, grad_out, retain_graph=True, allow_unused=True)
        if g is not None:
            jac[:, j] = np.asarray(g._data, dtype=float).reshape(-1)
    return jac


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare autograd's gradients of ``fn`` with central finite differences.

    Use float64 inputs with ``requires_grad=True``; returns True when every Jacobian entry
    agrees within ``atol + rtol * |numerical|``.

    Example:
        >>> import nerve
        >>> x = nerve.randn(3, dtype=nerve.float64, requires_grad=True)
        >>> nerve.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,))
        True
    """
    from ..tensor import Tensor

    input_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for x in input_list:
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64":
            import warnings

            warnings.warn(
                f"gradcheck: an input is {x.dtype}; finite differences need float64 to be reliable",
                stacklevel=2,
            )
    numerical, analytical = _jacobians(fn, input_list, eps)
    for index, (num, ana) in enumerate(zip(numerical, analytical)):
        if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=False):
            if not raise_exception:
                return False
            worst = np.unravel_index(np.argmax(np.abs(ana - num)), num.shape)
            raise GradcheckError(
                f"Jacobian mismatch for (input, output) pair {index}: at entry {tuple(worst)} "
                f"numerical {num[worst]:.6g} vs analytical {ana[worst]:.6g}.\n"
                f"numerical:\n{num}\nanalytical:\n{ana}"
            )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the (differentiable) backward of ``fn``.

    Inputs should be float64 (finite differences in float32 are too coarse for the default
    tolerances). Returns True, or raises GradcheckError (``raise_exception=False``: returns
    False).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([0.5, 1.5], dtype=nerve.float64, requires_grad=True)
        >>> nerve.autograd.gradgradcheck(lambda t: (t**3).sin(), (x,))
        True
    """
    from ..tensor import Tensor

    input_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    outputs = _differentiable(_outputs_of(fn, input_list))  # (not the indices of max(dim))
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [
            Tensor._make(rng.standard_normal(o._data.shape)).requires_grad_() for o in outputs
        ]
    grad_outputs = _as_list(grad_outputs)

    def first_derivative(*args: Any) -> tuple[Tensor, ...]:
        xs, gs = args[: len(input_list)], args[len(input_list) :]
        with enable_grad():  # also when gradcheck evaluates this under no_grad
            outs = _differentiable(_outputs_of(fn, xs))
            wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
            grads = grad(outs, wanted, gs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else x * 0 for g, x in zip(grads, wanted))

    return gradcheck(
        first_derivative,
        [*input_list, *grad_outputs],
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )


# torch.autograd.functional's names live in functional_api.py; this module is what
# ``nerve.autograd.functional`` names, so they are re-exported here (imported last: they use grad).
from .functional_api import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: E402, F401
