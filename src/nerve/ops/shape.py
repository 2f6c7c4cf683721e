"""Shape ops: reshape, view, squeeze, transpose, permute, expand, repeat, clone ... Ops that
return a view of their input share its version counter, so that an in-place change through the
view is seen by the graph, as in torch. Joining and splitting (cat, stack, split ...) are in
join.py, reordering (flip, roll, tril, triu) in reorder.py; their names are re-exported here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import memory_formats as formats
from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..backend.layout import laid_out, prefers_channels_last, to_channels_last
from ..tensor import Size, Tensor, _check_dim
from .dual import sum as dual_sum
from .dual import sum_to


def _sizes(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def memory_owner(array: Any) -> Any:
    """The array that owns the memory ``array`` looks at."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def as_view(result: Tensor, input: Tensor, replay: Callable[[Tensor], Tensor]) -> Tensor:
    """Mark ``result`` as a view of ``input`` when its array shares the memory (a reshape may
    have copied instead). ``replay(t)`` redoes the view op on a tensor ``t``: the view keeps a
    function from its base to itself, so that an in-place change of the view can be recorded
    on the base too (ops/inplace.py)."""
    if result._data is not input._data and memory_owner(result._data) is memory_owner(input._data):
        result._vc = input._counter()
        if input._base is None:
            result._base, result._view_fn = input, replay
        else:
            outer = input._view_fn
            result._base, result._view_fn = input._base, lambda base: replay(outer(base))
    return result


class Reshape(Node):
    saves = ()

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, g: Any) -> Any:
        return g.reshape(self.in_shape)


def _resolve_shape(shape: tuple[int, ...], source: tuple[int, ...], op: str) -> tuple[int, ...]:
    """``shape`` with its -1 inferred, checked to hold as many elements as ``source``."""
    numel = 1
    for n in source:
        numel *= n
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred, got shape {list(shape)}")
    known = 1
    for n in shape:
        if n != -1:
            if n < 0:
                raise RuntimeError(f"{op}: invalid shape dimension {n} in {list(shape)}")
            known *= n
    if (known == 0 or numel % known) if -1 in shape else known != numel:
        raise RuntimeError(
            f"{op}: shape '{list(shape)}' is invalid for input of size {numel} "
            f"(a tensor of shape {list(source)})"
        )
    return tuple(numel // known if n == -1 else n for n in shape)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data in a new shape (a view when possible, otherwise a copy); -1 is inferred.

    Example:
        >>> import nerve
        >>> nerve.reshape(nerve.arange(6), (2, -1))
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    target = _resolve_shape(_sizes(shape), input._data.shape, "reshape")
    if target == input._data.shape:
        return input if not input.requires_grad else apply(Reshape, input, shape=target)
    return as_view(apply(Reshape, input, shape=target), input, lambda t: reshape(t, target))


def view(input: Tensor, *shape: Any) -> Tensor:
    """Like :func:`reshape`, but never copies: non-contiguous data gives torch's error."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, Size)):
        return input.to(shape[0])  # view(dtype) reinterpretation is not supported: convert
    target = _resolve_shape(_sizes(shape), input._data.shape, "view")
    probe = input._data.view()
    try:
        probe.shape = target
    except (AttributeError, ValueError):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    return as_view(apply(Reshape, input, shape=target), input, lambda t: view(t, target))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """The dimensions ``start_dim`` to ``end_dim`` joined into one, as torch.flatten.

    Example:
        >>> import nerve
        >>> nerve.flatten(nerve.zeros(2, 3, 4)).shape, nerve.flatten(nerve.zeros(2, 3, 4), 1).shape
        (nerve.Size([24]), nerve.Size([2, 12]))
    """
    shape = input._data.shape
    if not shape:
        return input.reshape(1)
    start = _check_dim(start_dim, len(shape), "flatten")
    end = _check_dim(end_dim, len(shape), "flatten")
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = 1
    for n in shape[start : end + 1]:
        merged *= n
    return input.reshape(shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dimension ``dim`` split into ``sizes`` (one may be -1), as torch.unflatten.

    Example:
        >>> import nerve
        >>> nerve.unflatten(nerve.zeros(2, 12), 1, (3, -1)).shape
        nerve.Size([2, 3, 4])
    """
    shape = input._data.shape
    axis = _check_dim(dim, len(shape), "unflatten")
    sizes = _resolve_shape(tuple(sizes), (shape[axis],), "unflatten")
    return input.reshape(shape[:axis] + tuple(sizes) + shape[axis + 1 :])


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dimensions of size 1 (only those in ``dim`` when given).

    Example:
        >>> import nerve
        >>> x = nerve.zeros(2, 1, 3, 1)
        >>> nerve.squeeze(x).shape, nerve.squeeze(x, 1).shape
        (nerve.Size([2, 3]), nerve.Size([2, 3, 1]))
    """
    shape = input._data.shape
    if dim is None:
        dims = {i for i, n in enumerate(shape) if n == 1}
    else:
        dims = {
            _check_dim(d, len(shape), "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)
        }
        dims = {d for d in dims if shape and shape[d] == 1}
    return input.reshape(tuple(n for i, n in enumerate(shape) if i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (in [-ndim-1, ndim]).

    Example:
        >>> import nerve
        >>> nerve.unsqueeze(nerve.tensor([1, 2]), 1)
        tensor([[1],
                [2]])
    """
    ndim = input._data.ndim
    axis = _check_dim(dim, ndim + 1, "unsqueeze")
    shape = input._data.shape
    return input.reshape(shape[:axis] + (1,) + shape[axis:])


class Permute(Node):
    saves = ()

    def forward(self, x: Any, axes: tuple[int, ...]) -> Any:
        self.axes = axes
        return x.transpose(axes)

    def backward(self, g: Any) -> Any:
        inverse = [0] * len(self.axes)
        for i, axis in enumerate(self.axes):
            inverse[axis] = i
        return run(Permute, g, axes=tuple(inverse))


def permute(input: Tensor, *dims: Any) -> Tensor:
    """The dimensions reordered: dimension ``i`` of the result is ``dims[i]`` of ``input``.

    Example:
        >>> import nerve
        >>> nerve.permute(nerve.zeros(2, 3, 4), (2, 0, 1)).shape
        nerve.Size([4, 2, 3])
    """
    ndim = input._data.ndim
    axes = tuple(_check_dim(d, ndim, "permute") for d in _sizes(dims))
    if sorted(axes) != list(range(ndim)):
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
            f"to len(dims) = {len(axes)}"
            if len(axes) != ndim
            else f"permute: repeated dim in {list(dims)}"
        )
    return as_view(apply(Permute, input, axes=axes), input, lambda t: permute(t, axes))


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Dimensions ``dim0`` and ``dim1`` swapped (torch.transpose; also ``swapaxes``, ``swapdims``).

    Example:
        >>> import nerve
        >>> nerve.transpose(nerve.zeros(2, 3, 4), 0, 2).shape
        nerve.Size([4, 3, 2])
    """
    ndim = input._data.ndim
    if ndim == 0:
        return input
    axes = list(range(ndim))
    a, b = _check_dim(dim0, ndim, "transpose"), _check_dim(dim1, ndim, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return permute(input, axes)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-D or 1-D tensor is returned as is), as torch.t.

    Example:
        >>> import nerve
        >>> nerve.t(nerve.tensor([[1, 2, 3]]))
        tensor([[1],
                [2],
                [3]])
    """
    if input._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D"
        )
    return permute(input, tuple(reversed(range(input._data.ndim))))


def T(input: Tensor) -> Tensor:  # noqa: N802 - the property .T
    return permute(input, tuple(reversed(range(input._data.ndim))))


def mT(input: Tensor) -> Tensor:  # noqa: N802 - the property .mT
    if input._data.ndim < 2:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(input, -2, -1)


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Dimension(s) ``source`` moved to position(s) ``destination``, the others keeping their
    order (torch.movedim).

    Example:
        >>> import nerve
        >>> nerve.movedim(nerve.zeros(2, 3, 4), 0, -1).shape
        nerve.Size([3, 4, 2])
    """
    ndim = input._data.ndim
    sources = [
        _check_dim(d, ndim, "movedim") for d in ((source,) if isinstance(source, int) else source)
    ]
    targets = [
        _check_dim(d, ndim, "movedim")
        for d in ((destination,) if isinstance(destination, int) else destination)
    ]
    order = [d for d in range(ndim) if d not in sources]
    for target, src in sorted(zip(targets, sources)):
        order.insert(target, src)
    return permute(input, order)


class Expand(Node):
    saves = ()

    def forward(self, x: Any, shape: tuple[int, ...]) -> Any:
        self.in_shape = x.shape
        return xp_of(x).broadcast_to(x, shape)

    def backward(self, g: Any) -> Any:
        return sum_to(g, self.in_shape)


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """A broadcast view with ``sizes`` (-1 keeps a dimension); no memory is copied."""
    sizes = _sizes(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = tuple(shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    for i, n in enumerate(shape):
        if n != 1 and target[lead + i] != n:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[lead + i]}) must match the existing "
                "size "
                f"({n}) at non-singleton dimension {lead + i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(shape)}"
            )
    if target == shape:
        return input
    return as_view(apply(Expand, input, shape=target), input, lambda t: expand(t, target))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.shape)


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    """``input`` expanded to ``shape`` by the broadcasting rules (-1 keeps a size), as
    torch.broadcast_to.

    Example:
        >>> import nerve
        >>> nerve.broadcast_to(nerve.tensor([1, 2]), (2, 2))
        tensor([[1, 2],
                [1, 2]])
    """
    return expand(input, tuple(shape))


class Repeat(Node):
    saves = ()

    def forward(self, x: Any, reps: tuple[int, ...]) -> Any:
        self.x_shape = x.shape
        self.in_shape = (1,) * (len(reps) - x.ndim) + x.shape
        self.reps = reps
        return xp_of(x).tile(x, reps)

    def backward(self, g: Any) -> Any:
        interleaved: list[int] = []
        for r, n in zip(self.reps, self.in_shape):
            interleaved += [r, n]
        summed = dual_sum(g.reshape(tuple(interleaved)), tuple(range(0, 2 * len(self.reps), 2)))
        return summed.reshape(self.x_shape)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes`` times along each dimension (torch.Tensor.repeat)."""
    reps = _sizes(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    return apply(Repeat, input, reps=reps)


class Clone(Node):
    """A copy of x; with ``permutation`` (a memory format's, memory_formats.py), laid out in
    that order of axes, so that it is C-ordered when transposed by it. Its gradient is the
    output's, laid out as x was (channels-last or not): a stretch of layers on channels-last
    maps (nn/channels_last.py) then runs its backward on channels-last maps too."""

    saves = ()

    def forward(self, x: Any, *, permutation: tuple[int, ...] | None = None) -> Any:
        self.channels_last = prefers_channels_last(x)
        return x.copy() if permutation is None else laid_out(x, permutation)

    def backward(self, g: Any) -> Any:
        if isinstance(g, Tensor) or prefers_channels_last(g) == self.channels_last:
            return g  # (recorded, for a second derivative: its values are what counts)
        return to_channels_last(g) if self.channels_last else xp_of(g).ascontiguousarray(g)


def clone(input: Tensor, *, memory_format: Any = formats.preserve_format) -> Tensor:
    """A copy of the data that stays in the graph (gradients flow back to ``input``), laid
    out in ``memory_format`` (default ``nerve.preserve_format``: a channels-last input's copy is
    channels-last, any other is contiguous).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0], requires_grad=True)
        >>> y = nerve.clone(x)
        >>> y.sum().backward()
        >>> x.grad
        tensor([1., 1.])
    """
    format = formats.resolve(input._data, formats.check(memory_format), "clone")
    permutation = format.permutation() if format.rank else None
    return apply(Clone, input, permutation=permutation)


def contiguous(input: Tensor, memory_format: Any = formats.contiguous_format) -> Tensor:
    """``input`` itself when it lies in ``memory_format`` (default: contiguous, C order),
    else a copy that does (torch's Tensor.contiguous).

    Example:
        >>> import nerve
        >>> x = nerve.zeros(1, 2, 3, 3)
        >>> x.contiguous() is x, x.contiguous(memory_format=nerve.channels_last).stride()
        (True, (18, 1, 6, 2))
    """
    format = formats.check(memory_format)
    if format is formats.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    if formats.is_in(input._data, format):
        return input
    return clone(input, memory_format=formats.resolve(input._data, format, "contiguous"))


# Re-exported: nerve.ops.shape has always offered them.
from .join import (  # noqa: E402, F401
    Cat,
    cat,
    chunk,
    concat,
    concatenate,
    hstack,
    narrow,
    select,
    split,
    stack,
    unbind,
    vstack,
)
from .reorder import Flip, Roll, Triangle, flip, roll, tril, triu  # noqa: E402, F401
