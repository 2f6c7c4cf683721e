"""The Transformer decoder and the whole model: ``TransformerDecoderLayer`` (masked self-
attention, attention over the encoder's output ("memory") and a feed-forward block, each with
a residual connection and layer normalisation), ``TransformerDecoder`` (a stack of copies of
one layer) and ``Transformer`` (an encoder and a decoder), with torch.nn's names, parameters
and defaults."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..ops.unary import relu
from ..tensor import Tensor
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .norm import LayerNorm
from .transformer import (
    TransformerEncoder,
    TransformerEncoderLayer,
    _activation,
    _detect_is_causal_mask,
    attention_block,
    generate_square_subsequent_mask,
)

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer"]


class TransformerDecoderLayer(Module):
    """``x + SelfAttention(x)``, then ``x + Attention(x, memory)``, then ``x + FeedForward(x)``,
    each followed by LayerNorm (post-norm, the default) or preceded by it (``norm_first``);
    dropout after each block and inside the feed-forward block.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)
        >>> memory, tgt = nerve.zeros(3, 7, 8), nerve.zeros(3, 5, 8)
        >>> layer(tgt, memory).shape
        nerve.Size([3, 5, 8])
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        attention = {"dropout": dropout, "batch_first": batch_first, "bias": bias}
        self.self_attn = MultiheadAttention(d_model, nhead, **attention, **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **attention, **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """The target sequence ``tgt`` (T, N, E) (or (N, T, E) with ``batch_first``, or
        unbatched (T, E)) attending to itself and to ``memory`` (S, N, E); out as ``tgt``."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    # self-attention: the encoder layer's block (the same self_attn and dropout1)
    _sa_block = TransformerEncoderLayer._sa_block

    def _mha_block(
        self,
        x: Tensor,
        memory: Tensor,
        mask: Tensor | None,
        padding: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        return attention_block(
            self.multihead_attn, self.dropout2, x, memory, mask, padding, is_causal
        )

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` (deep copies: each learns its own weights),
    then an optional ``norm``. Without ``tgt_is_causal`` it checks whether ``tgt_mask`` is the
    square causal mask and tells the layers so (as torch does).

    Example:
        >>> import nerve
        >>> layer = nerve.nn.TransformerDecoderLayer(d_model=16, nhead=4, batch_first=True)
        >>> decoder = nerve.nn.TransformerDecoder(layer, num_layers=2)
        >>> memory, tgt = nerve.zeros(3, 10, 16), nerve.zeros(3, 6, 16)
        >>> decoder(tgt, memory).shape
        nerve.Size([3, 6, 16])
    """

    def __init__(
        self,
        decoder_layer: TransformerDecoderLayer,
        num_layers: int,
        norm: Module | None = None,
    ) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """``tgt`` through every layer in turn (each attending to ``memory``), then ``norm``."""
        batch_first = bool(self.layers[0].self_attn.batch_first) if len(self.layers) else False
        seq_len = tgt.shape[0] if tgt.dim() == 2 else tgt.shape[1 if batch_first else 0]
        causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for layer in self.layers:
            output = layer(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """An encoder (``num_encoder_layers`` layers and a final LayerNorm) reads ``src``; a
    decoder (``num_decoder_layers`` layers and a final LayerNorm) reads ``tgt`` and attends to
    the encoder's output. Every weight matrix starts Xavier-uniform, as in torch.

    Example:
        >>> import nerve
        >>> model = nerve.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1,
        ...                              num_decoder_layers=1, dim_feedforward=32, batch_first=True)
        >>> src, tgt = nerve.zeros(2, 10, 16), nerve.zeros(2, 6, 16)  # (batch, sequence, feature)
        >>> mask = nerve.nn.Transformer.generate_square_subsequent_mask(6)
        >>> model(src, tgt, tgt_mask=mask).shape
        nerve.Size([2, 6, 16])

    With the default ``batch_first=False`` the encoder warns, as torch's, that its evaluation
    fast path is off (sequences first are (sequence, batch, feature)).
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        layer_args = (
            d_model,
            nhead,
            dim_feedforward,
            dropout,
            activation,
            layer_norm_eps,
            batch_first,
            norm_first,
            bias,
        )
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            encoder_layer = TransformerEncoderLayer(*layer_args, **factory)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            decoder_layer = TransformerDecoderLayer(*layer_args, **factory)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """``src`` (S, N, E) through the encoder, then ``tgt`` (T, N, E) through the decoder
        (``batch_first``: (N, S, E) and (N, T, E); unbatched: (S, E) and (T, E))."""
        batch_axis = 0 if self.batch_first else 1
        if src.dim() == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """A float (sz, sz) causal mask: 0 on and below the diagonal, -inf above it.

        Example:
            >>> import nerve
            >>> nerve.nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[0., -inf, -inf],
                    [0., 0., -inf],
                    [0., 0., 0.]])
        """
        return generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        """Xavier-uniform for every parameter of two or more dimensions (torch's)."""
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
