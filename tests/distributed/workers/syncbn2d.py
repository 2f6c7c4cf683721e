"""SyncBatchNorm on images (N, C, H, W): R ranks of 3 images each train like one BatchNorm2d
over the 3 R images (outputs, input gradients, parameters and running statistics)."""

from __future__ import annotations

import numpy as np
from _common import write_result

import nerve
import nerve.distributed as dist
from nerve import nn
from nerve.nn.parallel import SyncBatchNorm

nerve.set_default_dtype(nerve.float64)
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(5)
images = rng.standard_normal((size * 3, 2, 4, 3))
upstream = rng.standard_normal(images.shape)
mine = slice(rank * 3, (rank + 1) * 3)

synced = SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.BatchNorm2d(2)))[0]
reference = nn.BatchNorm2d(2)
result: dict[str, object] = {"type": type(synced).__name__, "steps": []}
for step in range(2):
    x = nerve.tensor(images[mine] * (step + 1), requires_grad=True)
    whole = nerve.tensor(images * (step + 1), requires_grad=True)
    out, want = synced(x), reference(whole)
    out.backward(nerve.tensor(upstream[mine]))
    want.backward(nerve.tensor(upstream))
    result["steps"].append(
        {
            "out": float(np.abs(out.detach().numpy() - want.detach().numpy()[mine]).max()),
            # the reference's parameter gradients sum over all ranks' images
            "x_grad": float(np.abs(x.grad.numpy() - whole.grad.numpy()[mine]).max()),
            "running_mean": float(
                np.abs(synced.running_mean.numpy() - reference.running_mean.numpy()).max()
            ),
            "running_var": float(
                np.abs(synced.running_var.numpy() - reference.running_var.numpy()).max()
            ),
        }
    )
local = np.concatenate([synced.weight.grad.numpy(), synced.bias.grad.numpy()])
total = np.zeros_like(local)
dist.process_group.communicator(None).Allreduce(local, total)
expected = np.concatenate([reference.weight.grad.numpy(), reference.bias.grad.numpy()])
result["parameter_grads"] = float(np.abs(total - expected).max())
write_result(rank, result)
