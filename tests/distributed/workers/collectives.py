"""Every collective on every rank; the test compares the results with what they should be."""

from __future__ import annotations

from _common import write_result

import nerve
import nerve.distributed as dist
from nerve.utils.data import DistributedSampler

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
r = float(rank + 1)
result: dict[str, object] = {"rank": rank, "size": size, "initialized": dist.is_initialized()}


def run(name: str, op: dist.ReduceOp, dtype: nerve.dtype = nerve.float32) -> None:
    t = nerve.tensor([r, -r, 2.0], dtype=dtype)
    assert dist.all_reduce(t, op=op) is None
    result[name] = t.tolist()


for op in dist.ReduceOp:
    if op.name not in ("BAND", "BOR", "BXOR"):
        run(f"all_reduce_{op.name}", op)
        run(f"all_reduce_{op.name}_f64", op, nerve.float64)
run("all_reduce_SUM_int64", dist.ReduceOp.SUM, nerve.int64)
flags = nerve.tensor([rank == 0, True, False])
dist.all_reduce(flags)
result["all_reduce_bool"] = flags.tolist()

# In place on a non-contiguous view: the base tensor sees the result.
base = nerve.full((3, 2), r)
view = base.t()
dist.all_reduce(view)
result["all_reduce_view"] = base.tolist()

work = dist.all_reduce(t_async := nerve.full((4,), r), async_op=True)
work.wait()
result["all_reduce_async"] = t_async.tolist()

b = nerve.full((2, 2), r)
dist.broadcast(b, src=size - 1)
result["broadcast"] = b.tolist()

parts = [nerve.zeros(2) for _ in range(size)]
dist.all_gather(parts, nerve.tensor([r, 10 * r]))
result["all_gather"] = [p.tolist() for p in parts]

into = nerve.zeros(2 * size)
dist.all_gather_into_tensor(into, nerve.tensor([r, 10 * r]))
result["all_gather_into_tensor"] = into.tolist()

gathered = [nerve.zeros(1) for _ in range(size)] if rank == 0 else None
dist.gather(nerve.tensor([r]), gathered, dst=0)
result["gather"] = None if gathered is None else [g.tolist() for g in gathered]

red = nerve.tensor([r])
dist.reduce(red, dst=size - 1, op=dist.ReduceOp.MAX)
result["reduce"] = red.tolist()

out = nerve.zeros(2)
dist.reduce_scatter(out, [nerve.full((2,), r * (k + 1)) for k in range(size)])
result["reduce_scatter"] = out.tolist()

out = nerve.zeros(1)
dist.reduce_scatter_tensor(out, nerve.arange(size, dtype=nerve.float32) * r, op=dist.ReduceOp.AVG)
result["reduce_scatter_tensor"] = out.tolist()

received = nerve.zeros(2)
sent = [nerve.full((2,), float(k)) for k in range(size)] if rank == 1 else None
dist.scatter(received, sent, src=1)
result["scatter"] = received.tolist()

dist.barrier()
# The sampler takes its rank and number of replicas from the process group.
sampler = DistributedSampler(range(10), shuffle=True, seed=3)
result["sampler"] = sampler.indices().tolist()
result["communication_time"] = dist.communication_time()

dist.destroy_process_group()
result["after_destroy"] = [dist.is_initialized(), dist.get_rank(), dist.get_world_size()]
# launch() sets a group up again, runs the function, and tears the group down.
result["launch"] = [dist.launch(lambda k: dist.get_world_size() * k, 10), dist.is_initialized()]
write_result(rank, result)
