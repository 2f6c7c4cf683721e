"""Reductions NumPy runs slowly on a batch's shapes, taken a faster way with the same meaning:
the largest or smallest value along a short last axis (:func:`extreme`), and sums over the
batch or the last axis (:func:`total`).

NumPy reduces ``x.max(axis=1)`` row by row, and on float arrays each row's reduction starts
its vector loop afresh: on (64, 10) logits that costs 10 us, against 2.5 us for the same
maxima taken with the reduced axis outermost in memory (a transposed copy, then an elementwise
``maximum`` of whole rows). Measured on one thread, old time over new:

============  =======  =======  =======  =======  =======  =======
rows \\ axis    2        4        8        16       32       64
============  =======  =======  =======  =======  =======  =======
16              1.3      1.3      1.3      1.5      0.9      0.9
64              2.6      3.0      2.8      3.4      2.4      1.8
256             6.2      4.1      7.6      7.8      4.5      1.8
2048            18       16       14       8.5      3.5      1.8
============  =======  =======  =======  =======  =======  =======

With few rows, or a long axis, the copy costs more than it saves, and ``x.max`` stays. A maximum
involves no rounding, so both ways give equal values (NaN included: ``maximum`` propagates it
as ``max`` does); only the sign of a zero maximum, between -0.0 and 0.0, may differ, as it may
between NumPy's own loops.

A sum over a float matrix's rows (a bias's gradient, over the batch) or along its last axis
(softmax's normalizer) is one BLAS matrix-vector product with a vector of ones: NumPy adds the
rows one by one, or starts its loop afresh on each short row. On one thread, (64, 128) summed
over rows: 2.6 against 0.7 us; (64, 10) along the last axis: 2.8 against 0.6 us. The sums
differ from NumPy's in the last bits only (another order of the same additions); a long last
axis stays with NumPy's pairwise sum, more accurate over many terms.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .constants import ones
from .device import xp_of


def _short_axis(length: int, size: int) -> bool:
    """Whether reducing an axis of ``length`` in an array of ``size`` values is faster through
    the copy."""
    if length == 0:
        return False  # (max raises its own error on an empty axis)
    rows = size // length
    return (length <= 16 and rows >= 16) or (length <= 64 and rows >= 64)


def extreme(x: Any, axis: int | tuple[int, ...] | None, keepdims: bool, largest: bool) -> Any:
    """``x.max(axis=axis, keepdims=keepdims)`` (``x.min`` unless ``largest``), the same values,
    taken the faster way for a NumPy array's short axis.

    Example:
        >>> import numpy as np
        >>> extreme(np.array([[1.0, 5.0], [7.0, 2.0]]), 1, keepdims=True, largest=True)
        array([[5.],
               [7.]])
    """
    if isinstance(axis, tuple) and len(axis) == 1:
        axis = axis[0]
    if type(x) is np.ndarray and type(axis) is int and x.ndim > 1:
        shape = x.shape
        if axis in (-1, len(shape) - 1) and _short_axis(shape[-1], x.size):
            front = x.reshape(-1, shape[-1]).T.copy()  # the reduced axis outermost in memory
            out = (np.maximum if largest else np.minimum).reduce(front, axis=0)
            return out.reshape(shape[:-1] + (1,) if keepdims else shape[:-1])
    return x.max(axis=axis, keepdims=keepdims) if largest else x.min(axis=axis, keepdims=keepdims)


# The longest last axis summed through BLAS: beyond it NumPy's pairwise sum is kept for its
# accuracy (a BLAS dot product's error grows with the length; pairwise summation's barely).
MAX_DOT_AXIS = 1024


def total(x: Any, axes: tuple[int, ...] | None, keepdims: bool = False) -> Any:
    """``x.sum(axis=axes, keepdims=keepdims)``, as a product with ones when ``axes`` is the
    first axis or the (not too long) last axis of a float NumPy array.

    Example:
        >>> import numpy as np
        >>> total(np.arange(6.0).reshape(3, 2), (0,))
        array([6., 9.])
        >>> total(np.arange(6.0).reshape(3, 2), (1,), keepdims=True)
        array([[1.],
               [5.],
               [9.]])
    """
    # (the checks in the order that lets the common calls, on a batch's gradient, through
    # fastest: on a small layer they cost as much as the sum)
    if (
        type(x) is np.ndarray
        and axes is not None
        and len(axes) == 1
        and x.dtype.char in "fd"
        and x.ndim > 1
        and x.shape[0]
    ):
        shape = x.shape
        ndim, axis = len(shape), axes[0]
        if axis == 0 or axis == -ndim:
            rows = x if ndim == 2 else x.reshape(shape[0], -1)
            sums = ones(shape[0], x.dtype).dot(rows)
            if ndim != 2:
                sums = sums.reshape(shape[1:])
            return sums[None] if keepdims else sums
        elif (axis == -1 or axis == ndim - 1) and 0 < shape[-1] <= MAX_DOT_AXIS:
            # (as a matrix: for 3-D and more, dot is no single BLAS call, 3-17x slower)
            rows = x if ndim == 2 else x.reshape(-1, shape[-1])
            sums = rows.dot(ones(shape[-1], x.dtype))
            if ndim != 2:
                sums = sums.reshape(shape[:-1])
            return sums[..., None] if keepdims else sums
    return x.sum(axis=axes, keepdims=keepdims)


def all_finite(values: Any) -> bool:
    """Whether every value is finite, so that a product by a 0/1 mask (or by a weight's
    zeros) is exact (0 * inf and 0 * NaN are NaN, where an unchosen position must read 0).
    For float32 and float64 one dot product of the values with themselves (3x cheaper than a
    sum; it is also non-finite when it overflows, which only sends finite values the slower,
    exact way); float16's squares overflow from 256 on, so there each value is tested.

    Example:
        >>> import numpy as np
        >>> all_finite(np.array([1.0, 2.0])), all_finite(np.array([1.0, np.inf]))
        (True, False)
    """
    if values.dtype.kind != "f":
        return True
    if values.dtype.itemsize < 4:
        return bool(xp_of(values).isfinite(values).all())
    flat = values.ravel(order="K")  # (a view in either layout)
    with np.errstate(over="ignore"):
        return math.isfinite(flat.dot(flat))
