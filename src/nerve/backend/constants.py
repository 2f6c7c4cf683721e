"""Read-only arrays of zeros and of ones that kernels pass to NumPy in place of a scalar.

Two NumPy calls are several times faster on a whole array than with a Python number:

* ``np.maximum(x, 0)`` (ReLU) runs a scalar loop, while ``np.maximum(x, zeros)`` with ``zeros``
  an array of ``x``'s shape takes NumPy's vector loop for two contiguous operands: 2.8x faster
  on a (64, 8, 28, 28) float32 map (151 against 59 us), 2x on a 32x8 one.
* ``g.sum(axis=0)`` (a bias's gradient) walks the rows one by one, while ``ones @ g`` is one
  BLAS matrix-vector product: 3-5x faster on a batch of 32 to 256 rows (2.6 against 0.7 us on
  a (64, 128) gradient).

:func:`zeros` costs no memory: its buffer is an anonymous private read-only ``mmap``, whose
pages all read as the kernel's one shared page of zeros (never written, so never given memory
of their own), and reading it stays in cache. :func:`ones` keeps one vector per dtype, grown to the
longest asked for. Both hand out read-only views, so no kernel can change them.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np

from .device import xp_of

_zero_pages: list[Any] = [None]  # the largest mapping made so far (views keep older ones alive)
_ones: dict[np.dtype, np.ndarray] = {}
# The views handed out, by (shape, dtype) and (length, dtype): looking one up costs a tenth of
# making it, which on a small layer is more than the call it speeds up.
_zero_views: dict[tuple[Any, Any], np.ndarray] = {}
_one_views: dict[tuple[Any, Any], np.ndarray] = {}
_MAX_VIEWS = 256  # then a table starts again (a network has a few dozen shapes)


def zeros(shape: tuple[int, ...] | int, dtype: Any) -> np.ndarray:
    """A read-only array of zeros of ``shape`` (a tuple, or an int for a vector) and a numeric
    ``dtype``, free of memory (see :func:`zeros_are_free`).

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import zeros
        >>> z = zeros((2, 3), np.float32)
        >>> z.sum(), z.dtype, z.flags.writeable
        (np.float32(0.0), dtype('float32'), False)
    """
    key = (shape, dtype)  # as given: np.float32 and np.dtype("float32") hash differently
    view = _zero_views.get(key)
    if view is None:
        dtype = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        count = 1
        for n in shape:
            count *= n
        nbytes = max(count * dtype.itemsize, 1)
        pages = _zero_pages[0]
        if pages is None or len(pages) < nbytes:
            # grown in powers of two, so that a few sizes cover every layer of a network
            size = 1 << (nbytes - 1).bit_length()
            pages = _zero_pages[0] = _zero_mapping(size)
        view = _remember(_zero_views, key, np.frombuffer(pages, dtype, count).reshape(shape))
    return view


# Where zeros take memory (no private read-only mmap), the largest array given them.
_MAX_PAID_ZEROS = 1 << 16


def zeros_for(x: np.ndarray) -> np.ndarray | None:
    """Zeros of ``x``'s shape and dtype to pass to an elementwise NumPy call in place of the
    number 0 (``np.maximum(x, zeros_for(x))``), or None where the number is the better
    operand: ``x`` not C-contiguous (the result then keeps ``x``'s layout, as it does with a
    number), or large where zeros are not free (see :func:`zeros_are_free`).

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import zeros_for
        >>> x = np.array([[-1.0, 2.0], [3.0, -4.0]])
        >>> np.maximum(x, zeros_for(x)), zeros_for(x.T)
        (array([[0., 2.],
               [3., 0.]]), None)
    """
    if not x.flags.c_contiguous or not (_FREE or x.size <= _MAX_PAID_ZEROS):
        return None
    return zeros(x.shape, x.dtype)


def zero_operand(x: Any) -> Any:
    """What to pass for 0 beside ``x`` in ``maximum`` or ``minimum``: :func:`zeros_for` a NumPy
    float array where they apply (NumPy's vector loop, 2-3x faster), else the number 0.

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import zero_operand
        >>> x = np.array([-1.0, 2.0])
        >>> np.maximum(x, zero_operand(x)), zero_operand([1.0])
        (array([0., 2.]), 0)
    """
    if type(x) is np.ndarray and x.dtype.kind == "f":
        zero = zeros_for(x)
        if zero is not None:
            return zero
    return 0


# From this many bytes :func:`max_zero` and :func:`min_zero` clip instead: the zeros of
# :func:`zeros` are one page mapped at every address, and on a large array reading them misses
# the CPU's address cache (its TLB) at every page. A ReLU of a float32 map, one thread, AMD
# EPYC: equal at 2-4 MiB, 8 MiB 510 -> 390 us, C3's 64x32x32x32 map 682 -> 344 us (below
# 2 MiB clip is the slower). The values are the same; clip keeps the sign of a zero it passes
# (max_zero(-0.0) is -0.0, as torch's ReLU gives), where maximum returns the operand's 0.0.
MIN_CLIP_BYTES = 4 << 20


def max_zero(x: Any) -> Any:
    """``maximum(x, 0)`` (a ReLU) the fastest way for ``x``'s size and kind.

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import max_zero
        >>> max_zero(np.array([-1.0, 2.0]))
        array([0., 2.])
    """
    if x.nbytes >= MIN_CLIP_BYTES and type(x) is np.ndarray and x.dtype.kind == "f":
        return np.clip(x, x.dtype.type(0), x.dtype.type(np.inf))
    return xp_of(x).maximum(x, zero_operand(x))


def min_zero(x: Any) -> Any:
    """``minimum(x, 0)`` the fastest way for ``x``'s size and kind (see :func:`max_zero`).

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import min_zero
        >>> min_zero(np.array([-1.0, 2.0]))
        array([-1.,  0.])
    """
    if x.nbytes >= MIN_CLIP_BYTES and type(x) is np.ndarray and x.dtype.kind == "f":
        return np.clip(x, x.dtype.type(-np.inf), x.dtype.type(0))
    return xp_of(x).minimum(x, zero_operand(x))


def ones(length: int, dtype: Any) -> np.ndarray:
    """A read-only vector of ``length`` ones of ``dtype``.

    Example:
        >>> import numpy as np
        >>> from nerve.backend.constants import ones
        >>> ones(3, np.float64) @ np.arange(6.0).reshape(3, 2)  # the sum of each column
        array([6., 9.])
    """
    key = (length, dtype)
    view = _one_views.get(key)
    if view is None:
        dtype = np.dtype(dtype)
        vector = _ones.get(dtype)
        if vector is None or len(vector) < length:
            vector = np.ones(1 << max(length - 1, 63).bit_length(), dtype)  # a power of two
            vector.flags.writeable = False
            _ones[dtype] = vector
        view = _remember(_one_views, key, vector[:length])
    return view


def _zero_mapping(size: int) -> Any:
    """``size`` bytes of zeros that cannot be written: an anonymous private read-only mapping
    (a shared one would be given memory page by page as it is read), or a read-only NumPy
    buffer where ``mmap`` has no such flags (Windows: there it is real memory, see
    :func:`zeros_are_free`)."""
    if _FREE:
        return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    buffer = np.zeros(size, np.uint8)
    buffer.flags.writeable = False
    return buffer


def zeros_are_free() -> bool:
    """Whether :func:`zeros` costs no memory here (an anonymous private mapping read only
    ever maps the kernel's zero page); where it does cost memory, :func:`zeros_for` gives
    them to small arrays only.

    Example:
        >>> from nerve.backend.constants import zeros_are_free
        >>> zeros_are_free() in (True, False)
        True
    """
    return hasattr(mmap, "PROT_READ") and hasattr(mmap, "MAP_PRIVATE")


def _remember(
    table: dict[tuple[Any, Any], np.ndarray], key: tuple[Any, Any], view: np.ndarray
) -> np.ndarray:
    if len(table) >= _MAX_VIEWS:
        table.clear()
    table[key] = view
    return view


_FREE = zeros_are_free()
