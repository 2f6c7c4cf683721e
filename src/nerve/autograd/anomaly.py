"""Anomaly mode: find the op whose backward first produced a NaN or an infinity."""

from __future__ import annotations

import os
import traceback

from .grad_mode import state


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``set_detect_anomaly``, ``detect_anomaly``).

    Example:
        >>> import nerve
        >>> nerve.autograd.is_anomaly_enabled()
        False
        >>> with nerve.autograd.detect_anomaly():
        ...     print(nerve.autograd.is_anomaly_enabled())
        True
    """
    return state.anomaly


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for this thread.

    With it on, every op remembers where it was created, and the backward pass checks each
    gradient it computes: the first NaN or infinity raises an error that names the op and
    shows the line of user code that created it.

    Example:
        >>> import nerve
        >>> nerve.autograd.set_detect_anomaly(True)
        >>> nerve.autograd.is_anomaly_enabled()
        True
        >>> nerve.autograd.set_detect_anomaly(False)
        >>> nerve.autograd.is_anomaly_enabled()
        False
    """
    state.anomaly = bool(mode)


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager for anomaly detection.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([0.0], requires_grad=True)
        >>> with nerve.autograd.detect_anomaly():
        ...     y = x.sqrt() * 0  # sqrt'(0) is inf, inf * 0 is nan
        ...     y.sum().backward()  # doctest: +SKIP
        RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output ...
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = state.anomaly
        state.anomaly = self.check_nan

    def __exit__(self, *exc_info: object) -> None:
        state.anomaly = self._previous


# nerve's own source files; matched by path prefix, since a user's project may itself live in a
# directory named "nerve" (a checkout of this repository does: .../nerve/tests/...)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def creation_trace() -> str:
    """The user's stack where an op is being created, without nerve's own frames."""
    frames = [
        f
        for f in traceback.extract_stack()[:-1]
        if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)
    ]
    return "".join(traceback.format_list(frames[-8:]))
