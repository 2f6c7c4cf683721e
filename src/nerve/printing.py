"""torch-like printing of tensors: values, then a non-default dtype, grad_fn, requires_grad."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .backend import dtypes

if TYPE_CHECKING:
    from .tensor import Tensor

_PREFIX = "tensor("


def _format(array: np.ndarray) -> str:
    options: dict[str, object] = {
        "separator": ", ",
        "prefix": _PREFIX,
        "threshold": 1000,
        "edgeitems": 3,
    }
    if array.dtype.kind == "f" and array.size:
        finite = array[np.isfinite(array)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        large = finite.size and (
            np.abs(finite).max() >= 1e8 or (0 < np.abs(finite[finite != 0]).min(initial=1) < 1e-4)
        )
        if large:
            options["formatter"] = {"float_kind": lambda v: f"{v:.4e}"}
        elif not integral:
            options.update(precision=4, floatmode="fixed")
    return np.array2string(array, **options)  # type: ignore[arg-type]


def tensor_repr(t: Tensor) -> str:
    array = np.asarray(t.__array__())
    text = _format(array)
    extras = []
    if array.size == 0:
        extras.append(f"size={tuple(array.shape)}")
    default = {dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_}
    if t.dtype not in default:
        extras.append(f"dtype={t.dtype!r}")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    suffix = "".join(", " + e for e in extras)
    return f"{_PREFIX}{text}{suffix})"
