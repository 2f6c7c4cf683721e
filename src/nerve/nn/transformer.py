"""The Transformer encoder: ``TransformerEncoderLayer`` (self-attention and a feed-forward
block, each with a residual connection and layer normalisation) and ``TransformerEncoder``, a
stack of copies of one layer (torch.nn's names, parameters and defaults)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import is_grad_enabled
from ..backend import dtypes
from ..creation import full
from ..ops.nn_ops import gelu
from ..ops.unary import relu
from ..tensor import Tensor
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .norm import LayerNorm

__all__ = ["TransformerEncoder", "TransformerEncoderLayer", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """A float (sz, sz) causal mask: 0 on and below the diagonal, -inf above it (position i may
    attend to positions 0..i), as nn.Transformer.generate_square_subsequent_mask."""
    dtype = dtypes.float32 if dtype is None else dtype
    return full((sz, sz), float("-inf"), dtype=dtype, device=device).triu(diagonal=1)


def _activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    if isinstance(activation, str):
        raise RuntimeError(f"activation should be relu/gelu, not {activation}")
    return activation


def attention_block(
    attention: Module,
    dropout: Module,
    x: Tensor,
    source: Tensor,
    mask: Tensor | None,
    padding: Tensor | None,
    is_causal: bool,
) -> Tensor:
    """A transformer layer's attention step before its residual sum: ``x`` attends to
    ``source`` (itself, or the decoder's memory) through ``attention``, then ``dropout``."""
    out = attention(
        x,
        source,
        source,
        attn_mask=mask,
        key_padding_mask=padding,
        need_weights=False,
        is_causal=is_causal,
    )[0]
    return dropout(out)


class TransformerEncoderLayer(Module):
    """``x + SelfAttention(x)`` then ``x + FeedForward(x)``, each followed by LayerNorm (post-
    norm, the default) or preceded by it (``norm_first``); dropout after the attention, inside
    the feed-forward block and after it.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> layer(nerve.zeros(3, 5, 8)).shape
        nerve.Size([3, 5, 8])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation_relu_or_gelu = activation in ("relu", "gelu") or activation in (
            relu,
            gelu,
        )
        self.activation = _activation(activation)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(
        self, x: Tensor, mask: Tensor | None, padding: Tensor | None, is_causal: bool
    ) -> Tensor:
        return attention_block(self.self_attn, self.dropout1, x, x, mask, padding, is_causal)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (deep copies: each learns its own weights),
    then an optional ``norm``.

    torch runs an evaluation-only fast path (nested tensors) for batch-first stacks given a
    ``src_key_padding_mask``: the outputs at padded positions come back as zeros. nerve
    computes every position but gives those positions the same zeros in the same case, so
    that a model's outputs agree; ``use_nested_tensor`` says whether the case applies.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.TransformerEncoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> encoder = nerve.nn.TransformerEncoder(layer, num_layers=2)
        >>> encoder(nerve.zeros(3, 10, 16)).shape  # 3 sequences of 10 tokens
        nerve.Size([3, 10, 16])
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                f"enable_nested_tensor is True, but self.use_nested_tensor is False because "
                f"{why_not}",
                stacklevel=2,
            )
        self.use_nested_tensor = enable_nested_tensor and not why_not

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        causal = _detect_is_causal_mask(mask, is_causal, src.shape[1 if self._batch_first else 0])
        output = src
        for layer in self.layers:
            output = layer(
                output, src_mask=mask, is_causal=causal, src_key_padding_mask=src_key_padding_mask
            )
        if self._zeros_padding(src, mask, src_key_padding_mask):
            keep = src_key_padding_mask
            if keep is not None and keep._data.dtype.kind != "b":  # a float mask: -inf pads
                keep = keep != 0
            output = output.masked_fill(keep.unsqueeze(-1), 0.0)  # type: ignore[union-attr]
        if self.norm is not None:
            output = self.norm(output)
        return output

    @property
    def _batch_first(self) -> bool:
        return bool(self.layers[0].self_attn.batch_first) if len(self.layers) else False

    def _zeros_padding(self, src: Tensor, mask: Tensor | None, padding: Tensor | None) -> bool:
        """Whether torch would take its nested-tensor path (padded outputs become zeros)."""
        if not self.use_nested_tensor or self.training or padding is None or mask is not None:
            return False
        if src.dim() != 3 or padding.dim() != 2:
            return False
        # torch leaves the fast path whenever a gradient is being recorded
        return not (is_grad_enabled() and any(p.requires_grad for p in self.parameters()))


def _why_not_nested(layer: Module) -> str:
    """Why torch's nested-tensor fast path cannot be used for this layer ("" when it can)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    if layer.norm_first:
        return "encoder_layer.norm_first was True"
    if not layer.self_attn.batch_first:
        return (
            # torch's text, its missing space included
            "encoder_layer.self_attn.batch_first was not True(use batch_first for better "
            "inference performance)"
        )
    if not layer.self_attn._qkv_same_embed_dim:
        return "encoder_layer.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return "encoder_layer.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return "encoder_layer.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return "num_head is odd"
    return ""


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None, size: int) -> bool:
    """``is_causal`` when given; otherwise whether ``mask`` is the square causal mask."""
    if is_causal is not None:
        return is_causal
    if mask is None or tuple(mask.shape) != (size, size):
        return False
    causal = generate_square_subsequent_mask(size, device=mask.device)
    if mask._data.dtype.kind == "b":
        return bool((mask == (causal != 0)).all().item())
    return bool((mask.to(causal.dtype) == causal).all().item())
