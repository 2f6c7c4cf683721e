"""torch.linalg's names: norms, inverses, solves, determinants and factorisations.

Checked here (square batches, floating dtypes, torch's messages), computed by the graph nodes of
``nerve.ops.linalg_ext``; the norms and lstsq are compositions of those nodes and the
reductions. Failures of a factorisation raise :class:`LinAlgError`, a ``RuntimeError`` as in
torch.

Example:
    >>> import nerve
    >>> a = nerve.tensor([[2.0, 0.0], [0.0, 4.0]])
    >>> nerve.linalg.inv(a)
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import Any

from ..autograd.node import apply
from ..backend import dtypes
from ..backend.device import xp_of
from ..ops.linalg import matmul
from ..ops.linalg_ext import Cholesky, Det, Eigh, Inv, LogAbsDet, Pinv, Qr, Solve, Svd
from ..ops.reduce import amax, amin
from ..ops.spread import norm as _vector_p_norm
from ..tensor import Tensor, _check_dim

slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
eigh_result = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
svd_result = namedtuple("linalg_svd", ["U", "S", "Vh"])
qr_result = namedtuple("linalg_qr", ["Q", "R"])
lstsq_result = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


class LinAlgError(RuntimeError):
    """A factorisation or inverse failed (torch.linalg.LinAlgError)."""


def _check(a: Tensor, op: str, square: bool = True) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{op}: expected a tensor, got {type(a).__name__}")
    if a._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if a._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {a.dtype}"
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {a.shape[-2]} by "
            f"{a.shape[-1]} matrices"
        )


def _guarded(op: str, problem: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn``, turning NumPy's LinAlgError into torch's (naming the op and the problem)."""
    import numpy as np

    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as error:
        raise LinAlgError(f"{op}: {problem} ({error})") from None


def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix of ``A``.

    Example:
        >>> import nerve
        >>> nerve.linalg.inv(nerve.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor([[ 0.6000, -0.2000],
                [-0.2000,  0.4000]])
    """
    _check(A, "linalg.inv")
    problem = "the inversion could not be completed because the input matrix is singular."
    return _guarded("linalg.inv", problem, apply, Inv, A)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """X with A X = B (``left=False``: X A = B). ``B`` is a batch of vectors when it has one
    dimension fewer than ``A``, or one dimension."""
    _check(A, "torch.linalg.solve")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    vector = B._data.ndim == 1 or (
        B._data.ndim == A._data.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1])
    )
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})"
        )
    if A.dtype is not B.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype} and B of type {B.dtype} instead"
        )
    from ..ops.broadcast import broadcast_shape

    batch = broadcast_shape("linalg.solve", A.shape[:-2], b.shape[:-2])
    a = A.expand(batch + tuple(A.shape[-2:])) if tuple(A.shape[:-2]) != batch else A
    b = b.expand(batch + tuple(b.shape[-2:])) if tuple(b.shape[:-2]) != batch else b
    problem = "The solver failed because the input matrix is singular."
    x = _guarded("torch.linalg.solve", problem, apply, Solve, a, b)
    return x.squeeze(-1) if vector else x


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix of ``A``.

    Example:
        >>> import nerve
        >>> nerve.linalg.det(nerve.tensor([[2.0, 1.0], [1.0, 3.0]]))
        tensor(5.)
    """
    _check(A, "linalg.det")
    return apply(Det, A)


def slogdet(A: Tensor) -> Any:
    """``(sign, logabsdet)``: the sign of the determinant and the log of its absolute value
    (-inf and sign 0 for a singular matrix).

    Example:
        >>> import nerve
        >>> sign, logabsdet = nerve.linalg.slogdet(nerve.tensor([[0.0, 1.0], [2.0, 0.0]]))
        >>> sign, logabsdet
        (tensor(-1.), tensor(0.6931))
    """
    _check(A, "linalg.slogdet")
    sign = xp_of(A._data).linalg.slogdet(A._data)[0]
    return slogdet_result(Tensor._make(sign), apply(LogAbsDet, A))


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """L with A = L L^T (lower triangular; ``upper=True``: U = L^T) for symmetric positive
    definite A (only its lower triangle is read)."""
    _check(A, "linalg.cholesky")
    try:
        return apply(Cholesky, A, upper=upper)
    except Exception as error:
        import numpy as np

        if not isinstance(error, np.linalg.LinAlgError):
            raise
    order = _failing_minor(A._data)
    raise LinAlgError(
        "linalg.cholesky: The factorization could not be completed because the input is not "
        f"positive-definite (the leading minor of order {order} is not positive-definite)."
    )


def _failing_minor(a: Any) -> int:
    """The first leading minor that is not positive definite (bisection: a minor of a positive
    definite matrix is positive definite). For a batch, that of its first failing matrix."""
    import numpy as np

    xp = xp_of(a)
    for matrix in a.reshape((-1,) + a.shape[-2:]):
        low, high = 0, matrix.shape[-1]  # minor `low` factorises, minor `high` does not
        try:
            xp.linalg.cholesky(matrix)
            continue
        except np.linalg.LinAlgError:
            pass
        while high - low > 1:
            middle = (low + high) // 2
            try:
                xp.linalg.cholesky(matrix[:middle, :middle])
                low = middle
            except np.linalg.LinAlgError:
                high = middle
        return high
    return a.shape[-1]


def eigh(A: Tensor, UPLO: str = "L") -> Any:  # noqa: N803 - torch's name
    """Eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices (reading the
    ``UPLO`` triangle)."""
    _check(A, "linalg.eigh")
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    packed = _guarded("linalg.eigh", "the algorithm failed to converge", apply, Eigh, A, uplo=UPLO)
    return eigh_result(packed[..., 0, :], packed[..., 1:, :])


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:  # noqa: N803
    return eigh(A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True, *, driver: str | None = None) -> Any:
    """``(U, S, Vh)`` with A = U diag(S) Vh, singular values descending. With
    ``full_matrices`` (torch's default) U and Vh are square; the gradient flows through their
    first min(m, n) columns, as in torch."""
    _check(A, "linalg.svd", square=False)
    xp = xp_of(A._data)
    u, s, vh = _guarded(
        "linalg.svd",
        "the algorithm failed to converge",
        xp.linalg.svd,
        A._data,
        full_matrices=full_matrices,
    )
    k = s.shape[-1]
    packed = apply(Svd, A, factors=(u[..., :k], s, vh[..., :k, :]))
    m = A.shape[-2]
    U, S, V = packed[..., :m, :], packed[..., m, :], packed[..., m + 1 :, :]
    Vh = V.mT
    if full_matrices and u.shape[-1] > k:
        U = _with_columns(U, u[..., k:], -1)
    if full_matrices and vh.shape[-2] > k:
        Vh = _with_columns(Vh, vh[..., k:, :], -2)
    return svd_result(U, S, Vh)


def _with_columns(t: Tensor, extra: Any, axis: int) -> Tensor:
    """``t`` with the constant ``extra`` appended along ``axis`` (the full matrices' columns
    beyond min(m, n), which get no gradient)."""
    from ..ops.join import cat

    return cat([t, Tensor._make(extra.astype(t._data.dtype, copy=False))], dim=axis)


def svdvals(A: Tensor, *, driver: str | None = None) -> Tensor:
    """The singular values, descending."""
    return svd(A, full_matrices=False).S


def qr(A: Tensor, mode: str = "reduced") -> Any:
    """``(Q, R)`` with A = Q R, Q orthonormal columns and R upper triangular; ``mode`` is
    ``'reduced'``, ``'complete'`` or ``'r'`` (Q empty)."""
    _check(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    packed = apply(Qr, A, mode=mode)
    m = A.shape[-2]
    q, r = packed[..., :m, :], packed[..., m:, :].mT
    if mode == "r":
        q = Tensor._make(xp_of(A._data).zeros((0,), A._data.dtype))
    return qr_result(q, r)


def pinv(
    A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False
) -> Tensor:
    """The Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * largest) are
    treated as zero (rtol defaults to max(m, n) * eps when neither tolerance is given).

    Example:
        >>> import nerve
        >>> nerve.linalg.pinv(nerve.tensor([[1.0, 2.0]]))
        tensor([[0.2000],
                [0.4000]])
    """
    _check(A, "linalg.pinv", square=hermitian)
    import numpy as np

    if rtol is None:
        eps = float(np.finfo(A._data.dtype).eps)
        rtol = max(A.shape[-2:]) * eps if atol is None or atol == 0 else 0.0
    atol = _plain(atol)
    return apply(Pinv, A, atol=atol, rtol=_plain(rtol), hermitian=hermitian)


def _plain(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> Any:
    """The least-squares solution X of A X = B: ``(solution, residuals, rank,
    singular_values)`` as torch's CPU drivers report them ('gelsy' by default: rank only;
    'gelsd'/'gelss': rank and singular values; residuals when m > n and A has full rank)."""
    _check(A, "torch.linalg.lstsq", square=False)
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(
            f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, "
            f"gelss), got {driver}"
        )
    vector = B._data.ndim == A._data.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise RuntimeError(
            f"torch.linalg.lstsq: input.size(-2) should match other.size(-2), got "
            f"{A.shape[-2]} and {b.shape[-2]}"
        )
    import numpy as np

    m, n = A.shape[-2], A.shape[-1]
    eps = float(np.finfo(A._data.dtype).eps)
    cutoff = max(m, n) * eps if rcond is None or rcond < 0 else rcond
    solution = matmul(pinv(A, rtol=cutoff), b)
    xp = xp_of(A._data)
    s = xp.linalg.svd(A._data, compute_uv=False)
    largest = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    rank = (s > cutoff * largest).sum(axis=-1).astype(dtypes.int64.np)
    driver = driver or "gelsy"
    empty = Tensor._make(xp.zeros((0,), A._data.dtype))
    residuals = empty
    if driver != "gelsy" and m > n and bool((rank == n).all()):
        residuals = ((matmul(A, solution) - b) ** 2).sum(dim=-2)
    out = solution.squeeze(-1) if vector else solution
    rank_t = Tensor._make(rank) if driver != "gels" else Tensor._make(xp.zeros((0,), rank.dtype))
    values = Tensor._make(s) if driver in ("gelsd", "gelss") else empty
    return lstsq_result(out, residuals, rank_t, values)


def vector_norm(
    x: Tensor,
    ord: float = 2,
    dim: int | Sequence[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The vector ``ord``-norm over ``dim`` (every element when None): inf is max |x|, -inf
    min |x|, 0 counts the nonzero elements, others (sum |x|^ord)^(1/ord)."""
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{x.dtype}"
        )
    ord = float(ord)
    if ord == float("-inf"):
        dims = () if dim is None else dim
        return amin(x.abs(), dims, keepdim)
    # inf, 0, 1, 2 and the general (sum |x|^p)^(1/p), negative p included: the p-norm node
    return _vector_p_norm(x, ord, dim, keepdim)


def matrix_norm(
    A: Tensor,
    ord: Any = "fro",
    dim: tuple[int, int] = (-2, -1),
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The matrix norm over the two dimensions ``dim``: 'fro', 'nuc' (sum of singular
    values), inf / -inf (largest / smallest absolute row sum), 1 / -1 (columns), 2 / -2
    (largest / smallest singular value)."""
    if dtype is not None:
        A = A.to(dtype)
    if A._data.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    _check(A, "linalg.matrix_norm", square=False)
    d0, d1 = (_check_dim(d, A._data.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return _vector_p_norm(A, 2.0, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2, 2.0, -2.0):
        values = svdvals(A.movedim((d0, d1), (-2, -1)))
        if ord == "nuc":
            result = values.sum(-1)
        else:
            result = values[..., 0] if ord > 0 else values[..., -1]
        if keepdim:
            result = result.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return result
    if ord not in (1, -1, float("inf"), float("-inf")):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    # inf: rows (sum over columns d1, extreme over rows d0); 1: columns
    summed, extreme = (d1, d0) if abs(ord) == float("inf") else (d0, d1)
    sums = A.abs().sum(dim=summed, keepdim=True)
    pick = amax if ord > 0 else amin
    result = pick(sums, extreme, keepdim=True)
    return result if keepdim else result.squeeze((d0, d1) if d0 < d1 else (d1, d0))


def norm(
    A: Tensor,
    ord: Any = None,
    dim: int | Sequence[int] | None = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a pair, or a
    2-D input); with neither ``ord`` nor ``dim``, the 2-norm of all elements."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim)
        if len(dim) == 1:
            dim = dim[0]
    if ord is None:
        if isinstance(dim, tuple):
            return matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A._data.ndim not in (1, 2):
            raise RuntimeError(
                "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {A._data.ndim}D."
            )
        dim = (-2, -1) if A._data.ndim == 2 else -1
    if isinstance(dim, tuple):
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord {ord!r} is a matrix norm; pass two dims")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def matrix_rank(
    A: Tensor, *, atol: float | None = None, rtol: float | None = None, hermitian: bool = False
) -> Tensor:
    """How many singular values exceed max(atol, rtol * largest)."""
    import numpy as np

    _check(A, "linalg.matrix_rank", square=False)
    s = xp_of(A._data).linalg.svd(A._data, compute_uv=False)
    if rtol is None:
        rtol = max(A.shape[-2:]) * float(np.finfo(A._data.dtype).eps) if not atol else 0.0
    cutoff = max(atol or 0.0, 0.0) if s.shape[-1] == 0 else None
    largest = s[..., :1] if s.shape[-1] else 0.0
    cutoff = xp_of(s).maximum(atol or 0.0, rtol * largest) if cutoff is None else cutoff
    return Tensor._make((s > cutoff).sum(axis=-1).astype(dtypes.int64.np))


__all__ = ["LinAlgError", "cholesky", "det", "eigh", "eigvalsh", "inv", "lstsq", "matrix_norm"]
__all__ += ["matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals"]
__all__ += ["vector_norm"]

from ..ops.math_extra import linalg_cross as cross  # noqa: E402

__all__ += ["cross"]
