"""Smaller Tensor methods torch scripts use: in-place view changes (``unsqueeze_``, ``t_``,
``transpose_`` ...), in-place forms of tril, triu, cumsum and cumprod, ``fill_diagonal_``,
``sum_to_size``, ``split_with_sizes``, ``apply_``/``map_``, the conjugate transposes ``H``/``mH``
(real tensors: the transposes), and what a tensor says about its memory (``data_ptr``,
``storage_offset``, ``nbytes`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .inplace import _check_leaf, _random_fill, apply_inplace, stand_in
from .misc import cumprod
from .reorder import tril, triu
from .shape import memory_owner, squeeze, t, transpose, unsqueeze
from .spread import cumsum

# -- in-place view changes ----------------------------------------------------------------


def _view_in_place(x: Tensor, view: Callable[[Tensor], Tensor]) -> Tensor:
    """``x`` re-viewed in place as ``view(x)``: the same memory with another shape or order,
    and, on a graph, the view op as its history (torch's in-place view ops)."""
    _check_leaf(x)
    alias = stand_in(x, x._data)  # x's memory and history, without x's own view links
    alias._vc = x._counter()
    result = view(alias)
    x._data = result._data
    if result.grad_fn is not None:
        x.grad_fn, x._output_nr = result.grad_fn, result._output_nr
    if x._base is not None:  # a view of a view: redo this one after the ones before
        outer = x._view_fn
        x._view_fn = lambda base: view(outer(base))
    return x


def unsqueeze_(x: Tensor, dim: int) -> Tensor:
    """In place: :meth:`Tensor.unsqueeze`.

    Example:
        >>> import nerve
        >>> nerve.ones(3).unsqueeze_(0).shape
        nerve.Size([1, 3])
    """
    return _view_in_place(x, lambda v: unsqueeze(v, dim))


def squeeze_(x: Tensor, dim: Any = None) -> Tensor:
    """In place: :meth:`Tensor.squeeze`.

    Example:
        >>> import nerve
        >>> nerve.ones(1, 3, 1).squeeze_().shape
        nerve.Size([3])
    """
    return _view_in_place(x, lambda v: squeeze(v, dim))


def t_(x: Tensor) -> Tensor:
    """In place: :meth:`Tensor.t`.

    Example:
        >>> import nerve
        >>> nerve.ones(2, 3).t_().shape
        nerve.Size([3, 2])
    """
    return _view_in_place(x, t)


def transpose_(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """In place: :meth:`Tensor.transpose` (also named ``swapdims_`` and ``swapaxes_``).

    Example:
        >>> import nerve
        >>> nerve.ones(2, 3, 4).transpose_(0, 2).shape
        nerve.Size([4, 3, 2])
    """
    return _view_in_place(x, lambda v: transpose(v, dim0, dim1))


# -- in-place forms of value ops ----------------------------------------------------------


def tril_(x: Tensor, diagonal: int = 0) -> Tensor:
    """In place: :func:`nerve.tril`.

    Example:
        >>> import nerve
        >>> nerve.ones(2, 2).tril_()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return apply_inplace(x, lambda v: tril(v, diagonal))


def triu_(x: Tensor, diagonal: int = 0) -> Tensor:
    """In place: :func:`nerve.triu`.

    Example:
        >>> import nerve
        >>> nerve.ones(2, 2).triu_(1)
        tensor([[0., 1.],
                [0., 0.]])
    """
    return apply_inplace(x, lambda v: triu(v, diagonal))


def cumsum_(x: Tensor, dim: int) -> Tensor:
    """In place: :func:`nerve.cumsum`.

    Example:
        >>> import nerve
        >>> nerve.tensor([1.0, 2.0, 3.0]).cumsum_(0)
        tensor([1., 3., 6.])
    """
    return apply_inplace(x, lambda v: cumsum(v, dim))


def cumprod_(x: Tensor, dim: int) -> Tensor:
    """In place: :func:`nerve.cumprod`.

    Example:
        >>> import nerve
        >>> nerve.tensor([1.0, 2.0, 3.0]).cumprod_(0)
        tensor([1., 2., 6.])
    """
    return apply_inplace(x, lambda v: cumprod(v, dim))


def fill_diagonal_(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal (all indices equal) to ``fill_value``, in place; ``wrap`` starts
    it again below a tall matrix's first square, as torch.

    Example:
        >>> import nerve
        >>> nerve.zeros(2, 3).fill_diagonal_(5)
        tensor([[5., 0., 0.],
                [0., 5., 0.]])
    """
    data = x._data
    if data.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if data.ndim > 2 and len(set(data.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(data.shape, dtype=bool)
    if data.ndim == 2 and wrap:  # NumPy's fill_diagonal wraps as torch does
        np.fill_diagonal(mask, True, wrap=True)
    else:
        index = np.arange(min(data.shape))
        mask[(index,) * data.ndim] = True
    keep = Tensor._make(mask)
    return apply_inplace(x, lambda v: v.masked_fill(keep, fill_value), (fill_value,))


# -- shapes -------------------------------------------------------------------------------


def sum_to_size(x: Tensor, *size: Any) -> Tensor:
    """Sum ``x`` down to ``size``, a shape it broadcasts from (the reverse of ``expand``).

    Example:
        >>> import nerve
        >>> nerve.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else size
    source = x._data.shape
    lead = len(source) - len(shape)
    if lead < 0 or any(n not in (1, m) for n, m in zip(shape, source[lead:])):
        raise RuntimeError(f"size {list(shape)} is not expandable to size {list(source)}.")
    axes = tuple(range(lead)) + tuple(
        lead + i for i, (n, m) in enumerate(zip(shape, source[lead:])) if n == 1 and m != 1
    )
    return x.sum(dim=axes, keepdim=True).reshape(shape) if axes else x


def split_with_sizes(x: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Split into pieces of the given sizes along ``dim`` (they must add up to its length).

    Example:
        >>> import nerve
        >>> nerve.arange(5).split_with_sizes([2, 3])
        (tensor([0, 1]), tensor([2, 3, 4]))
    """
    length = x.shape[dim]
    if sum(split_sizes) != length:
        raise RuntimeError(
            "split_with_sizes expects split_sizes to sum exactly to "
            f"{length} (input tensor's size at dimension {dim}), but got "
            f"split_sizes={list(split_sizes)}"
        )
    return tuple(x.split(list(split_sizes), dim))


def apply_(x: Tensor, callable: Callable[[Any], Any]) -> Tensor:  # noqa: A002 - torch's name
    """Replace each element ``v`` by ``callable(v)``, in place (a Python call per element:
    slow, for small tensors and tests; a tensor that requires a gradient refuses, as torch).

    Example:
        >>> import nerve
        >>> nerve.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
        tensor([10., 20.])
    """
    _no_graph(x, "apply_")
    values = [callable(v) for v in x._data.reshape(-1).tolist()]
    return _random_fill(x, np.asarray(values).reshape(x._data.shape))


def map_(x: Tensor, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:  # noqa: A002
    """Replace each element ``v`` by ``callable(v, w)``, ``w`` the matching element of
    ``tensor`` (broadcast to ``x``), in place (a Python call per element).

    Example:
        >>> import nerve
        >>> nerve.tensor([1.0, 2.0]).map_(nerve.tensor([3.0, 4.0]), lambda v, w: v + w)
        tensor([4., 6.])
    """
    _no_graph(x, "map_")
    _no_graph(tensor, "map_")
    others = np.broadcast_to(tensor._data, x._data.shape).reshape(-1).tolist()
    values = [callable(v, w) for v, w in zip(x._data.reshape(-1).tolist(), others)]
    return _random_fill(x, np.asarray(values).reshape(x._data.shape))


def _no_graph(x: Tensor, op: str) -> None:
    if x.requires_grad:
        raise RuntimeError(f"{op} is only implemented on CPU tensors that do not require grad")


def conjugate_transpose(x: Tensor) -> Tensor:
    """``H``: a real matrix's transpose (nerve has no complex dtypes)."""
    if x._data.ndim not in (0, 2):
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {x._data.ndim}-D tensor."
        )
    return x.t() if x._data.ndim else x


def batched_conjugate_transpose(x: Tensor) -> Tensor:
    """``mH`` and ``adjoint()``: the last two dimensions swapped (real tensors)."""
    if x._data.ndim < 2:
        raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices.")
    return x.mT


# -- what a tensor says about its memory ---------------------------------------------------


def data_ptr(x: Tensor) -> int:
    """The address of the tensor's first element.

    Example:
        >>> import nerve
        >>> x = nerve.zeros(4)
        >>> x[1:].data_ptr() - x.data_ptr() == x.element_size()
        True
    """
    data = x._data
    return int(data.ctypes.data) if isinstance(data, np.ndarray) else int(data.data.ptr)


def storage_offset(x: Tensor) -> int:
    """How many elements into its memory the tensor starts.

    Example:
        >>> import nerve
        >>> nerve.zeros(4)[1:].storage_offset()
        1
    """
    owner = memory_owner(x._data)
    if owner is x._data or not hasattr(owner, "itemsize"):
        return 0
    return (data_ptr(x) - data_ptr(Tensor._make(owner))) // owner.itemsize


def get_device(x: Tensor) -> int:
    """The CUDA device index of the tensor, or -1 on the CPU.

    Example:
        >>> import nerve
        >>> nerve.zeros(1).get_device()
        -1
    """
    index = x.device.index
    return -1 if x.device.type == "cpu" else int(index or 0)


def ndimension(x: Tensor) -> int:
    """The number of dimensions (torch's older name of ``dim()``).

    Example:
        >>> import nerve
        >>> nerve.zeros(2, 3).ndimension()
        2
    """
    return int(x._data.ndim)


def _unchanged(x: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """nerve keeps no pinned or shared memory apart: the tensor itself, as on the CPU."""
    return x


def _false(x: Tensor) -> bool:
    """nerve has no inference tensors, pinned or shared memory: False, as torch's CPU tensors
    outside those."""
    return False


TENSOR_METHODS: dict[str, Any] = {
    "unsqueeze_": unsqueeze_,
    "squeeze_": squeeze_,
    "t_": t_,
    "transpose_": transpose_,
    "swapdims_": transpose_,
    "swapaxes_": transpose_,
    "tril_": tril_,
    "triu_": triu_,
    "cumsum_": cumsum_,
    "cumprod_": cumprod_,
    "fill_diagonal_": fill_diagonal_,
    "sum_to_size": sum_to_size,
    "split_with_sizes": split_with_sizes,
    "apply_": apply_,
    "map_": map_,
    "adjoint": batched_conjugate_transpose,
    "data_ptr": data_ptr,
    "storage_offset": storage_offset,
    "get_device": get_device,
    "ndimension": ndimension,
    "is_inference": _false,
    "pin_memory": _unchanged,
    "is_pinned": _false,
    "share_memory_": _unchanged,
    "is_shared": _false,
}
