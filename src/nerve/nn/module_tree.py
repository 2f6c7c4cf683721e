"""The part of :class:`~nerve.nn.Module` that walks the module tree: traversal
(``named_modules``, ``parameters`` ...), modes and conversions applied to every submodule
(``train``, ``eval``, ``zero_grad``, ``to``, ``float`` ...) and the dotted-key ``state_dict``
with its strict ``load_state_dict``.

``Module`` inherits these from :class:`ModuleTree`; module.py keeps what one module does on its
own: registering attributes, calling ``forward`` with its hooks, and printing itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

if TYPE_CHECKING:
    from typing_extensions import Self

    from .module import Module
    from .parameter import Parameter


# How many times any module's instance dict has changed (an attribute, a parameter, buffer or
# child, a hook, the training flag): while it stays the same, no module anywhere changed, and
# ``nerve.compile``'s guard knows a module tree is as it recorded it from this one number,
# without comparing each module's attributes on every call (replay/module.py). Module's
# methods (module.py) bump it on every change that can alter a forward: setting or deleting an
# attribute, any change to the parameters, buffers or children (their order included), a hook
# added or removed, train() and eval(). A write straight into ``module.__dict__`` (or with
# ``object.__setattr__``) would not, and is not supported.
EDITS = [0]


def class_forwards(modules: Iterable[Any]) -> tuple[tuple[type, Any], ...]:
    """Each module class's ``forward`` as it is now: the one change to a forward that
    :data:`EDITS` cannot see (a forward replaced on the class), checked by
    :func:`same_forwards`."""
    return tuple({type(m): type(m).forward for m in modules}.items())


def same_forwards(forwards: tuple[tuple[type, Any], ...]) -> bool:
    """Whether every class still has the ``forward`` :func:`class_forwards` noted."""
    return all(kind.forward is forward for kind, forward in forwards)


class _IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )


class ModuleTree:
    """Traversal, whole-tree modes and conversions, and state dicts, for ``Module``."""

    if TYPE_CHECKING:  # set by Module.__init__
        training: bool
        _parameters: dict[str, Parameter | None]
        _buffers: dict[str, Tensor | None]
        _non_persistent: set[str]
        _modules: dict[str, Module | None]

    # -- traversal -------------------------------------------------------------------------

    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        memo = set() if memo is None else memo
        stack: list[tuple[str, Module]] = [(prefix, self)]  # type: ignore[list-item]
        while stack:  # iterative, depth first, in registration order
            name, module = stack.pop()
            if remove_duplicate:
                if module in memo:
                    continue
                memo.add(module)
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[Module] = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each shared parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # -- modes and conversion --------------------------------------------------------------

    def train(self, mode: bool = True) -> Self:
        """Set training mode (dropout active, batch statistics) here and in all children."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        EDITS[0] += 1
        return self

    def eval(self) -> Self:
        """Evaluation mode: dropout off, BatchNorm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                param.grad = param.grad.detach()
                param.grad.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Self:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)  # type: ignore[arg-type] # the only ModuleTree is a Module
        return self

    def _apply_to_tensors(self, convert: Callable[[Tensor], Tensor]) -> Self:
        # Parameters keep their identity (optimizers hold them): only their data changes.
        with no_grad():
            for module in self.modules():
                for param in module._parameters.values():
                    if param is None:
                        continue
                    param._data = convert(param)._data
                    if param.grad is not None:
                        param.grad = convert(param.grad)
                for name, buffer in module._buffers.items():
                    if buffer is not None:
                        module._buffers[name] = convert(buffer)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Move and/or cast parameters and buffers: ``model.to(nerve.float64)``, ``.to("cuda")``.
        Integer buffers keep their dtype. ``memory_format=nerve.channels_last`` lays out the
        4-D parameters and buffers (convolution weights) channels-last, as torch does."""
        from ..tensor import _parse_to_args

        dtype, device = _parse_to_args(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        memory_format = kwargs.get("memory_format")

        def convert(t: Tensor) -> Tensor:
            target_dtype = dtype if (dtype is not None and t.is_floating_point()) else t.dtype
            out = t.to(dtype=target_dtype, device=device if device is not None else t.device)
            if memory_format is not None and out.dim() in (4, 5):
                out = out.to(memory_format=memory_format)
            return out

        return self._apply_to_tensors(convert)

    def float(self) -> Self:
        from ..backend import dtypes

        return self.to(dtypes.float32)

    def double(self) -> Self:
        from ..backend import dtypes

        return self.to(dtypes.float64)

    def half(self) -> Self:
        from ..backend import dtypes

        return self.to(dtypes.float16)

    def cpu(self) -> Self:
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> Self:
        return self.to("cuda" if device is None else f"cuda:{device}")

    # -- state -----------------------------------------------------------------------------

    def state_dict(
        self,
        *args: Any,
        destination: dict[str, Any] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name (sharing memory, detached)."""
        result: dict[str, Tensor] = OrderedDict() if destination is None else destination
        # A module shared under two names is saved under both, as torch does.
        modules = self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False)
        for module_prefix, module in modules:
            dot = module_prefix + "." if module_prefix else ""
            for name, param in module._parameters.items():
                if param is not None:
                    result[dot + name] = param if keep_vars else param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    result[dot + name] = buffer if keep_vars else buffer.detach()
        return result

    def load_state_dict(
        self, state_dict: dict[str, Any], strict: bool = True, assign: bool = False
    ) -> _IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        With ``strict`` (the default) missing and unexpected keys are errors; shapes must
        always match. Returns the lists of missing and unexpected keys.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"Expected state_dict to be dict-like, got {type(state_dict).__name__}."
            )
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                from ..creation import as_tensor

                try:
                    value = as_tensor(value)
                except (TypeError, ValueError):
                    errors.append(
                        f'While copying the parameter named "{key}", expected a tensor, got '
                        f"{type(value).__name__}."
                    )
                    continue
            if tuple(value.shape) != tuple(target.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target.shape}."
                )
                continue
            with no_grad():
                target.copy_(value)
        if strict and (missing or unexpected):
            if unexpected:
                errors.insert(
                    0,
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". ",
                )
            if missing:
                errors.insert(
                    0,
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ",
                )
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)
