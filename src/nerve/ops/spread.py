"""Spread and accumulation: var, std, logsumexp, norm and cumsum (torch's reductions that
are more than a sum or an extreme; the plain ones are in ops/reduce.py)."""

from __future__ import annotations

import builtins
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .dual import cast, shape_of, unreduce, where
from .dual import sum as dual_sum
from .reduce import Dim, _count, normalize_dims


def var(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default; ``unbiased=False``: 0).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0, 3.0, 4.0])
        >>> nerve.var(x), nerve.var(x, unbiased=False)
        (tensor(1.6667), tensor(1.2500))
    """
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = normalize_dims(dim, input._data.ndim, "var")
    centred = input - input.mean(dim=axes, keepdim=True)
    count = _count(input._data.shape, axes)
    return (centred * centred).sum(dim=axes, keepdim=keepdim) / builtins.max(count - correction, 0)


def std(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """The standard deviation over ``dim`` with Bessel's ``correction`` (1 by default;
    ``unbiased=False``: 0), as torch.std.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0, 3.0, 4.0])
        >>> nerve.std(x), nerve.std(x, correction=0)
        (tensor(1.2910), tensor(1.1180))
    """
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def logsumexp(input: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) computed stably by factoring out the maximum.

    Example:
        >>> import nerve
        >>> nerve.logsumexp(nerve.tensor([1000.0, 1000.0]), dim=0)
        tensor(1000.6932)
    """
    axes = normalize_dims(dim, input._data.ndim, "logsumexp")
    shift = input.detach().amax(dim=axes if axes is not None else (), keepdim=True)
    shift = shift.masked_fill(~shift.isfinite(), 0.0)
    total = (input - shift).exp().sum(dim=axes, keepdim=True).log() + shift
    if keepdim:
        return total
    return total.reshape(
        tuple(n for i, n in enumerate(total.shape) if axes is not None and i not in axes)
    )


class Norm(Node):
    saves_output = True

    def forward(self, x: Any, p: float, axes: Any, keepdim: bool) -> Any:
        xp = xp_of(x)
        self.p, self.axes, self.keepdim = p, axes, keepdim
        a = xp.abs(x)
        if p == float("inf"):
            return a.max(axis=axes, keepdims=keepdim)
        if p == 0:
            return (a != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        if p == 1:
            return a.sum(axis=axes, keepdims=keepdim)
        if p == 2:
            return xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        return (a**p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)

    def backward(self, g: Any) -> Any:
        from .unary import Abs, Sign

        x = self.input(0)
        shape = shape_of(x)
        p = self.p
        g = unreduce(g, shape, self.axes, self.keepdim)
        out = unreduce(self.output(), shape, self.axes, self.keepdim)
        if p == 0:
            return g * 0
        if p == 1:
            return g * run(Sign, x)
        if p == float("inf"):
            ties = cast(run(Abs, x) == out, g)
            count = dual_sum(ties, self.axes, keepdim=self.axes is not None)
            return g * run(Sign, x) * ties / count
        zero = out == 0
        safe = where(zero, 1.0, out)  # the norm of zeros has gradient 0, as torch
        if p == 2:
            return where(zero, 0.0, g * x / safe)
        return where(zero, 0.0, g * x * run(Abs, x) ** (p - 2) / safe ** (p - 1))


def norm(input: Tensor, p: Any = "fro", dim: Dim = None, keepdim: bool = False) -> Tensor:
    """The vector p-norm over ``dim`` (all elements by default); ``"fro"`` is p = 2.

    Example:
        >>> import nerve
        >>> nerve.norm(nerve.tensor([3.0, 4.0])), nerve.norm(nerve.tensor([3.0, -4.0]), p=1)
        (tensor(5.), tensor(7.))
    """
    p = 2.0 if p in ("fro", None) else float(p)
    axes = normalize_dims(dim, input._data.ndim, "norm")
    return apply(Norm, input, p=p, axes=axes, keepdim=keepdim)


class Cumsum(Node):
    saves = ()

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = axis
        return x.cumsum(axis=axis, dtype=dtypes.int64.np if x.dtype.kind in "biu" else None)

    def backward(self, g: Any) -> Any:
        from .reorder import Flip

        axes = (self.axis,)
        return run(Flip, run(Cumsum, run(Flip, g, axes=axes), axis=self.axis), axes=axes)


def cumsum(input: Tensor, dim: int) -> Tensor:
    """The running sum along ``dim``; integer and bool tensors add up as int64 (torch.cumsum).

    Example:
        >>> import nerve
        >>> nerve.cumsum(nerve.tensor([1, 2, 3]), dim=0)
        tensor([1, 3, 6])
    """
    if input._data.ndim == 0:
        return input.clone()
    return apply(Cumsum, input, axis=_check_dim(dim, input._data.ndim, "cumsum"))
