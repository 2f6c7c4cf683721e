"""``SyncBatchNorm``: batch normalization with the statistics of the global batch.

With plain ``BatchNorm1d`` under DistributedDataParallel each rank normalizes with the mean
and variance of its own share of the batch, so R ranks of batch B train like one process
with R separate batches of B — not like one batch of R x B, and differently from the
single-process run. SyncBatchNorm sums the per-channel statistics over all ranks instead:

1. one allreduce of [sum of x per channel, number of values] gives the global mean;
2. one allreduce of the sum of squared deviations from that mean gives the global variance
   (two passes rather than E[x²] - E[x]², which loses digits in float32).

Both allreduces are differentiable (their backward is an allreduce of the gradients), so the
backward pass matches single-process BatchNorm on the whole batch as well. The running
statistics are updated from the global ones, so they stay equal on every rank.
"""

from __future__ import annotations

from typing import Any

from ... import distributed as dist
from ...autograd.function import Function, FunctionCtx
from ...autograd.grad_mode import no_grad
from ...creation import tensor
from ...distributed.process_group import mpi, timed
from ...ops.shape import cat
from ...tensor import Tensor
from .. import norm
from ..module import Module
from ..norm import _BatchNorm


class _AllReduceSum(Function):
    """Sum across ranks, differentiable: every rank's output depends on every rank's input,
    so the gradient of a rank's input is the sum of all ranks' output gradients."""

    @staticmethod
    def forward(ctx: FunctionCtx, input: Tensor, comm: Any) -> Tensor:
        ctx.comm = comm
        return Tensor._make(_allreduce(input._data, comm))

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        return Tensor._make(_allreduce(grad._data, ctx.comm)), None


def _allreduce(array: Any, comm: Any) -> Any:
    MPI = mpi()
    result = array.copy()  # a fresh contiguous copy: the input stays as it was
    with timed("SyncBatchNorm's allreduce"):
        comm.Allreduce(MPI.IN_PLACE, result, MPI.SUM)
    return result


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, ...) inputs whose training statistics cover the batches of all
    ranks of the process group (torch.nn.SyncBatchNorm). In evaluation mode, or in a single
    process, it is an ordinary BatchNorm.

    Example::

        model = nerve.nn.parallel.SyncBatchNorm.convert_sync_batchnorm(model)
        ddp = nerve.nn.parallel.DistributedDataParallel(model)
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        process_group: Any = None,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}) got input with {input.shape[1]} channels "
                f"(shape {list(input.shape)}); expected dimension 1 to be {self.num_features}"
            )

    def _communicator(self) -> Any:
        """The group to synchronize over, or None when there is nothing to synchronize."""
        if self.process_group is None and not dist.is_initialized():
            return None
        comm = dist.process_group.communicator(self.process_group)
        return comm if comm.Get_size() > 1 else None

    def forward(self, input: Tensor) -> Tensor:
        comm = self._communicator() if self.training else None
        if comm is None:
            return super().forward(input)
        self._check_input_dim(input)
        momentum = self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # a cumulative moving average of all batches so far
                momentum = 1.0 / int(self.num_batches_tracked.item())
        channels = input.shape[1]
        axes = (0,) + tuple(range(2, input.dim()))
        shape = (1, -1) + (1,) * (input.dim() - 2)
        count = tensor([float(input.numel() // channels)], dtype=input.dtype)
        sums = _AllReduceSum.apply(cat([input.sum(dim=axes), count]), comm)
        total = float(sums[channels].item())
        if total <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got "
                f"{int(total)} over all ranks (input size {list(input.shape)} on this rank)"
            )
        mean = sums[:channels] / total
        centred = input - mean.reshape(shape)
        var = _AllReduceSum.apply((centred * centred).sum(dim=axes), comm) / total
        if self.running_mean is not None and self.running_var is not None:
            factor = 0.1 if momentum is None else momentum
            with no_grad():
                self.running_mean.mul_(1 - factor).add_(mean.detach() * factor)
                unbiased = var.detach() * (total / (total - 1))
                self.running_var.mul_(1 - factor).add_(unbiased * factor)
        out = centred * (var + self.eps).rsqrt().reshape(shape)
        if self.weight is not None:
            out = out * self.weight.reshape(shape)
        if self.bias is not None:
            out = out + self.bias.reshape(shape)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Replace every BatchNorm layer in ``module`` by a SyncBatchNorm that shares its
        parameters and running statistics; returns the converted module.

        Example:
            >>> from nerve import nn
            >>> net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
            >>> net = nn.parallel.SyncBatchNorm.convert_sync_batchnorm(net)
            >>> type(net[1]).__name__
            'SyncBatchNorm'
        """
        converted = module
        if isinstance(module, _batchnorm_classes()) and not isinstance(module, SyncBatchNorm):
            converted = cls(
                module.num_features,
                module.eps,
                module.momentum,
                module.affine,
                module.track_running_stats,
                process_group,
            )
            if module.affine:
                converted.weight, converted.bias = module.weight, module.bias
            if module.track_running_stats:
                converted.running_mean = module.running_mean
                converted.running_var = module.running_var
                converted.num_batches_tracked = module.num_batches_tracked
            object.__setattr__(converted, "training", module.training)
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _batchnorm_classes() -> tuple[type, ...]:
    return (norm.BatchNorm1d, norm.BatchNorm2d, norm.BatchNorm3d)
