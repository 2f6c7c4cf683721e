"""What a tensor does for autograd: its checked ``.grad``, ``requires_grad_``, hooks,
``retain_grad`` and ``backward``.

:class:`~nerve.tensor.Tensor` inherits these from :class:`TensorAutograd`, a slot-less base
class, so tensor.py stays about the data and this file about the gradient. The graph itself
(nodes, the backward engine) lives in ``nerve.autograd``.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import dtypes
from .backend.device import device_of

if TYPE_CHECKING:
    from .tensor import Tensor


class HookHandle:
    """Returned by ``register_hook``: ``handle.remove()`` takes the hook away, as in torch.
    Calling the handle does the same."""

    __slots__ = ("_hooks", "_entry")

    def __init__(self, hooks: list[Any], entry: Any) -> None:
        self._hooks, self._entry = hooks, entry

    def remove(self) -> None:
        if self._entry in self._hooks:
            self._hooks.remove(self._entry)

    __call__ = remove


def _type_name(value: object) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def check_grad(tensor: Any, grad: Any) -> None:
    """Refuse a hand-assigned ``.grad`` as torch does, in torch's order: not a tensor, the
    tensor itself, another dtype, another device, another size. An optimizer would otherwise
    broadcast a wrong-shaped gradient silently, or fail much later on a number."""
    if not isinstance(grad, TensorAutograd):
        raise TypeError(
            "assigned grad expected to be a Tensor or None but got grad of type " + _type_name(grad)
        )
    if grad is tensor:
        raise RuntimeError("can't assign a tensor as its own grad")
    ours, theirs = tensor._data, grad._data
    if theirs.dtype != ours.dtype:
        theirs_dtype = dtypes.from_numpy_dtype(theirs.dtype).name
        ours_dtype = dtypes.from_numpy_dtype(ours.dtype).name
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{theirs_dtype}' to a tensor with dtype "
            f"'{ours_dtype}'. Please ensure that the gradient and the tensor have the same dtype"
        )
    if type(theirs) is not np.ndarray or type(ours) is not np.ndarray:
        theirs_on, ours_on = device_of(theirs), device_of(ours)
        if theirs_on != ours_on:
            raise RuntimeError(
                f"attempting to assign a gradient with device type '{theirs_on.type}' to a tensor "
                f"with device type '{ours_on.type}' ({theirs_on} and {ours_on}). "
                "Please ensure that the gradient and the tensor are on the same device"
            )
    if theirs.shape != ours.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(theirs.shape)}' to a tensor of size "
            f"'{list(ours.shape)}'. Please ensure that the gradient and the tensor are the same "
            "size"
        )


def _set_grad(tensor: Any, grad: Any) -> None:
    # The usual case tested inline (host arrays, the same dtype object, the same shape);
    # check_grad decides the rest: it raises, or accepts what this test cannot (GPU arrays).
    if grad is not None and not (
        isinstance(grad, TensorAutograd)
        and grad is not tensor
        and type(grad._data) is np.ndarray
        and type(tensor._data) is np.ndarray
        and grad._data.dtype is tensor._data.dtype
        and grad._data.shape == tensor._data.shape
    ):
        check_grad(tensor, grad)
    tensor._grad = grad


def _del_grad(tensor: Any) -> None:
    tensor._grad = None


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If "
    "you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead."
)


def _get_grad(tensor: Any) -> Any:
    # One attribute test on the usual path (a leaf's gradient, or one that is there);
    # torch's warning only for a non-leaf whose gradient nobody asked to keep.
    grad = tensor._grad
    if grad is None and tensor.grad_fn is not None and not tensor.retains_grad:
        warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
    return grad


# For tensors that are always leaves (nn.Parameter): no warning can apply, so reads go through
# a C-level getter, the cheapest there is.
LEAF_GRAD = property(
    attrgetter("_grad"), _set_grad, _del_grad, "The gradient ``backward()`` accumulated."
)


class TensorAutograd:
    """The autograd half of ``Tensor``: the gradient's slots and the methods that use them.

    ``_init`` in tensor.py fills the slots; ``_grad`` is the storage behind ``.grad``."""

    __slots__ = (
        "requires_grad",
        "_grad",
        "grad_fn",
        "_output_nr",
        "_accumulator",
        "_hooks",
        "_post_accumulate_hooks",
    )

    if TYPE_CHECKING:
        _data: Any
        _grad: Tensor | None
        requires_grad: bool
        grad_fn: Any
        _output_nr: int
        _accumulator: Any
        _hooks: list[Any] | None
        _post_accumulate_hooks: list[Any] | None

        @property
        def grad(self) -> Tensor | None:
            """The gradient ``backward()`` accumulated, or one assigned by hand."""

        @grad.setter
        def grad(self, grad: Tensor | None) -> None: ...

        @grad.deleter
        def grad(self) -> None: ...

    else:
        # Reads cost one attribute test (optimizers read .grad every step); a non-leaf's
        # missing gradient warns as torch. Assignments are checked. Library code that made
        # the gradient itself reads and writes ``_grad``.
        grad = property(
            _get_grad,
            _set_grad,
            _del_grad,
            "The gradient ``backward()`` accumulated, or one assigned by hand (checked).",
        )

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or no grad needed)."""
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording ops on this leaf tensor; returns ``self``."""
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, got "
                f"{dtypes.from_numpy_dtype(self._data.dtype)}; convert first, e.g. "
                "t.float().requires_grad_()"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self.requires_grad = requires_grad
        return self  # type: ignore[return-value] # every TensorAutograd is a Tensor

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()``."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        node = self.grad_fn
        if node is None:
            return  # leaves keep their gradient anyway
        if node.retained is None:
            node.retained = []
        if not any(ref() is self for _, ref in node.retained):
            node.retained.append((self._output_nr, weakref.ref(self)))

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return bool(
            node is not None and node.retained and any(r() is self for _, r in node.retained)
        )

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> HookHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one.

        Returns a handle whose ``remove()`` takes the hook away.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks, entry = self._hooks, hook  # type: list[Any], Any
        else:
            node = self.grad_fn
            if node.pre_hooks is None:
                node.pre_hooks = []
            hooks, entry = node.pre_hooks, (self._output_nr, hook)
        hooks.append(entry)
        return HookHandle(hooks, entry)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> HookHandle:
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "post accumulate grad hooks cannot be registered on non-leaf tensors"
            )
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        hooks = self._post_accumulate_hooks
        hooks.append(hook)
        return HookHandle(hooks, hook)

    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Tensor | Any = None,
    ) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Gradients accumulate into the ``.grad`` of every leaf that requires one. A non-scalar
        tensor needs ``gradient`` (the vector in the vector-Jacobian product).
        """
        engine = _engine()
        this: Any = self  # every TensorAutograd is a Tensor
        plain = gradient is None and inputs is None and not create_graph and self.requires_grad
        if plain and engine.backward_from_scalar(this, bool(retain_graph)):
            return  # the training loop's loss.backward()
        Tensor = engine.Tensor  # noqa: N806 - the class, as tensor.py names it

        outputs: list[Any]
        data = self._data
        if gradient is None and self.requires_grad and data.size == 1:
            # one value (the usual loss, on a graph that is no path): the seed is a one
            if type(data) is np.ndarray and data.ndim == 0:
                seed = np.array(1, data.dtype)  # a third of ones_like's cost, for a 0-d loss
            else:
                seed = device_of(data).xp.ones_like(data)
            outputs, grads = [self], [Tensor._make(seed)]
        else:
            from .autograd.functional import prepare_outputs

            outputs, grads = prepare_outputs(
                [this], None if gradient is None else [gradient], "backward"
            )
        capture = None
        if inputs is not None:
            capture = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        retain = create_graph if retain_graph is None else retain_graph
        captured = engine.run_backward(
            outputs, grads, retain, create_graph, capture, accumulate=True
        )
        for tensor, grad in zip(capture or (), captured or ()):
            if tensor.grad_fn is not None and grad is not None:  # non-leaf inputs get .grad too
                grad = grad if create_graph else grad.detach()
                tensor._grad = grad if tensor._grad is None else tensor._grad + grad


def _engine() -> Any:
    """The backward engine's module, imported on first use (it imports ``Tensor``, which is
    built on this module); a function-level import on every ``backward()`` cost about a
    microsecond in importlib's Python code."""
    global _ENGINE
    if _ENGINE is None:
        from .autograd import engine

        _ENGINE = engine
    return _ENGINE


_ENGINE: Any = None
