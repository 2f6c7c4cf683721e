"""``Parameter``: a tensor that a Module registers as one of its weights."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _init
from ..tensor_autograd import LEAF_GRAD


class Parameter(Tensor):
    """A tensor that, assigned to a Module attribute, is registered as a parameter: it shows up
    in ``module.parameters()``, ``state_dict()``, and gets trained. Requires grad by default.

    Example:
        >>> import nerve
        >>> p = nerve.nn.Parameter(nerve.zeros(2))
        >>> p.requires_grad
        True
    """

    __slots__ = ()

    # always a leaf: torch's non-leaf warning cannot apply, so .grad reads take the fast getter
    grad = LEAF_GRAD

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            from ..creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        _init(self, data._data)  # shares memory with ``data``, as torch does
        self._vc = data._counter()
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (_rebuild_parameter, (self.__array__(), self.requires_grad))

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        result = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        memo[id(self)] = result
        return result


def _rebuild_parameter(array: Any, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(array), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    A buffer is state saved with the model (``state_dict``) and moved with it (``.to``),
    but not trained: a running mean, a fixed mask. ``persistent=False`` leaves it out of the
    ``state_dict``.

    Example:
        >>> import nerve
        >>> class Scaler(nerve.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.scale = nerve.nn.Buffer(nerve.tensor([2.0]))
        ...     def forward(self, x):
        ...         return x * self.scale
        >>> model = Scaler()
        >>> list(model.state_dict()), list(model.parameters())
        (['scale'], [])
        >>> model(nerve.tensor([1.0, 3.0]))
        tensor([2., 6.])
    """

    __slots__ = ("persistent",)

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        _init(self, data._data)
        self.persistent = persistent
