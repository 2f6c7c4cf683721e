"""Containers of parameters: ParameterList and ParameterDict (torch.nn's), whose entries are
registered with the module system like attributes holding a Parameter."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

from .module import Module

# torch's legacy type names, which ParameterDict's repr prints (``torch.FloatTensor``).
_LEGACY_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "bfloat16": "BFloat16Tensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def _as_parameter(value: Any) -> Any:
    """As torch: a plain tensor stored in a parameter container becomes a Parameter (so it is
    trained); a Parameter is kept as it is; anything else is stored as a plain attribute."""
    from ..tensor import Tensor
    from .parameter import Parameter

    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _describe(value: Any, legacy: bool) -> str:
    """One entry of the containers' repr, as torch prints it."""
    from ..tensor import Tensor
    from .parameter import Parameter

    if not isinstance(value, Tensor):
        return f"Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    size = "x".join(str(n) for n in value.shape)
    cuda = value.device.type == "cuda"
    where = f" (GPU {value.device.index or 0})" if cuda else ""
    if legacy:
        dtype = str(value.dtype).removeprefix("nerve.")
        name = _LEGACY_NAMES.get(dtype, f"{dtype}Tensor")
        return f"{kind} containing: [nerve.{'cuda.' if cuda else ''}{name} of size {size}{where}]"
    return f"{kind} containing: [{value.dtype} of size {size}{where}]"


class ParameterList(Module):
    """A list of parameters, registered under the names ``"0"``, ``"1"`` ... (so that
    ``model.parameters()`` and ``state_dict()`` see them; a plain list would hide them).

    Example:
        >>> import nerve
        >>> weights = nerve.nn.ParameterList([nerve.nn.Parameter(nerve.ones(2)) for _ in range(3)])
        >>> [name for name, _ in weights.named_parameters()]
        ['0', '1', '2']
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        object.__setattr__(self, "_size", 0)
        if values is not None:
            self += values

    def _get_abs_string_index(self, idx: int) -> str:
        index = int(idx)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {idx} is out of range")
        return str(index % len(self))

    @overload
    def __getitem__(self, idx: int) -> Any: ...

    @overload
    def __getitem__(self, idx: slice) -> ParameterList: ...

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            out = ParameterList()
            for i in range(*idx.indices(len(self))):
                out.append(self[i])
            return out
        return getattr(self, self._get_abs_string_index(idx))

    def __setitem__(self, idx: int, param: Any) -> None:
        setattr(self, self._get_abs_string_index(idx), _as_parameter(param))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, parameters: Iterable[Any]) -> ParameterList:
        return self.extend(parameters)

    def __dir__(self) -> list[str]:
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end (a tensor becomes a Parameter)."""
        new_index = len(self)
        object.__setattr__(self, "_size", new_index + 1)
        setattr(self, str(new_index), _as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values`` (an iterable, not a single tensor)."""
        from ..tensor import Tensor

        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                "ParameterList.extend should be called with an iterable, but got "
                + type(values).__name__
            )
        for value in values:
            self.append(value)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_describe(p, legacy=False)}" for i, p in enumerate(self))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterList should not be called.")


class _MissingKey(KeyError, AttributeError):
    """A missing ParameterDict key: torch raises AttributeError (the lookup is an attribute
    lookup); a dict raises KeyError. Both ``except`` clauses catch this one."""

    def __str__(self) -> str:
        return str(self.args[0])


class ParameterDict(Module):
    """A dict of parameters (string keys, insertion order), each registered under its key.

    Example:
        >>> import nerve
        >>> scales = nerve.nn.ParameterDict({"a": nerve.nn.Parameter(nerve.ones(2))})
        >>> scales["b"] = nerve.zeros(3)  # a plain tensor becomes a Parameter
        >>> list(scales.state_dict())
        ['a', 'b']
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        object.__setattr__(self, "_keys", {})  # insertion order, as a set with order
        if parameters is not None:
            self.update(parameters)

    def _key_to_attr(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}'). Open an issue on github if you need "
                "non-string keys."
            )
        return key

    def __getitem__(self, key: str) -> Any:
        attr = self._key_to_attr(key)
        if key not in self._keys:
            raise _MissingKey(f"'ParameterDict' object has no attribute '{key}'")
        return getattr(self, attr)

    def __setitem__(self, key: str, value: Any) -> None:
        attr = self._key_to_attr(key)
        self._keys[key] = None
        setattr(self, attr, _as_parameter(value))

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, self._key_to_attr(key))

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __reversed__(self) -> Iterator[str]:
        return reversed(list(self._keys))

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters (not copies of them)."""
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        if not self._keys:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(list(self._keys)))
        return key, self.pop(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self._keys:
            return default
        return self[key]

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def keys(self) -> Iterable[str]:
        return self._keys.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterable[Any]:
        return (self[k] for k in self._keys)

    def update(self, parameters: Any) -> None:
        """Add or replace entries from a mapping or an iterable of (key, value) pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "ParametersDict.update should be called with an iterable of key/value pairs, "
                f"but got {type(parameters).__name__}"
            )
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())  # torch sorts a plain dict's keys
        else:
            pairs = []
            for j, pair in enumerate(parameters):
                if not isinstance(pair, Iterable) or isinstance(pair, str):
                    raise TypeError(
                        f"ParameterDict update sequence element #{j} should be Iterable; is "
                        f"{type(pair).__name__}"
                    )
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ParameterDict update sequence element #{j} has length {len(pair)}; "
                        "2 is required"
                    )
                pairs.append(pair)
        for key, value in pairs:
            self[key] = value

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_describe(p, legacy=True)}" for k, p in self.items())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ParameterDict should not be called.")

    def __or__(self, other: ParameterDict) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other: Any) -> ParameterDict:
        self.update(other)
        return self


__all__ = ["ParameterDict", "ParameterList"]
