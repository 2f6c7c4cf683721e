"""Hypothesis strategies that draw the input arrays of the op tables (``tests/core/cases_*.py``).

Values come from a drawn seed and a named domain (``real``, ``positive``, ``grid`` for ties and
kinks, ...), which is much faster to draw than element by element; shapes are small (sides up
to 4) so that every example stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

Arrays = tuple[np.ndarray, ...]

# -- drawing input arrays -------------------------------------------------------------------

DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], Any]] = {
    "real": lambda rng, s: rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "negative": lambda rng, s: -rng.uniform(0.2, 2.0, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "grid": lambda rng, s: rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], s),  # ties and kinks
    "large": lambda rng, s: rng.standard_normal(s) * 50 + rng.choice([-1e3, 1e3]),
    "with_zeros": lambda rng, s: rng.standard_normal(s) * (rng.random(s) > 0.3),
    "bool": lambda rng, s: rng.random(s) < 0.6,
}

seeds = st.integers(0, 2**32 - 1)


def fill(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    return np.asarray(DOMAINS[domain](rng, shape)).reshape(shape)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def drawn(
    shape_strategy: st.SearchStrategy[Any],
    make: Callable[[np.random.Generator, Any], Arrays],
) -> st.SearchStrategy[Arrays]:
    """Arrays made by ``make(rng, drawn_shapes)`` (values from a drawn seed: fast to draw)."""
    return st.tuples(shape_strategy, seeds).map(
        lambda pair: tuple(np.asarray(a) for a in make(np.random.default_rng(pair[1]), pair[0]))
    )


def same(*domains: str, **shape_args: int) -> st.SearchStrategy[Arrays]:
    """Arrays of one shape, one per domain."""
    return drawn(shapes(**shape_args), lambda rng, s: tuple(fill(rng, s, d) for d in domains))


def unary(domain: str = "real", **shape_args: int) -> st.SearchStrategy[Arrays]:
    return same(domain, **shape_args)


def broadcast(*domains: str, min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[Arrays]:
    """Arrays of mutually broadcastable shapes (one per domain)."""
    strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=len(domains), min_dims=min_dims, max_dims=max_dims, max_side=4
    )
    return drawn(
        strategy,
        lambda rng, bs: tuple(fill(rng, s, d) for s, d in zip(bs.input_shapes, domains)),
    )


def onto(*domains: str, min_dims: int = 0) -> st.SearchStrategy[Arrays]:
    """A full-shaped array and others broadcastable onto it (in-place ops, expand, clamp)."""
    strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=len(domains), min_dims=min_dims, max_dims=3, max_side=4
    )
    return drawn(
        strategy,
        lambda rng, bs: (
            fill(rng, bs.result_shape, domains[0]),
            *(fill(rng, s, d) for s, d in zip(bs.input_shapes[1:], domains[1:])),
        ),
    )


def away_from_multiples(rng: np.random.Generator, divisor: Any, shape: tuple[int, ...]) -> Any:
    """Numerators whose quotient by ``divisor`` is 0.1-0.9 away from an integer, so that
    floor division and remainder are far from their jumps in float32 too."""
    whole = rng.integers(-3, 4, shape)
    return (whole + rng.uniform(0.1, 0.9, shape)) * divisor


def modulo_pair() -> st.SearchStrategy[Arrays]:
    """(a, b) for ``a // b`` and ``a % b``: b broadcasts onto a, a/b away from integers."""
    strategy = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)

    def make(rng: np.random.Generator, bs: Any) -> Arrays:
        b = fill(rng, bs.input_shapes[1], "nonzero")
        return away_from_multiples(rng, b, bs.result_shape), b

    return drawn(strategy, make)


def modulo_by(divisor: float) -> st.SearchStrategy[Arrays]:
    """One array for ``a // divisor`` and ``a % divisor``."""
    return drawn(shapes(), lambda rng, s: (away_from_multiples(rng, divisor, s),))


def divisors_of(numerator: float) -> st.SearchStrategy[Arrays]:
    """One array b for ``numerator // b`` and ``numerator % b``."""

    def make(rng: np.random.Generator, s: tuple[int, ...]) -> Arrays:
        quotient = rng.choice([-1, 1], s) * (rng.integers(0, 3, s) + rng.uniform(0.1, 0.9, s))
        return (numerator / quotient,)

    return drawn(shapes(), make)


def index_array(rng: np.random.Generator, size: int, shape: Any, unique: bool = False) -> Any:
    """int64 indices into a dimension of ``size``, negative ones included."""
    if unique:
        count = int(np.prod(shape))
        chosen = rng.permutation(size)[:count].reshape(shape)
    else:
        chosen = rng.integers(0, size, shape)
    negative = rng.random(np.shape(chosen)) < 0.3
    return np.where(negative, chosen - size, chosen).astype(np.int64)
