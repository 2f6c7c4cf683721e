"""``Optimizer``: the base of the update rules, "in what way should we change the weights?".

Parameters come in ``param_groups``, each with its own options (lr, momentum ...); per-parameter
state (momentum buffers, Adam's moments) lives in ``state``. Updates run under ``no_grad``
and write the parameters in place, so the model sees the new weights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()

_ACCELERATORS = ["cuda", "xpu", "hpu", "privateuseone"]


def capturable_errors(
    state: str = "params and state_steps",
    xla: tuple[bool, bool] = (True, False),
    foreach_state: str | None = None,
) -> tuple[str, str]:
    """torch's AssertionError messages for a step with ``capturable=True`` on CPU tensors, from
    its single-tensor and its foreach implementation: ``state`` is what must be on an
    accelerator, ``xla`` whether each lists 'xla'; each optimizer words them a little apart.

    Example:
        >>> single, foreach = capturable_errors()
        >>> single[:50]
        'If capturable=True, params and state_steps must be'
        >>> single.endswith("'privateuseone', 'xla']."), foreach.endswith("'privateuseone'].")
        (True, True)
    """

    def message(what: str, with_xla: bool) -> str:
        devices = _ACCELERATORS + ["xla"] if with_xla else _ACCELERATORS
        return f"If capturable=True, {what} must be on supported devices: {devices}."

    return message(state, xla[0]), message(foreach_state or state, xla[1])


class Optimizer:
    """Base class: subclasses set ``defaults`` and implement ``step``.

    Hyper-parameters are checked as torch checks them (``Invalid learning rate: nan``), in
    the constructor's defaults and in every parameter group's own options alike: subclasses
    list the options that must be non-negative numbers in ``_non_negative`` and add other
    checks by overriding :meth:`_check_options`.

    Each group also holds torch's implementation switches, where torch has them: ``foreach``,
    ``fused``, ``capturable``, ``differentiable``. nerve has one implementation, so they change
    no arithmetic; they are kept so that groups, reprs and state_dicts have torch's keys, and
    refused where torch refuses them on CPU tensors (``fused`` with ``foreach`` or
    ``differentiable`` at construction; ``capturable=True``, and ``differentiable=True`` on
    parameters that require grad, at a step).

    Example:
        >>> import nerve
        >>> w = nerve.nn.Parameter(nerve.tensor([1.0]))
        >>> opt = nerve.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step()
        >>> w
        Parameter containing:
        tensor([0.8000], requires_grad=True)
    """

    _non_negative: tuple[str, ...] = ()  # options that must be numbers >= 0 (not NaN)
    # What torch's step asserts with capturable=True on CPU (single-tensor, foreach wording).
    _capturable_errors: tuple[str, str] = capturable_errors()
    _foreach_autograd = False  # SGD's foreach step records a graph; the others' assert it won't

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self._check_options(defaults)
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        # torch checks these after building the groups, on the constructor's arguments only.
        if defaults.get("fused"):
            if defaults.get("differentiable"):
                raise RuntimeError("`fused` does not support `differentiable`")
            if defaults.get("foreach"):
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add parameters with their own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = {**param_group, "params": params}
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            group.setdefault(name, default)
        self._check_options(group)  # a group's own lr=nan hides the same bug as the default's
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_options(self, options: dict[str, Any]) -> None:
        """Raise torch's ValueError for an invalid hyper-parameter in ``options`` (the defaults
        or one parameter group); ``required`` (SGD's lr, not given) is checked later."""
        check_non_negative(
            **{
                name: options[name]
                for name in self._non_negative
                if name in options and options[name] is not required
            }
        )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last step (by default: set ``.grad`` to None)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = p.grad.detach()
                    p.grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        """The start of every step: the closure's loss (None without one), then the switches
        torch refuses only when a step runs (after the closure, as there)."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        self._check_step_flags()
        return loss

    def _check_step_flags(self) -> None:
        """torch's errors at a step on CPU tensors: ``capturable=True`` (graph capture needs an
        accelerator) unless fused, and ``differentiable=True`` when the foreach kernels cannot
        record it or a parameter requires grad (its update would be an in-place op on a leaf).
        A differentiable step torch accepts records no graph here; its numbers are those of the
        ordinary step (torch's differentiable Adam rounds its bias corrections to float32)."""
        for group in self.param_groups:
            if not (group.get("capturable") or group.get("differentiable")):
                continue  # the usual case, checked in two look-ups
            params = params_with_grad(group)
            if not params:
                continue
            foreach = bool(group.get("foreach"))
            if group.get("capturable") and not group.get("fused"):
                raise AssertionError(self._capturable_errors[foreach])
            if group.get("differentiable"):
                if foreach and not self._foreach_autograd:
                    raise AssertionError("_foreach ops don't support autograd")
                if any(p.requires_grad for p in params):
                    raise RuntimeError(
                        "a leaf Variable that requires grad is being used in an in-place operation."
                    )

    # -- saving and restoring --------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The state and the groups' options, parameters referred to by their index."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {
            index[id(p)]: {
                k: (v.detach().clone() if isinstance(v, Tensor) else v) for k, v in s.items()
            }
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (for the same parameters, in order)."""
        if (
            not isinstance(state_dict, dict)
            or "param_groups" not in state_dict
            or "state" not in state_dict
        ):
            raise ValueError("optimizer state_dict must be a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
        by_index = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for p, i in zip(group["params"], saved["params"]):
                by_index[int(i)] = p
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                continue
            self.state[p] = {k: _like(v, p, k) for k, v in value.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            group.update({k: deepcopy(v) for k, v in saved.items() if k != "params"})

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            if i:
                lines.append("")  # torch prints a blank line between groups
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _like(value: Any, param: Tensor, key: Any = None) -> Any:
    """State tensors follow their parameter's device, and floating-point ones its dtype,
    scalars included (NAdam's mu_product, ASGD's eta), as torch casts them; only ``step``
    keeps its dtype (torch's float32 counter)."""
    from ..creation import as_tensor

    if isinstance(value, Tensor) or hasattr(value, "__array__"):
        value = as_tensor(value) if not isinstance(value, Tensor) else value
        if value.is_floating_point() and key != "step":
            value = value.to(dtype=param.dtype, device=param.device)
        return value.clone()
    return value


def params_with_grad(group: dict[str, Any]) -> list[Tensor]:
    return [p for p in group["params"] if p.grad is not None]


def gradient(p: Tensor, group: dict[str, Any], l2: bool = True) -> Any:
    """The gradient array a step uses: negated to ``maximize``, plus the L2 term
    ``weight_decay * w`` (unless the optimizer decays the weights itself, as AdamW)."""
    grad = p.grad._data  # type: ignore[union-attr]
    if group["maximize"]:
        grad = -grad
    if l2 and group["weight_decay"]:
        grad = grad + group["weight_decay"] * p._data
    return grad


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}  # the others: "<name> value"


def check_non_negative(**values: Any) -> None:
    """torch's error for a negative or NaN hyper-parameter, e.g. ``Invalid learning rate: nan``.

    Written as ``not value >= 0``, which NaN fails (``value < 0`` would let it through and
    silently fill the weights with NaN at the first step). Something that is not a number
    at all is a TypeError naming the option.
    """
    for name, value in values.items():
        label = _LABELS.get(name, f"{name} value")
        try:
            valid = bool(value >= 0.0)
        except (TypeError, ValueError):
            raise TypeError(
                f"Invalid {label}: {value!r} ({name} must be a non-negative number, got "
                f"{type(value).__name__})"
            ) from None
        if not valid:
            raise ValueError(f"Invalid {label}: {value}")


__all__ = [
    "Optimizer",
    "capturable_errors",
    "check_non_negative",
    "gradient",
    "no_grad",
    "params_with_grad",
    "required",
]
