"""Random numbers drawn from per-element parameters or into an existing tensor: ``bernoulli``,
``normal``, ``poisson``, and the in-place fills ``bernoulli_``, ``random_``, ``exponential_``,
``geometric_``, ``log_normal_`` and ``cauchy_`` (``uniform_`` and ``normal_`` live with the
other in-place ops).

The numbers come from nerve's generator (``nerve.manual_seed`` or ``generator=``), NumPy's
PCG64 stream, so a seed reproduces them within nerve, not torch's values. As in torch, a
sample drawn from parameters that require a gradient is part of the graph with a zero
gradient: a sample does not change when its parameters change slightly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.node import Node, apply
from ..backend.device import CPU, device_of, move
from ..random import Generator, numpy_generator
from ..tensor import Tensor
from .dual import sum_to
from .inplace import _random_fill


class Sampled(Node):
    """A sample drawn from its inputs (probabilities, means, rates): a zero gradient for each."""

    saves = ()
    keeps_shapes = True

    def forward(self, *parameters: Any, sample: Any) -> Any:
        return sample

    def backward(self, g: Any) -> tuple[Any, ...]:
        return tuple(None if shape is None else sum_to(g * 0, shape) for shape in self.shapes)


def _drawn(sample: np.ndarray, like: Tensor, *parameters: Any) -> Tensor:
    """``sample`` on ``like``'s device, recorded on the parameters' graph (zero gradient)."""
    array = move(sample.astype(like._data.dtype, copy=False), device_of(like._data))
    return apply(Sampled, *parameters, sample=array)


def _host(x: Tensor) -> Any:
    """The parameters' values on the CPU, where the numbers are drawn."""
    return move(x._data, CPU)


def bernoulli(
    input: Tensor, p: float | None = None, *, generator: Generator | None = None
) -> Tensor:
    """0 or 1 for each element, 1 with probability ``input`` (or with probability ``p`` when
    given), in ``input``'s dtype.

    Example:
        >>> import nerve
        >>> nerve.bernoulli(nerve.tensor([0.0, 1.0, 1.0, 0.0]))
        tensor([0., 1., 1., 0.])
    """
    if p is not None:
        return bernoulli_(input.detach().clone(), p, generator=generator)
    probabilities = _host(input).astype(np.float64)
    if not ((probabilities >= 0) & (probabilities <= 1)).all():
        raise RuntimeError(
            "bernoulli: every probability must lie in [0, 1], got values from "
            f"{probabilities.min():g} to {probabilities.max():g}"
        )
    sample = numpy_generator(generator).random(probabilities.shape) < probabilities
    return _drawn(sample, input, input)


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
) -> Tensor:
    """Normal random numbers with per-element ``mean`` and ``std`` (tensors or numbers,
    broadcast together), or numbers for both and a ``size``, as torch.normal.

    Example:
        >>> import nerve
        >>> nerve.normal(nerve.tensor([0.0, 10.0]), 0.0)
        tensor([ 0., 10.])
        >>> nerve.normal(2.0, 3.0, size=(2, 3)).shape
        nerve.Size([2, 3])
    """
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal() with a number mean and std needs a size")
        from ..creation import empty

        return empty(size, dtype=dtype).normal_(float(mean), float(std), generator=generator)
    loc = _host(mean) if isinstance(mean, Tensor) else np.float64(mean)
    scale = _host(std) if isinstance(std, Tensor) else np.float64(std)
    if (scale < 0).any():
        raise RuntimeError(f"normal expects std >= 0.0, but found std {scale.min():g}")
    try:
        shape = np.broadcast_shapes(np.shape(loc), np.shape(scale))
    except ValueError:
        raise RuntimeError(
            f"normal: mean of shape {list(np.shape(loc))} and std of shape "
            f"{list(np.shape(scale))} cannot be broadcast together"
        ) from None
    noise = numpy_generator(generator).standard_normal(shape)
    return _drawn(loc + scale * noise, tensors[0], *(mean, std))


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson counts with per-element rates ``input``, in ``input``'s dtype.

    Example:
        >>> import nerve
        >>> nerve.poisson(nerve.tensor([0.0, 0.0]))
        tensor([0., 0.])
    """
    rates = _host(input).astype(np.float64)
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _drawn(numpy_generator(generator).poisson(rates), input, input)


def bernoulli_(x: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 0 or 1, 1 with probability ``p`` (a number or a tensor that broadcasts).

    Example:
        >>> import nerve
        >>> nerve.zeros(3).bernoulli_(nerve.tensor([0.0, 1.0, 1.0]))
        tensor([0., 1., 1.])
    """
    chance = _host(p) if isinstance(p, Tensor) else np.float64(p)
    if not ((chance >= 0) & (chance <= 1)).all():
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={np.max(chance):g}")
    draw = numpy_generator(generator).random(x._data.shape)
    return _random_fill(x, draw < chance)


def random_(
    x: Tensor, from_: int = 0, to: int | None = None, *, generator: Generator | None = None
) -> Tensor:
    """Fill with integers drawn uniformly from [from_, to - 1]; ``x.random_(n)`` draws from
    [0, n - 1], and ``x.random_()`` from [0, 2^mantissa] for floats (up to the dtype's
    maximum for integers), as torch.

    Example:
        >>> import nerve
        >>> x = nerve.zeros(100).random_(0, 3)
        >>> sorted(set(x.tolist())) <= [0.0, 1.0, 2.0]
        True
    """
    draw = numpy_generator(generator).integers
    if to is None and from_ == 0:  # the dtype's whole range of exact integers, both ends in
        kind = x._data.dtype
        top = 2 ** (np.finfo(kind).nmant + 1) if kind.kind == "f" else int(np.iinfo(kind).max)
        return _random_fill(x, draw(0, top, x._data.shape, endpoint=True))
    if to is None:
        from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    return _random_fill(x, draw(from_, to, x._data.shape))


def exponential_(x: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with exponential random numbers of rate ``lambd``.

    Example:
        >>> import nerve
        >>> bool((nerve.zeros(5).exponential_(2.0) >= 0).all())
        True
    """
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _random_fill(x, numpy_generator(generator).exponential(1 / lambd, x._data.shape))


def geometric_(x: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...).

    Example:
        >>> import nerve
        >>> nerve.zeros(3).geometric_(1 - 1e-12)
        tensor([1., 1., 1.])
    """
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _random_fill(x, numpy_generator(generator).geometric(p, x._data.shape))


def log_normal_(
    x: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with exp of normal random numbers of mean ``mean`` and standard deviation ``std``.

    Example:
        >>> import nerve
        >>> bool((nerve.zeros(5).log_normal_() > 0).all())
        True
    """
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _random_fill(x, numpy_generator(generator).lognormal(mean, std, x._data.shape))


def cauchy_(
    x: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with Cauchy random numbers: ``median + sigma * tan(pi * (u - 1/2))``.

    Example:
        >>> import nerve
        >>> nerve.zeros(2).cauchy_(median=3.0, sigma=0.0)
        tensor([3., 3.])
    """
    if not sigma >= 0:
        raise RuntimeError(f"cauchy_ expects sigma >= 0.0, but found sigma={sigma:g}")
    u = numpy_generator(generator).random(x._data.shape)
    return _random_fill(x, median + sigma * np.tan(math.pi * (u - 0.5)))


TENSOR_METHODS = {
    "bernoulli": bernoulli,
    "bernoulli_": bernoulli_,
    "random_": random_,
    "exponential_": exponential_,
    "geometric_": geometric_,
    "log_normal_": log_normal_,
    "cauchy_": cauchy_,
}

__all__ = ["bernoulli", "normal", "poisson"]
