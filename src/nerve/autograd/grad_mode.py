"""Gradient mode: whether ops record a graph. Thread-local, as in torch, so a server that trains
in one thread and evaluates under ``no_grad`` in another does not disturb the first."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    def __init__(self) -> None:
        self.enabled = True
        self.anomaly = False
        self.inference = False  # inside inference_mode (torch.is_inference_mode_enabled)


state = _State()


def is_grad_enabled() -> bool:
    """True when new ops record the graph that ``backward`` walks.

    Example:
        >>> import nerve
        >>> nerve.is_grad_enabled()
        True
        >>> with nerve.no_grad():
        ...     nerve.is_grad_enabled()
        False
    """
    return state.enabled


class _GradModeContext:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""

    mode = True

    def __enter__(self) -> None:
        self._previous = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        state.enabled = self._previous

    def __call__(self, function: F) -> F:
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = state.enabled
            state.enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                state.enabled = previous

        return wrapper  # type: ignore[return-value]


class _NoParamContext(_GradModeContext):
    """Also usable as a bare decorator, ``@nerve.no_grad`` without parentheses, as in torch."""

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        if function is None:
            return super().__new__(cls)
        return cls()(function)


class no_grad(_NoParamContext):  # noqa: N801 - torch's name
    """Disable graph recording inside a ``with`` block or a decorated function.

    Example:
        >>> import nerve
        >>> w = nerve.ones(2, requires_grad=True)
        >>> with nerve.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    mode = False


class enable_grad(_NoParamContext):  # noqa: N801
    """Re-enable graph recording inside a ``no_grad`` region.

    Example:
        >>> import nerve
        >>> w = nerve.ones(2, requires_grad=True)
        >>> with nerve.no_grad():
        ...     with nerve.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """

    mode = True


class inference_mode(_GradModeContext):  # noqa: N801
    """Like :class:`no_grad` (nerve has no separate inference tensors); ``inference_mode(False)``
    changes nothing, and a bare ``@inference_mode`` decorates, as in torch.

    Example:
        >>> import nerve
        >>> model = nerve.nn.Linear(3, 1)
        >>> with nerve.inference_mode():
        ...     prediction = model(nerve.ones(1, 3))
        >>> prediction.requires_grad
        False
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = False if mode else state.enabled
        self.inference = bool(mode)

    def __enter__(self) -> None:
        super().__enter__()
        self._was_inference = state.inference
        state.inference = self.inference

    def __exit__(self, *exc_info: object) -> None:
        super().__exit__(*exc_info)
        state.inference = self._was_inference

    def __call__(self, function: F) -> F:
        context = self

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(context)(context.inference):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (and not inside a plain ``no_grad``), as torch.

    Example:
        >>> import nerve
        >>> with nerve.inference_mode():
        ...     nerve.is_inference_mode_enabled()
        True
        >>> nerve.is_inference_mode_enabled()
        False
    """
    return state.inference


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Set grad mode now, or for a ``with`` block: ``nerve.set_grad_enabled(False)``.

    Example:
        >>> import nerve
        >>> w = nerve.ones(2, requires_grad=True)
        >>> training = False
        >>> with nerve.set_grad_enabled(training):
        ...     y = w * 2
        >>> y.requires_grad, nerve.is_grad_enabled()
        (False, True)
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = state.enabled
        state.enabled = self.mode  # takes effect at once, as in torch

    def __enter__(self) -> None:
        state.enabled = self.mode

    def __call__(self, function: F) -> F:
        state.enabled = self._previous  # as a decorator it sets the mode only inside calls
        return super().__call__(function)
