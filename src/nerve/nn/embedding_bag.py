"""``F.embedding_bag`` and ``nn.EmbeddingBag``: the rows of a lookup table for each bag of ids,
summed, averaged or maxed into one vector per bag (torch's names, arguments and errors).

Built from existing ops (an embedding lookup, a row selection, ``index_add`` for the sums and
a max over a padded (bags, longest bag, dim) block), so the gradients come from theirs."""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import empty, zeros
from ..ops.join import cat
from ..tensor import Tensor
from . import init
from .functional_seq import embedding
from .module import Module
from .parameter import Parameter

__all__ = ["EmbeddingBag", "embedding_bag"]


def _bags(
    input: Tensor, offsets: Tensor | None, include_last_offset: bool, weights: Tensor | None
) -> tuple[Tensor, Any, Tensor | None]:
    """The ids as one vector, each bag's start, the per-sample weights as one vector (torch's
    checks): a 2-D input is a batch of bags of one length."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a mini-batch "
                f"of fixed length sequences. However, found offsets of type {type(offsets)}"
            )
        xp = input.device.xp
        starts = (
            xp.arange(0, input.numel(), input.shape[1])
            if input.shape[1]
            else xp.zeros(input.shape[0], dtype=int)
        )
        flat_weights = None if weights is None else weights.reshape(-1)
        return input.reshape(-1), starts, flat_weights
    if input.dim() != 1:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}"
        )
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = offsets._data
    if len(starts) and int(starts[0]) != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {int(starts[0])}"
        )
    size = input.shape[0]
    if len(starts) and (bool((starts[1:] < starts[:-1]).any()) or int(starts[-1]) > size):
        raise ValueError(
            f"embedding_bag: offsets must be non-decreasing and at most the input's length "
            f"{size}, got {starts.tolist()}"
        )
    if include_last_offset:
        if not len(starts):
            raise ValueError("embedding_bag: include_last_offset needs at least one offset")
        input = input[: int(starts[-1])]
        weights = None if weights is None else weights[: int(starts[-1])]
        starts = starts[:-1]
    return input, starts, weights


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """One vector per bag: the ``mode`` ("sum", "mean" or "max") of the rows of ``weight`` that
    the bag's ids pick. ``input`` is (B, N) (B bags of N ids) or 1-D, cut into bags at
    ``offsets`` (each bag's start; with ``include_last_offset`` the last offset is the end).
    ``per_sample_weights`` (``mode="sum"`` only) scales each id's row; ids equal to
    ``padding_idx`` are left out of their bag (and of a mean's count); an empty bag gives zeros.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> weight = nerve.tensor([[1.0, 1.0], [2.0, 0.0], [0.0, 4.0]])
        >>> F.embedding_bag(nerve.tensor([0, 1, 2, 2]), weight, nerve.tensor([0, 3]), mode="sum")
        tensor([[3., 5.],
                [0., 4.]])
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({input.shape})"
        )
    if weight.dim() != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}"
        )
    ids, starts, weights = _bags(input, offsets, include_last_offset, per_sample_weights)
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub."
        )
    rows = embedding(ids, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    xp = weight.device.xp
    keep = xp.ones(ids.shape[0], dtype=bool)
    if padding_idx is not None:
        keep &= ids._data != padding_idx % weight.shape[0]
    kept = xp.nonzero(keep)[0]
    rows = rows[Tensor._make(kept)]
    if weights is not None:
        rows = rows * weights[Tensor._make(kept)].unsqueeze(-1)
    bag = xp.searchsorted(starts, kept, side="right") - 1  # the bag of each kept id
    count = xp.bincount(bag, minlength=len(starts))
    if mode == "max":
        return _bag_max(rows, bag, count)
    out = zeros(len(starts), weight.shape[1], dtype=weight.dtype, device=weight.device)
    out = out.index_add(0, Tensor._make(bag), rows)
    if mode == "mean":
        out = out / Tensor._make(xp.maximum(count, 1).astype(out._data.dtype)[:, None])
    return out


def _bag_max(rows: Tensor, bag: Any, count: Any) -> Tensor:
    """Each bag's elementwise max: the rows laid out as (bags, longest bag, dim), the gaps
    filled from a row of -inf; an empty bag gives zeros."""
    xp = rows.device.xp
    longest = int(count.max()) if len(count) else 0
    first = xp.concatenate([xp.zeros(1, dtype=count.dtype), xp.cumsum(count)[:-1]])
    slot = xp.arange(len(bag)) - first[bag]  # each row's place in its bag
    layout = xp.full((len(count), longest), len(bag))  # the -inf row where a bag is short
    layout[bag, slot] = xp.arange(len(bag))
    filler = empty(1, rows.shape[1], dtype=rows.dtype, device=rows.device).fill_(float("-inf"))
    padded = cat([rows, filler])[Tensor._make(layout)]
    if longest == 0:
        return padded.sum(dim=1)  # (bags, 0, dim): zeros
    out = padded.max(dim=1).values
    return out.masked_fill(Tensor._make(count[:, None] == 0), 0.0)


class EmbeddingBag(Module):
    """A lookup table (num_embeddings, embedding_dim) whose rows are summed, averaged (the
    default) or maxed over each bag of ids (see ``F.embedding_bag``): a bag-of-words text
    model's first layer. The weight starts N(0, 1); the ``padding_idx`` row starts at zero.

    Example:
        >>> import nerve
        >>> bag = nerve.nn.EmbeddingBag(10, 3, mode="sum")
        >>> ids, offsets = nerve.tensor([1, 2, 4, 5, 4, 3, 2, 9]), nerve.tensor([0, 4])
        >>> bag(ids, offsets).shape  # two bags
        nerve.Size([2, 3])
        >>> bag
        EmbeddingBag(10, 3, mode='sum')
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise AssertionError("padding_idx must be within num_embeddings")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(
                empty(num_embeddings, embedding_dim, device=device, dtype=dtype)
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise AssertionError(
                    "Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        """(B, embedding_dim): one vector per bag of ``input`` (see ``F.embedding_bag``)."""
        return embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm!r}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type!r}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq!r}"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx!r}"
        return text

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag holding ``embeddings`` (rows, dim) as its weight, frozen by default.

        Example:
            >>> import nerve
            >>> weight = nerve.tensor([[1, 2.3, 3], [4, 5.1, 6.3]])
            >>> bag = nerve.nn.EmbeddingBag.from_pretrained(weight)
            >>> bag(nerve.tensor([[1, 0]]))
            tensor([[2.5000, 3.7000, 4.6500]])
        """
        if embeddings.dim() != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            _weight=embeddings,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            mode=mode,
            sparse=sparse,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad = not freeze
        return bag
