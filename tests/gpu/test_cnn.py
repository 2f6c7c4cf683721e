"""The convolutional layers on a GPU (CuPy): values and gradients against the CPU, for each
window layout of the convolution kernels, and a CNN's training steps.

These tests need CuPy and an NVIDIA GPU; elsewhere they skip (the only skips CI allows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nerve
import nerve.nn as nn
import nerve.nn.functional as F
from nerve.ops import conv_kernels

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not nerve.cuda.is_available(), reason="needs CuPy and an NVIDIA GPU"),
]


def _pair(*shape: int, seed: int) -> tuple[nerve.Tensor, nerve.Tensor]:
    data = np.random.default_rng(seed).standard_normal(shape)
    return (
        nerve.tensor(data, requires_grad=True),
        nerve.tensor(data, device="cuda", requires_grad=True),
    )


def _close(cpu: nerve.Tensor, gpu: nerve.Tensor, tol: float = 1e-9) -> None:
    assert gpu.device.type == "cuda"
    np.testing.assert_allclose(
        np.asarray(gpu.detach().cpu()), np.asarray(cpu.detach().cpu()), rtol=tol, atol=tol
    )


OPS: dict[str, tuple[tuple[int, ...], Callable[[Any, Any], Any]]] = {
    "conv2d": ((6, 4, 3, 3), lambda x, w: F.conv2d(x, w, padding=1, stride=(1, 2))),
    "conv2d-groups-dilation": ((6, 2, 3, 3), lambda x, w: F.conv2d(x, w, groups=2, dilation=2)),
    "conv-transpose": ((4, 3, 3, 3), lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1)),
    "pools": (
        (4, 4, 1, 1),
        lambda x, w: (
            F.max_pool2d(F.conv2d(x, w), 2).sum()
            + F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False).sum()
            + F.adaptive_avg_pool2d(x, 3).sum()
            + F.adaptive_max_pool2d(x, (2, 3)).pow(2).sum()
            + F.max_pool2d(x, 3, stride=2, padding=1, dilation=1, ceil_mode=True).sum()
        ),
    ),
    "norms": (
        (4, 4, 1, 1),
        lambda x, w: (
            F.batch_norm(F.conv2d(x, w), None, None, training=True).pow(2).sum()
            + F.group_norm(x, 2).pow(3).sum()
            + F.instance_norm(x).pow(2).sum()
        ),
    ),
    "resize-pad-unfold": (
        (4, 4, 1, 1),
        lambda x, w: (
            F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).pow(2).sum()
            + F.interpolate(x, size=(5, 7), mode="nearest").sum()
            + F.pad(F.conv2d(x, w), (1, 2, 0, 1), mode="reflect").pow(2).sum()
            + F.unfold(x, 2, stride=2).pow(2).sum()
        ),
    ),
}


@pytest.mark.parametrize("planar_max", [0, 1 << 30], ids=["channels-last", "planar"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_cnn_ops_values_and_gradients_match_cpu(
    name: str, planar_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", planar_max)
    w_shape, op = OPS[name]
    x_cpu, x_gpu = _pair(2, 4, 8, 9, seed=1)
    w_cpu, w_gpu = _pair(*w_shape, seed=2)
    out_cpu, out_gpu = op(x_cpu, w_cpu), op(x_gpu, w_gpu)
    _close(out_cpu, out_gpu)
    (out_cpu.pow(2).sum() if out_cpu.ndim else out_cpu).backward()
    (out_gpu.pow(2).sum() if out_gpu.ndim else out_gpu).backward()
    _close(x_cpu.grad, x_gpu.grad)
    if w_cpu.grad is not None:
        _close(w_cpu.grad, w_gpu.grad)


def _cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
        nn.Flatten(), nn.Dropout(0.0), nn.Linear(64, 10),
    )  # fmt: skip


def test_cnn_training_steps_match_cpu() -> None:
    nerve.manual_seed(0)
    cpu_model, gpu_model = _cnn(), _cnn()
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    opts = [nerve.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) for m in (cpu_model, gpu_model)]
    x = np.random.default_rng(3).standard_normal((16, 1, 12, 12)).astype(np.float32)
    y = np.random.default_rng(4).integers(0, 10, 16)
    for _ in range(4):
        for model, opt, device in ((cpu_model, opts[0], "cpu"), (gpu_model, opts[1], "cuda")):
            opt.zero_grad()
            loss = F.cross_entropy(
                model(nerve.tensor(x, device=device)), nerve.tensor(y, device=device)
            )
            loss.backward()
            opt.step()
    for p_cpu, p_gpu in zip(cpu_model.parameters(), gpu_model.parameters()):
        _close(p_cpu, p_gpu, tol=1e-4)
    running_cpu, running_gpu = cpu_model[1].running_mean, gpu_model[1].running_mean
    _close(running_cpu, running_gpu, tol=1e-5)
