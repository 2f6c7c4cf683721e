"""torch-like printing of tensors: the values, then a non-default dtype, grad_fn or
requires_grad. It follows torch's ``_tensor_str`` (by default precision 4, summaries past 1000
elements with 3 edge items, lines of 80 characters; ``set_printoptions`` changes them), so that
printed values look the same in both. ``Tensor.__format__`` formats a one-element tensor as its
number (``f"{loss:.4f}"``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import dtypes

if TYPE_CHECKING:
    from .tensor import Tensor

_PREFIX = "tensor("


class _PrintOptions:
    """torch's ``PRINT_OPTS``: what :func:`set_printoptions` changes and printing reads."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None  # None: scientific only when the values' range asks for it


OPTS = _PrintOptions()
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, as ``torch.set_printoptions``.

    ``profile`` (``"default"``, ``"short"``, ``"full"``) sets precision, threshold, edgeitems and
    linewidth first; the other arguments then override it. ``sci_mode`` is always set (None:
    decided from the values), as in torch.

    Example:
        >>> import nerve
        >>> nerve.set_printoptions(precision=2)
        >>> nerve.tensor([1.23456, 100.5])
        tensor([  1.23, 100.50])
        >>> nerve.set_printoptions(profile="default")
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions(): unknown profile {profile!r}; expected one of "
                f"{sorted(_PROFILES)}"
            )
        OPTS.precision, OPTS.threshold, OPTS.edgeitems, OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        OPTS.precision = int(precision)
    if threshold is not None:
        OPTS.threshold = threshold
    if edgeitems is not None:
        OPTS.edgeitems = int(edgeitems)
    if linewidth is not None:
        OPTS.linewidth = int(linewidth)
    OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, object]:
    """The current print options, as ``torch.get_printoptions``.

    Example:
        >>> import nerve
        >>> nerve.get_printoptions()["precision"]
        4
    """
    return {
        "precision": OPTS.precision,
        "threshold": OPTS.threshold,
        "edgeitems": OPTS.edgeitems,
        "linewidth": OPTS.linewidth,
        "sci_mode": OPTS.sci_mode,
    }


class _Formatter:
    """One width and one style (integer-valued, fixed or scientific) for every element."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        flat = values.reshape(-1)
        if not self.floating:
            self.width = max((len(str(v)) for v in flat.tolist()), default=1)
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        low, high = magnitudes.min(), magnitudes.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        wide_range = high / low > 1000.0 or high > 1.0e8
        self.sci_mode = wide_range or (not self.int_mode and low < 1.0e-4)
        if OPTS.sci_mode is not None:
            self.sci_mode = OPTS.sci_mode
        precision = OPTS.precision
        if self.sci_mode:
            style = f"{{:.{precision}e}}"
        else:
            style = "{:.0f}." if self.int_mode else f"{{:.{precision}f}}"
        self.width = max(len(style.format(v)) for v in finite.tolist())

    def format(self, value: float | int | bool) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{OPTS.precision}f}"
        return text.rjust(self.width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements a summary shows: the edge items of every dimension."""
    edge = OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.shape[0] > 2 * edge:
        values = np.concatenate([values[:edge], values[-edge:]])
    if values.ndim == 1:
        return values
    return np.stack([_summarized(row) for row in values])


def _vector(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    fmt = formatter.format
    edge = OPTS.edgeitems
    per_line = max(1, (OPTS.linewidth - indent) // (formatter.width + 2))
    if summarize and values.shape[0] > 2 * edge:
        items = [fmt(v) for v in values[:edge].tolist()] + [" ..."]
        items += [fmt(v) for v in values[-edge:].tolist()]
    else:
        items = [fmt(v) for v in values.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _body(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector(values, indent, summarize, formatter)
    rows: Any = range(values.shape[0])
    edge = OPTS.edgeitems
    if summarize and values.shape[0] > 2 * edge:
        rows = [*range(edge), -1, *range(values.shape[0] - edge, values.shape[0])]
    slices = [
        "..." if i == -1 else _body(values[i], indent + 1, summarize, formatter) for i in rows
    ]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, dtype=...`` and friends, wrapping them when the line would pass 80."""
    parts = [text]
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line + len(suffix) + 2 > OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t: Tensor) -> str:
    values = np.asarray(t.__array__())
    if values.dtype == np.float16:
        values = values.astype(np.float32)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        if t.dtype is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={t.dtype!r}")
    else:
        summarize = values.size > OPTS.threshold
        formatter = _Formatter(_summarized(values) if summarize else values)
        body = _body(values, len(_PREFIX), summarize, formatter)
        if t.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(_PREFIX + body, suffixes, len(_PREFIX))


def tensor_format(t: Tensor, spec: str) -> str:
    """``format(t, spec)`` as torch: a 0-d tensor formats as its Python number; any other
    tensor only with an empty spec (its ``str``), else torch's TypeError."""
    if t._data.ndim == 0:
        return format(t._data.item(), spec)
    if spec:
        raise TypeError("unsupported format string passed to Tensor.__format__")
    return tensor_repr(t)
