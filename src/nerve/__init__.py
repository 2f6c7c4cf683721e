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

from . import accelerator, autograd, backends, cuda, ops  # noqa: F401 - ops attaches the Tensor methods
from . import legacy as _legacy
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend.allocator import tune_malloc as _tune_malloc
from .backend.device import device, get_default_device, set_default_device
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
from .memory_formats import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
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
    take,
)
from .ops.linalg import bmm, dot, matmul, mm, outer
from .ops.out import with_out
from .ops.promotion import result_type
from .ops.reduce import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    count_nonzero,
    max,  # noqa: A004
    mean,
    min,  # noqa: A004
    prod,
    sum,  # noqa: A004
)
from .ops.scatter import scatter, scatter_add
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
from .ops.spread import cumsum, logsumexp, norm, std, var
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
from .printing import get_printoptions, set_printoptions
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Size, Tensor, is_tensor
from .threads import (
    get_num_interop_threads,
    get_num_threads,
    set_num_interop_threads,
    set_num_threads,
)

__version__ = "0.1.0"
_tune_malloc()  # freed arrays reused, not page-faulted anew (backend/allocator.py)


def is_floating_point(input: Tensor) -> bool:
    """True when ``input``'s dtype is a floating-point one (torch.is_floating_point).

    Example:
        >>> import nerve
        >>> nerve.is_floating_point(nerve.tensor([1.0])), nerve.is_floating_point(nerve.tensor([1]))
        (True, False)
    """
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    """The number of elements of ``input`` (torch.numel).

    Example:
        >>> import nerve
        >>> nerve.numel(nerve.zeros(2, 3))
        6
    """
    return input.numel()


def detach(input: Tensor) -> Tensor:
    """``input``'s data as a new tensor outside the graph (no ``grad_fn``), as torch.detach.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0], requires_grad=True)
        >>> y = nerve.detach(x * 2)
        >>> y, y.requires_grad
        (tensor([2.]), False)
    """
    return input.detach()


# ``out=`` on the functions torch accepts it for (ops/out.py); methods and operators keep
# calling the ops directly, so only these top-level calls pay the one extra call.
add, sub, mul, div, pow = (with_out(f) for f in (add, sub, mul, div, pow))  # noqa: A001
matmul, mm, bmm = (with_out(f) for f in (matmul, mm, bmm))
exp, log, sqrt, abs, neg = (with_out(f) for f in (exp, log, sqrt, abs, neg))  # noqa: A001
sin, cos, tanh, sigmoid = (with_out(f) for f in (sin, cos, tanh, sigmoid))
floor, ceil, round = (with_out(f) for f in (floor, ceil, round))  # noqa: A001
maximum, minimum, clamp, clip, where = (with_out(f) for f in (maximum, minimum, clamp, clip, where))
max, min, prod, cumsum = (with_out(f) for f in (max, min, prod, cumsum))  # noqa: A001
mean = with_out(mean)
sum = with_out(sum, any_cast=True)  # noqa: A001 - torch accumulates into out's dtype
cat, concat, concatenate, stack = (with_out(f) for f in (cat, concat, concatenate, stack))
zeros, ones, empty, full, eye = (with_out(f, factory=True) for f in (zeros, ones, empty, full, eye))
arange, linspace = (with_out(f, factory=True) for f in (arange, linspace))
rand, randn, randint, randperm = (
    with_out(f, factory=True) for f in (rand, randn, randint, randperm)
)

# legacy spellings of course notebooks (legacy.py): torch.FloatTensor(...), Variable(...)
FloatTensor = _legacy.CPU_TYPES["FloatTensor"]
DoubleTensor = _legacy.CPU_TYPES["DoubleTensor"]
HalfTensor = _legacy.CPU_TYPES["HalfTensor"]
LongTensor = _legacy.CPU_TYPES["LongTensor"]
IntTensor = _legacy.CPU_TYPES["IntTensor"]
ShortTensor = _legacy.CPU_TYPES["ShortTensor"]
CharTensor = _legacy.CPU_TYPES["CharTensor"]
ByteTensor = _legacy.CPU_TYPES["ByteTensor"]
BoolTensor = _legacy.CPU_TYPES["BoolTensor"]
for _name, _type in _legacy.CUDA_TYPES.items():
    setattr(cuda, _name, _type)  # torch.cuda.FloatTensor
autograd.Variable = _legacy.Variable  # type: ignore[attr-defined] # torch.autograd.Variable

from . import nn, optim, utils  # noqa: E402 - they build on everything above
from .replay import compile  # noqa: E402, A004 - torch.compile's name: replays a recorded forward
from .serialization import load, save  # noqa: E402


# Order statistics, einsum, everyday tensor functions and torch.linalg (issue 12, item 4).
def logdet(input: Tensor) -> Tensor:
    """log(det(input)): NaN for a negative determinant, -inf for a singular matrix.

    Example:
        >>> import nerve
        >>> nerve.logdet(nerve.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor(1.6094)
    """
    from math import nan as not_a_number  # (this module's ``float`` is the dtype)

    signs, logabsdet = slogdet(input)
    return where(signs < 0, not_a_number, logabsdet)


from . import distributions, fft, linalg, special  # noqa: E402
from .autograd.grad_mode import is_inference_mode_enabled  # noqa: E402
from .flags import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    is_inference,
    set_float32_matmul_precision,
    typename,
    use_deterministic_algorithms,
)
from .linalg import det, slogdet  # noqa: E402
from .linalg import inv as inverse  # noqa: E402
from .linalg import pinv as pinverse  # noqa: E402
from .ops.binary_more import (  # noqa: E402
    clamp_max,
    clamp_min,
    copysign,
    divide,
    float_power,
    fmax,
    fmin,
    greater,
    greater_equal,
    hypot,
    ldexp,
    less,
    less_equal,
    logaddexp,
    logaddexp2,
    multiply,
    not_equal,
    subtract,
    true_divide,
    xlogy,
)
from .ops.compare import bitwise_and, bitwise_not, bitwise_or, bitwise_xor  # noqa: E402
from .ops.einsum import einsum  # noqa: E402
from .ops.index_write import index_add, index_copy, index_fill, index_put  # noqa: E402
from .ops.math_extra import (  # noqa: E402
    addbmm,
    addmm,
    addmv,
    arctan2,
    atan2,
    baddbmm,
    cross,
    dist,
    fmod,
    kron,
    mv,
    tensordot,
)
from .ops.math_extra2 import (  # noqa: E402
    block_diag,
    cartesian_prod,
    combinations,
    diff,
    dstack,
    moveaxis,
    ravel,
    rot90,
    take_along_dim,
    tensor_split,
    tile,
)
from .ops.math_extra3 import (  # noqa: E402
    cummax,
    cummin,
    histc,
    logcumsumexp,
    nanquantile,
    quantile,
    unique_consecutive,
)
from .ops.math_extra4 import (  # noqa: E402
    addcdiv,
    addcmul,
    aminmax,
    isin,
    lerp,
    nan_to_num,
    nanmean,
    nansum,
    std_mean,
    tril_indices,
    triu_indices,
    var_mean,
)
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
from .ops.predicates import (  # noqa: E402
    bitwise_left_shift,
    bitwise_right_shift,
    frexp,
    gcd,
    is_complex,
    is_nonzero,
    is_same_size,
    is_signed,
    isneginf,
    isposinf,
    isreal,
    lcm,
    nextafter,
    signbit,
)
from .ops.sampling import bernoulli, normal, poisson  # noqa: E402
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
from .ops.unary_more import (  # noqa: E402
    absolute,
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    cosh,
    deg2rad,
    digamma,
    erfc,
    erfinv,
    exp2,
    fix,
    i0,
    lgamma,
    logit,
    mvlgamma,
    negative,
    polygamma,
    positive,
    rad2deg,
    sgn,
    sinc,
    sinh,
)
from .type_info import e, finfo, iinfo, inf, nan, newaxis, pi  # noqa: E402
