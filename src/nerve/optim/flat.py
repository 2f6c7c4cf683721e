"""Optimizer state in one flat buffer per quantity, for steps with few array calls.

A small network's optimizer step is dominated by per-call overhead: Adam makes a dozen array
calls per parameter. When every parameter of a group steps together (the usual case), its
moments live in one flat array each, and ``optimizer.state[p]`` holds *views* into them, so the
state stays torch's per-parameter dict (``state_dict``, ``load_state_dict`` and user code see no
difference) while the step's arithmetic runs once over the whole group, elementwise exactly as
the per-parameter loop (so the numbers are identical).
"""

from __future__ import annotations

from typing import Any

from ..backend.device import xp_of
from ..creation import tensor
from ..tensor import Tensor


class FlatState:
    """Flat buffers for a group's parameters, and the state tensors that view them.

    ``names`` are the state's tensor entries shaped like the parameter (e.g. ``exp_avg``);
    ``step`` is kept as one 0-d view per parameter into a flat step counter.
    """

    def __init__(self, params: list[Tensor], state: Any, names: tuple[str, ...]) -> None:
        first = params[0]._data
        self.xp = xp = xp_of(first)
        self.params = params
        self.names = names
        self.shapes = [p._data.shape for p in params]
        sizes = [p._data.size for p in params]
        ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
        self.bounds = list(zip([0, *ends[:-1]], ends))
        self.grad = xp.empty(ends[-1], first.dtype)
        self.grad_views = self._views(self.grad)
        self.work = xp.empty(ends[-1], first.dtype)
        self.work_views = self._views(self.work)
        self.buffers: dict[str, Any] = {}
        for name in names:
            flat = self.buffers[name] = xp.zeros(ends[-1], first.dtype)
            for p, view in zip(params, self._views(flat)):
                old = state[p].get(name)
                if old is not None:
                    view[...] = old._data
                state[p][name] = Tensor._make(view)
        # The step counts, one 0-d view each (a tensor in the state, as torch keeps it).
        done = state[params[0]].get("step")
        self.steps = tensor([0.0 if done is None else float(done._data)] * len(params))._data
        for p, step in zip(params, self.steps.reshape(-1, 1)):
            state[p]["step"] = Tensor._make(step.reshape(()))
        # Per parameter, the state's tensors and their arrays as set here: if either is
        # replaced (a reloaded state dict, say), this flat state no longer describes it.
        self.entries = [
            [(key, state[p][key], state[p][key]._data) for key in (*names, "step")] for p in params
        ]

    @classmethod
    def of(
        cls, cache: dict[int, FlatState], group: dict[str, Any], state: Any, names: tuple[str, ...]
    ) -> FlatState | None:
        """The group's flat state from ``cache``, (re)built when needed; None when the group's
        parameters cannot step together this time (then the caller steps them one by one)."""
        params = group["params"]
        flat = cache.get(id(group))
        if flat is not None and flat.names == names and flat.matches(params, state):
            return flat
        cache.pop(id(group), None)  # a step one by one may leave the step counts apart
        if not cls.usable(params, state, names):
            return None
        flat = cache[id(group)] = cls(params, state, names)
        return flat

    def _views(self, flat: Any) -> list[Any]:
        return [flat[a:b].reshape(shape) for (a, b), shape in zip(self.bounds, self.shapes)]

    @staticmethod
    def usable(params: list[Tensor], state: Any, names: tuple[str, ...]) -> bool:
        """Whether ``params`` can share flat state: all with a gradient, one array type and
        dtype, and either no state yet or state from the same number of steps."""
        if not params or len({id(p) for p in params}) != len(params):
            return False  # a parameter listed twice steps twice, one by one (as torch)
        first = params[0]._data
        steps = set()
        for p in params:
            data = p._data
            if p.grad is None or type(data) is not type(first) or data.dtype != first.dtype:
                return False
            entry = state.get(p)
            if entry:
                if any(entry.get(name) is None for name in names) or "step" not in entry:
                    return False
                steps.add(float(entry["step"]._data))
            else:
                steps.add(0.0)
        return len(steps) == 1

    def matches(self, params: list[Tensor], state: Any) -> bool:
        """Whether this flat state still belongs to ``params`` and their state (a reloaded
        state dict, a changed ``p.data`` or a parameter without gradient break the link)."""
        if len(params) != len(self.params):
            return False
        for i, p in enumerate(params):
            if p is not self.params[i] or p.grad is None or p._data.shape != self.shapes[i]:
                return False
            entry = state.get(p)
            if entry is None:
                return False
            for key, value, array in self.entries[i]:
                if entry.get(key) is not value or value._data is not array:
                    return False
        # a step count set by hand differs (tolist: a handful of numbers, cheaper than NumPy)
        return len(set(self.steps.tolist())) == 1

    def gather_grads(self, maximize: bool) -> Any:
        """The group's gradients in one flat array (negated to maximize)."""
        xp = self.xp
        xp.concatenate([p.grad._data.reshape(-1) for p in self.params], out=self.grad)
        if maximize:
            xp.negative(self.grad, out=self.grad)
        return self.grad
