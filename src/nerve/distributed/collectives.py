"""Collectives on nerve tensors, in place as in ``torch.distributed``.

Each call hands the tensor's own array to one of mpi4py's buffer methods (``Allreduce``,
``Bcast`` ...), which send the raw memory without pickling. A non-contiguous tensor is
copied to a contiguous buffer and the result copied back, so the caller never sees the
difference. Every rank of the group must make the same calls in the same order.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any

from ..tensor import Tensor
from .process_group import communicator, mpi, timed


class ReduceOp(enum.Enum):
    """How :func:`all_reduce`, :func:`reduce` and :func:`reduce_scatter` combine the ranks'
    values. ``AVG`` is a sum divided by the world size (floating-point tensors only).

    Example:
        >>> import nerve.distributed as dist
        >>> [op.name for op in dist.ReduceOp][:5]
        ['SUM', 'AVG', 'PRODUCT', 'MIN', 'MAX']

    In a job (every rank runs it, here ``mpirun -n 2``)::

        t = nerve.tensor([float(dist.get_rank())])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)  # every rank: tensor([1.])
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


# MPI has no logical SUM on booleans; torch's backends treat it as OR, and PRODUCT as AND.
_BOOL_OPS = {"sum": "LOR", "max": "LOR", "min": "LAND", "product": "LAND"}
_OPS = {"sum": "SUM", "avg": "SUM", "product": "PROD", "min": "MIN", "max": "MAX"}
_OPS.update(band="BAND", bor="BOR", bxor="BXOR")


def _mpi_op(op: ReduceOp, array: Any) -> Any:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a nerve.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and array.dtype.kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got dtype {array.dtype}")
    name = _BOOL_OPS.get(op.value) if array.dtype.kind == "b" else _OPS[op.value]
    if name is None:
        raise ValueError(f"ReduceOp.{op.name} is not defined for bool tensors")
    return getattr(mpi(), name)


class Work:
    """The handle an ``async_op=True`` collective returns: ``wait()`` blocks until it is done.

    Example::

        work = dist.all_reduce(t, async_op=True)
        ...  # compute while the message travels
        work.wait()
    """

    def __init__(
        self, request: Any = None, finish: Callable[[], None] | None = None, name: str = ""
    ) -> None:
        self._request, self._finish, self._name = request, finish, name

    def wait(self, timeout: Any = None) -> bool:
        if self._request is not None:
            with timed(f"{self._name} (Work.wait)"):
                self._request.Wait()
            self._request = None
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()
        return True

    def is_completed(self) -> bool:
        return self._request is None and self._finish is None


def _buffer(tensor: Tensor, name: str = "tensor") -> Any:
    """The tensor's array if MPI can write into it directly, else a contiguous copy."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a nerve Tensor, got {type(tensor).__name__}")
    array = tensor._data
    if array.flags.c_contiguous and getattr(array.flags, "writeable", True):
        return array
    return tensor.device.xp.ascontiguousarray(array)


def _store(tensor: Tensor, array: Any) -> None:
    """Make ``array`` (the result) the tensor's value, in place when it was a copy."""
    if array is not tensor._data:
        if getattr(tensor._data.flags, "writeable", True):  # CuPy has no read-only arrays
            tensor._data[...] = array
        else:  # a read-only view (a broadcast, say): rebind rather than fail
            tensor._data = array
    tensor._bump_version()


def _check_rank(rank: int, comm: Any, name: str) -> None:
    size = comm.Get_size()
    if not 0 <= rank < size:
        raise ValueError(f"{name}={rank} is not a rank of this group (0 to {size - 1})")


def _check_list(tensors: Sequence[Tensor], like: Tensor, comm: Any, name: str) -> None:
    if len(tensors) != comm.Get_size():
        raise ValueError(
            f"{name} must hold one tensor per rank ({comm.Get_size()}), got {len(tensors)}"
        )
    for index, t in enumerate(tensors):
        if not isinstance(t, Tensor) or t.shape != like.shape or t.dtype != like.dtype:
            got = f"{t.dtype} {list(t.shape)}" if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(
                f"{name}[{index}] must be a {like.dtype} tensor of shape {list(like.shape)}, "
                f"got {got}"
            )


def _average(array: Any, op: ReduceOp, size: int) -> None:
    if op is ReduceOp.AVG:
        array /= size


def all_reduce(
    tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False
) -> Work | None:
    """Combine ``tensor`` across ranks with ``op``; every rank gets the result in place.

    Example (on 2 ranks)::

        t = nerve.tensor([float(dist.get_rank() + 1)])
        dist.all_reduce(t)                       # t is tensor([3.]) on both ranks
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
    """
    comm = communicator(group)
    array = _buffer(tensor)
    mpi_op = _mpi_op(op, array)
    MPI = mpi()

    def finish() -> None:
        _average(array, op, comm.Get_size())
        _store(tensor, array)

    if async_op:
        return Work(comm.Iallreduce(MPI.IN_PLACE, array, mpi_op), finish, "all_reduce")
    with timed("all_reduce"):
        comm.Allreduce(MPI.IN_PLACE, array, mpi_op)
    finish()
    return None


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank.

    Example::

        w = nerve.randn(3)          # a different draw on each rank
        dist.broadcast(w, src=0)    # now rank 0's values everywhere
    """
    comm = communicator(group)
    _check_rank(src, comm, "src")
    array = _buffer(tensor)
    if async_op:
        return Work(comm.Ibcast(array, root=src), lambda: _store(tensor, array), "broadcast")
    with timed(f"broadcast (src={src})"):
        comm.Bcast(array, root=src)
    _store(tensor, array)
    return None


def reduce(
    tensor: Tensor,
    dst: int,
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Combine ``tensor`` across ranks into rank ``dst``'s tensor (the others are unchanged).

    Example (every rank runs it, here ``mpirun -n 2``)::

        t = nerve.full((2,), float(dist.get_rank() + 1))  # rank 0: [1, 1], rank 1: [2, 2]
        dist.reduce(t, dst=0)
        # rank 0: tensor([3., 3.]); rank 1: tensor([2., 2.]) (unchanged)
    """
    comm = communicator(group)
    _check_rank(dst, comm, "dst")
    array = _buffer(tensor)
    mpi_op = _mpi_op(op, array)
    with timed(f"reduce (dst={dst})"):
        if comm.Get_rank() == dst:
            comm.Reduce(mpi().IN_PLACE, array, mpi_op, root=dst)
        else:
            comm.Reduce(array, None, mpi_op, root=dst)
    if comm.Get_rank() == dst:
        _average(array, op, comm.Get_size())
        _store(tensor, array)
    return Work() if async_op else None


def all_gather(
    tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor``, on every rank.

    Example::

        parts = [nerve.zeros(2) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, nerve.full((2,), float(dist.get_rank())))
    """
    comm = communicator(group)
    _check_list(tensor_list, tensor, comm, "tensor_list")
    send = _buffer(tensor)
    received = tensor.device.xp.empty((comm.Get_size(),) + send.shape, send.dtype)
    with timed("all_gather"):
        comm.Allgather(send, received)
    for index, out in enumerate(tensor_list):
        _store(out, received[index])
    return Work() if async_op else None


def all_gather_into_tensor(
    output_tensor: Tensor, input_tensor: Tensor, group: Any = None, async_op: bool = False
) -> Work | None:
    """Concatenate every rank's ``input_tensor`` along dim 0 into ``output_tensor``.

    Example (every rank runs it, here ``mpirun -n 2``)::

        out = nerve.zeros(2 * dist.get_world_size())
        dist.all_gather_into_tensor(out, nerve.full((2,), float(dist.get_rank())))
        # every rank: tensor([0., 0., 1., 1.])
    """
    comm = communicator(group)
    send, out = _buffer(input_tensor, "input_tensor"), _buffer(output_tensor, "output_tensor")
    if out.size != send.size * comm.Get_size() or out.dtype != send.dtype:
        raise ValueError(
            f"output_tensor must hold world_size ({comm.Get_size()}) x input_tensor "
            f"({list(input_tensor.shape)}, {input_tensor.dtype}), got "
            f"{list(output_tensor.shape)}, {output_tensor.dtype}"
        )
    with timed("all_gather_into_tensor"):
        comm.Allgather(send, out)
    _store(output_tensor, out)
    return Work() if async_op else None


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Collect every rank's ``tensor`` into ``gather_list`` on rank ``dst`` only (the other
    ranks pass ``gather_list=None``).

    Example (every rank runs it, here ``mpirun -n 2``)::

        parts = None
        if dist.get_rank() == 0:  # only dst receives
            parts = [nerve.zeros(1) for _ in range(dist.get_world_size())]
        dist.gather(nerve.tensor([dist.get_rank() * 10.0]), parts, dst=0)
        # rank 0: parts == [tensor([0.]), tensor([10.])]; rank 1: parts is None
    """
    comm = communicator(group)
    _check_rank(dst, comm, "dst")
    send = _buffer(tensor)
    received = None
    if comm.Get_rank() == dst:
        if gather_list is None:
            raise ValueError(f"gather: rank {dst} (dst) must pass gather_list")
        _check_list(gather_list, tensor, comm, "gather_list")
        received = tensor.device.xp.empty((comm.Get_size(),) + send.shape, send.dtype)
    with timed(f"gather (dst={dst})"):
        comm.Gather(send, received, root=dst)
    if received is not None and gather_list is not None:
        for index, out in enumerate(gather_list):
            _store(out, received[index])
    return Work() if async_op else None


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int = 0,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Send ``scatter_list[r]`` from rank ``src`` into ``tensor`` on rank ``r``.

    Example (every rank runs it, here ``mpirun -n 2``)::

        t = nerve.zeros(2)
        chunks = None
        if dist.get_rank() == 0:  # only src sends
            chunks = [nerve.tensor([1.0, 2.0]), nerve.tensor([3.0, 4.0])]
        dist.scatter(t, chunks, src=0)
        # rank 0: tensor([1., 2.]); rank 1: tensor([3., 4.])
    """
    comm = communicator(group)
    _check_rank(src, comm, "src")
    receive = _buffer(tensor)
    sent = None
    if comm.Get_rank() == src:
        if scatter_list is None:
            raise ValueError(f"scatter: rank {src} (src) must pass scatter_list")
        _check_list(scatter_list, tensor, comm, "scatter_list")
        sent = tensor.device.xp.stack([t._data for t in scatter_list])
    with timed(f"scatter (src={src})"):
        comm.Scatter(sent, receive, root=src)
    _store(tensor, receive)
    return Work() if async_op else None


def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """Rank ``r`` gets, in ``output``, ``input_list[r]`` combined over all ranks with ``op``.

    Example (2 ranks)::

        out = nerve.zeros(2)
        dist.reduce_scatter(out, [nerve.ones(2), nerve.full((2,), 2.0)])
        # rank 0: tensor([2., 2.]); rank 1: tensor([4., 4.])
    """
    comm = communicator(group)
    _check_list(input_list, output, comm, "input_list")
    send = output.device.xp.stack([t._data for t in input_list])
    return _reduce_scatter(comm, output, send, op, async_op)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: Any = None,
    async_op: bool = False,
) -> Work | None:
    """:func:`reduce_scatter` with the inputs concatenated along dim 0 in one tensor.

    Example (every rank runs it, here ``mpirun -n 2``)::

        out = nerve.zeros(2)
        dist.reduce_scatter_tensor(out, nerve.arange(4.0))  # both ranks send [0, 1, 2, 3]
        # rank 0: tensor([0., 2.]); rank 1: tensor([4., 6.])
    """
    comm = communicator(group)
    send = _buffer(input, "input")
    if send.size != output.numel() * comm.Get_size() or send.dtype != output._data.dtype:
        raise ValueError(
            f"input must hold world_size ({comm.Get_size()}) x output ({list(output.shape)}, "
            f"{output.dtype}), got {list(input.shape)}, {input.dtype}"
        )
    return _reduce_scatter(comm, output, send, op, async_op)


def _reduce_scatter(comm: Any, output: Tensor, send: Any, op: ReduceOp, async_op: bool) -> Any:
    receive = _buffer(output, "output")
    mpi_op = _mpi_op(op, receive)
    with timed("reduce_scatter"):
        comm.Reduce_scatter_block(send, receive, mpi_op)
    _average(receive, op, comm.Get_size())
    _store(output, receive)
    return Work() if async_op else None
