"""Everyday tensor functions built from existing ops: meshgrid, diag, diagonal, diag_embed,
trace, repeat_interleave, bincount, cumprod, multinomial and cdist.

Most are compositions (reshape/expand, indexing, the vector norm), so their gradients and
double backward come from the ops they use. ``cumprod`` is a node of its own: its derivative
is a reversed cumulative sum, exact (without dividing) where the input holds zeros.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend import dtypes
from ..backend.device import xp_of
from ..random import Generator, numpy_generator
from ..tensor import Tensor, _check_dim
from .dual import const, data, shape_of, where
from .index import GetItem, IndexBackward
from .reorder import Flip
from .spread import Cumsum

_INT64 = dtypes.int64.np


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (matrix, torch's default) or
    ``'xy'`` (Cartesian: the first two dimensions swapped).

    Example:
        >>> import nerve
        >>> x, y = nerve.tensor([1, 2]), nerve.tensor([3, 4, 5])
        >>> rows, cols = nerve.meshgrid(x, y, indexing="ij")
        >>> rows
        tensor([[1, 1, 1],
                [2, 2, 2]])
        >>> cols
        tensor([[3, 4, 5],
                [3, 4, 5]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    if not tensors:
        raise RuntimeError("torch.meshgrid: Expected at least one tensor")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.dim()}D"
            )
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    flat = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = []
    for i, t in enumerate(flat):
        view = [1] * len(flat)
        view[i] = shape[i]
        grids.append(t.reshape(view).expand(shape))
    if swap:  # 'xy' is 'ij' on the first two swapped, the grids handed back in input order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def _diagonal_positions(xp: Any, rows: int, cols: int, offset: int) -> tuple[Any, Any]:
    """Row and column indices of the ``offset`` diagonal of a rows x cols matrix."""
    start_row, start_col = max(-offset, 0), max(offset, 0)
    length = max(min(rows - start_row, cols - start_col), 0)
    steps = xp.arange(length)
    return steps + start_row, steps + start_col


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The ``offset`` diagonal of the matrices spanned by ``dim1`` and ``dim2``, as the last
    dimension (a copy; torch returns a view).

    Example:
        >>> import nerve
        >>> nerve.diagonal(nerve.arange(9).reshape(3, 3), offset=1)
        tensor([1, 5])
    """
    ndim = input._data.ndim
    if ndim < 2:
        raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, got {ndim}")
    a1, a2 = _check_dim(dim1, ndim, "diagonal"), _check_dim(dim2, ndim, "diagonal")
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    moved = input.movedim((a1, a2), (-2, -1))
    rows, cols = _diagonal_positions(xp_of(input._data), *moved.shape[-2:], offset)
    return apply(GetItem, moved, key=(Ellipsis, rows, cols), advanced=True)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose ``offset`` diagonal (in dimensions ``dim1``, ``dim2`` of the result) holds
    the last dimension of ``input``; zeros elsewhere.

    Example:
        >>> import nerve
        >>> nerve.diag_embed(nerve.tensor([[1, 2], [3, 4]]))[1]
        tensor([[3, 0],
                [0, 4]])
    """
    ndim = input._data.ndim + 1
    a1, a2 = _check_dim(dim1, ndim, "diag_embed"), _check_dim(dim2, ndim, "diag_embed")
    if a1 == a2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = (input.shape[-1] if input._data.ndim else 1) + abs(offset)
    values = input if input._data.ndim else input.reshape(1)
    rows, cols = _diagonal_positions(xp_of(input._data), n, n, offset)
    shape = tuple(values.shape[:-1]) + (n, n)
    matrices = apply(IndexBackward, values, key=(Ellipsis, rows, cols), advanced=True, shape=shape)
    return matrices.movedim((-2, -1), (a1, a2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D tensor as the ``diagonal`` of a square matrix, or the ``diagonal`` of a matrix as
    a 1-D tensor.

    Example:
        >>> import nerve
        >>> nerve.diag(nerve.tensor([1, 2]))
        tensor([[1, 0],
                [0, 2]])
        >>> nerve.diag(nerve.tensor([[1, 2], [3, 4]]))
        tensor([1, 4])
    """
    ndim = input._data.ndim
    if ndim == 1:
        return diag_embed(input, diagonal)
    if ndim == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")


def trace(input: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal.

    Example:
        >>> import nerve
        >>> nerve.trace(nerve.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(5.)
    """
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.dim()}")
    return diagonal(input).sum()


def repeat_interleave(
    input: Tensor, repeats: Any = None, dim: int | None = None, *, output_size: int | None = None
) -> Tensor:
    """Each element (or slice along ``dim``) repeated ``repeats`` times in place (flattened when
    ``dim`` is None). ``repeat_interleave(counts)`` alone repeats each index ``counts[i]``
    times.

    Example:
        >>> import nerve
        >>> nerve.repeat_interleave(nerve.tensor([1, 2]), 2)
        tensor([1, 1, 2, 2])
        >>> nerve.repeat_interleave(nerve.tensor([2, 0, 1]))
        tensor([0, 0, 2])
    """
    if repeats is None:  # repeat_interleave(repeats): the indices 0..n-1, repeated
        counts = input
        return repeat_interleave(
            Tensor._make(xp_of(counts._data).arange(counts._data.size, dtype=_INT64)), counts
        )
    if dim is None:
        input, axis = input.reshape(-1), 0
    else:
        axis = _check_dim(dim, input._data.ndim, "repeat_interleave")
        if input._data.ndim == 0:
            input = input.reshape(1)
    xp = xp_of(input._data)
    size = input.shape[axis]
    if isinstance(repeats, Tensor):
        if repeats._data.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats has to be Long or Int tensor")
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = repeats._data.reshape(-1)
        if counts.size == 1:
            counts = xp.full(size, int(counts[0]))
        elif counts.size != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{counts.size} and input.size({axis}) = {size}"
            )
    else:
        counts = xp.full(size, int(repeats))
    if counts.size and int(counts.min()) < 0:
        raise RuntimeError("repeats can not be negative")
    index = xp.repeat(xp.arange(size), counts)
    if output_size is not None and index.size != output_size:
        raise RuntimeError(
            f"repeat_interleave: output_size {output_size} differs from the {index.size} "
            "elements the repeats give"
        )
    return apply(GetItem, input, key=(slice(None),) * axis + (index,), advanced=True)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value 0, 1, 2, ... occurs in a 1-D tensor of non-negative integers (or
    the sum of their ``weights``); at least ``minlength`` bins. Not differentiable.

    Example:
        >>> import nerve
        >>> nerve.bincount(nerve.tensor([0, 1, 1, 3]))
        tensor([1, 2, 0, 1])
        >>> nerve.bincount(nerve.tensor([0, 1, 1]), weights=nerve.tensor([0.5, 1.0, 2.0]))
        tensor([0.5000, 3.0000])
    """
    values = input._data
    if values.dtype.kind not in "iub":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{input.dtype}'")
    if values.ndim != 1 or (values.size and int(values.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    xp = xp_of(values)
    if weights is None:
        counts = xp.bincount(values, minlength=minlength).astype(_INT64)
        return Tensor._make(counts)
    w = weights._data
    out_dtype = w.dtype if w.dtype.kind == "f" else dtypes.float64.np
    return Tensor._make(xp.bincount(values, w, minlength=minlength).astype(out_dtype))


class Cumprod(Node):
    """Running products along ``axis``. Gradient: sum over j >= i of g_j * out_j / x_i, a
    reversed cumulative sum; where a slice holds a zero the division fails and the products
    of the others are formed exactly instead."""

    saves_output = True

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = axis
        return x.cumprod(axis=axis)

    def backward(self, g: Any) -> Any:
        x, axes = self.input(0), (self.axis,)
        if not bool((data(x) == 0).any()):
            reversed_sum = run(
                Flip,
                run(Cumsum, run(Flip, g * self.output(), axes=axes), axis=self.axis),
                axes=axes,
            )
            return reversed_sum / x
        return _cumprod_grad_with_zeros(g, x, self.axis)


def _cumprod_grad_with_zeros(g: Any, x: Any, axis: int) -> Any:
    """d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: row i of an n x n table is the
    running product of the slice with x_i replaced by 1 (n x n per slice, only with zeros)."""
    last = x.movedim(axis, -1) if isinstance(x, Tensor) else xp_of(x).moveaxis(x, axis, -1)
    g_last = g.movedim(axis, -1) if isinstance(g, Tensor) else xp_of(g).moveaxis(g, axis, -1)
    n = shape_of(last)[-1]
    xp = xp_of(data(x))
    eye = const(xp.eye(n, dtype=bool), x)
    later = const(xp.triu(xp.ones((n, n), dtype=data(x).dtype)), x)  # j >= i
    table = run(Cumprod, where(eye, 1.0, last[..., None, :]), axis=len(shape_of(last)))
    grad = ((table * later) * g_last[..., None, :]).sum(-1)
    return grad.movedim(-1, axis) if isinstance(grad, Tensor) else xp.moveaxis(grad, -1, axis)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """The running product along ``dim``; integer and bool tensors multiply as int64.

    Example:
        >>> import nerve
        >>> nerve.cumprod(nerve.tensor([1, 2, 3, 4]), dim=0)
        tensor([ 1,  2,  6, 24])
    """
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.long()
    if input._data.ndim == 0:
        return input.clone()
    return apply(Cumprod, input, axis=_check_dim(dim, input._data.ndim, "cumprod"))


def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """``num_samples`` category indices per row of non-negative weights ``input`` (1-D or
    2-D), with or without replacement. Not torch's stream of random numbers.

    Example:
        >>> import nerve
        >>> nerve.multinomial(nerve.tensor([0.0, 1.0, 0.0]), 2, replacement=True)
        tensor([1, 1])
        >>> _ = nerve.manual_seed(0)
        >>> nerve.multinomial(nerve.ones(2, 5), 3).shape
        nerve.Size([2, 3])
    """
    weights = input._data
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {weights.ndim}")
    if weights.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    n = weights.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    xp = xp_of(weights)
    rows = weights.reshape(-1, n).astype(dtypes.float64.np)
    if not bool(xp.isfinite(rows).all()) or bool((rows < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((rows.sum(axis=1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = numpy_generator(generator)
    uniform = rng.random((rows.shape[0], num_samples if replacement else n))
    if replacement:  # inverse of the cumulative distribution, row by row
        cdf = rows.cumsum(axis=1)
        cdf /= cdf[:, -1:]
        picks = [
            xp.searchsorted(cdf[i], xp.asarray(uniform[i]), side="right")
            for i in range(rows.shape[0])
        ]
        out = xp.minimum(xp.stack(picks), n - 1)
    else:  # exponential races: the smallest E_i / w_i arrive in the order sampling would draw
        with xp.errstate(divide="ignore"):
            keys = -xp.log1p(-xp.asarray(uniform)) / rows  # zero weight: never arrives (inf)
        # Zero weights arrive last (as torch, which does not raise when they are needed),
        # here in index order.
        out = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(out.reshape(weights.shape[:-1] + (num_samples,)).astype(_INT64))


def cdist(
    x1: Tensor,
    x2: Tensor,
    p: float = 2.0,
    compute_mode: str = "use_mm_for_euclid_dist_if_necessary",
) -> Tensor:
    """The p-norm distance between every row of ``x1`` (..., P, M) and of ``x2`` (..., R, M):
    a (..., P, R) tensor (batch dimensions broadcast). Computed directly, as torch's
    ``donot_use_mm_for_euclid_dist`` (its exact mode).

    Example:
        >>> import nerve
        >>> nerve.cdist(nerve.tensor([[0.0, 0.0], [1.0, 1.0]]), nerve.tensor([[3.0, 4.0]]))
        tensor([[5.0000],
                [3.6056]])
    """
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(
            f"cdist only supports at least 2D tensors, X1 got: {x1.dim()}D, X2 got: {x2.dim()}D"
        )
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}"
        )
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    if x1._data.dtype.kind != "f" or x2._data.dtype.kind != "f":
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: {x1.dtype}")
    from .spread import norm

    difference = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return norm(difference, p, dim=-1)


TENSOR_METHODS = {
    "diag": diag,
    "diagonal": diagonal,
    "diag_embed": diag_embed,
    "trace": trace,
    "repeat_interleave": repeat_interleave,
    "bincount": bincount,
    "cumprod": cumprod,
    "multinomial": multinomial,
}

__all__ = ["bincount", "cdist", "cumprod", "diag", "diag_embed", "diagonal", "meshgrid"]
__all__ += ["multinomial", "repeat_interleave", "trace"]
