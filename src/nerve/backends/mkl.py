"""``nerve.backends.mkl``: whether Intel MKL runs nerve's large matrix products.

torch asks ``torch.backends.mkl.is_available()`` to learn whether its build links MKL. nerve
links nothing at build time: when the ``mkl`` package is installed (``pip install nerve[mkl]``)
its large float products go through MKL's GEMM on Intel's CPUs, and everything else through
NumPy (see ``nerve.backend.blas`` for which products, why not on AMD's CPUs, and the
``NERVE_MKL`` switch).
"""

from __future__ import annotations


def is_available() -> bool:
    """True when MKL is installed and loads (nerve's large products use it on Intel's CPUs).

    Example:
        >>> import nerve
        >>> isinstance(nerve.backends.mkl.is_available(), bool)
        True
    """
    from ..backend.blas import is_available as mkl_loads

    return mkl_loads()
