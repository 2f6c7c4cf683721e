"""nerve: a small, readable deep-learning library on NumPy with PyTorch's API.

A PyTorch beginner's script runs on nerve with only the import changed::

    import nerve as torch
    import nerve.nn as nn

Example:
    >>> import nerve
    >>> x = nerve.tensor([[0.9, -0.2], [0.75, 0.6]])
    >>> w = nerve.randn(2, 1, requires_grad=True)
    >>> loss = (x @ w).sigmoid().mean()
    >>> loss.backward()
    >>> w.grad.shape
    nerve.Size([2, 1])
"""

from __future__ import annotations

from . import autograd, ops  # noqa: F401 - ops attaches the Tensor methods
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend.device import cuda_is_available, device
from .backend.dtypes import (
    bool_ as bool,  # noqa: A004 - torch's name
)
from .backend.dtypes import (
    double,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .backend.dtypes import float as float  # noqa: A004
from .backend.dtypes import int as int  # noqa: A004
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .ops.arith import add, div, floor_divide, mul, pow, remainder, sub  # noqa: A004
from .ops.compare import (
    allclose,
    clamp,
    clip,
    eq,
    equal,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    ne,
    where,
)
from .ops.index import (
    gather,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    take,
)
from .ops.linalg import bmm, dot, matmul, mm, outer
from .ops.promotion import result_type
from .ops.reduce import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    count_nonzero,
    cumsum,
    logsumexp,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    norm,
    prod,
    std,
    sum,  # noqa: A004
    var,
)
from .ops.shape import (
    broadcast_to,
    cat,
    chunk,
    clone,
    concat,
    concatenate,
    flatten,
    flip,
    hstack,
    movedim,
    narrow,
    permute,
    reshape,
    roll,
    select,
    split,
    squeeze,
    stack,
    swapaxes,
    t,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from .ops.softmax import log_softmax, softmax
from .ops.unary import (
    abs,  # noqa: A004
    ceil,
    cos,
    erf,
    exp,
    expm1,
    floor,
    frac,
    log,
    log1p,
    log2,
    log10,
    neg,
    reciprocal,
    relu,
    round,  # noqa: A004
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Size, Tensor, is_tensor

__version__ = "0.1.0"


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    return input.numel()


def detach(input: Tensor) -> Tensor:
    return input.detach()


class _Cuda:
    """``nerve.cuda.is_available()`` and friends."""

    @staticmethod
    def is_available() -> bool:
        return cuda_is_available()

    @staticmethod
    def device_count() -> int:
        return 1 if cuda_is_available() else 0

    @staticmethod
    def manual_seed(value: int) -> None:
        manual_seed(value)

    manual_seed_all = manual_seed


cuda = _Cuda()

from . import nn, optim, utils  # noqa: E402 - they build on everything above
from .serialization import load, save  # noqa: E402


# Order statistics, einsum, everyday tensor functions and torch.linalg (issue 12, item 4).
def logdet(input: Tensor) -> Tensor:
    """log(det(input)): NaN for a negative determinant, -inf for a singular matrix."""
    from math import nan  # this module's ``float`` is the dtype

    signs, logabsdet = slogdet(input)
    return where(signs < 0, nan, logabsdet)


from . import linalg  # noqa: E402
from .linalg import det, slogdet  # noqa: E402
from .linalg import inv as inverse  # noqa: E402
from .linalg import pinv as pinverse  # noqa: E402
from .ops.einsum import einsum  # noqa: E402
from .ops.misc import (  # noqa: E402
    bincount,
    cdist,
    cumprod,
    diag,
    diag_embed,
    diagonal,
    meshgrid,
    multinomial,
    repeat_interleave,
    trace,
)
from .ops.sort import (  # noqa: E402
    argsort,
    bucketize,
    kthvalue,
    median,
    mode,
    msort,
    return_types,
    searchsorted,
    sort,
    topk,
    unique,
)
