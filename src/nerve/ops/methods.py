"""Tensor's operators and methods, declared once in :class:`TensorMethods`, so that ``x + y``,
``x @ w``, ``x.sum(dim=1)`` and ``x.add_(y)`` reach the very functions ``nerve.add``,
``nerve.matmul`` and ``nerve.sum`` are.

Why a class: ``Tensor`` cannot import the ops (they import ``Tensor``), so ``install`` copies
this class's attributes onto ``Tensor`` when ``nerve.ops`` is imported. Type checkers and IDEs
read the same declarations through ``Tensor``'s ``TYPE_CHECKING`` base class (see tensor.py),
with each function's own parameters, and report a misspelled ``x.summ()``. The functions are
copied as they are: a method call costs what calling ``nerve.sum`` costs, with no layer between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from ..backend import dtypes
from ..tensor import Tensor
from . import (
    arith,
    binary_more,
    compare,
    index,
    index_write,
    inplace,
    linalg,
    math_extra,
    math_extra2,
    math_extra3,
    math_extra4,
    misc,
    predicates,
    promotion,
    reduce,
    sampling,
    shape,
    spread,
    tensor_extras,
    unary,
    unary_more,
)
from . import scatter as scatter_ops  # the class body has a ``scatter``
from . import softmax as softmax_ops  # the class body below has a ``softmax`` of its own
from . import sort as sort_ops  # and a ``sort``

Binary = Callable[[Any, Any], Tensor]
Unary = Callable[[Tensor], Tensor]


def _reflected(function: Binary) -> Callable[[Tensor, Any], Tensor]:
    """``2 - x`` arrives as ``x.__rsub__(2)``: call the op with the operands swapped back."""

    def method(self: Tensor, other: Any) -> Tensor:
        return function(other, self)

    return method


def _inplace_operator(function: Binary) -> Callable[[Tensor, Any], Tensor]:
    """``x += y`` passes one operand and no keywords (``add_`` also takes ``alpha``)."""

    def method(self: Tensor, other: Any) -> Tensor:
        return function(self, other)

    return method


def _eq(self: Tensor, other: Any) -> Any:
    return False if other is None else compare.eq(self, other)


def _ne(self: Tensor, other: Any) -> Any:
    return True if other is None else compare.ne(self, other)


def _pos(self: Tensor) -> Tensor:
    return self


def _invert(self: Tensor) -> Tensor:
    if self._data.dtype.kind == "b":
        return compare.logical_not(self)
    return compare.bitwise_not(self)


def _where(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return compare.where(condition, self, other)


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    return self.to(other.dtype)


def _view(self: Tensor, *shape_or_dtype: Any) -> Tensor:
    """``x.view(2, 3)``, or ``x.view(nerve.int32)``: the same bytes read as another dtype."""
    if len(shape_or_dtype) == 1 and isinstance(shape_or_dtype[0], dtypes.dtype):
        return view_dtype(self, shape_or_dtype[0])
    return shape.view(self, *shape_or_dtype)


def view_dtype(x: Tensor, dtype: dtypes.dtype) -> Tensor:
    """Reinterpret ``x``'s bytes as ``dtype`` (torch's ``view(dtype)``): the same memory.

    Equal item sizes keep the shape; otherwise the last dimension is scaled by the size ratio,
    and it must be contiguous with a size (and offset) divisible as torch requires. Not
    differentiable when the dtype changes (the bits, not the values, carry over): the result
    is outside the graph, as torch's."""
    if dtype is x.dtype:
        return shape.view(x, x._data.shape)
    old, new = x._data.itemsize, dtype.itemsize
    data = x._data
    if old != new:
        names = (promotion.TORCH_NAMES[x.dtype.name], promotion.TORCH_NAMES[dtype.name])
        what = f"to view {names[0]} as {names[1]} (different element sizes)"
        if data.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if data.strides[-1] != old and data.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}")
        if old < new and data.shape[-1] % (new // old):
            raise RuntimeError(
                f"self.size(-1) must be divisible by {new // old} {what}, but got {data.shape[-1]}"
            )
    result = Tensor._make(data.view(dtype.np))
    result._vc = x._counter()  # the same memory: in-place changes show in both
    return result


def _view_as(self: Tensor, other: Tensor) -> Tensor:
    return shape.view(self, other.shape)


def _reshape_as(self: Tensor, other: Tensor) -> Tensor:
    return shape.reshape(self, other.shape)


def _new_zeros(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Zeros of ``size`` with this tensor's dtype and device unless given (torch's new_zeros)."""
    from ..creation import zeros

    return zeros(
        *size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _new_ones(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    from ..creation import ones

    return ones(
        *size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _new_empty(
    self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    from ..creation import empty

    return empty(
        *size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    from ..creation import full

    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        device=device or self.device,
        requires_grad=requires_grad,
    )


def _new_tensor(
    self: Tensor, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    from ..creation import tensor

    return tensor(
        data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _float(function: Any) -> Unary:
    """unary.py builds exp, log, sigmoid ... with one factory typed ``Any``: state their
    signature here so that ``x.exp()`` is a Tensor to a type checker, not ``Any``."""
    return cast(Unary, function)


class TensorMethods:
    """Every operator and method that ``Tensor`` gets from the ops, under its torch name."""

    __slots__ = ()

    # operators
    __add__ = arith.add
    __radd__ = _reflected(arith.add)
    __sub__ = arith.sub
    __rsub__ = _reflected(arith.sub)
    __mul__ = arith.mul
    __rmul__ = _reflected(arith.mul)
    __truediv__ = arith.div
    __rtruediv__ = _reflected(arith.div)
    __floordiv__ = arith.floor_divide
    __rfloordiv__ = _reflected(arith.floor_divide)
    __mod__ = arith.remainder
    __rmod__ = _reflected(arith.remainder)
    __pow__ = arith.pow
    __rpow__ = _reflected(arith.pow)
    __matmul__ = linalg.matmul
    __rmatmul__ = _reflected(linalg.matmul)
    __neg__ = unary.neg
    __pos__ = _pos
    __abs__ = unary.abs
    __invert__ = _invert
    __and__ = compare.bitwise_and
    __rand__ = _reflected(compare.bitwise_and)
    __or__ = compare.bitwise_or
    __ror__ = _reflected(compare.bitwise_or)
    __xor__ = compare.bitwise_xor
    __rxor__ = _reflected(compare.bitwise_xor)
    __eq__ = _eq  # type: ignore[assignment] # elementwise, as torch's (object's returns bool)
    __ne__ = _ne  # type: ignore[assignment]
    __lt__ = compare.lt
    __le__ = compare.le
    __gt__ = compare.gt
    __ge__ = compare.ge
    __getitem__ = index.getitem
    __setitem__ = index.setitem
    __iadd__ = _inplace_operator(inplace.add_)
    __isub__ = _inplace_operator(inplace.sub_)
    __imul__ = _inplace_operator(inplace.mul_)
    __itruediv__ = _inplace_operator(inplace.div_)
    __ipow__ = _inplace_operator(inplace.pow_)
    __ifloordiv__ = _inplace_operator(inplace.floor_divide_)
    __imod__ = _inplace_operator(inplace.remainder_)

    # arithmetic and elementwise math
    add = arith.add
    sub = subtract = arith.sub
    mul = multiply = arith.mul
    div = divide = true_divide = arith.div
    floor_divide = arith.floor_divide
    remainder = arith.remainder
    pow = arith.pow
    neg = negative = unary.neg
    abs = absolute = unary.abs
    exp = _float(unary.exp)
    expm1 = _float(unary.expm1)
    log = _float(unary.log)
    log2 = _float(unary.log2)
    log10 = _float(unary.log10)
    log1p = _float(unary.log1p)
    sqrt = _float(unary.sqrt)
    rsqrt = _float(unary.rsqrt)
    reciprocal = _float(unary.reciprocal)
    square = unary.square
    sin = _float(unary.sin)
    cos = _float(unary.cos)
    tan = _float(unary.tan)
    tanh = _float(unary.tanh)
    sigmoid = _float(unary.sigmoid)
    erf = _float(unary.erf)
    relu = unary.relu
    sign = unary.sign
    floor = unary.floor
    ceil = unary.ceil
    round = unary.round
    trunc = unary.trunc
    frac = unary.frac
    clamp = clip = compare.clamp
    maximum = compare.maximum
    minimum = compare.minimum
    where = _where

    # comparisons and logic
    eq = compare.eq
    ne = compare.ne
    lt = compare.lt
    le = compare.le
    gt = compare.gt
    ge = compare.ge
    equal = compare.equal
    allclose = compare.allclose
    isclose = compare.isclose
    isnan = compare.isnan
    isinf = compare.isinf
    isfinite = compare.isfinite
    logical_and = compare.logical_and
    logical_or = compare.logical_or
    logical_xor = compare.logical_xor
    logical_not = compare.logical_not

    # linear algebra
    matmul = linalg.matmul
    mm = linalg.mm
    bmm = linalg.bmm
    dot = linalg.dot
    outer = linalg.outer

    # reductions
    sum = reduce.sum
    mean = reduce.mean
    prod = reduce.prod
    max = reduce.max
    min = reduce.min
    amax = reduce.amax
    amin = reduce.amin
    argmax = reduce.argmax
    argmin = reduce.argmin
    var = spread.var
    std = spread.std
    logsumexp = spread.logsumexp
    norm = spread.norm
    cumsum = spread.cumsum
    all = reduce.all
    any = reduce.any
    count_nonzero = reduce.count_nonzero
    softmax = softmax_ops.softmax
    log_softmax = softmax_ops.log_softmax

    # shapes
    reshape = shape.reshape
    view = _view
    view_as = _view_as
    reshape_as = _reshape_as
    flatten = shape.flatten
    unflatten = shape.unflatten
    squeeze = shape.squeeze
    unsqueeze = shape.unsqueeze
    transpose = swapaxes = swapdims = shape.transpose
    permute = shape.permute
    t = shape.t
    movedim = shape.movedim
    expand = shape.expand
    expand_as = shape.expand_as
    broadcast_to = shape.broadcast_to
    repeat = shape.repeat
    split = shape.split
    chunk = shape.chunk
    unbind = shape.unbind
    flip = shape.flip
    roll = shape.roll
    tril = shape.tril
    triu = shape.triu
    narrow = shape.narrow
    select = shape.select
    clone = shape.clone
    contiguous = shape.contiguous

    @property
    def T(self) -> Tensor:  # noqa: N802 - torch's name
        """The dimensions reversed (a matrix's transpose)."""
        return shape.T(cast(Tensor, self))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - torch's name
        """The last two dimensions swapped (a batch of matrices, each transposed)."""
        return shape.mT(cast(Tensor, self))

    # indexing
    gather = index.gather
    scatter_add = scatter_ops.scatter_add
    scatter = scatter_ops.scatter
    index_select = index.index_select
    masked_fill = index.masked_fill
    masked_select = index.masked_select
    nonzero = index.nonzero
    take = index.take

    # in place
    add_ = inplace.add_
    sub_ = inplace.sub_
    mul_ = inplace.mul_
    div_ = inplace.div_
    pow_ = inplace.pow_
    zero_ = inplace.zero_
    fill_ = inplace.fill_
    copy_ = inplace.copy_
    clamp_ = clip_ = inplace.clamp_
    masked_fill_ = inplace.masked_fill_
    uniform_ = inplace.uniform_
    normal_ = inplace.normal_
    relu_ = inplace.unary_("relu")
    sigmoid_ = inplace.unary_("sigmoid")
    tanh_ = inplace.unary_("tanh")
    exp_ = inplace.unary_("exp")
    log_ = inplace.unary_("log")
    sqrt_ = inplace.unary_("sqrt")
    neg_ = inplace.unary_("neg")
    abs_ = inplace.unary_("abs")
    floor_ = inplace.unary_("floor")
    ceil_ = inplace.unary_("ceil")
    round_ = inplace.unary_("round")
    trunc_ = inplace.unary_("trunc")
    sign_ = inplace.unary_("sign")
    sin_ = inplace.unary_("sin")
    cos_ = inplace.unary_("cos")
    reciprocal_ = inplace.unary_("reciprocal")

    # order statistics and everyday functions (ops/sort.py, ops/misc.py: their TENSOR_METHODS)
    sort = sort_ops.sort
    argsort = sort_ops.argsort
    msort = sort_ops.msort
    topk = sort_ops.topk
    kthvalue = sort_ops.kthvalue
    median = sort_ops.median
    mode = sort_ops.mode
    unique = sort_ops.unique
    diag = misc.diag
    diagonal = misc.diagonal
    diag_embed = misc.diag_embed
    trace = misc.trace
    repeat_interleave = misc.repeat_interleave
    bincount = misc.bincount
    cumprod = misc.cumprod
    multinomial = misc.multinomial

    # products, shapes and running statistics (ops/math_extra*.py: their TENSOR_METHODS)
    addmm = math_extra.addmm
    addmv = math_extra.addmv
    mv = math_extra.mv
    baddbmm = math_extra.baddbmm
    addbmm = math_extra.addbmm
    kron = math_extra.kron
    cross = math_extra.cross
    dist = math_extra.dist
    lerp = math_extra4.lerp
    addcmul = math_extra4.addcmul
    addcdiv = math_extra4.addcdiv
    nan_to_num = math_extra4.nan_to_num
    atan2 = math_extra.atan2
    arctan2 = math_extra.arctan2
    fmod = math_extra.fmod
    tile = math_extra2.tile
    ravel = math_extra2.ravel
    moveaxis = math_extra2.moveaxis
    rot90 = math_extra2.rot90
    tensor_split = math_extra2.tensor_split
    diff = math_extra2.diff
    take_along_dim = math_extra2.take_along_dim
    nansum = math_extra4.nansum
    nanmean = math_extra4.nanmean
    aminmax = math_extra4.aminmax
    cummax = math_extra3.cummax
    cummin = math_extra3.cummin
    logcumsumexp = math_extra3.logcumsumexp
    histc = math_extra3.histc
    quantile = math_extra3.quantile
    nanquantile = math_extra3.nanquantile
    unique_consecutive = math_extra3.unique_consecutive

    # writing at indices (ops/index_write.py: its TENSOR_METHODS)
    index_add = index_write.index_add
    index_copy = index_write.index_copy
    index_fill = index_write.index_fill
    index_put = index_write.index_put
    scatter_ = index_write.scatter_
    scatter_add_ = index_write.scatter_add_
    index_add_ = index_write.index_add_
    index_copy_ = index_write.index_copy_
    index_fill_ = index_write.index_fill_
    index_put_ = index_write.index_put_

    # sampling and the smaller conveniences (ops/sampling.py, ops/tensor_extras.py: theirs)
    bernoulli = sampling.bernoulli
    bernoulli_ = sampling.bernoulli_
    random_ = sampling.random_
    exponential_ = sampling.exponential_
    geometric_ = sampling.geometric_
    log_normal_ = sampling.log_normal_
    cauchy_ = sampling.cauchy_
    unsqueeze_ = tensor_extras.unsqueeze_
    squeeze_ = tensor_extras.squeeze_
    t_ = tensor_extras.t_
    transpose_ = tensor_extras.transpose_
    swapdims_ = tensor_extras.transpose_
    swapaxes_ = tensor_extras.transpose_
    tril_ = tensor_extras.tril_
    triu_ = tensor_extras.triu_
    cumsum_ = tensor_extras.cumsum_
    cumprod_ = tensor_extras.cumprod_
    fill_diagonal_ = tensor_extras.fill_diagonal_
    sum_to_size = tensor_extras.sum_to_size
    split_with_sizes = tensor_extras.split_with_sizes
    apply_ = tensor_extras.apply_
    map_ = tensor_extras.map_
    data_ptr = tensor_extras.data_ptr
    storage_offset = tensor_extras.storage_offset
    get_device = tensor_extras.get_device
    ndimension = tensor_extras.ndimension
    is_inference = tensor_extras._false
    pin_memory = tensor_extras._unchanged
    is_pinned = tensor_extras._false
    share_memory_ = tensor_extras._unchanged
    is_shared = tensor_extras._false

    adjoint = tensor_extras.batched_conjugate_transpose

    @property
    def H(self) -> Tensor:  # noqa: N802 - torch's name
        """The conjugate transpose of a matrix (of a real one: its transpose)."""
        return tensor_extras.conjugate_transpose(cast(Tensor, self))

    @property
    def mH(self) -> Tensor:  # noqa: N802 - torch's name
        """The last two dimensions swapped and conjugated (real tensors: swapped)."""
        return tensor_extras.batched_conjugate_transpose(cast(Tensor, self))

    @property
    def nbytes(self) -> int:
        """The bytes its elements take."""
        return int(cast(Tensor, self)._data.nbytes)

    @property
    def itemsize(self) -> int:
        """The bytes of one element."""
        return int(cast(Tensor, self)._data.itemsize)

    # elementwise math, its in-place forms and predicates (ops/unary_more.py,
    # ops/binary_more.py, ops/predicates.py: their TENSOR_METHODS)
    asin = unary_more.asin
    acos = unary_more.acos
    atan = unary_more.atan
    sinh = unary_more.sinh
    cosh = unary_more.cosh
    asinh = unary_more.asinh
    acosh = unary_more.acosh
    atanh = unary_more.atanh
    exp2 = unary_more.exp2
    erfc = unary_more.erfc
    erfinv = unary_more.erfinv
    lgamma = unary_more.lgamma
    digamma = unary_more.digamma
    i0 = unary_more.i0
    sinc = unary_more.sinc
    logit = unary_more.logit
    deg2rad = unary_more.deg2rad
    rad2deg = unary_more.rad2deg
    arcsin = unary_more.arcsin
    arccos = unary_more.arccos
    arctan = unary_more.arctan
    arcsinh = unary_more.arcsinh
    arccosh = unary_more.arccosh
    arctanh = unary_more.arctanh
    polygamma = unary_more._polygamma_method
    mvlgamma = unary_more.mvlgamma
    sgn = unary_more.sgn
    positive = unary_more.positive
    negative = unary_more.negative
    absolute = unary_more.absolute
    fix = unary_more.fix
    xlogy = binary_more.xlogy
    hypot = binary_more.hypot
    copysign = binary_more.copysign
    ldexp = binary_more.ldexp
    logaddexp = binary_more.logaddexp
    logaddexp2 = binary_more.logaddexp2
    float_power = binary_more.float_power
    fmax = binary_more.fmax
    fmin = binary_more.fmin
    greater = binary_more.greater
    greater_equal = binary_more.greater_equal
    less = binary_more.less
    less_equal = binary_more.less_equal
    not_equal = binary_more.not_equal
    clamp_min = binary_more.clamp_min
    clamp_max = binary_more.clamp_max
    remainder_ = binary_more.remainder_
    floor_divide_ = binary_more.floor_divide_
    float_power_ = binary_more._float_power_
    gcd = predicates.gcd
    lcm = predicates.lcm
    nextafter = predicates.nextafter
    bitwise_and = predicates.bitwise_and
    bitwise_or = predicates.bitwise_or
    bitwise_xor = predicates.bitwise_xor
    bitwise_left_shift = predicates.bitwise_left_shift
    bitwise_right_shift = predicates.bitwise_right_shift
    bitwise_not = predicates.bitwise_not
    signbit = predicates.signbit
    isposinf = predicates.isposinf
    isneginf = predicates.isneginf
    isreal = predicates.isreal
    frexp = predicates.frexp
    is_complex = predicates.is_complex
    is_signed = predicates.is_signed
    is_nonzero = predicates.is_nonzero
    is_same_size = predicates.is_same_size
    __lshift__ = predicates.bitwise_left_shift
    __rshift__ = predicates.bitwise_right_shift

    asin_ = unary_more.TENSOR_METHODS["asin_"]
    acos_ = unary_more.TENSOR_METHODS["acos_"]
    atan_ = unary_more.TENSOR_METHODS["atan_"]
    sinh_ = unary_more.TENSOR_METHODS["sinh_"]
    cosh_ = unary_more.TENSOR_METHODS["cosh_"]
    asinh_ = unary_more.TENSOR_METHODS["asinh_"]
    acosh_ = unary_more.TENSOR_METHODS["acosh_"]
    atanh_ = unary_more.TENSOR_METHODS["atanh_"]
    exp2_ = unary_more.TENSOR_METHODS["exp2_"]
    erfc_ = unary_more.TENSOR_METHODS["erfc_"]
    erfinv_ = unary_more.TENSOR_METHODS["erfinv_"]
    lgamma_ = unary_more.TENSOR_METHODS["lgamma_"]
    digamma_ = unary_more.TENSOR_METHODS["digamma_"]
    i0_ = unary_more.TENSOR_METHODS["i0_"]
    sinc_ = unary_more.TENSOR_METHODS["sinc_"]
    logit_ = unary_more.TENSOR_METHODS["logit_"]
    deg2rad_ = unary_more.TENSOR_METHODS["deg2rad_"]
    rad2deg_ = unary_more.TENSOR_METHODS["rad2deg_"]
    arcsin_ = unary_more.TENSOR_METHODS["arcsin_"]
    arccos_ = unary_more.TENSOR_METHODS["arccos_"]
    arctan_ = unary_more.TENSOR_METHODS["arctan_"]
    arcsinh_ = unary_more.TENSOR_METHODS["arcsinh_"]
    arccosh_ = unary_more.TENSOR_METHODS["arccosh_"]
    arctanh_ = unary_more.TENSOR_METHODS["arctanh_"]
    expm1_ = unary_more.TENSOR_METHODS["expm1_"]
    log1p_ = unary_more.TENSOR_METHODS["log1p_"]
    log2_ = unary_more.TENSOR_METHODS["log2_"]
    log10_ = unary_more.TENSOR_METHODS["log10_"]
    rsqrt_ = unary_more.TENSOR_METHODS["rsqrt_"]
    erf_ = unary_more.TENSOR_METHODS["erf_"]
    tan_ = unary_more.TENSOR_METHODS["tan_"]
    frac_ = unary_more.TENSOR_METHODS["frac_"]
    polygamma_ = unary_more.TENSOR_METHODS["polygamma_"]
    mvlgamma_ = unary_more.TENSOR_METHODS["mvlgamma_"]
    sgn_ = unary_more.TENSOR_METHODS["sgn_"]
    negative_ = unary_more.TENSOR_METHODS["negative_"]
    absolute_ = unary_more.TENSOR_METHODS["absolute_"]
    fix_ = unary_more.TENSOR_METHODS["fix_"]
    square_ = unary_more.TENSOR_METHODS["square_"]
    xlogy_ = binary_more.TENSOR_METHODS["xlogy_"]
    hypot_ = binary_more.TENSOR_METHODS["hypot_"]
    copysign_ = binary_more.TENSOR_METHODS["copysign_"]
    ldexp_ = binary_more.TENSOR_METHODS["ldexp_"]
    divide_ = binary_more.TENSOR_METHODS["divide_"]
    true_divide_ = binary_more.TENSOR_METHODS["true_divide_"]
    multiply_ = binary_more.TENSOR_METHODS["multiply_"]
    subtract_ = binary_more.TENSOR_METHODS["subtract_"]
    clamp_min_ = binary_more.TENSOR_METHODS["clamp_min_"]
    clamp_max_ = binary_more.TENSOR_METHODS["clamp_max_"]
    eq_ = binary_more.TENSOR_METHODS["eq_"]
    ne_ = binary_more.TENSOR_METHODS["ne_"]
    lt_ = binary_more.TENSOR_METHODS["lt_"]
    le_ = binary_more.TENSOR_METHODS["le_"]
    gt_ = binary_more.TENSOR_METHODS["gt_"]
    ge_ = binary_more.TENSOR_METHODS["ge_"]
    greater_ = binary_more.TENSOR_METHODS["greater_"]
    greater_equal_ = binary_more.TENSOR_METHODS["greater_equal_"]
    less_ = binary_more.TENSOR_METHODS["less_"]
    less_equal_ = binary_more.TENSOR_METHODS["less_equal_"]
    not_equal_ = binary_more.TENSOR_METHODS["not_equal_"]
    logical_and_ = binary_more.TENSOR_METHODS["logical_and_"]
    logical_or_ = binary_more.TENSOR_METHODS["logical_or_"]
    logical_xor_ = binary_more.TENSOR_METHODS["logical_xor_"]
    logical_not_ = binary_more.TENSOR_METHODS["logical_not_"]
    gcd_ = predicates.TENSOR_METHODS["gcd_"]
    lcm_ = predicates.TENSOR_METHODS["lcm_"]
    nextafter_ = predicates.TENSOR_METHODS["nextafter_"]
    bitwise_and_ = predicates.TENSOR_METHODS["bitwise_and_"]
    bitwise_or_ = predicates.TENSOR_METHODS["bitwise_or_"]
    bitwise_xor_ = predicates.TENSOR_METHODS["bitwise_xor_"]
    bitwise_left_shift_ = predicates.TENSOR_METHODS["bitwise_left_shift_"]
    bitwise_right_shift_ = predicates.TENSOR_METHODS["bitwise_right_shift_"]
    bitwise_not_ = predicates.TENSOR_METHODS["bitwise_not_"]

    # construction and conversion
    new_zeros = _new_zeros
    new_ones = _new_ones
    new_empty = _new_empty
    new_full = _new_full
    new_tensor = _new_tensor
    type_as = _type_as


# Python adds these to a class body (``__hash__ = None`` with ``__eq__``): not Tensor's to take.
_CLASS_MACHINERY = frozenset(
    {"__module__", "__qualname__", "__doc__", "__slots__", "__hash__"}
    | {"__firstlineno__", "__static_attributes__"}  # Python 3.13
)


def install() -> None:
    """Copy every declaration of :class:`TensorMethods` onto ``Tensor``, unchanged."""
    for name, value in vars(TensorMethods).items():
        if name not in _CLASS_MACHINERY:
            setattr(Tensor, name, value)
    # the modules that list their methods: none forgotten above
    for table in (
        sort_ops.TENSOR_METHODS,
        misc.TENSOR_METHODS,
        index_write.TENSOR_METHODS,
        sampling.TENSOR_METHODS,
        tensor_extras.TENSOR_METHODS,
        math_extra.TENSOR_METHODS,
        math_extra2.TENSOR_METHODS,
        math_extra3.TENSOR_METHODS,
        math_extra4.TENSOR_METHODS,
        unary_more.TENSOR_METHODS,
        binary_more.TENSOR_METHODS,
        predicates.TENSOR_METHODS,
    ):
        for name, value in table.items():
            setattr(Tensor, name, value)
