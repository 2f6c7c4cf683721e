"""``nerve.backends.mps``: Apple's Metal backend. nerve has none, so both answers are False,
and a tutorial's ``"mps" if torch.backends.mps.is_available() else "cpu"`` picks the CPU."""

from __future__ import annotations


def is_available() -> bool:
    """False: nerve has no Metal (MPS) backend."""
    return False


def is_built() -> bool:
    """False: nerve is not built with Metal (MPS) support."""
    return False
