"""Functionals of the sequence models: ``embedding``, ``scaled_dot_product_attention`` and
``multi_head_attention_forward`` (torch.nn.functional's names and arguments).

Attention is composed of existing ops (matmul, softmax, masked_fill, where), so its gradients,
double backward included, come from theirs; only the embedding lookup is an op of its own
(``ops/embedding.py``), because its gradient is a scatter with a padding row and frequencies.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..autograd.node import apply
from ..backend import dtypes
from ..creation import ones, zeros
from ..ops.embedding import Embedding
from ..ops.join import cat
from ..ops.nn_ops import linear
from ..ops.softmax import softmax
from ..tensor import Tensor

__all__ = ["embedding", "multi_head_attention_forward", "scaled_dot_product_attention"]


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input``: a lookup table.

    ``padding_idx``'s row gets no gradient; with ``max_norm`` the rows looked up are first
    rescaled in place to a ``norm_type``-norm of at most ``max_norm`` (as torch, outside
    autograd); ``scale_grad_by_freq`` divides each row's gradient by its count in ``input``.
    """
    if not isinstance(input, Tensor) or input._data.dtype.kind not in "iu":
        what = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {what} instead (while checking arguments for embedding)"
        )
    if weight.dim() != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a weight of shape {list(weight.shape)}")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % rows
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by nerve")
    indices = input._data
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= rows):
        bad = int(indices.max()) if int(indices.max()) >= rows else int(indices.min())
        raise IndexError(
            f"index out of range in self: embedding index {bad} of a table of {rows} rows "
            f"(expected indices in [0, {rows - 1}])"
        )
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    return apply(
        Embedding,
        weight,
        indices=indices,
        padding_idx=padding_idx,
        scale_grad_by_freq=scale_grad_by_freq,
    )


def _renorm_rows(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """Scale the rows of ``weight`` named in ``indices`` whose norm exceeds ``max_norm`` down
    to it, in place (torch's embedding_renorm_, with its 1e-7 guard)."""
    xp = weight.device.xp
    used = xp.unique(indices.reshape(-1))
    with no_grad():
        table = weight._data
        rows = table[used]
        norms = (xp.abs(rows) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        big = norms > max_norm
        if bool(big.any()):
            scale = (max_norm / (norms[big] + 1e-7)).astype(table.dtype)
            table[used[big]] = rows[big] * scale[:, None]
            weight._bump_version()  # a saved copy of the old weight now fails its check


# -- attention ---------------------------------------------------------------------------


def _neg_inf_rows(scores: Tensor) -> Any:
    """A bool array marking the rows of ``scores`` that are -inf throughout (nothing to attend
    to), or None when there is none."""
    xp = scores.device.xp
    data = scores._data
    dead = xp.isneginf(data).all(axis=-1, keepdims=True)
    return dead if bool(dead.any()) else None


def _float_mask(mask: Tensor, like: Tensor, masked_is_true: bool, name: str) -> Tensor:
    """A bool mask as an additive float mask (0 or -inf) in ``like``'s dtype; a float mask
    as it is. ``masked_is_true`` says whether True means "do not attend" (nn.MultiheadAttention)
    or "attend" (scaled_dot_product_attention)."""
    kind = mask._data.dtype.kind
    if kind == "b":
        blocked = mask if masked_is_true else mask.logical_not()
        return zeros(mask.shape, dtype=like.dtype, device=like.device).masked_fill(
            blocked, float("-inf")
        )
    if kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask if mask.dtype is like.dtype else mask.to(like.dtype)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dimensions, (..., L, E) queries
    against (..., S, E) keys and (..., S, Ev) values.

    A bool ``attn_mask`` marks with True where a query may attend; a float one is added to the
    scores. ``is_causal`` lets query i see keys 0..i only. A query that may attend to nothing
    gets zeros (and zero gradients), as torch. ``dropout_p`` applies whenever it is > 0.
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "scaled_dot_product_attention: query, key and value need at least 2 dimensions "
            f"(..., sequence, features); got {list(query.shape)}, {list(key.shape)} and "
            f"{list(value.shape)}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query {list(query.shape)}, key {list(key.shape)} "
            f"and value {list(value.shape)} do not fit: expected query and key to share the "
            "last dimension and key and value the sequence dimension (-2)"
        )
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        key, value = _repeat_heads(key, query.shape[-3]), _repeat_heads(value, query.shape[-3])
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.mT) * factor
    length, source = query.shape[-2], key.shape[-2]
    if is_causal:
        allowed = ones(length, source, dtype=dtypes.bool_, device=query.device).tril()
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    elif attn_mask is not None:
        if attn_mask._data.dtype.kind == "b":
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + _float_mask(attn_mask, scores, False, "attn_mask")
    weights = _safe_softmax(scores)
    if dropout_p > 0:
        from .functional import dropout

        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dimension, with rows that are -inf throughout giving zeros (and a
    zero gradient) instead of NaN."""
    dead = _neg_inf_rows(scores)
    if dead is None:
        return softmax(scores, dim=-1)
    dead_t = Tensor._make(dead)
    return softmax(scores.masked_fill(dead_t, 0.0), dim=-1).masked_fill(dead_t, 0.0)


def _repeat_heads(x: Tensor, heads: int) -> Tensor:
    """(..., Hk, S, E) key/value heads, each repeated to serve heads // Hk query heads."""
    groups = x.shape[-3]
    if heads % groups:
        raise RuntimeError(
            f"scaled_dot_product_attention: enable_gqa needs the number of query heads ({heads}) "
            f"to be a multiple of the number of key/value heads ({groups})"
        )
    lead, (s, e) = tuple(x.shape[:-3]), tuple(x.shape[-2:])
    grown = x.unsqueeze(-3).expand(*lead, groups, heads // groups, s, e)
    return grown.reshape(*lead, heads, s, e)


def _in_projection(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    weights: tuple[Tensor, Tensor, Tensor],
    biases: tuple[Tensor | None, Tensor | None, Tensor | None],
    packed: Tensor | None,
    packed_bias: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Q, K and V projections; self-attention with a packed weight takes one product."""
    if packed is not None and query is key and key is value:
        q, k, v = linear(query, packed, packed_bias).chunk(3, dim=-1)
        return q, k, v
    return (
        linear(query, weights[0], biases[0]),
        linear(key, weights[1], biases[1]),
        linear(value, weights[2], biases[2]),
    )


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs: query (L, N, E), key (S, N, Ek), value
    (S, N, Ev), or unbatched (L, E). Returns the output (L, N, E) and, with ``need_weights``,
    the attention weights (N, L, S), or per head (N, heads, L, S) without averaging.

    In ``attn_mask`` and ``key_padding_mask`` a True marks what may NOT be attended to; float
    masks are added to the scores."""
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    head_dim = embed_dim // num_heads
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    source = key.shape[0]
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(
            f"key shape {list(key.shape)} does not match value shape {list(value.shape)}"
        )
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, source):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(batch, source)}, but got "
                f"{tuple(key_padding_mask.shape)}"
            )
        key_padding_mask = _float_mask(key_padding_mask, query, True, "key_padding_mask")
    if attn_mask is not None:
        attn_mask = _float_mask(attn_mask, query, True, "attn_mask")
        expected = (length, source) if attn_mask.dim() == 2 else (batch * num_heads, length, source)
        if tuple(attn_mask.shape) != expected:
            raise RuntimeError(
                f"The shape of the {attn_mask.dim()}D attn_mask is {list(attn_mask.shape)}, but "
                f"should be {expected}."
            )
        if attn_mask.dim() == 2:
            attn_mask = attn_mask.unsqueeze(0)
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but a projection weight is None")
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
        packed = None
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        weights = in_proj_weight.chunk(3)  # type: ignore[assignment]
        packed = in_proj_weight
    biases = (None, None, None) if in_proj_bias is None else tuple(in_proj_bias.chunk(3))
    q, k, v = _in_projection(query, key, value, weights, biases, packed, in_proj_bias)  # type: ignore[arg-type]
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, batch, embed_dim)])
        v = cat([v, bias_v.expand(1, batch, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    # (L, N, E) -> (N * heads, L, head_dim): heads become batch entries
    q = q.reshape(length, batch * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, batch * num_heads, head_dim)
    v = _heads(v, static_v, batch * num_heads, head_dim)
    if add_zero_attn:
        k = cat([k, zeros(batch * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(batch * num_heads, 1, head_dim, dtype=v.dtype, device=v.device)], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    source = k.shape[1]
    if key_padding_mask is not None:
        padding = key_padding_mask.reshape(batch, 1, 1, source).expand(batch, num_heads, 1, source)
        padding = padding.reshape(batch * num_heads, 1, source)
        attn_mask = padding if attn_mask is None else attn_mask + padding
    if not training:
        dropout_p = 0.0
    scores = (q * math.sqrt(1.0 / head_dim)) @ k.mT
    if attn_mask is not None:
        scores = scores + attn_mask
    if need_weights:
        # as torch: a fully masked row gives NaN here (NumPy's warning about it silenced)
        with np.errstate(invalid="ignore"):
            weights_out = softmax(scores, dim=-1)
    else:
        weights_out = _safe_softmax(scores)  # as torch's scaled_dot_product_attention path
    if dropout_p > 0:
        from .functional import dropout

        weights_out = dropout(weights_out, dropout_p, training=True)
    out = (weights_out @ v).transpose(0, 1).reshape(length * batch, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(length, batch, embed_dim)
    averaged = None
    if need_weights:
        averaged = weights_out.reshape(batch, num_heads, length, source)
        if average_attn_weights:
            averaged = averaged.mean(dim=1)
        if not batched:
            averaged = averaged.squeeze(0)
    if not batched:
        out = out.squeeze(1)
    return out, averaged


def _check_mha_shapes(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    key_padding_mask: Tensor | None,
    attn_mask: Tensor | None,
    num_heads: int,
) -> bool:
    """Whether the inputs are batched (3-D query) or not (2-D), with torch's messages for
    dimensions that do not go together."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.dim()}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.dim() == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}"
                )
        return False
    raise AssertionError(
        f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D query "
        "tensor"
    )


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """A float mask with one more column of zeros (for an added bias or zero key)."""
    if mask is None:
        return None
    column = zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)
    return cat([mask, column], -1)


def _heads(x: Tensor, static: Tensor | None, rows: int, head_dim: int) -> Tensor:
    """(S, N, E) keys or values as (N * heads, S, head_dim), or the given static ones."""
    if static is None:
        return x.reshape(x.shape[0], rows, head_dim).transpose(0, 1)
    if tuple(static.shape[:1]) != (rows,) or static.shape[2] != head_dim:
        raise AssertionError(
            f"expecting static key/value of shape ({rows}, S, {head_dim}), got {list(static.shape)}"
        )
    return static
