"""``nerve.backends.cudnn``: torch's cuDNN flags, settable module attributes.

nerve's GPU kernels are CuPy's (it does not call cuDNN's autotuner), so ``benchmark`` and
``allow_tf32`` change nothing; ``deterministic`` is already true of nerve's kernels. They are kept
so that a training script that sets them for reproducibility runs unchanged, and reads back what
it set.
"""

from __future__ import annotations

enabled: bool = True
benchmark: bool = False
deterministic: bool = False
allow_tf32: bool = True


def is_available() -> bool:
    """True when a CUDA GPU is usable (through CuPy)."""
    from ..backend.device import cuda_is_available

    return cuda_is_available()


def version() -> int | None:
    """cuDNN's version as torch reports it: None here, nerve does not link cuDNN."""
    return None
