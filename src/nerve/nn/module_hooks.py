"""A Module call with hooks, as torch's ``Module._call_impl``: forward pre-hooks (optionally
given and returning kwargs), forward hooks (optionally with kwargs, optionally run even when
``forward`` raised), and the full backward hooks.

Full backward hooks see the gradients with respect to the module's *outputs* (``grad_output``)
and its positional tensor *inputs* (``grad_input``), once per backward pass, as torch's do. Two
identity ops carry them: one on the inputs before ``forward``, one on the outputs after it. The
engine hands the output identity all output gradients at once (there the backward pre-hooks
run and may replace them), then the input identity all input gradients (there the backward
hooks run and may replace them). A call without hooks never reaches this file.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from ..autograd.function import Function
from ..autograd.grad_mode import state
from ..tensor import Tensor

if TYPE_CHECKING:
    from .module import Module


class _Pass:
    """What one hooked call shares between its two identity ops."""

    def __init__(self, module: Module, n_inputs: int) -> None:
        self.module = module
        self.n_inputs = n_inputs
        self.grad_output: tuple[Any, ...] | None = None


def _check_count(returned: Any, expected: int, what: str) -> tuple[Any, ...]:
    result = returned if isinstance(returned, tuple) else (returned,)
    if len(result) != expected:
        raise RuntimeError(
            f"Backward hook returned an invalid number of {what}, got {len(result)}, but "
            f"expected {expected}"
        )
    return result


class BackwardHookFunction(Function):
    """The identity on a module's outputs (``side == "outputs"``: its backward runs the
    backward pre-hooks on grad_output) or on its inputs (its backward runs the backward hooks
    on grad_input). torch's name, so that ``grad_fn`` prints the same."""

    @staticmethod
    def forward(ctx: Any, hook_pass: _Pass, side: str, *tensors: Tensor) -> tuple[Tensor, ...]:
        ctx.hook_pass, ctx.side = hook_pass, side
        return tuple(Tensor._make(t._data) for t in tensors)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple[Any, ...]:
        hook_pass: _Pass = ctx.hook_pass
        module = hook_pass.module
        if ctx.side == "inputs":
            grad_output = hook_pass.grad_output or ()
            return (None, None, *_run_backward_hooks(module, grads, grad_output))
        for hook in list(module._backward_pre_hooks.values()):
            result = hook(module, grads)
            if result is not None:
                grads = _check_count(result, len(grads), "grad_output")
        hook_pass.grad_output = grads
        if hook_pass.n_inputs == 0:  # no input needs a gradient: torch calls them here
            _run_backward_hooks(module, (None,), grads)
        return (None, None, *grads)


def _run_backward_hooks(
    module: Module, grad_input: tuple[Any, ...], grad_output: tuple[Any, ...]
) -> tuple[Any, ...]:
    for hook in list(module._backward_hooks.values()):
        result = hook(module, grad_input, grad_output)
        if result is not None:
            grad_input = _check_count(result, len(grad_input), "grad_input")
    return grad_input


def _wrap_inputs(hook_pass: _Pass, args: tuple[Any, ...]) -> tuple[Any, ...]:
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    hook_pass.n_inputs = len(positions)
    if not positions:
        return args
    wrapped = BackwardHookFunction.apply(hook_pass, "inputs", *(args[i] for i in positions))
    wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
    new_args = list(args)
    for i, tensor in zip(positions, wrapped):
        new_args[i] = tensor
    return tuple(new_args)


def _wrap_outputs(hook_pass: _Pass, output: Any) -> Any:
    single = isinstance(output, Tensor)
    outputs = (output,) if single else output
    if not isinstance(outputs, tuple) or not all(isinstance(o, Tensor) for o in outputs):
        return output  # torch supports tensors and tuples of tensors here
    if not any(o.requires_grad for o in outputs):
        return output
    wrapped = BackwardHookFunction.apply(hook_pass, "outputs", *outputs)
    wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
    return wrapped[0] if single else type(output)(wrapped) if type(output) is tuple else wrapped


def call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks, in torch's order."""
    with_kwargs = module._hooks_with_kwargs
    for hook_id, hook in list(module._forward_pre_hooks.items()):
        if hook_id in with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {result}."
                    )
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    hook_pass = None
    if (module._backward_hooks or module._backward_pre_hooks) and state.enabled:
        hook_pass = _Pass(module, 0)
        args = _wrap_inputs(hook_pass, args)
    output, called = None, set()
    try:
        output = module.forward(*args, **kwargs)
        for hook_id, hook in list(module._forward_hooks.items()):
            called.add(hook_id)
            if hook_id in with_kwargs:
                result = hook(module, args, kwargs, output)
            else:
                result = hook(module, args, output)
            if result is not None:
                output = result
    except Exception:
        _run_always_called(module, args, kwargs, output, called)
        raise
    if hook_pass is not None:
        output = _wrap_outputs(hook_pass, output)
    return output


def _run_always_called(
    module: Module, args: Any, kwargs: dict[str, Any], output: Any, called: set[int]
) -> None:
    """After an error: the forward hooks registered with ``always_call=True`` that have not
    run yet; their own errors are reported as a warning, the first error is re-raised."""
    for hook_id, hook in list(module._forward_hooks.items()):
        if hook_id not in module._hooks_always_called or hook_id in called:
            continue
        try:
            if hook_id in module._hooks_with_kwargs:
                result = hook(module, args, kwargs, output)
            else:
                result = hook(module, args, output)
            if result is not None:
                output = result
        except Exception as error:
            warnings.warn(
                "forward hook with ``always_call=True`` raised an exception that was silenced as "
                f"another error was raised in forward: {error}",
                stacklevel=3,
            )
