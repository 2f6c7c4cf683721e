"""Run nerve's and torch's optimizers side by side from the same weights on the same data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import nerve

from .coverage import record
from .tolerance import assert_close

rng = np.random.default_rng(0)
W0, B0 = rng.standard_normal((3, 4)), rng.standard_normal(3)
X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 3))


class Pair:
    """The same two-parameter regression problem in nerve and in torch."""

    def __init__(self, dtype: Any = np.float64) -> None:
        self.dtype = dtype
        self.ours = [nerve.nn.Parameter(nerve.tensor(a.astype(dtype))) for a in (W0, B0)]
        self.theirs = [torch.nn.Parameter(torch.tensor(a.astype(dtype))) for a in (W0, B0)]
        self.x = (nerve.tensor(X.astype(dtype)), torch.tensor(X.astype(dtype)))
        self.y = (nerve.tensor(Y.astype(dtype)), torch.tensor(Y.astype(dtype)))

    def loss(self, lib: Any, params: list[Any], x: Any, y: Any) -> Any:
        w, b = params
        out = (x @ w.T + b).tanh()  # not quadratic: the gradients keep changing
        return ((out - y) ** 2).mean()

    def backward(self) -> None:
        ours = self.loss(nerve, self.ours, self.x[0], self.y[0])
        record(ours, "torch, through optimizer steps")  # the parameters compared step by step
        ours.backward()
        self.loss(torch, self.theirs, self.x[1], self.y[1]).backward()

    def closures(self, ours_opt: Any, theirs_opt: Any) -> tuple[Callable[[], Any], ...]:
        def ours() -> Any:
            ours_opt.zero_grad()
            loss = self.loss(nerve, self.ours, self.x[0], self.y[0])
            loss.backward()
            return loss

        def theirs() -> Any:
            theirs_opt.zero_grad()
            loss = self.loss(torch, self.theirs, self.x[1], self.y[1])
            loss.backward()
            return loss

        return ours, theirs

    def check(self, what: str = "") -> None:
        for p, q in zip(self.ours, self.theirs):
            assert_close(p, q, "steps", what, dtype=self.dtype)

    def run(
        self,
        ours_opt: Any,
        theirs_opt: Any,
        steps: int = 20,
        schedulers: tuple[Any, Any] | None = None,
    ) -> None:
        """``steps`` training steps on both, comparing the parameters after each."""
        for step in range(steps):
            ours_opt.zero_grad()
            theirs_opt.zero_grad()
            self.backward()
            ours_opt.step()
            theirs_opt.step()
            if schedulers is not None:
                schedulers[0].step()
                schedulers[1].step()
            self.check(f"after step {step + 1}")


def two_group_optimizers(name: str = "SGD", **kwargs: Any) -> tuple[Pair, Any, Any]:
    """A Pair's parameters in two groups (lr 0.1 unless told, and 0.03), in nerve and torch."""
    pair = Pair()
    kwargs.setdefault("lr", 0.1)

    def groups(params: list[Any]) -> list[dict[str, Any]]:
        return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}]

    ours = getattr(nerve.optim, name)(groups(pair.ours), **kwargs)
    theirs = getattr(torch.optim, name)(groups(pair.theirs), **kwargs)
    return pair, ours, theirs


def _momenta(optimizer: Any) -> list[Any]:
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in optimizer.param_groups]


def compare_schedules(
    make: Callable[[Any, Any], Any], steps: int = 30, name: str = "SGD", **opt_kwargs: Any
) -> None:
    """Build a schedule with ``make(lr_scheduler_module, optimizer)`` in both libraries and step
    both ``steps`` times, comparing the rates (and cycled momenta) before and after each step."""
    _, ours_opt, theirs_opt = two_group_optimizers(name, **opt_kwargs)
    ours, theirs = (
        make(nerve.optim.lr_scheduler, ours_opt),
        make(torch.optim.lr_scheduler, theirs_opt),
    )
    for step in range(steps + 1):
        what = f"after {step} scheduler steps"
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15, err_msg=what
        )
        np.testing.assert_allclose(
            [g["lr"] for g in ours_opt.param_groups],
            [g["lr"] for g in theirs_opt.param_groups],
            rtol=1e-12,
            atol=1e-15,
            err_msg=what,
        )
        np.testing.assert_allclose(
            _momenta(ours_opt), _momenta(theirs_opt), rtol=1e-12, atol=1e-15, err_msg=what
        )
        if step < steps:
            ours_opt.step(), theirs_opt.step()
            ours.step(), theirs.step()
    # (ChainedScheduler has no epoch count of its own, in either library)
    assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
