"""Padding the last dimensions of a tensor (``F.pad``): with a constant, or by reflecting,
replicating or wrapping around its edges.

The constant mode is its own op (the gradient is the gradient's middle). The other modes read
every output element from some input element, so they are indexing (``x[..., rows, cols]``)
with an index per dimension, and their gradient adds back into the elements read, repeats
included, as indexing's gradient does.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor


class ConstantPad(Node):
    """``x`` inside a border of ``value``; negative widths crop instead."""

    saves = ()

    def forward(self, x: Any, widths: tuple[tuple[int, int], ...], value: float) -> Any:
        xp = xp_of(x)
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, widths))
        out = xp.full(shape, value, dtype=x.dtype)
        self.inner = tuple(
            slice(max(before, 0), max(before, 0) + n + min(before, 0) + min(after, 0))
            for n, (before, after) in zip(x.shape, widths)
        )
        source = tuple(
            slice(max(-before, 0), n - max(-after, 0))
            for n, (before, after) in zip(x.shape, widths)
        )
        self.x_shape, self.source = x.shape, source
        out[self.inner] = x[source]
        return out

    def backward(self, g: Any) -> Any:
        if all(s.start == 0 and s.stop == n for s, n in zip(self.source, self.x_shape)):
            return g[self.inner]
        # cropped: the cropped-away elements get no gradient
        from .index import IndexBackward

        return run(
            IndexBackward, g[self.inner], key=self.source, advanced=False, shape=self.x_shape
        )


def _indices(xp: Any, n: int, before: int, after: int, mode: str) -> Any:
    """For each output position along one dimension, the input position it reads."""
    positions = xp.arange(-before, n + after)
    if mode == "replicate":
        return xp.clip(positions, 0, n - 1)
    if mode == "circular":
        return positions % n
    period = 2 * (n - 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    folded = xp.abs(positions) % period if period else positions * 0
    return xp.where(folded >= n, period - folded, folded)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions: ``pad`` lists (before, after) widths from
    the last dimension backwards, as torch.nn.functional.pad.

    Example:
        >>> import nerve
        >>> nerve.nn.functional.pad(nerve.ones(1, 2), (1, 1)).tolist()
        [[0.0, 1.0, 1.0, 0.0]]
    """
    pad = tuple(int(p) for p in pad)
    ndim = input._data.ndim
    if len(pad) % 2 or len(pad) // 2 > ndim:
        raise ValueError(
            f"pad: the padding {list(pad)} must have an even length of at most 2 * the number of "
            f"dimensions ({ndim})"
        )
    padded = len(pad) // 2
    widths = [(0, 0)] * (ndim - padded) + [
        (pad[2 * (padded - 1 - i)], pad[2 * (padded - 1 - i) + 1]) for i in range(padded)
    ]
    if mode == "constant":
        return apply(
            ConstantPad, input, widths=tuple(widths), value=0.0 if value is None else value
        )
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(
            f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}"
        )
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    if not 1 <= padded <= 3 or ndim not in (padded + 1, padded + 2):
        raise NotImplementedError(  # torch's combinations: one or two leading dimensions
            f"pad: {mode} padding of {padded} dimension(s) (a padding of size {len(pad)}) is not "
            f"supported for a {ndim}-D input; supported: a padding of size 2 for 2-D or 3-D "
            "input, 4 for 3-D or 4-D, 6 for 4-D or 5-D"
        )
    xp = xp_of(input._data)
    key: list[Any] = [slice(None)] * (ndim - padded)
    for offset, (axis_size, (before, after)) in enumerate(
        zip(input._data.shape[ndim - padded :], widths[ndim - padded :])
    ):
        limit = axis_size - 1 if mode == "reflect" else axis_size
        if mode != "replicate" and (before > limit or after > limit):
            raise RuntimeError(
                f"pad: {mode} padding of ({before}, {after}) is too large for a dimension of size "
                f"{axis_size}; it must be at most {limit}"
            )
        index = _indices(xp, axis_size, before, after, mode)
        key.append(index.reshape((-1,) + (1,) * (padded - 1 - offset)))
    return input[tuple(Tensor._make(k) if not isinstance(k, slice) else k for k in key)]
