"""``set_num_threads`` / ``get_num_threads``: the threads nerve's matrix multiplies use.

nerve's heavy kernels are NumPy's BLAS (OpenBLAS, MKL ...): torch's intra-op thread count maps
onto that library's thread pool, which threadpoolctl can read and limit at run time. Without
threadpoolctl the calls still answer (the CPU count) and remember the requested number, but
cannot change the BLAS pool; a warning says so once.

When to ask for fewer threads: on a machine whose cores are busy with other work. Measured on
a 2-core machine with another process keeping one core busy, a 256x784x1024 float32 product
took 5.3 ms on one BLAS thread and 6.8 ms on two (idle: 5.5 and 2.7 ms). Products as small as
the lecture's networks make (64x64x128 and below) take the same time either way: OpenBLAS
runs them on one thread by itself.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

_state: dict[str, Any] = {"requested": None, "limiter": None, "warned": False}


def _controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def set_num_threads(num: int) -> None:
    """Limit the BLAS thread pool (matrix multiplies, convolutions) to ``num`` threads.

    Example:
        >>> import nerve
        >>> before = nerve.get_num_threads()
        >>> nerve.set_num_threads(1)
        >>> nerve.get_num_threads()
        1
        >>> nerve.set_num_threads(before)
    """
    if isinstance(num, bool) or not isinstance(num, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    controller = _controller()
    if controller is None:
        if not _state["warned"]:
            warnings.warn(
                "set_num_threads: threadpoolctl is not installed, so the BLAS thread pool keeps "
                "its size (pip install threadpoolctl)",
                RuntimeWarning,
                stacklevel=2,
            )
            _state["warned"] = True
    else:
        # the limit holds from here until the next call (the limiter is never exited)
        _state["limiter"] = controller.limit(limits=num, user_api="blas")
    _state["requested"] = num


def get_num_threads() -> int:
    """The threads the BLAS pool uses (what ``set_num_threads`` set, else the library's own).

    Example:
        >>> import nerve
        >>> nerve.get_num_threads() >= 1
        True
    """
    controller = _controller()
    if controller is not None:
        infos = controller.info()
        blas = [info.get("num_threads", 0) for info in infos if info.get("user_api") == "blas"]
        if blas:
            return int(max(blas))
    if _state["requested"] is not None:
        return int(_state["requested"])
    return os.cpu_count() or 1


def get_num_interop_threads() -> int:
    """torch's inter-op pool: nerve runs one op at a time, so 1.

    Example:
        >>> import nerve
        >>> nerve.get_num_interop_threads()
        1
    """
    return 1


def set_num_interop_threads(num: int) -> None:
    """Accepted for torch compatibility: nerve runs one op at a time (no inter-op pool).

    Example:
        >>> import nerve
        >>> nerve.set_num_interop_threads(1)
    """
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
