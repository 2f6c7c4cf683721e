"""Data-parallel training for :class:`~nerve.workflow.Trainer`: the same steps on R ranks.

When :mod:`nerve.distributed` is initialized with more than one rank (``mpirun -n R nerve
train``), :meth:`Trainer.fit` hands over to :func:`fit_data_parallel`: the model is wrapped in
:class:`~nerve.nn.parallel.DistributedDataParallel` (which shares the model's Parameter objects,
so an optimizer built on the plain model works unchanged), ``batch_size`` stays the *global*
batch and each rank trains on its share of every batch (:func:`shares`), the loss sums, correct
counts and sample counts are combined with ``all_reduce`` (:func:`reduce_epoch`), and every
decision (early stopping, ``stop()``) is taken from rank 0's numbers, so that every rank logs
the same history and ends with the same weights.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

import nerve
from nerve import nn
from nerve.utils.data import DataLoader

from .data import ArrayData
from .errors import DataError
from .evaluation import headline_metric_sum
from .history import History

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["group", "rank", "fit_data_parallel", "shares", "reduce_epoch"]


def group() -> Any:
    """The default process group's communicator when nerve.distributed is initialized with
    more than one rank, else None (plain single-process training)."""
    from nerve import distributed as dist

    if not dist.is_initialized() or dist.get_world_size() < 2:
        return None
    return dist.process_group.communicator()


def rank() -> int:
    """This process's rank (0 without a process group)."""
    from nerve import distributed as dist

    return dist.get_rank() if dist.is_initialized() else 0


def fit_data_parallel(
    trainer: Trainer, comm: Any, train_data: ArrayData, val_data: ArrayData | None, metric: str
) -> History:
    """``trainer.fit()`` on every rank of a process group of R > 1.

    Each epoch draws the same global order as a single process would (the loader's
    generator is seeded identically on every rank), cuts it into global batches of
    ``batch_size`` and gives rank ``r`` the samples ``r, r + R, ...`` of each batch. The
    ranks' losses are weighted by their share's size, so that DDP's gradient average is the
    gradient of the global batch's mean loss: R ranks take the steps one process takes.
    """
    from nerve.nn.parallel import DistributedDataParallel

    t = trainer
    me, world = comm.Get_rank(), comm.Get_size()
    has_bn = any(isinstance(m, nn.BatchNorm1d) for m in t.model.modules())
    smallest = 2 * world if has_bn else world  # BatchNorm needs 2 samples per rank
    if t.batch_size < smallest:
        need = "at least 2 samples per rank for batch normalisation" if has_bn else "one"
        raise DataError(
            f"batch_size {t.batch_size} is the global batch and must give every one of "
            f"the {world} ranks {need}; use --batch-size {smallest} or more"
        )
    # The shuffle must be the same on every rank: without a seed, rank 0 draws one.
    seed = t.seed if t.seed is not None else comm.bcast(secrets.randbits(31), root=0)
    nerve.manual_seed(seed + me)  # dropout: each rank its own masks
    loader = t._loader(train_data, seed)
    wrapped = isinstance(t.model, DistributedDataParallel)  # the caller wrapped it
    t._ddp = t.model if wrapped else DistributedDataParallel(t.model)
    t.history, t.stop_training, t.stop_reason = History(), False, ""
    t._call("on_train_begin", {})
    bar = t._bar(len(loader) if t.epochs == 1 else t.epochs) if me == 0 else None

    def train_epoch(bar: Any) -> dict[str, float]:
        return t._train_epoch(shares(loader, me, world, smallest), metric, bar, comm)

    t._epochs(train_epoch, val_data, metric, bar, comm)
    t._call("on_train_end", {"stop_reason": t.stop_reason})
    # Every rank ends with rank 0's weights (also after EarlyStopping restored its best).
    t._ddp._sync_tensors(list(t.model.parameters()) + list(t.model.buffers()))
    if not wrapped:
        t._ddp.process_group.Free()
    t._ddp = None
    t.model.eval()
    return t.history


def shares(
    loader: DataLoader, rank: int, world: int, smallest: int
) -> Iterator[tuple[Any, Any, float]]:
    """This rank's part of each global batch of ``loader``: ``(x, y, loss weight)``.

    The global order is the loader's (the same on every rank); rank ``r`` takes the samples
    ``r, r + R, ...`` of each batch. A trailing batch smaller than ``smallest`` (so that some
    rank would get no sample, or BatchNorm a single one) is skipped on every rank alike.
    """
    tensors = loader.dataset.tensors  # type: ignore[attr-defined]
    order = np.asarray(loader.sampler.indices(), dtype=np.int64)  # type: ignore[union-attr]
    size = loader.batch_size or 1
    stop = len(order) - len(order) % size if loader.drop_last else len(order)
    for start in range(0, stop, size):
        batch = order[start : min(start + size, stop)]
        if len(batch) < smallest:
            continue
        share = batch[rank::world]
        yield (*(t[share] for t in tensors), len(share) * world / len(batch))


def reduce_epoch(
    total: float,
    count: int,
    outputs: list[np.ndarray],
    targets: list[np.ndarray],
    task: str,
    head: str,
    metric: str,
) -> dict[str, float]:
    """The epoch's training loss and metric over all ranks, from this rank's loss sum, sample
    count and outputs (a rank may have had no batch: its sums are zero)."""
    from nerve import distributed as dist

    score = (
        headline_metric_sum(np.concatenate(outputs), np.concatenate(targets), task, head)
        if outputs
        else 0.0
    )
    sums = nerve.from_numpy(np.array([total, count, score], dtype=np.float64))
    dist.all_reduce(sums, op=dist.ReduceOp.SUM)
    total, count, score = (float(v) for v in sums.numpy())
    if count == 0:
        raise DataError("the training data gave no batches; it needs at least one sample")
    return {"train_loss": total / count, f"train_{metric}": score / count}
