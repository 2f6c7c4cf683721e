"""``DistributedDataParallel``: train one model on several processes, each on its own share of
every batch, with gradients averaged across processes after each backward.

Every rank holds a full replica of the model. At construction, rank 0's parameters and
buffers are copied to every rank, so all replicas start equal even if each rank drew its own
random initial weights. During ``loss.backward()`` the gradients are averaged across ranks
(bucketed allreduce, see :mod:`nerve.distributed.reducer`), so that identical optimizer
steps keep the replicas identical. With a mean-reduced loss and equal per-rank batch sizes,
this is exactly single-process training on the concatenation of the ranks' batches.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ... import distributed as dist
from ...autograd.grad_mode import is_grad_enabled
from ...distributed.process_group import timed
from ...distributed.reducer import Reducer
from ..module import Module

DEFAULT_BUCKET_CAP_MB = 25.0  # torch's default


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Args:
        module: the model; every rank must build the same architecture.
        broadcast_buffers: copy rank 0's buffers (BatchNorm's running statistics) to every
            rank before each forward, as torch does, so that all replicas evaluate alike.
        bucket_cap_mb: gradients travel in messages of about this size (25 MB by default, as
            in torch): one allreduce per bucket, each as soon as its gradients are ready.
        find_unused_parameters: search each forward's autograd graph for parameters that will
            get no gradient (a branch not taken), so that backward does not wait for them.
        device_ids, output_device, dim, gradient_as_bucket_view, static_graph: accepted for
            torch compatibility; nerve's replicas live on the CPU of each process.
        process_group: an mpi4py communicator to use instead of the default group.

    Each rank normalizes a plain ``BatchNorm1d`` with its own batch's statistics; convert the
    model with ``nerve.nn.parallel.SyncBatchNorm.convert_sync_batchnorm`` for statistics of the
    global batch.

    Example (on each rank of ``mpirun -n 2 python -m mpi4py train.py``)::

        import nerve, nerve.distributed as dist
        from nerve.nn.parallel import DistributedDataParallel as DDP
        dist.init_process_group("mpi")
        net = nerve.nn.Sequential(nerve.nn.Linear(4, 8), nerve.nn.ReLU(), nerve.nn.Linear(8, 1))
        model = DDP(net)
        opt = nerve.optim.SGD(model.parameters(), lr=0.1)
        loss = model(x_local).sub(y_local).pow(2).mean()
        loss.backward()          # gradients are now averaged across the ranks
        opt.step()
    """

    def __init__(
        self,
        module: Module,
        device_ids: list[Any] | None = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel expects a nerve.nn.Module, got {type(module).__name__}"
            )
        if process_group is None and not dist.is_initialized():
            raise ValueError(
                "Default process group has not been initialized, please make sure to call "
                "init_process_group (nerve.distributed.init_process_group('mpi')) before "
                "wrapping the model in DistributedDataParallel."
            )
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        # A private duplicate communicator: the reducer's non-blocking messages never mix
        # with the collectives that user code (or SyncBatchNorm) issues on the default group.
        with timed("DistributedDataParallel (communicator duplicate, during construction)"):
            self.process_group = dist.process_group.communicator(process_group).Dup()
        self.world_size = self.process_group.Get_size()
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._check_same_model(named)
        self._sync_tensors([p for _, p in module.named_parameters()] + self._buffers_list())
        cap_mb = DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self.reducer = Reducer(
            [p for _, p in named],
            self.process_group,
            bucket_bytes=max(1, int(cap_mb * 1024 * 1024)),
            find_unused_parameters=find_unused_parameters,
            names={id(p): n for n, p in named},
        )

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers and self.world_size > 1:
            buffers = self._buffers_list()
            if buffers:
                self._sync_tensors(buffers)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.reducer.prepare(output)
        return output

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip the gradient allreduce for the forwards and backwards inside the block (they
        accumulate locally); the first synchronized backward after it averages the sums.

        Example::

            with ddp.no_sync():
                for x, y in micro_batches[:-1]:
                    loss_fn(ddp(x), y).backward()       # no communication
            loss_fn(ddp(x_last), y_last).backward()     # one allreduce of the accumulated grads
            opt.step()
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self) -> str:
        return f"world_size={self.world_size}"

    # -- helpers ---------------------------------------------------------------------------

    def _buffers_list(self) -> list[Any]:
        return [b for _, b in self.module.named_buffers()]

    def _check_same_model(self, named: list[tuple[str, Any]]) -> None:
        """Fail on every rank, not hang, when the ranks built different models."""
        signature = np.array(
            [len(named), sum(p.numel() for _, p in named), zlib.crc32(_shapes(named).encode())],
            dtype=np.int64,
        )
        every = np.empty((self.world_size, 3), dtype=np.int64)
        with timed("DistributedDataParallel's model check (during construction)"):
            self.process_group.Allgather(signature, every)
        if not (every == every[0]).all():
            raise RuntimeError(
                "DistributedDataParallel: the ranks built different models (number of "
                f"parameters, elements, shapes per rank: {every[:, :2].tolist()}); every rank "
                "must construct the same architecture"
            )

    def _sync_tensors(self, tensors: list[Any]) -> None:
        """Copy rank 0's values of ``tensors`` to every rank: one broadcast per dtype."""
        by_dtype: dict[Any, list[Any]] = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for group in by_dtype.values():
            flat = np.concatenate([np.asarray(t._data).reshape(-1) for t in group])
            with timed("DistributedDataParallel's broadcast of rank 0's parameters/buffers"):
                self.process_group.Bcast(flat, root=0)
            offset = 0
            for t in group:
                t._data[...] = flat[offset : offset + t.numel()].reshape(t.shape)
                t._bump_version()
                offset += t.numel()


def _shapes(named: list[tuple[str, Any]]) -> str:
    # Names are left out: two ranks may legitimately name the same layers differently.
    return ";".join(",".join(map(str, p.shape)) for _, p in named)
