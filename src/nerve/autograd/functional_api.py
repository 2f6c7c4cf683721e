"""Higher-level derivatives of a whole function (``torch.autograd.functional``'s names):
``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp``.

Each is built from :func:`nerve.autograd.grad` alone: a vector-Jacobian product is one backward
pass; a Jacobian is one backward pass per output element (torch's ``vectorize=False`` loop);
forward-mode products (``jvp``, ``hvp``) use the double-backward trick, as torch's do: the
gradient with respect to the inputs, taken for a dummy ``u`` with ``create_graph``, is linear
in ``u``, and its vector-Jacobian product with respect to ``u`` is ``J v``. So everything here
works for any function nerve's ops can differentiate twice, and ``create_graph=True`` gives
results that are themselves differentiable.

They are exposed as ``nerve.autograd.functional.jacobian`` etc., as in torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from .functional_prep import (
    as_tuple,
    autograd_grad,
    check_requires_grad,
    fill_in_zeros,
    postprocess,
    prepare_v,
    preprocess,
    unpack,
)
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    Example:
        >>> import nerve
        >>> out, g = nerve.autograd.functional.vjp(lambda x: x**2, nerve.tensor([1.0, 2.0]),
        ...                                        nerve.tensor([1.0, 1.0]))
        >>> g
        tensor([2., 4.])
    """
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "vjp")
        inputs = preprocess(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = as_tuple(
            func(*inputs), "outputs of the user-provided function", "vjp"
        )
        check_requires_grad(outputs, "outputs", strict)
        message = (
            "The vector v can only be None if the user-provided function returns a "
            "single Tensor with a single element."
        )
        v = prepare_v(v, outputs, outputs_tuple, create_graph, "vjp", message)
        with set_grad_enabled(True if create_graph else is_grad_enabled()):
            grads = autograd_grad(outputs, inputs, v, create_graph=create_graph)
            result = fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (
        unpack(postprocess(outputs, create_graph), outputs_tuple),
        unpack(postprocess(result, create_graph), inputs_tuple),
    )


_V_FOR_INPUTS = (
    "The vector v can only be None if the input to the user-provided function is a "
    "single Tensor with a single element."
)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    Example:
        >>> import nerve
        >>> out, t = nerve.autograd.functional.jvp(lambda x: x**2, nerve.tensor([1.0, 2.0]),
        ...                                        nerve.tensor([1.0, 0.0]))
        >>> t
        tensor([2., 0.])
    """
    from ..creation import zeros_like

    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "jvp")
        inputs = preprocess(inputs, create_graph, need_graph=True)
        v = prepare_v(v, inputs, inputs_tuple, create_graph, "jvp", _V_FOR_INPUTS)
        outputs_tuple, outputs = as_tuple(
            func(*inputs), "outputs of the user-provided function", "jvp"
        )
        check_requires_grad(outputs, "outputs", strict)
        # u -> u^T J is linear in u; its vector-Jacobian product in u with v is J v.
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = autograd_grad(outputs, inputs, dummies, create_graph=True)
        check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(grad_inputs, dummies, v, create_graph=create_graph)
        result = fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (
        unpack(postprocess(outputs, create_graph), outputs_tuple),
        unpack(postprocess(result, create_graph), outputs_tuple),
    )


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (nested tuples where tuples were given).

    Rows come from one backward pass per output element. ``vectorize`` and
    ``strategy="forward-mode"`` only choose how torch computes the same matrix (vmap, forward
    AD); nerve accepts them with torch's argument checks and computes it by rows.

    Example:
        >>> import nerve
        >>> nerve.autograd.functional.jacobian(lambda x: x**2, nerve.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    from ..creation import zeros_like
    from ..ops.join import stack

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `strategy="forward-mode"` requires '
                "`vectorize=True`."
            )
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "jacobian")
        inputs = preprocess(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = as_tuple(
            func(*inputs), "outputs of the user-provided function", "jacobian"
        )
        check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are "
                "not supported together. Please either set `strict=False` or "
                "`vectorize=False`."
            )
        rows_by_output = []
        for i, out in enumerate(outputs):
            rows: list[list[Tensor]] = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = autograd_grad(
                    (flat[k],), inputs, retain_graph=True, create_graph=create_graph
                )
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            "The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            "create_graph=True."
                        )
                    rows[j].append(g)
            rows_by_output.append(
                tuple(_stack_rows(stack, rows[j], inp, out) for j, inp in enumerate(inputs))
            )
        result = postprocess(tuple(rows_by_output), create_graph)
    return unpack(result, (outputs_tuple, inputs_tuple))


def _stack_rows(stack: Callable[..., Tensor], rows: list[Tensor], inp: Tensor, out: Tensor):
    """One block of the Jacobian, shaped ``out.shape + inp.shape`` (an empty output: empty)."""
    from ..creation import zeros

    shape = (*out.shape, *inp.shape)
    if not rows:
        return zeros(shape, dtype=inp.dtype, device=inp.device)
    return stack(rows, 0).reshape(shape)


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient (for tuples of inputs,
    block (i, j) has shape ``inputs[i].shape + inputs[j].shape``).

    Example:
        >>> import nerve
        >>> nerve.autograd.functional.hessian(lambda x: (x**3).sum(), nerve.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    inputs_tuple, inputs = as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp: Tensor) -> Tensor:
        out = func(*inp)
        out_is_tuple, outs = as_tuple(out, "outputs of the user-provided function", "hessian")
        check_requires_grad(outs, "outputs", strict)
        if out_is_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.squeeze()

    def gradient(*inp: Tensor) -> Any:
        jac = jacobian(single_output, inp, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(
        gradient,
        inputs,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return unpack(result, (inputs_tuple, inputs_tuple))


def _scalar_output(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], strict: bool, fn_name: str
) -> tuple[bool, tuple[Tensor, ...]]:
    outputs_tuple, outputs = as_tuple(
        func(*inputs), "outputs of the user-provided function", fn_name
    )
    check_requires_grad(outputs, "outputs", strict)
    if outputs_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )
    return outputs_tuple, outputs


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), v^T H)`` for a scalar function: a backward pass through its gradient."""
    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "vhp")
        inputs = preprocess(inputs, create_graph, need_graph=True)
        v = prepare_v(v, inputs, inputs_tuple, create_graph, "vhp", _V_FOR_INPUTS)
        outputs_tuple, outputs = _scalar_output(func, inputs, strict, "vhp")
        jac = autograd_grad(outputs, inputs, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (
        unpack(postprocess(outputs, create_graph), outputs_tuple),
        unpack(postprocess(result, create_graph), inputs_tuple),
    )


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick (equal to
    ``vhp`` for a symmetric Hessian, i.e. a twice continuously differentiable function)."""
    from ..creation import zeros_like

    with enable_grad():
        inputs_tuple, inputs = as_tuple(inputs, "inputs", "hvp")
        inputs = preprocess(inputs, create_graph, need_graph=True)
        v = prepare_v(v, inputs, inputs_tuple, create_graph, "hvp", _V_FOR_INPUTS)
        outputs_tuple, outputs = _scalar_output(func, inputs, strict, "hvp")
        jac = autograd_grad(outputs, inputs, create_graph=True)
        check_requires_grad(jac, "jacobian", strict)
        dummies = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = autograd_grad(jac, inputs, dummies, create_graph=True)
        check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = autograd_grad(double_back, dummies, v, create_graph=create_graph)
        result = fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (
        unpack(postprocess(outputs, create_graph), outputs_tuple),
        unpack(postprocess(result, create_graph), inputs_tuple),
    )


__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]
