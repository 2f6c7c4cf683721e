"""The CuPy backend: the same ops, layers and training step on a GPU as on the CPU.

These tests need CuPy and an NVIDIA GPU; elsewhere they skip (the only skips CI allows).
"""

from __future__ import annotations

import numpy as np
import pytest

import nerve
import nerve.nn as nn
import nerve.nn.functional as F

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not nerve.cuda.is_available(), reason="needs CuPy and an NVIDIA GPU"),
]


def pair(*shape: int, seed: int = 0) -> tuple[nerve.Tensor, nerve.Tensor]:
    data = np.random.default_rng(seed).standard_normal(shape)
    cpu = nerve.tensor(data, requires_grad=True)
    gpu = nerve.tensor(data, device="cuda", requires_grad=True)
    return cpu, gpu


def assert_same(cpu: nerve.Tensor | None, gpu: nerve.Tensor | None, tol: float = 1e-10) -> None:
    if cpu is None or gpu is None:  # an input the op does not use gets no gradient
        assert cpu is None and gpu is None
        return
    assert gpu.device.type == "cuda"
    expected = np.asarray(cpu.detach().cpu())
    np.testing.assert_allclose(np.asarray(gpu.detach().cpu()), expected, rtol=tol, atol=tol)


OPS = {
    "arith": lambda a, b: (a * b + a / (b.abs() + 1) - b**2).sum(),
    "unary": lambda a, b: (a.exp() + a.tanh() + a.sigmoid() + a.relu() + (a.abs() + 1).log()).sum(),
    "matmul": lambda a, b: (a @ b.T).sum(),
    "reduce": lambda a, b: (
        a.sum(0).prod() + a.max(dim=1).values.sum() + a.var() + a.logsumexp(1).sum()
    ),
    "softmax": lambda a, b: (a.softmax(1) * b).sum() + a.log_softmax(0).sum(),
    "shape": lambda a, b: a.T.reshape(-1)[::2].sum() + nerve.cat([a, b]).flip(0)[1:3].sum(),
    "index": lambda a, b: (
        a[nerve.tensor([0, 0, 2], device=a.device)].sum()
        + a.gather(1, nerve.zeros(4, 2, dtype=nerve.int64, device=a.device)).sum()
    ),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_values_and_gradients_match_cpu(name: str) -> None:
    a_cpu, a_gpu = pair(4, 3, seed=1)
    b_cpu, b_gpu = pair(4, 3, seed=2)
    out_cpu, out_gpu = OPS[name](a_cpu, b_cpu), OPS[name](a_gpu, b_gpu)
    assert_same(out_cpu, out_gpu)
    out_cpu.backward()
    out_gpu.backward()
    assert_same(a_cpu.grad, a_gpu.grad)
    assert_same(b_cpu.grad, b_gpu.grad)


def test_mixed_devices_raise_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="same device"):
        nerve.ones(2, 2) + nerve.ones(2, 2, device="cuda")
    with pytest.raises(RuntimeError, match="linear: expected all tensors to be on the same"):
        nn.Linear(3, 2).to("cuda")(nerve.ones(4, 3))


def test_nerve_train_on_the_gpu(tmp_path: object) -> None:
    from nerve.cli import main

    assert main(["train", "--device", "cuda", "--epochs", "2", "--runs-dir", str(tmp_path)]) == 0


def test_training_steps_match_cpu() -> None:
    nerve.manual_seed(0)
    cpu_model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 3))
    gpu_model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.0), nn.Linear(16, 3))
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    assert all(p.device.type == "cuda" for p in gpu_model.parameters())
    opts = [nerve.optim.Adam(m.parameters(), lr=1e-2) for m in (cpu_model, gpu_model)]
    x = np.random.default_rng(3).standard_normal((32, 8)).astype(np.float32)
    y = np.random.default_rng(4).integers(0, 3, 32)
    for _ in range(5):
        for model, opt, device in ((cpu_model, opts[0], "cpu"), (gpu_model, opts[1], "cuda")):
            opt.zero_grad()
            inputs, target = nerve.tensor(x, device=device), nerve.tensor(y, device=device)
            loss = F.cross_entropy(model(inputs), target)
            loss.backward()
            opt.step()
    for p_cpu, p_gpu in zip(cpu_model.parameters(), gpu_model.parameters()):
        assert_same(p_cpu, p_gpu, tol=1e-4)


def test_fused_layer_chain_and_flat_adam_match_cpu() -> None:
    # Sequential's fused LayerChain (sigmoid via CuPy's expit) and Adam over flat buffers
    nerve.manual_seed(0)

    def layers() -> list[nn.Module]:
        return [nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1)]

    cpu_model = nn.Sequential(*layers(), nn.Sigmoid())
    gpu_model = nn.Sequential(*layers(), nn.Sigmoid())
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    opts = [nerve.optim.Adam(m.parameters(), lr=1e-2) for m in (cpu_model, gpu_model)]
    x = np.random.default_rng(5).standard_normal((16, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    for _ in range(4):
        for model, opt, device in ((cpu_model, opts[0], "cpu"), (gpu_model, opts[1], "cuda")):
            opt.zero_grad()
            out = model(nerve.tensor(x, device=device))
            assert out.grad_fn.name() == "LayerChainBackward0"
            F.binary_cross_entropy(out, nerve.tensor(y, device=device)).backward()
            opt.step()
    for p_cpu, p_gpu in zip(cpu_model.parameters(), gpu_model.parameters()):
        assert_same(p_cpu, p_gpu, tol=1e-4)
    exp_avg = opts[1].state[next(gpu_model.parameters())]["exp_avg"]
    assert exp_avg.device.type == "cuda"


def test_save_and_load_from_gpu(tmp_path: object) -> None:
    model = nn.Linear(3, 2).to("cuda")
    path = f"{tmp_path}/model.safetensors"
    nerve.save(model.state_dict(), path)
    loaded = nerve.load(path, map_location="cuda")
    assert loaded["weight"].device.type == "cuda"
    assert_same(model.weight, loaded["weight"])
