"""Large matrix products through Intel MKL on Intel's CPUs, when it is installed (``pip install
nerve[mkl]``).

nerve's matrix products are NumPy's, and NumPy calls the OpenBLAS it ships with. On an Intel
CPU this project was measured on, MKL's GEMM (the library PyTorch's CPU build uses) is 15-35%
faster on the products of wide layers and convolutions. Measured on one thread:

==========================================  =========  =========
product (float32)                           OpenBLAS   MKL
==========================================  =========  =========
256x1024 @ 1024x1024 (a wide layer)         7.6 ms     6.1 ms
65536x288 @ 288x32 (a 3x3 conv's im2col)    25.8 ms    16.3 ms
6272x72 @ 72x16 (LeNet's second conv)       357 us     258 us
64x64 @ 64x128 (the lecture's sizes)        15 us      28 us
==========================================  =========  =========

The last row is why only large products go to MKL: a call through ctypes costs 10-15 us
(reading three arrays' addresses, converting fourteen arguments), more than a whole product of
the lecture's layers. :func:`matmul2d` sends a product to MKL when its ``m * k * n`` is at least
:data:`MIN_WORK`, both operands are float32 or both float64 NumPy arrays, and each is stored
row- or column-major (a transposed weight is); anything else is ``a.dot(b)``, as before.

MKL is found where its wheel puts it (the ``mkl`` distribution's ``libmkl_rt``) or, failing
that, as a system library; it is loaded on the first large product, so ``import nerve`` stays
as fast without it. Its threads: OpenMP through GNU's ``libgomp`` when the system has it (the
runtime PyTorch uses too, so both coexist in one process), else MKL's sequential layer. The
pool follows ``nerve.set_num_threads`` (threadpoolctl sees MKL like any BLAS) and
``MKL_NUM_THREADS``; a forked child (a DataLoader worker) runs MKL on one thread, because a
GNU OpenMP pool does not survive ``fork`` (a child that asks for more threads again, in a
``worker_init_fn`` say, would hang on its next large product, as torch's would). MKL is told to
take 32-bit sizes (its LP64 interface, whatever ``MKL_INTERFACE_LAYER`` says), as the ctypes
signatures here pass them.

On AMD's CPUs MKL runs a generic code path, and there (an AMD EPYC with AVX-512, one thread)
it measured slower than OpenBLAS: W3's training step (784-1024-1024-10, batch 256) took
32.1-34.4 ms with MKL's products and 29.6-31.2 with OpenBLAS's, in alternating runs. So large
products go to MKL only on Intel's CPUs (:func:`products_on_mkl`). The sums MKL adds into its
output (:func:`add_shifted_product`, :func:`add_product_at_rows`), which NumPy has no product
for, use it on any CPU.

``NERVE_MKL=0`` in the environment keeps every product on NumPy; ``NERVE_MKL=1`` sends large
products to MKL on any CPU.

Numbers: MKL and OpenBLAS sum a product's terms in different orders, so a large product can
differ from NumPy's in the last bits (as PyTorch's does); a given product always takes the same
path, so eager mode and ``nerve.compile``'s replay stay bit for bit equal.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Any

import numpy as np

MIN_WORK = 1 << 22
"""Products with ``m * k * n`` at or above this (about 4 million multiply-adds, 0.3 ms and
more) go to MKL; below it NumPy's call is cheaper than the ctypes call (measured above)."""

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_LAYER_GNU, _LAYER_SEQUENTIAL = 3, 1  # MKL_Set_Threading_Layer's codes
_INTERFACE_LP64, _INTERFACE_ILP64 = 0, 1  # MKL_Set_Interface_Layer's codes
_loading = threading.Lock()  # one thread loads; the others wait for its answer

_state: dict[str, Any] = {
    "loaded": False,
    "lib": None,
    "gemm": {},
    "layer": None,
    "products": False,  # whether matmul2d sends large products to MKL (see products_on_mkl)
}


def _mkl_rt_path() -> str | None:
    """Where ``libmkl_rt`` is: the ``mkl`` wheel's copy, else the system's, else None."""
    try:
        from importlib import metadata

        files = metadata.files("mkl") or []
    except Exception:  # noqa: BLE001 - no mkl distribution (or unreadable metadata)
        files = []
    for file in files:
        if file.name.startswith("libmkl_rt.so"):
            path = str(file.locate())
            if os.path.exists(path):
                return path
    return ctypes.util.find_library("mkl_rt")


def _threading_layer() -> int:
    """GNU OpenMP when the system's libgomp loads (MKL aborts the process on its first product
    if the layer it was told to use is missing), else sequential."""
    try:
        ctypes.CDLL("libgomp.so.1")
    except OSError:
        return _LAYER_SEQUENTIAL
    return _LAYER_GNU


def _load() -> Any:
    """MKL's runtime library, set up (interface, threading layer, thread count, fork
    handler), or None when it is disabled, not installed, or not usable as set up here."""
    if os.environ.get("NERVE_MKL", "1") == "0":
        return None
    path = _mkl_rt_path()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        lib.MKL_Set_Interface_Layer.argtypes = [ctypes.c_int]
        # each call answers the setting in force (MKL may have been set up before us)
        if lib.MKL_Set_Interface_Layer(_INTERFACE_LP64) & _INTERFACE_ILP64:
            return None  # 64-bit sizes: our signatures pass 32-bit ones
        lib.MKL_Set_Threading_Layer.argtypes = [ctypes.c_int]
        layer = lib.MKL_Set_Threading_Layer(_threading_layer())
        lib.MKL_Set_Num_Threads.argtypes = [ctypes.c_int]
        gemms = {}
        pointer, size = ctypes.c_void_p, ctypes.c_int
        for char, name, real in (
            ("f", "cblas_sgemm", ctypes.c_float),
            ("d", "cblas_dgemm", ctypes.c_double),
        ):
            gemm = getattr(lib, name)
            gemm.restype = None
            # order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc
            gemm.argtypes = [size] * 6 + [real, pointer, size, pointer, size, real, pointer, size]
            gemms[char] = gemm
    except (OSError, AttributeError):  # not loadable, or an MKL without these entry points
        return None
    from ..threads import _state as thread_request

    if thread_request["requested"] is not None:  # set_num_threads ran before MKL was loaded
        lib.MKL_Set_Num_Threads(int(thread_request["requested"]))
    if layer != _LAYER_SEQUENTIAL:
        os.register_at_fork(after_in_child=lambda: lib.MKL_Set_Num_Threads(1))
    _state.update(gemm=gemms, layer=layer)
    return lib


def library() -> Any:
    """MKL's runtime library, loaded on first use; None when it is not installed or disabled."""
    if not _state["loaded"]:
        with _loading:
            if not _state["loaded"]:
                lib = _state["lib"] = _load()
                wanted = os.environ.get("NERVE_MKL", "")
                _state["products"] = lib is not None and (wanted == "1" or _intel_cpu())
                _state["loaded"] = True
    return _state["lib"]


def products_on_mkl() -> bool:
    """Whether :func:`matmul2d` sends large products to MKL: MKL loaded, and an Intel CPU (or
    ``NERVE_MKL=1``); see the module's text for why not on AMD's.

    Example:
        >>> from nerve.backend.blas import is_available, products_on_mkl
        >>> products_on_mkl() <= is_available()
        True
    """
    library()
    return _state["products"]


def _intel_cpu() -> bool:
    """Whether this is an Intel CPU: its vendor in /proc/cpuinfo (Linux), else the processor's
    name (Windows names the vendor; elsewhere False)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("vendor_id"):
                    return "GenuineIntel" in line
    except OSError:
        pass
    import platform

    return "intel" in platform.processor().lower()


def _operand(a: np.ndarray) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) of a matrix for a row-major GEMM, or None when its
    layout is neither row- nor column-major."""
    if a.flags.c_contiguous:
        return _NO_TRANS, a.shape[1]
    if a.flags.f_contiguous:
        return _TRANS, a.shape[0]
    return None


_NATIVE = {np.dtype(np.float32): "f", np.dtype(np.float64): "d"}  # not byte-swapped ones
_INT_MAX = 2**31 - 1  # MKL's LP64 interface takes 32-bit sizes (ctypes would wrap larger)


def _mkl_product(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """``a @ b`` computed by MKL, or None when MKL cannot take it (then NumPy does)."""
    char = _NATIVE.get(a.dtype)
    if char is None or b.dtype != a.dtype or max(*a.shape, *b.shape) > _INT_MAX:
        return None
    if a.shape[1] != b.shape[0]:
        return None  # a.dot raises NumPy's error
    layout_a, layout_b = _operand(a), _operand(b)
    if layout_a is None or layout_b is None or library() is None:
        return None
    (m, k), n = a.shape, b.shape[1]
    out = np.empty((m, n), dtype=a.dtype)
    _state["gemm"][char](
        _ROW_MAJOR, layout_a[0], layout_b[0], m, n, k, 1.0,
        a.ctypes.data, layout_a[1], b.ctypes.data, layout_b[1], 0.0, out.ctypes.data, n,
    )  # fmt: skip
    return out


def matmul2d(a: Any, b: Any) -> Any:
    """The product of two matrices (2-D arrays of any array library): MKL's GEMM for large
    float NumPy products where :func:`products_on_mkl`, else ``a.dot(b)``.

    Example:
        >>> import numpy as np
        >>> from nerve.backend.blas import matmul2d
        >>> matmul2d(np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    # (the common case, a small product, first)
    if a.size * b.shape[1] < MIN_WORK or type(a) is not np.ndarray or not products_on_mkl():
        return a.dot(b)
    out = _mkl_product(a, b)
    return a.dot(b) if out is None else out


def add_shifted_product(
    out: np.ndarray, shift: int, a: np.ndarray, b: np.ndarray, width: int
) -> bool:
    """``out[:, shift : shift + width] += a @ b[:, :width]`` in one MKL GEMM (its ``beta = 1``,
    the columns read and written in place as sub-matrices), for C-contiguous float NumPy
    matrices of one dtype; False (nothing done) when MKL cannot take it. NumPy has no product
    that adds into its output: a temporary and an addition would cost two more passes.

    Example:
        >>> import numpy as np
        >>> from nerve.backend.blas import add_shifted_product, is_available
        >>> out = np.zeros((2, 5))
        >>> done = add_shifted_product(out, 1, np.ones((2, 3)), np.ones((3, 4)), 2)
        >>> (out[:, 1:3] == 3).all() and not out[:, [0, 3, 4]].any() if done else True
        True
    """
    char = _adding_gemm(out, a, b)
    if char is None:
        return False
    (m, k), columns = a.shape, b.shape[1]
    if out.shape[0] != m or not 0 <= width <= columns or not 0 <= shift <= out.shape[1] - width:
        return False
    return _add_product(char, (m, width, k), a, b, columns, out, shift, out.shape[1])


def add_product_at_rows(
    out: np.ndarray, shift: int, a: np.ndarray, b: np.ndarray, height: int
) -> bool:
    """``out[shift : shift + height] += a[:height] @ b`` in one MKL GEMM: the rows' version of
    :func:`add_shifted_product`, with the same conditions (False, nothing done, when MKL
    cannot take it).

    Example:
        >>> import numpy as np
        >>> from nerve.backend.blas import add_product_at_rows
        >>> out = np.zeros((5, 2))
        >>> done = add_product_at_rows(out, 1, np.ones((4, 3)), np.ones((3, 2)), 2)
        >>> (out[1:3] == 3).all() and not out[[0, 3, 4]].any() if done else True
        True
    """
    char = _adding_gemm(out, a, b)
    if char is None:
        return False
    (rows, k), n = a.shape, b.shape[1]
    if out.shape[1] != n or not 0 <= height <= rows or not 0 <= shift <= out.shape[0] - height:
        return False
    return _add_product(char, (height, n, k), a, b, n, out, shift * n, n)


def _add_product(
    char: str,
    sizes: tuple[int, int, int],
    a: np.ndarray,
    b: np.ndarray,
    ldb: int,
    out: np.ndarray,
    offset: int,
    ldc: int,
) -> bool:
    """MKL's GEMM adding the (m, n) product of ``a``'s first m rows and ``b``'s first n
    columns (``sizes`` = (m, n, k); ``b``'s rows ``ldb`` long) into ``out`` from element
    ``offset`` on, its rows ``ldc`` apart. True: done (nothing to do for an empty size)."""
    m, n, k = sizes
    if m == 0 or n == 0 or k == 0:
        return True  # nothing to add (and MKL rejects a zero leading dimension)
    _state["gemm"][char](
        _ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0,
        a.ctypes.data, k, b.ctypes.data, ldb,
        1.0, out.ctypes.data + offset * out.itemsize, ldc,
    )  # fmt: skip
    return True


def _adding_gemm(out: np.ndarray, a: np.ndarray, b: np.ndarray) -> str | None:
    """The GEMM's type letter when MKL can add ``a @ b`` (or a part of it) into ``out``: float
    NumPy matrices of one dtype whose inner sizes agree, C-contiguous, ``out`` writable and
    apart from the operands; else None."""
    char = _NATIVE.get(a.dtype)
    if (
        char is None
        or not (a.ndim == b.ndim == out.ndim == 2)
        or a.shape[1] != b.shape[0]  # (the product's inner sizes)
        or not (a.dtype == b.dtype == out.dtype)
        or not (a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous)
        or not out.flags.writeable
        or max(*a.shape, *b.shape, *out.shape) > _INT_MAX
        or np.may_share_memory(out, a)
        or np.may_share_memory(out, b)
        or library() is None
    ):
        return None
    return char


def is_available() -> bool:
    """True when MKL is installed, loads, and is not disabled by ``NERVE_MKL=0``."""
    return library() is not None
