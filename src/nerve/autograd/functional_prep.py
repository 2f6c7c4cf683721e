"""The shared steps of ``nerve.autograd.functional``'s functions (functional_api.py), as
torch's: inputs and ``v`` checked and turned into tuples of fresh leaves, gradients taken over
the outputs that require one, zeros for unused inputs, strict mode's checks (torch's messages),
results detached unless ``create_graph`` and unpacked to the structure the caller gave."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .functional import grad as _grad


def as_tuple(value: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``value`` was a tuple, its tensors as a tuple), with torch's TypeError."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for index, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {index}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the {where} has type {type(item)}."
            )
    return is_tuple, items


def unpack(result: Any, was_tuple: bool | tuple[bool, bool]) -> Any:
    """Results in the caller's structure: a tensor where a tensor was given, not a 1-tuple."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def preprocess(tensors: tuple[Tensor, ...], create_graph: bool, need_graph: bool) -> tuple:
    """Fresh leaves to differentiate with respect to; under ``create_graph`` an input that
    requires grad stays connected to its own graph (a view of itself), as in torch."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in tensors
    )


def postprocess(results: Any, create_graph: bool) -> Any:
    if results and isinstance(results[0], Tensor):
        return results if create_graph else tuple(r.detach() for r in results)
    return tuple(postprocess(r, create_graph) for r in results)


def validate_v(v: tuple[Tensor, ...], other: tuple[Tensor, ...], other_is_tuple: bool) -> None:
    if len(other) != len(v):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for index, (item, ref) in enumerate(zip(v, other)):
        if item.shape != ref.shape:
            prefix = f"Entry {index} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {ref.size()} but got {item.size()}."
            )


NOT_DIFFERENTIABLE = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of "
    "the user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not allowed in "
    "strict mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that your "
    "function is thrice differentiable and that the hessian depends on the inputs.",
}


def check_requires_grad(tensors: tuple[Any, ...], kind: str, strict: bool) -> None:
    """In strict mode, refuse results that do not depend on the inputs (torch's messages)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(NOT_DIFFERENTIABLE[kind].format(i=i))


def autograd_grad(
    outputs: tuple[Any, ...],
    inputs: tuple[Tensor, ...],
    grad_outputs: tuple[Any, ...] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple[Any, ...]:
    """``grad`` over the outputs that require a gradient only; None for unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad(
        [o for o, _ in pairs],
        list(inputs),
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str):
    """Zeros for the gradients that came back None (an input the output does not use)."""
    from ..creation import zeros_like

    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(INDEPENDENT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        filled.append(g)
    return tuple(filled)


def prepare_v(
    v: Any,
    refs: tuple[Tensor, ...],
    refs_are_tuple: bool,
    create_graph: bool,
    fn_name: str,
    none_message: str,
) -> tuple[Tensor, ...] | None:
    """``v`` as a tuple checked against ``refs``; None only where ``refs`` is one element."""
    if v is not None:
        _, v = as_tuple(v, "v", fn_name)
        v = preprocess(v, create_graph, need_graph=False)
        validate_v(v, refs, refs_are_tuple)
        return v
    if len(refs) != 1 or refs[0].numel() != 1:
        raise RuntimeError(none_message)
    return None
