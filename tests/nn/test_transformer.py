"""TransformerEncoderLayer and TransformerEncoder against torch 2.13: outputs and every
gradient (float64, float32) for post-/pre-norm, relu/gelu, with and without bias, causal and
key-padding masks; torch's evaluation-time zeros at padded positions and its warning; one
training step of a tiny model in both libraries."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.nn.transformer import generate_square_subsequent_mask

torch = pytest.importorskip("torch")

from parity import DTYPE_IDS, DTYPES, check_module, close, copy_parameters  # noqa: E402

RNG = np.random.default_rng(0)
LAYERS = {
    "post-norm": {},
    "pre-norm-gelu-batch-first": {"norm_first": True, "activation": "gelu", "batch_first": True},
    "no-bias": {"bias": False},
}


def _encoders(cfg: dict[str, Any], layers: int = 2) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the nested-tensor notice, both sides
        ours = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(8, 2, 16, **cfg), layers, norm=nn.LayerNorm(8)
        )
        theirs = torch.nn.TransformerEncoder(
            torch.nn.TransformerEncoderLayer(8, 2, 16, **cfg), layers, norm=torch.nn.LayerNorm(8)
        )
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("config", list(LAYERS), ids=list(LAYERS))
def test_encoder_layer_matches_torch(config: str, dtype: Any) -> None:
    cfg = LAYERS[config]
    ours = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **cfg)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **cfg)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    check_module(ours, theirs, RNG.standard_normal((3, 5, 8)), dtype)


@pytest.mark.parametrize("masks", ["causal", "padding", "both"])
@pytest.mark.parametrize("config", list(LAYERS), ids=list(LAYERS))
def test_encoder_with_masks_matches_torch(config: str, masks: str) -> None:
    cfg = LAYERS[config]
    ours, theirs = _encoders(cfg)
    ours.double().eval()
    theirs.double().eval()
    copy_parameters(ours, theirs)
    first = cfg.get("batch_first", False)
    x = RNG.standard_normal((3, 5, 8) if first else (5, 3, 8))
    kwargs_n: dict[str, Any] = {}
    kwargs_t: dict[str, Any] = {}
    if masks in ("causal", "both"):
        causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
        kwargs_n["mask"] = generate_square_subsequent_mask(5, dtype=nerve.float64)
        kwargs_t["mask"] = causal
        assert np.array_equal(kwargs_n["mask"].numpy(), causal.numpy())
    if masks in ("padding", "both"):
        padding = np.zeros((3, 5), bool)
        padding[0, -2:] = True
        if masks == "both":  # the same type as the causal mask (torch warns on a mix)
            padding = np.where(padding, -np.inf, 0.0)
        kwargs_n["src_key_padding_mask"] = nerve.tensor(padding)
        kwargs_t["src_key_padding_mask"] = torch.tensor(padding)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_n, out_t = ours(xn, **kwargs_n), theirs(xt, **kwargs_t)
    close(out_n, out_t, np.float64, "output")
    g = RNG.standard_normal(tuple(out_t.shape))
    out_n.backward(nerve.tensor(g))
    out_t.backward(torch.tensor(g))
    close(xn.grad, xt.grad, np.float64, "input gradient")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, np.float64, f"gradient of {name}")


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
def test_evaluation_fast_path_zeros_padding_and_warning() -> None:
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2)
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]
    ours, theirs = _encoders({"batch_first": True})
    ours.eval()
    theirs.eval()
    copy_parameters(ours, theirs)
    x = RNG.standard_normal((3, 5, 8)).astype(np.float32)
    padding = np.zeros((3, 5), bool)
    padding[1, -2:] = True
    with nerve.no_grad(), torch.no_grad():
        out_n = ours(nerve.tensor(x), src_key_padding_mask=nerve.tensor(padding))
        out_t = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(padding))
    close(out_n, out_t, np.float32, "evaluation output with padding")
    assert not out_n.numpy()[1, -2:].any()  # padded positions are zeros, as torch's


def test_training_step_and_dropout() -> None:
    ours, theirs = _encoders({"batch_first": True, "dropout": 0.0})
    copy_parameters(ours, theirs)
    x = RNG.standard_normal((4, 6, 8)).astype(np.float32)
    target = RNG.standard_normal((4, 6, 8)).astype(np.float32)
    opt_n = nerve.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for model, opt, lib in ((ours, opt_n, nerve), (theirs, opt_t, torch)):
        loss = ((model(lib.tensor(x)) - lib.tensor(target)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p, q, np.float32, f"{name} after one step")
    dropped, _ = _encoders({"batch_first": True, "dropout": 0.5})
    xs = nerve.tensor(x)
    assert not np.allclose(dropped(xs).detach().numpy(), dropped(xs).detach().numpy())
    dropped.eval()
    assert np.array_equal(dropped(xs).detach().numpy(), dropped(xs).detach().numpy())


def test_activation_errors() -> None:
    for lib in (nn, torch.nn):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.TransformerEncoderLayer(8, 2, activation="tanh")
