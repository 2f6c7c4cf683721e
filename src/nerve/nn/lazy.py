"""Lazy layers: ``LazyLinear`` learns its ``in_features`` from the first input it sees, with
torch's ``UninitializedParameter`` (a parameter whose shape is not known yet) and torch's
``LazyModuleMixin`` steps: at the first call a forward pre-hook sizes the parameters,
initialises them as the regular layer would, and turns the module into that layer."""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import empty
from ..tensor import Tensor
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["LazyLinear", "LazyModuleMixin", "UninitializedParameter"]


class UninitializedParameter(Parameter):
    """A parameter without a shape yet (its data is empty): ``materialize(shape)`` gives it
    storage of that shape, with its dtype and device, and makes it a plain ``Parameter`` (the
    same object, so an optimizer built earlier holds it). Used by the lazy layers.

    Example:
        >>> import nerve
        >>> p = nerve.nn.UninitializedParameter()
        >>> p
        <UninitializedParameter>
        >>> p.materialize((2, 3))
        >>> type(p).__name__, p.shape
        ('Parameter', nerve.Size([2, 3]))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(empty(0, device=device, dtype=dtype), requires_grad)

    def materialize(self, shape: tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        """Storage of ``shape`` (uninitialised values), then the class becomes Parameter."""
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self._data = empty(*shape, device=device, dtype=dtype)._data  # keeps requires_grad
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> UninitializedParameter:
        result = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = result
        return result


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is still an UninitializedParameter."""
    return isinstance(param, UninitializedParameter)


class LazyModuleMixin:
    """The lazy steps shared by lazy layers (torch's names): a forward pre-hook calls
    ``initialize_parameters(*input)`` once, then the module becomes ``cls_to_become``.

    nerve's ``load_state_dict`` has no pre-hooks, so loading a checkpoint sizes the lazy
    parameters only when it is called on the lazy layer itself (torch also does it from a
    parent module); elsewhere, run one forward pass first.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.LazyLinear(2)
        >>> layer.has_uninitialized_params()
        True
        >>> _ = layer(nerve.zeros(1, 5))
        >>> type(layer).__name__  # cls_to_become
        'Linear'
    """

    cls_to_become: type[Module] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(  # type: ignore[attr-defined]
            _infer_parameters, with_kwargs=True
        )

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module is still uninitialised."""
        tensors = list(self._parameters.values()) + list(self._buffers.values())  # type: ignore[attr-defined]
        return any(is_lazy(t) for t in tensors)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self)}")

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """Size the lazy parameters found in ``state_dict`` from its values, then load (the
        module stays lazy until its first call, as torch's)."""
        with no_grad():
            for name, param in list(self._parameters.items()):  # type: ignore[attr-defined]
                value = state_dict.get(name)
                if is_lazy(param) and value is not None and not is_lazy(value):
                    param.materialize(tuple(value.shape))
        return Module.load_state_dict(self, state_dict, strict, assign)  # type: ignore[arg-type]

    def _finish(self) -> None:
        hook = self.__dict__.pop("_initialize_hook", None)
        if hook is not None:
            hook.remove()
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _finish_infer(self) -> None:
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {type(self).__name__} has not been fully initialized")
        self._finish()


def _infer_parameters(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    module.initialize_parameters(*args, **(kwargs or {}))
    module._finish_infer()


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is taken from the last dimension of its first
    input; until then ``weight`` and ``bias`` are UninitializedParameters (and
    ``in_features`` is 0). After that first call it is a plain ``Linear``, initialised as
    Linear is.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.LazyLinear(3)
        >>> layer
        LazyLinear(in_features=0, out_features=3, bias=True)
        >>> layer(nerve.zeros(8, 5)).shape
        nerve.Size([8, 3])
        >>> layer
        Linear(in_features=5, out_features=3, bias=True)
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        """Take ``in_features`` from ``input``'s last dimension; size and initialise."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = int(input.shape[-1])
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # sized by load_state_dict: check the input agrees
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = int(input.shape[-1])
