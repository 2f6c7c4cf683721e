"""Containers: Sequential, ModuleList, ModuleDict — networks built from layers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

from .fused import run_sequence
from .module import Module


class Sequential(Module):
    """Layers applied one after another: the output of each is the input of the next.

    Example:
        >>> from nerve import nn
        >>> net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid())
        >>> len(net), type(net[0]).__name__
        (4, 'Linear')
    """

    def __init__(self, *args: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)  # type: ignore[arg-type]

    # Runs of plain Linear layers and activations record one node (see nerve.nn.fused): the
    # same numbers with less bookkeeping per step. False: one node per layer.
    fuse_layers = True
    # Stretches of convolutions, ReLUs and pools that read channels-last windows run on
    # channels-last maps (see nerve.nn.channels_last); False: every map NCHW.
    channels_last_convolutions = True

    def forward(self, input: Any) -> Any:
        if self.fuse_layers:
            return run_sequence(self, input)
        for module in self._modules.values():
            input = module(input)  # type: ignore[misc]
        return input

    @overload
    def __getitem__(self, index: int) -> Module: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Module | Sequential:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_index(index, len(items))][1]  # type: ignore[return-value]

    def __setitem__(self, index: int, module: Module) -> None:
        name = list(self._modules)[_index(index, len(self._modules))]
        self.add_module(name, module)

    def __delitem__(self, index: int | slice) -> None:
        names = list(self._modules)
        for name in (
            names[index] if isinstance(index, slice) else [names[_index(index, len(names))]]
        ):
            del self._modules[name]
        # keep the numbering 0..n-1, as torch does
        renumbered = OrderedDict((str(i), m) for i, m in enumerate(self._modules.values()))
        self._modules.clear()
        self._modules.update(renumbered)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())  # type: ignore[arg-type]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)  # type: ignore[arg-type]
        return self


def _index(index: int, length: int) -> int:
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a container of {length} modules")
    return index % length


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain list would hide them).

    Example:
        >>> import nerve
        >>> layers = nerve.nn.ModuleList([nerve.nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
        >>> x = nerve.zeros(4, 2)
        >>> for layer in layers:
        ...     x = layer(x)
        >>> x.shape
        nerve.Size([4, 2])
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])  # type: ignore[arg-type]
        return values[_index(index, len(values))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_index(index, len(self))), module)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        del modules[index if isinstance(index, slice) else _index(index, len(modules))]
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())  # type: ignore[arg-type]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over it in your own forward")

    def __repr__(self) -> str:
        """As torch: runs of identical children print once, as ``(0-2): 3 x Linear(...)``."""
        if not self._modules:
            return "ModuleList()"
        runs: list[tuple[int, int, str]] = []  # (first index, last index, repr)
        for i, module in enumerate(self._modules.values()):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1] = (runs[-1][0], i, text)
            else:
                runs.append((i, i, text))
        lines = [
            (f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}").replace(
                "\n", "\n  "
            )
            for a, b, text in runs
        ]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules (string keys, insertion order) whose parameters are registered.

    Example:
        >>> import nerve
        >>> heads = nerve.nn.ModuleDict({"age": nerve.nn.Linear(4, 1)})
        >>> heads["kind"] = nerve.nn.Linear(4, 3)
        >>> list(heads.keys())
        ['age', 'kind']
        >>> heads["kind"](nerve.zeros(2, 4)).shape
        nerve.Size([2, 3])
        >>> sorted(name for name, _ in heads.named_parameters())
        ['age.bias', 'age.weight', 'kind.bias', 'kind.weight']
    """

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]  # type: ignore[return-value]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()  # type: ignore[return-value]

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()  # type: ignore[return-value]

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)  # type: ignore[return-value]

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        # a ModuleDict is not a Mapping subclass, but is updated from like one (as in torch)
        is_mapping = isinstance(modules, (Mapping, ModuleDict))
        pairs = modules.items() if is_mapping else modules  # type: ignore[union-attr]
        for key, module in pairs:
            self.add_module(key, module)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward: index it in your own forward")


# The parameter containers, in their own file; ``nn.container`` is where torch keeps them.
from .container_params import ParameterDict, ParameterList  # noqa: E402, F401
