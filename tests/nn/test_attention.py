"""F.scaled_dot_product_attention and nn.MultiheadAttention against torch 2.13: values,
attention weights and every gradient (float64 and float32) over masks (bool, float, causal,
key padding), need_weights / average_attn_weights, batch_first, separate key/value sizes,
bias_k/bias_v, zero attention, unbatched inputs; second order; torch's errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F
from nerve import nn

torch = pytest.importorskip("torch")

from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_second_order,
    close,
    copy_parameters,
    record,
)

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _qkv(batch: tuple[int, ...] = (2, 3), length: int = 4, source: int = 5) -> list[np.ndarray]:
    return [
        RNG.standard_normal((*batch, length, 6)),
        RNG.standard_normal((*batch, source, 6)),
        RNG.standard_normal((*batch, source, 7)),
    ]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale", "dead-rows"])
def test_sdpa_matches_torch(kind: str, dtype: Any) -> None:
    q, k, v = _qkv()
    inputs, kwargs = [q, k, v], {}
    if kind == "bool":
        inputs.append(RNG.random((4, 5)) < 0.6)
    elif kind == "float":
        inputs.append(RNG.standard_normal((3, 4, 5)))
    elif kind == "causal":
        kwargs["is_causal"] = True
    elif kind == "scale":
        kwargs["scale"] = 0.3
    elif kind == "dead-rows":  # a query allowed to see nothing: zeros and zero gradients
        mask = RNG.random((2, 1, 4, 5)) < 0.5
        mask[0, 0, 1] = False
        inputs.append(mask)
    check_function(
        F.scaled_dot_product_attention,
        TF.scaled_dot_product_attention,
        inputs,
        dtype,
        grads=(0, 1, 2) + ((3,) if kind == "float" else ()),
        **kwargs,
    )


def test_sdpa_grouped_query_heads_and_second_order() -> None:
    q = RNG.standard_normal((1, 4, 3, 2))
    k, v = RNG.standard_normal((1, 2, 5, 2)), RNG.standard_normal((1, 2, 5, 2))
    check_function(
        F.scaled_dot_product_attention,
        TF.scaled_dot_product_attention,
        [q, k, v],
        grads=(0, 1, 2),
        enable_gqa=True,
    )
    keys = RNG.standard_normal((2, 5, 3))

    def fn(lib: Any, x: Any) -> Any:
        functional = F if lib is nerve else TF
        kt = lib.tensor(keys)
        return functional.scaled_dot_product_attention(x, kt, kt * 2, is_causal=True).sum()

    check_second_order(fn, RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 3)))


def test_sdpa_errors() -> None:
    q, k, v = (nerve.zeros(1, 2, 3) for _ in range(3))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=nerve.ones(2, 2), is_causal=True)
    with pytest.raises(RuntimeError, match="do not fit"):
        F.scaled_dot_product_attention(q, nerve.zeros(1, 2, 4), v)


MODULES = {
    "plain": {},
    "batch-first": {"batch_first": True},
    "kdim-vdim": {"kdim": 5, "vdim": 6},
    "bias-kv": {"add_bias_kv": True},
    "zero-attn": {"add_zero_attn": True},
    "no-bias": {"bias": False},
}
CALLS = {
    "weights": {},
    "no-weights": {"need_weights": False},
    "per-head": {"average_attn_weights": False},
    "bool-mask": {"attn_mask": "bool"},
    "float-mask-3d": {"attn_mask": "float"},
    "padding": {"key_padding_mask": True, "need_weights": False},
    "causal": {"attn_mask": "causal", "is_causal": True},
}


def _module_inputs(
    cfg: dict[str, Any], call: dict[str, Any], dtype: Any
) -> tuple[list[Any], dict[str, Any]]:
    length, source, batch = 4, 5, 3
    if call.get("attn_mask") == "causal":
        source = length
    first = cfg.get("batch_first", False)

    def shape(n: int, e: int) -> tuple[int, int, int]:
        return (batch, n, e) if first else (n, batch, e)

    arrays = [
        RNG.standard_normal(shape(length, 8)),
        RNG.standard_normal(shape(source, cfg.get("kdim", 8))),
        RNG.standard_normal(shape(source, cfg.get("vdim", 8))),
    ]
    options: dict[str, Any] = {}
    mask = call.get("attn_mask")
    if mask == "bool":
        blocked = RNG.random((length, source)) < 0.3
        blocked[:, 0] = False
        options["attn_mask"] = blocked
    elif mask == "float":
        options["attn_mask"] = RNG.standard_normal((batch * 2, length, source)).astype(dtype)
    elif mask == "causal":
        options["attn_mask"] = np.triu(np.full((length, length), -np.inf), 1).astype(dtype)
        options["is_causal"] = True
    if call.get("key_padding_mask"):
        padding = np.zeros((batch, source), bool)
        padding[1, -2:] = True
        options["key_padding_mask"] = padding
    for key in ("need_weights", "average_attn_weights"):
        if key in call:
            options[key] = call[key]
    return [a.astype(dtype) for a in arrays], options


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
@pytest.mark.parametrize("config", list(MODULES), ids=list(MODULES))
def test_multihead_attention_matches_torch(config: str, call: str, dtype: Any) -> None:
    cfg = MODULES[config]
    ours, theirs = nn.MultiheadAttention(8, 2, **cfg), torch.nn.MultiheadAttention(8, 2, **cfg)
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_parameters(ours, theirs)
    arrays, options = _module_inputs(cfg, CALLS[call], dtype)
    tensors_n = [nerve.tensor(a, requires_grad=True) for a in arrays]
    tensors_t = [torch.tensor(a, requires_grad=True) for a in arrays]
    wrap = {
        k: (nerve.tensor(v), torch.tensor(v)) if isinstance(v, np.ndarray) else (v, v)
        for k, v in options.items()
    }
    out_n, weights_n = ours(*tensors_n, **{k: v[0] for k, v in wrap.items()})
    out_t, weights_t = theirs(*tensors_t, **{k: v[1] for k, v in wrap.items()})
    close(out_n, out_t, dtype, "output")
    assert (weights_n is None) == (weights_t is None)
    if weights_t is not None:
        close(weights_n, weights_t, dtype, "attention weights")
    g = RNG.standard_normal(tuple(out_t.shape)).astype(dtype)
    record(out_n, "torch")
    out_n.backward(nerve.tensor(g))
    out_t.backward(torch.tensor(g))
    for name, a, b in zip("qkv", tensors_n, tensors_t):
        close(a.grad, b.grad, dtype, f"gradient of {name}")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, dtype, f"gradient of {name}")


def test_self_attention_unbatched_and_fully_padded_rows() -> None:
    for batch_first in (False, True):
        ours, theirs = (
            nn.MultiheadAttention(8, 4, batch_first=batch_first),
            torch.nn.MultiheadAttention(8, 4, batch_first=batch_first),
        )
        ours.double(), theirs.double()
        copy_parameters(ours, theirs)
        x = RNG.standard_normal((3, 4, 8))
        xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out_n, w_n = ours(xn, xn, xn)
        out_t, w_t = theirs(xt, xt, xt)
        close(out_n, out_t, np.float64, "self-attention")
        close(w_n, w_t, np.float64, "self-attention weights")
        out_n.sum().backward()
        out_t.sum().backward()
        close(xn.grad, xt.grad, np.float64, "self-attention input gradient")
    x = RNG.standard_normal((4, 8))
    padding = np.array([False, False, True, False])
    out_n, w_n = ours(*(nerve.tensor(x),) * 3, key_padding_mask=nerve.tensor(padding))
    out_t, w_t = theirs(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(padding))
    close(out_n, out_t, np.float64, "unbatched")
    close(w_n, w_t, np.float64, "unbatched weights")
    # a batch entry with every key padded: NaN with weights (as torch), zeros without
    everything = np.array([[False, True, False, False], [True] * 4, [False] * 4])
    x = RNG.standard_normal((3, 4, 8))
    for need in (True, False):
        got = ours(
            *(nerve.tensor(x),) * 3, key_padding_mask=nerve.tensor(everything), need_weights=need
        )
        want = theirs(
            *(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(everything), need_weights=need
        )
        close(got[0], want[0], np.float64, f"fully padded, need_weights={need}")


def test_parameters_initialisation_and_errors() -> None:
    ours, theirs = (
        nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
        torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True),
    )
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    big = nn.MultiheadAttention(256, 4)
    bound = np.sqrt(6 / (256 + 3 * 256))  # xavier_uniform_ over the (3E, E) weight
    w = big.in_proj_weight.detach().numpy()
    assert w.max() <= bound and w.min() >= -bound and w.max() > 0.95 * bound
    assert (
        not big.in_proj_bias.detach().numpy().any() and not big.out_proj.bias.detach().numpy().any()
    )
    assert repr(big) == repr(torch.nn.MultiheadAttention(256, 4)).replace("torch.", "nerve.")
    for lib in (nn, torch.nn):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.MultiheadAttention(6, 4)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.MultiheadAttention(0, 4)
    layer = nn.MultiheadAttention(8, 2)
    x = nerve.zeros(4, 3, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        layer(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        layer(x, x, x, attn_mask=nerve.zeros(3, 3))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        layer(x, nerve.zeros(4, 8), nerve.zeros(4, 8))
    with pytest.raises(AssertionError, match="expecting key_padding_mask shape of"):
        layer(x, x, x, key_padding_mask=nerve.zeros(4, 3, dtype=nerve.bool))
