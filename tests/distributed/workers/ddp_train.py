"""DDP training equals single-process training on the global batches; no_sync accumulates.

Arguments: <out dir> <bucket_cap_mb>. Every rank also trains the single-process reference
itself (the model is small), on the union of all ranks' batches of each step.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import write_result

import nerve
import nerve.distributed as dist
import nerve.nn.functional as F
from nerve import nn
from nerve.nn.parallel import DistributedDataParallel as DDP
from nerve.utils.data import DataLoader, DistributedSampler, TensorDataset

BATCH, EPOCHS, N = 4, 2, 48
bucket_cap_mb = float(sys.argv[2])
nerve.set_default_dtype(nerve.float64)
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)  # the same data on every rank
X, Y = nerve.tensor(rng.standard_normal((N, 6))), nerve.tensor(rng.integers(0, 3, N))
data = TensorDataset(X, Y)


def make_model(seed: int) -> nn.Module:
    nerve.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)
    )


def params(model: nn.Module) -> list[list[float]]:
    return [p.detach().reshape(-1).tolist() for p in model.parameters()]


def grads(model: nn.Module) -> list[list[float]]:
    return [p.grad.reshape(-1).tolist() for p in model.parameters()]


# -- training: each rank starts from its own random weights; DDP makes them rank 0's ---------
model = DDP(make_model(seed=100 + rank), bucket_cap_mb=bucket_cap_mb)
after_broadcast = params(model)
opt = nerve.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sampler = DistributedSampler(data, seed=11)
loader = DataLoader(data, batch_size=BATCH, sampler=sampler)
for epoch in range(EPOCHS):
    sampler.set_epoch(epoch)
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

reference = make_model(seed=100)
ref_opt = nerve.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
for epoch in range(EPOCHS):
    shares = []
    for r in range(size):
        s = DistributedSampler(data, num_replicas=size, rank=r, seed=11)
        s.set_epoch(epoch)
        shares.append(s.indices())
    for start in range(0, len(shares[0]), BATCH):
        index = np.concatenate([share[start : start + BATCH] for share in shares])
        ref_opt.zero_grad()
        F.cross_entropy(reference(X[index]), Y[index]).backward()
        ref_opt.step()

# -- no_sync: two local backwards, then a synchronized one ---------------------------------
micro = [slice(BATCH * (3 * r + m), BATCH * (3 * r + m + 1)) for r in range(size) for m in range(3)]
accumulated, synced = DDP(make_model(200 + rank)), DDP(make_model(300 + rank))
synced.load_state_dict(accumulated.state_dict())
before = dist.communication_time()
with accumulated.no_sync():
    for m in range(2):
        part = micro[3 * rank + m]
        F.cross_entropy(accumulated(X[part]), Y[part]).backward()
inside_comm = dist.communication_time() - before
local_grads = grads(accumulated)
part = micro[3 * rank + 2]
F.cross_entropy(accumulated(X[part]), Y[part]).backward()
for m in range(3):  # every backward synchronized: averaging is linear, so the sums agree
    part = micro[3 * rank + m]
    F.cross_entropy(synced(X[part]), Y[part]).backward()
single = make_model(200)
for m in range(3):
    index = np.concatenate([np.arange(N)[micro[3 * r + m]] for r in range(size)])
    F.cross_entropy(single(X[index]), Y[index]).backward()

write_result(
    rank,
    {
        "after_broadcast": after_broadcast,
        "initial_rank0": params(make_model(seed=100)),
        "ddp": params(model),
        "reference": params(reference),
        "steps": EPOCHS * len(loader),
        "buckets": len(model.reducer.buckets),
        "no_sync_comm_seconds": inside_comm,
        "no_sync_local_grads": local_grads,
        "accumulated": grads(accumulated),
        "synced": grads(synced),
        "single": grads(single),
    },
)
dist.destroy_process_group()
