"""TransformerDecoderLayer, TransformerDecoder and Transformer against torch 2.13: parameter
names, shapes and state_dict keys; outputs and the gradients of both inputs and of every
parameter (float64, float32) for post-/pre-norm, relu/gelu/callable, batch_first, without bias,
unbatched; causal, memory and key-padding masks; the is_causal hints; dropout in train/eval;
torch's errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, close, copy_parameters, record  # noqa: E402

RNG = np.random.default_rng(0)
CONFIGS = {
    "post-norm": {},
    "pre-norm-gelu-batch-first": {"norm_first": True, "activation": "gelu", "batch_first": True},
    "no-bias": {"bias": False},
    "callable-activation": {"activation": "tanh"},  # replaced by the libraries' tanh below
}


def _cfg(config: str, lib: Any) -> dict[str, Any]:
    cfg = dict(CONFIGS[config])
    if cfg.get("activation") == "tanh":
        cfg["activation"] = lib.tanh
    return cfg


def _run(
    ours: Any,
    theirs: Any,
    arrays: list[np.ndarray],
    dtype: Any,
    kwargs: dict[str, Any] | None = None,
) -> None:
    """Forward both modules on the same float inputs (with the same masks), backward a random
    upstream gradient; compare outputs and the gradients of the inputs and parameters."""
    kwargs = kwargs or {}
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_parameters(ours, theirs)
    xs_n = [nerve.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    xs_t = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]

    def masks(lib: Any) -> dict[str, Any]:
        arrays = {k: v for k, v in kwargs.items() if k.endswith("mask")}
        return {
            k: lib.tensor(v.astype(dtype) if v.dtype.kind == "f" else v) for k, v in arrays.items()
        }

    hints = {k: v for k, v in kwargs.items() if k.endswith("causal")}
    out_n = ours(*xs_n, **masks(nerve), **hints)
    out_t = theirs(*xs_t, **masks(torch), **hints)
    close(out_n, out_t, dtype, "output")
    upstream = np.random.default_rng(1).standard_normal(tuple(out_t.shape)).astype(dtype)
    record(out_n, "torch")
    out_n.backward(nerve.tensor(upstream))
    out_t.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(xs_n, xs_t)):
        close(a.grad, b.grad, dtype, f"gradient of input {i}")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, dtype, f"gradient of {name}")


def _inputs(batch_first: bool, batched: bool = True) -> list[np.ndarray]:
    if not batched:
        return [RNG.standard_normal((5, 8)), RNG.standard_normal((6, 8))]
    shape_t, shape_m = ((3, 5, 8), (3, 6, 8)) if batch_first else ((5, 3, 8), (6, 3, 8))
    return [RNG.standard_normal(shape_t), RNG.standard_normal(shape_m)]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
def test_decoder_layer_matches_torch(config: str, dtype: Any) -> None:
    ours = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **_cfg(config, nerve))
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, **_cfg(config, torch))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape)
    _run(ours, theirs, _inputs(CONFIGS[config].get("batch_first", False)), dtype)


def test_unbatched_decoder_layer_matches_torch() -> None:
    ours = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)
    theirs = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)
    causal = nn.Transformer.generate_square_subsequent_mask(5, dtype=nerve.float64).numpy()
    _run(ours, theirs, _inputs(False, batched=False), np.float64, {"tgt_mask": causal})


def _masks(kind: str, batch: int = 3, t: int = 5, s: int = 6) -> dict[str, Any]:
    causal = nn.Transformer.generate_square_subsequent_mask(t, dtype=nerve.float64).numpy()
    tgt_pad = np.zeros((batch, t), bool)
    tgt_pad[0, -1] = True
    mem_pad = np.zeros((batch, s), bool)
    mem_pad[1, -2:] = True
    memory_mask = np.zeros((t, s), bool)
    memory_mask[0, 3:] = True
    if kind == "causal":
        return {"tgt_mask": causal}
    if kind == "causal-hint":
        return {"tgt_mask": causal, "tgt_is_causal": True}
    if kind == "padding":
        return {"tgt_key_padding_mask": tgt_pad, "memory_key_padding_mask": mem_pad}
    # all of them, float masks throughout (torch warns on a mix of bool and float)
    return {
        "tgt_mask": causal,
        "memory_mask": np.where(memory_mask, -np.inf, 0.0),
        "tgt_key_padding_mask": np.where(tgt_pad, -np.inf, 0.0),
        "memory_key_padding_mask": np.where(mem_pad, -np.inf, 0.0),
    }


@pytest.mark.parametrize("masks", ["causal", "causal-hint", "padding", "all"])
@pytest.mark.parametrize("config", ["post-norm", "pre-norm-gelu-batch-first"])
def test_decoder_with_masks_matches_torch(config: str, masks: str) -> None:
    cfg = CONFIGS[config]
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, **cfg), 2, nn.LayerNorm(8))
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(8, 2, 16, **cfg), 2, torch.nn.LayerNorm(8)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    _run(ours, theirs, _inputs(cfg.get("batch_first", False)), np.float64, _masks(masks))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(batch_first: bool, dtype: Any) -> None:
    options = {"dim_feedforward": 16, "batch_first": batch_first}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the nested-tensor notice, both sides
        ours = nn.Transformer(8, 2, 2, 2, **options)
        theirs = torch.nn.Transformer(8, 2, 2, 2, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    ours.eval()
    theirs.eval()
    src, tgt = _inputs(batch_first)
    masks = _masks("all", t=6, s=5)  # here the memory is src (5 long), tgt 6 long
    masks.pop("tgt_key_padding_mask")
    masks["memory_key_padding_mask"] = masks["memory_key_padding_mask"][:, :5]
    masks["src_key_padding_mask"] = masks["memory_key_padding_mask"]
    _run(ours, theirs, [src, tgt], dtype, masks)


def test_transformer_loads_torch_weights_and_initialises_like_torch() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = torch.nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
        ours = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True)
    state = {k: nerve.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    src, tgt = RNG.standard_normal((2, 4, 8)), RNG.standard_normal((2, 3, 8))
    out_t = theirs(torch.tensor(src, dtype=torch.float32), torch.tensor(tgt, dtype=torch.float32))
    out_n = ours(nerve.tensor(src, dtype=nerve.float32), nerve.tensor(tgt, dtype=nerve.float32))
    close(out_n, out_t, np.float32, "output with torch's weights")
    # every matrix Xavier-uniform (bound sqrt(6 / (fan_in + fan_out))), vectors as the layers set
    w = ours.decoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(6 / (8 + 16)) and w.std() > 0.1
    assert not ours.encoder.layers[0].self_attn.in_proj_bias.detach().numpy().any()


def test_generate_square_subsequent_mask_and_causal_detection() -> None:
    mask_n = nn.Transformer.generate_square_subsequent_mask(4)
    mask_t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert np.array_equal(mask_n.numpy(), mask_t.numpy()) and mask_n.dtype == nerve.float32
    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0), 1)
    seen = []
    decoder.layers[0].register_forward_pre_hook(
        lambda m, args, kwargs: seen.append(kwargs["tgt_is_causal"]), with_kwargs=True
    )
    tgt, memory = nerve.zeros(4, 2, 8), nerve.zeros(3, 2, 8)
    decoder(tgt, memory, tgt_mask=mask_n)
    decoder(tgt, memory, tgt_mask=mask_n, tgt_is_causal=False)
    decoder(tgt, memory, tgt_mask=nerve.zeros(4, 4))
    assert seen == [True, False, False]


def test_dropout_in_train_and_eval() -> None:
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.5)
    tgt, memory = nerve.randn(5, 3, 8), nerve.randn(6, 3, 8)
    assert not np.allclose(layer(tgt, memory).detach().numpy(), layer(tgt, memory).detach().numpy())
    layer.eval()
    assert np.array_equal(layer(tgt, memory).detach().numpy(), layer(tgt, memory).detach().numpy())


def test_errors_match_torch() -> None:
    for lib in (nn, torch.nn):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.TransformerDecoderLayer(8, 2, activation="tanh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        models = [lib.Transformer(8, 2, 1, 1, 16) for lib in (nn, torch.nn)]
    for model, lib in zip(models, (nerve, torch)):
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(lib.zeros(4, 2, 8), lib.zeros(3, 3, 8))
        with pytest.raises(RuntimeError, match="must be equal to d_model"):
            model(lib.zeros(4, 2, 6), lib.zeros(3, 2, 6))
