"""Random tensors: rand, randn, randint, randperm and their ``*_like`` variants.

They draw from the default generator (``nerve.manual_seed``) or the given ``generator``; the
stream is NumPy's PCG64, not torch's, so seeded values differ from torch's while staying
reproducible within nerve. Re-exported by :mod:`nerve.creation`, where the other factories live.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import dtypes
from .creation import _finish, _like, _np_dtype, _sizes
from .random import Generator, numpy_generator
from .tensor import Tensor


def _random_dtype(dtype: Any) -> np.dtype:
    chosen = _np_dtype(dtype)
    if chosen.kind != "f":
        raise RuntimeError(f"random floats need a floating-point dtype, got {dtype}")
    return chosen


def rand(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform random numbers in [0, 1).

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> x = nerve.rand(2, 3)
        >>> x.shape, bool(((x >= 0) & (x < 1)).all())
        (nerve.Size([2, 3]), True)
    """
    chosen = _random_dtype(dtype)
    array = numpy_generator(generator).random(_sizes(size), dtype=np.float64).astype(chosen)
    return _finish(array, device, requires_grad)


def randn(
    *size: Any,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal random numbers.

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> a = nerve.randn(3)
        >>> _ = nerve.manual_seed(0)
        >>> nerve.equal(a, nerve.randn(3)), a.dtype
        (True, nerve.float32)
    """
    chosen = _random_dtype(dtype)
    array = numpy_generator(generator).standard_normal(_sizes(size)).astype(chosen)
    return _finish(array, device, requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    generator: Generator | None = None,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Random integers in [low, high): ``randint(10, (3,))`` or ``randint(2, 10, (3,))``.

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> x = nerve.randint(2, 5, (10,))
        >>> x.dtype, bool(((x >= 2) & (x < 5)).all())
        (nerve.int64, True)
    """
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the size argument, e.g. randint(10, (3,))")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    array = numpy_generator(generator).integers(
        low, high, _sizes((size,) if isinstance(size, int) else (tuple(size),))
    )
    return _finish(array.astype(_np_dtype(dtype, dtypes.int64)), device, False)


def randperm(
    n: int, *, generator: Generator | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    """A random permutation of 0 .. n-1.

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> nerve.randperm(5).sort().values
        tensor([0, 1, 2, 3, 4])
    """
    array = numpy_generator(generator).permutation(int(n))
    return _finish(array.astype(_np_dtype(dtype, dtypes.int64)), device, False)


def rand_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform random numbers in [0, 1) in ``input``'s shape, dtype and device (torch.rand_like).

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> nerve.rand_like(nerve.zeros(2, 3)).shape
        nerve.Size([2, 3])
    """
    shape, d, dev = _like(input, dtype, device)
    return rand(shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal random numbers in ``input``'s shape, dtype and device (torch.randn_like).

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> nerve.randn_like(nerve.zeros(2, dtype=nerve.float64)).dtype
        nerve.float64
    """
    shape, d, dev = _like(input, dtype, device)
    return randn(shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(
    input: Tensor, low: int, high: int | None = None, *, dtype: Any = None, device: Any = None
) -> Tensor:
    """Random integers in [low, high) (or [0, low)) in ``input``'s shape (torch.randint_like).

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> x = nerve.randint_like(nerve.zeros(4, dtype=nerve.int64), 3)
        >>> x.shape, bool(((x >= 0) & (x < 3)).all())
        (nerve.Size([4]), True)
    """
    shape, d, dev = _like(input, dtype, device)
    return randint(low, high, shape, dtype=d, device=dev)
