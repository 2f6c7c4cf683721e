"""SyncBatchNorm, unused parameters, state_dict, train/eval and misuse errors under DDP."""

from __future__ import annotations

import numpy as np
from _common import write_result

import nerve
import nerve.distributed as dist
import nerve.nn.functional as F
from nerve import nn
from nerve.nn.parallel import DistributedDataParallel as DDP
from nerve.nn.parallel import SyncBatchNorm

nerve.set_default_dtype(nerve.float64)
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(1)
X, Y = (
    nerve.tensor(rng.standard_normal((size * 6 * 3, 5))),
    nerve.tensor(rng.standard_normal((size * 6 * 3, 2))),
)
result: dict[str, object] = {}


def flat(tensors: list[nerve.Tensor]) -> list[float]:
    return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors]).tolist()


# -- SyncBatchNorm: DDP over R ranks of 6 samples equals one BatchNorm over 6 R samples -------
def bn_model() -> nn.Module:
    nerve.manual_seed(7)
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


ddp = DDP(SyncBatchNorm.convert_sync_batchnorm(bn_model()), bucket_cap_mb=0.0001)
reference = bn_model()
opt = nerve.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
ref_opt = nerve.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
for step in range(3):
    rows = np.arange(size * 6 * step, size * 6 * (step + 1))
    mine = rows[rank * 6 : (rank + 1) * 6]
    opt.zero_grad()
    F.mse_loss(ddp(X[mine]), Y[mine]).backward()
    opt.step()
    ref_opt.zero_grad()
    F.mse_loss(reference(X[rows]), Y[rows]).backward()
    ref_opt.step()
result["syncbn_type"] = type(ddp.module[1]).__name__
result["syncbn"] = flat(list(ddp.module.parameters()) + list(ddp.module.buffers())[:2])
result["syncbn_reference"] = flat(list(reference.parameters()) + list(reference.buffers())[:2])
ddp.eval()
result["eval_passthrough"] = [ddp.training, ddp.module.training, ddp.module[1].training]
result["syncbn_eval_out"] = flat([ddp(X[:4])])
result["syncbn_eval_reference"] = flat([reference.eval()(X[:4])])
ddp.train()


# -- find_unused_parameters: a branch only some ranks take, and one no rank takes ------------
class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        nerve.manual_seed(3)
        self.a, self.extra, self.never = nn.Linear(5, 2), nn.Linear(5, 2), nn.Linear(5, 2)

    def forward(self, x: nerve.Tensor, use_extra: bool) -> nerve.Tensor:
        out = self.a(x)
        return out + self.extra(x) if use_extra else out


ddp = DDP(Branchy(), find_unused_parameters=True, bucket_cap_mb=0.0001)
plain = Branchy()
unused = []
for step in range(2):  # the set of ranks that take the branch changes between steps
    takes = [(k + step) % 2 == 0 for k in range(size)]
    ddp.zero_grad()
    F.mse_loss(ddp(X[rank : rank + 4], takes[rank]), Y[rank : rank + 4]).backward()
    plain.zero_grad()
    for k in range(size):  # expected: the mean over ranks of each rank's own gradient
        F.mse_loss(plain(X[k : k + 4], takes[k]), Y[k : k + 4]).div(size).backward()
    got = [ddp.module.a.weight.grad, ddp.module.extra.weight.grad]
    want = [plain.a.weight.grad, plain.extra.weight.grad]
    unused.append(
        {
            "max_error": max(float((g - w).abs().max()) for g, w in zip(got, want)),
            "never_grad_is_none": ddp.module.never.weight.grad is None,
        }
    )
result["unused"] = unused

# Without find_unused_parameters, the next forward names the parameters that got no gradient.
ddp = DDP(Branchy())
F.mse_loss(ddp(X[:4], False), Y[:4]).backward()
try:
    ddp(X[:4], False)
    result["unfinished_error"] = None
except RuntimeError as error:
    result["unfinished_error"] = str(error)

# -- state_dict carries torch's "module." prefix and loads back ------------------------------
ddp = DDP(nn.Linear(3, 2))
state = ddp.state_dict()
other = DDP(nn.Linear(3, 2))
other.load_state_dict(state)
result["state_keys"] = list(state)
result["state_roundtrip"] = flat(list(other.parameters())) == flat(list(ddp.parameters()))

# -- forward under no_grad does not arm the reducer; training goes on normally afterwards -----
with nerve.no_grad():
    ddp(X[:2, :3])
F.mse_loss(ddp(X[:2, :3]), Y[:2]).backward()
result["grad_after_no_grad_forward"] = ddp.module.weight.grad is not None

# -- ranks that build different models fail on every rank instead of hanging ----------------
try:
    DDP(nn.Linear(3, 2 + rank))
    result["mismatch_error"] = None
except RuntimeError as error:
    result["mismatch_error"] = str(error)

write_result(rank, result)
dist.destroy_process_group()
