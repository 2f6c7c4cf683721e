"""``Module``: the third level of the lecture's framework — a layer that stores its state and
weights, and composes with other layers into a network.

Assigning a :class:`Parameter`, a sub-``Module`` or a registered buffer to an attribute
registers it in an ordered dict, which gives dotted ``named_parameters()``, recursive
``train()``/``eval()``, a torch-like indented ``repr`` and a dotted-key ``state_dict()``.

This file holds what one module does on its own (registration, ``__call__`` with its hooks,
``repr``); what walks the tree of modules (traversal, ``train``/``to``, ``state_dict``) is in
module_tree.py, which ``Module`` inherits from.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from .module_hooks import call_with_hooks
from .module_tree import EDITS, ModuleTree, _IncompatibleKeys  # noqa: F401 - its path before the split
from .parameter import Buffer, Parameter


class _Registry(OrderedDict):
    """A Module's parameters, buffers or children by name, mirrored into the module's
    instance dict on every change, so that ``module.weight`` is a plain attribute lookup
    (``Module.__getattr__`` only runs after normal lookup failed, which costs ~10x more —
    too much on the hot path of every layer)."""

    def __init__(self, mirror: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._mirror = mirror if mirror is not None else {}

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._mirror[key] = value
        EDITS[0] += 1

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._mirror.pop(key, None)
        EDITS[0] += 1

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self._mirror.pop(key, None)
            EDITS[0] += 1
        return super().pop(key, *default)

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        key, value = super().popitem(last)
        self._mirror.pop(key, None)
        EDITS[0] += 1
        return key, value

    def move_to_end(self, key: str, last: bool = True) -> None:
        super().move_to_end(key, last)
        EDITS[0] += 1  # (a Sequential's order is its forward)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        for key in self:
            self._mirror.pop(key, None)
        super().clear()
        EDITS[0] += 1


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` takes the hook away."""

    _next_id = 0

    def __init__(self, hooks: dict[int, Any], module: Any = None) -> None:
        self.hooks = hooks
        self.module = module
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)
        if self.module is not None:
            self.module._hooks_with_kwargs.discard(self.id)
            self.module._hooks_always_called.discard(self.id)
            self.module._update_hooked()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Module(ModuleTree):
    """Base class of every layer and network. Subclasses define ``__init__`` (calling
    ``super().__init__()`` first) and ``forward``; call the module, not ``forward``.

    Example:
        >>> import nerve
        >>> from nerve import nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = nn.Linear(2, 8)
        ...         self.out = nn.Linear(8, 1)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).relu()).sigmoid()
        >>> [name for name, _ in Net().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", _Registry(self.__dict__))
        object.__setattr__(self, "_buffers", _Registry(self.__dict__))
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", _Registry(self.__dict__))
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())  # hook ids given kwargs
        object.__setattr__(self, "_hooks_always_called", set())  # run even if forward raises
        object.__setattr__(self, "_hooked", False)  # any hook at all: one test per call

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:  # free when nothing is raised: the error check costs nothing per call
            if not self._hooked:
                return self.forward(*args, **kwargs)
            return call_with_hooks(self, args, kwargs)
        except AttributeError as error:
            if args and "_data" in str(error):
                _check_input(self, args[0])  # a NumPy array or a list: say so
            raise

    # -- registration ----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign to a Module before Module.__init__() call")
        EDITS[0] += 1
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif isinstance(value, Buffer):
            self._forget(name, keep=buffers)
            self.register_buffer(name, Tensor._make(value._data), persistent=value.persistent)
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nerve.nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(Module or None expected)"
                )
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or "
                    "None expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict[str, Any] | None = None) -> None:
        """Drop ``name`` from the other registries (an attribute lives in one place)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: registered things live in the registries.
        state = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in state and name in state[registry]:
                return state[registry][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        EDITS[0] += 1
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self.__dict__.pop(name, None)  # the mirror may live elsewhere after copy.copy
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # copy.deepcopy and unpickling rebuild the instance dict: point the registries'
        # mirrors at the new one
        EDITS[0] += 1
        self.__dict__.update(state)
        for name in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(name)
            if isinstance(registry, _Registry):
                registry._mirror = self.__dict__

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder) under ``name``."""
        _check_name(name, self, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nerve.nn.Parameter or None required)"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add state that is not trained (e.g. BatchNorm's running mean) under ``name``;
        persistent buffers are saved in ``state_dict()``."""
        _check_name(name, self, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor "
                "or None required)"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name(name, self, "module", self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module: Module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        param = self.get_submodule(module_path)._parameters.get(name)
        if param is None:
            raise AttributeError(f"`{target}` is not a parameter")
        return param

    # -- hooks -----------------------------------------------------------------------------

    def _add_hook(
        self, hooks: OrderedDict[int, Any], hook: Callable[..., Any], prepend: bool
    ) -> RemovableHandle:
        handle = RemovableHandle(hooks, self)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        self._update_hooked()
        return handle

    def _update_hooked(self) -> None:
        hooked = bool(
            self._forward_pre_hooks
            or self._forward_hooks
            or self._backward_hooks
            or self._backward_pre_hooks
        )
        object.__setattr__(self, "_hooked", hooked)
        EDITS[0] += 1  # a hook added or removed

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward`` and may return replacement args;
        with ``with_kwargs``, ``hook(module, args, kwargs)`` may return ``(args, kwargs)``."""
        handle = self._add_hook(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(
        self,
        hook: Callable[..., Any],
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward`` and may return a new output;
        with ``with_kwargs``, ``hook(module, args, kwargs, output)``. ``always_call``: it also
        runs when ``forward`` raised (with ``output`` None), before the error propagates."""
        handle = self._add_hook(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        if always_call:
            self._hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to the module's
        outputs are known; it may return replacement ``grad_output``."""
        return self._add_hook(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], prepend: bool = False
    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the
        module's positional tensor inputs are known; it may return replacement ``grad_input``.
        Inputs that need no gradient count once, as ``(None,)``, as in torch."""
        return self._add_hook(self._backward_hooks, hook, prepend)

    # -- printing --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _check_name(name: str, module: Module, kind: str, registry: dict[str, Any]) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    # As torch: re-registering under the same kind is fine, but a name already used by a
    # method, a plain attribute or another kind (a buffer named like a parameter) is not.
    if hasattr(module, name) and name not in registry:
        raise KeyError(f"attribute '{name}' already exists")


def _check_input(module: Module, value: Any) -> None:
    """A NumPy array (or a list) given to a layer: a clear error, not an AttributeError on
    ``_data`` deep inside the layer."""
    import numpy as np

    if isinstance(value, (np.ndarray, np.generic, list)):
        kind = "list" if isinstance(value, list) else f"numpy.{type(value).__name__}"
        raise TypeError(
            f"{type(module).__name__}: expected the input to be a nerve Tensor, got {kind}; "
            "convert it first with nerve.tensor(array) (a copy) or nerve.from_numpy(array) "
            "(shared memory)"
        ) from None
