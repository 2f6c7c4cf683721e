"""Memory formats against torch 2.13: the API (contiguous, is_contiguous, stride, clone, to,
Module.to), the layout each op's output takes for a channels-last input (torch's rule), the
values and gradients in that layout, finite differences in float64, and nn.Sequential's
channels-last stretches (nerve.nn.channels_last)."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F
from nerve import nn

torch = pytest.importorskip("torch")

from parity import assert_close, copy_parameters, gradcheck, gradgradcheck  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)
FORMATS = {
    "contiguous": (nerve.contiguous_format, torch.contiguous_format),
    "channels_last": (nerve.channels_last, torch.channels_last),
}


def _pair(array: np.ndarray, fmt: str = "channels_last", grad: bool = False) -> tuple[Any, Any]:
    """``array`` as a nerve and a torch tensor, both laid out in ``fmt``."""
    ours, theirs = FORMATS[fmt]
    x = nerve.tensor(array).contiguous(memory_format=ours).requires_grad_(grad)
    t = torch.tensor(array).contiguous(memory_format=theirs).requires_grad_(grad)
    return x, t


def _same_layout(ours: nerve.Tensor, theirs: Any) -> None:
    assert ours.is_contiguous() == theirs.is_contiguous()
    for fmt in ("channels_last",):
        assert ours.is_contiguous(memory_format=FORMATS[fmt][0]) == theirs.is_contiguous(
            memory_format=FORMATS[fmt][1]
        )


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 1, 4, 5), (2, 3, 1, 1), (1, 3, 4, 1)], ids=str)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_contiguous_in_a_format_matches_torch(shape: tuple[int, ...], fmt: str) -> None:
    x, t = _pair(RNG.standard_normal(shape), fmt)
    assert x.stride() == t.stride()
    _same_layout(x, t)
    np.testing.assert_array_equal(x.numpy(), t.numpy())
    for dim in range(-4, 4):
        assert x.stride(dim) == t.stride(dim)
    # clone preserves a channels-last layout; contiguous() makes it NCHW again
    assert x.clone().stride() == t.clone().stride()
    assert x.contiguous().stride() == t.contiguous().stride()


def test_format_api_details() -> None:
    x = nerve.zeros(2, 3, 4, 4)
    assert x.contiguous() is x
    last = x.to(memory_format=nerve.channels_last)
    assert last.contiguous(memory_format=nerve.channels_last) is last
    assert last.to(nerve.float64, memory_format=nerve.preserve_format).stride() == last.stride()
    assert repr(nerve.channels_last) == "nerve.channels_last"
    assert copy.deepcopy(nerve.channels_last) is nerve.channels_last
    assert pickle.loads(pickle.dumps(nerve.channels_last_3d)) is nerve.channels_last_3d
    volume = nerve.zeros(2, 3, 2, 4, 4).contiguous(memory_format=nerve.channels_last_3d)
    assert (
        volume.stride()
        == torch.zeros(2, 3, 2, 4, 4).contiguous(memory_format=torch.channels_last_3d).stride()
    )
    assert not nerve.zeros(2, 3).is_contiguous(memory_format=nerve.channels_last)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        nerve.zeros(2, 3).contiguous(memory_format=nerve.channels_last)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        x.contiguous(memory_format=nerve.preserve_format)
    with pytest.raises(TypeError, match="memory_format must be"):
        x.contiguous(memory_format="channels_last")
    with pytest.raises(IndexError, match="dimension out of range"):
        x.stride(4)


def test_gradient_flows_through_a_format_change() -> None:
    x = nerve.tensor(RNG.standard_normal((2, 3, 2, 2)), requires_grad=True)
    weights = nerve.tensor(RNG.standard_normal((2, 3, 2, 2)))
    (x.contiguous(memory_format=nerve.channels_last) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), weights.numpy())
    assert gradcheck(lambda t: t.contiguous(memory_format=nerve.channels_last) * 2, [x])


def test_the_gradient_of_a_format_change_takes_the_input_s_layout() -> None:
    """So that the backward of a stretch on channels-last maps stays channels-last."""
    array = RNG.standard_normal((2, 3, 4, 4))
    last = nerve.tensor(array).contiguous(memory_format=nerve.channels_last).requires_grad_()
    last.contiguous().backward(nerve.ones(2, 3, 4, 4))
    assert last.grad.is_contiguous(memory_format=nerve.channels_last)
    plain = nerve.tensor(array, requires_grad=True)
    g = nerve.ones(2, 3, 4, 4).contiguous(memory_format=nerve.channels_last)
    plain.contiguous(memory_format=nerve.channels_last).backward(g)
    assert plain.grad.is_contiguous()
    np.testing.assert_array_equal(plain.grad.numpy(), 1)


def test_module_to_channels_last_lays_out_four_dimensional_parameters() -> None:
    nerve.manual_seed(0)
    ours = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(16, 2))
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(16, 2)
    )
    ours.to(memory_format=nerve.channels_last)
    theirs.to(memory_format=torch.channels_last)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.stride() == q.stride()
    # a channels-last weight makes the output of an NCHW input channels-last, as in torch
    x, t = _pair(RNG.standard_normal((2, 3, 4, 4)).astype(np.float32), "contiguous")
    _same_layout(ours[0](x), theirs[0](t))


# (input shape, weight shape, options): planar windows (few channels), channels-last windows,
# a stride, groups, and 'same' padding
CONVOLUTIONS = {
    "planar": ((2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
    "channels-last-windows": ((2, 12, 6, 5), (10, 12, 3, 3), {"padding": 1}),
    "stride": ((2, 12, 7, 6), (6, 12, 3, 2), {"stride": 2}),
    "groups": ((2, 12, 6, 6), (6, 4, 3, 3), {"groups": 3, "padding": 1}),
    "same-1x1": ((2, 10, 5, 5), (4, 10, 1, 1), {"padding": "same"}),
}


@pytest.mark.parametrize("chunked", [False, True], ids=["at-once", "in-chunks"])
@pytest.mark.parametrize("case", list(CONVOLUTIONS))
def test_convolution_of_channels_last_input_matches_torch(
    case: str, chunked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Output channels-last as torch's, values and all three gradients, each gradient of the
    input in the input's layout; with the large layers' chunked kernels forced on too."""
    if chunked:
        from nerve.ops import conv_chunks

        monkeypatch.setattr(conv_chunks, "MIN_CHUNKED_BYTES", 0)
    x_shape, w_shape, options = CONVOLUTIONS[case]
    for dtype in (np.float64, np.float32):
        x, t = _pair(RNG.standard_normal(x_shape).astype(dtype), grad=True)
        w = RNG.standard_normal(w_shape).astype(dtype)
        b = RNG.standard_normal(w_shape[0]).astype(dtype)
        wn, wt = nerve.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        bn, bt = nerve.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
        out, expected = F.conv2d(x, wn, bn, **options), TF.conv2d(t, wt, bt, **options)
        _same_layout(out, expected)
        assert_close(out.detach().numpy(), expected.detach().numpy(), "module")
        g = RNG.standard_normal(tuple(expected.shape)).astype(dtype)
        g_ours, g_theirs = _pair(g)
        out.backward(g_ours)
        expected.backward(g_theirs)
        for ours, theirs in ((x, t), (wn, wt), (bn, bt)):
            assert_close(ours.grad.numpy(), theirs.grad.numpy(), "module")
        assert x.grad.is_contiguous(memory_format=nerve.channels_last)
    x64 = nerve.tensor(RNG.standard_normal(x_shape)).contiguous(memory_format=nerve.channels_last)
    tensors = [x64.requires_grad_(), nerve.tensor(RNG.standard_normal(w_shape), requires_grad=True)]

    def conv(x: nerve.Tensor, w: nerve.Tensor) -> nerve.Tensor:
        return F.conv2d(x, w, **options)

    assert gradcheck(conv, tensors)
    assert gradgradcheck(conv, tensors)


def _with_ties(shape: tuple[int, ...]) -> np.ndarray:
    """A ReLU's output: about half the values zero, so most windows tie."""
    return np.maximum(RNG.standard_normal(shape), 0)


@pytest.mark.parametrize(
    "options",
    [
        {"kernel_size": 2},
        {"kernel_size": (3, 4)},
        {"kernel_size": 3, "stride": 2, "padding": 1},
        {"kernel_size": (1, 2)},
    ],
    ids=["tiling", "tiling-3x4", "overlapping", "one-row"],
)
@pytest.mark.parametrize("values", ["random", "ties", "infinities-and-nan"])
def test_max_pool_of_channels_last_input_matches_torch(options: dict, values: str) -> None:
    """The output channels-last as torch's, the values, and the gradient sent to each window's
    first maximum (torch's choice among a ReLU's tied zeros too; bit for bit the same as for
    the NCHW input), in the input's layout."""
    shape = (2, 16, 6, 8)
    array = RNG.standard_normal(shape) if values == "random" else _with_ties(shape)
    if values == "infinities-and-nan":
        array[0, 0, 0, :3] = [np.inf, -np.inf, np.nan]
    g = RNG.standard_normal((2, 16) + tuple(TF.max_pool2d(torch.zeros(shape), **options).shape[2:]))
    results = []
    for fmt in FORMATS:
        x, t = _pair(array, fmt, grad=True)
        out, expected = F.max_pool2d(x, **options), TF.max_pool2d(t, **options)
        _same_layout(out, expected)
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        g_ours, g_theirs = _pair(g, fmt)
        out.backward(g_ours)
        expected.backward(g_theirs)
        assert_close(x.grad.numpy(), t.grad.numpy(), "sum")  # (overlaps add up)
        assert x.grad.is_contiguous(memory_format=FORMATS[fmt][0])
        results.append((out.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


def test_max_pool_gradient_of_non_finite_values_on_channels_last_maps() -> None:
    """An infinite output gradient takes the exact path (0 * inf would be NaN elsewhere)."""
    x, t = _pair(_with_ties((1, 8, 4, 4)), grad=True)
    g = RNG.standard_normal((1, 8, 2, 2))
    g[0, 3, 1, 1] = np.inf
    F.max_pool2d(x, 2).backward(_pair(g)[0])
    TF.max_pool2d(t, 2).backward(_pair(g)[1])
    np.testing.assert_array_equal(x.grad.numpy() != 0, t.grad.numpy() != 0)
    assert np.isinf(x.grad.numpy()).sum() == 1 and not np.isnan(x.grad.numpy()).any()


@pytest.mark.parametrize("layer", ["relu", "adaptive-avg-pool", "avg-pool", "batch-norm"])
def test_layers_keep_a_channels_last_layout(layer: str) -> None:
    ops = {
        "batch-norm": (
            lambda x: F.batch_norm(x, None, None, training=True),
            lambda t: TF.batch_norm(t, None, None, training=True),
        ),
        "relu": (F.relu, TF.relu),
        "adaptive-avg-pool": (
            lambda x: F.adaptive_avg_pool2d(x, 1),
            lambda t: TF.adaptive_avg_pool2d(t, 1),
        ),
        "avg-pool": (lambda x: F.avg_pool2d(x, 2), lambda t: TF.avg_pool2d(t, 2)),
    }
    ours, theirs = ops[layer]
    x, t = _pair(RNG.standard_normal((2, 12, 4, 6)), grad=True)
    out, expected = ours(x), theirs(t)
    if layer != "avg-pool":
        _same_layout(out, expected)
    assert_close(out.detach().numpy(), expected.detach().numpy(), "module")
    out.sum().backward()
    expected.sum().backward()
    assert_close(x.grad.numpy(), t.grad.numpy(), "module")


def _conv_inputs(monkeypatch: pytest.MonkeyPatch, test: Any) -> list[bool]:
    """``test`` of the input of every conv2d the layers call from now on, in order."""
    seen: list[bool] = []
    real = F.conv2d

    def spy(x: nerve.Tensor, *args: Any, **kwargs: Any) -> nerve.Tensor:
        seen.append(test(x))
        return real(x, *args, **kwargs)

    monkeypatch.setattr(nerve.nn.functional_conv, "conv2d", spy)
    return seen


def _c3_like(lib: Any) -> Any:
    """C3's layers at a test's size: its second and third convolutions read channels-last
    windows (more than 8 input channels)."""
    nn_ = lib.nn
    return nn_.Sequential(
        nn_.Conv2d(3, 12, 3, padding=1), nn_.ReLU(), nn_.Conv2d(12, 12, 3, padding=1), nn_.ReLU(),
        nn_.MaxPool2d(2), nn_.Conv2d(12, 16, 3, padding=1), nn_.ReLU(), nn_.MaxPool2d(2),
        nn_.AdaptiveAvgPool2d(1), nn_.Flatten(), nn_.Linear(16, 5),
    )  # fmt: skip


def _conv_stack(lib: Any) -> Any:
    """Convolutions only: the Sequential's output is an image, made contiguous again."""
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(3, 10, 3), nn_.ReLU(), nn_.Conv2d(10, 4, 3, padding=1))


@pytest.mark.parametrize("build", [_c3_like, _conv_stack], ids=["c3-like", "conv-stack"])
def test_sequential_runs_its_convolutions_channels_last(
    build: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same output (in the same layout as torch's) and parameter gradients as torch's, and
    as with every map NCHW; spied: the convolutions saw channels-last maps."""
    nerve.manual_seed(0)
    ours, theirs = build(nerve), build(torch)
    copy_parameters(ours, theirs)
    array = RNG.standard_normal((4, 3, 8, 8)).astype(np.float32)
    seen = _conv_inputs(monkeypatch, lambda x: x.is_contiguous(memory_format=nerve.channels_last))
    results = {}
    for flag in (True, False):
        monkeypatch.setattr(nn.Sequential, "channels_last_convolutions", flag)
        ours.zero_grad()
        seen.clear()
        out = ours(nerve.tensor(array))
        out.sum().backward()
        assert all(seen) == flag and seen
        results[flag] = [out.detach().numpy()] + [p.grad.numpy() for p in ours.parameters()]
        assert out.is_contiguous()
    expected = theirs(torch.tensor(array))
    expected.sum().backward()
    for ours_value, flat_value, theirs_value in zip(
        results[True],
        results[False],
        [expected.detach().numpy()] + [p.grad.numpy() for p in theirs.parameters()],
    ):
        assert_close(ours_value, theirs_value, "module")
        assert_close(ours_value, flat_value, "module")


def test_a_hooked_layer_sees_the_maps_as_torch_gives_them() -> None:
    """A layer with a hook breaks the stretch: its input and output are NCHW, as in torch,
    also when the hook comes after the stretches were first worked out (and kept)."""
    nerve.manual_seed(0)
    model = _c3_like(nerve)
    x = nerve.tensor(RNG.standard_normal((2, 3, 8, 8)).astype(np.float32))
    before = model(x)
    layouts: list[bool] = []
    handle = model[2].register_forward_hook(
        lambda module, inputs, output: layouts.extend(
            [inputs[0].is_contiguous(), output.is_contiguous()]
        )
    )
    np.testing.assert_allclose(model(x).detach().numpy(), before.detach().numpy(), rtol=1e-5)
    assert layouts == [True, True]
    handle.remove()
    layouts.clear()
    model(x)
    assert layouts == []


def test_a_lone_convolution_keeps_nchw_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Convolutions between BatchNorm2d layers (not kept channels-last: slower there) each
    make a stretch of one, which would only trade copies: none is made."""
    seen = _conv_inputs(monkeypatch, nerve.Tensor.is_contiguous)
    model = nn.Sequential(
        nn.Conv2d(3, 12, 3), nn.BatchNorm2d(12), nn.ReLU(), nn.Conv2d(12, 12, 3), nn.BatchNorm2d(12)
    )
    model(nerve.zeros(2, 3, 8, 8))
    assert seen == [True, True]


def test_sequential_of_planar_convolutions_keeps_nchw_maps(monkeypatch: pytest.MonkeyPatch) -> None:
    """C1's and C2's convolutions read planar windows: no stretch, no copy."""
    seen = _conv_inputs(monkeypatch, nerve.Tensor.is_contiguous)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU())
    model(nerve.zeros(2, 1, 8, 8))
    assert seen == [True, True]
