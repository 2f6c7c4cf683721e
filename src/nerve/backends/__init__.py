"""``nerve.backends``: the flags tutorials set for torch's backends (``cudnn``, ``mkl``, ``mps``).

nerve runs on NumPy (CPU) and CuPy (CUDA); these modules keep the same names so that
``torch.backends.cudnn.benchmark = True`` and ``torch.backends.mps.is_available()`` run
unchanged, and say honestly what they change in nerve (see each module).
"""

from . import cudnn, mkl, mps

__all__ = ["cudnn", "mkl", "mps"]
