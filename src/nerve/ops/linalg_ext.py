"""Matrix factorisations and inverses as graph nodes (``nerve.linalg`` calls them): inv, solve,
det, log|det|, cholesky, eigh, svd, qr and pinv, each with its closed-form derivative.

Every node works on batches (..., m, n). A factorisation with several outputs returns them
packed in one array (eigh: the eigenvalues as one more row above the eigenvectors; svd: U, the
singular values and V stacked; qr: Q above R transposed), which the public function slices, so
that the engine's one-output nodes carry them and the gradient of every factor arrives as one
packed gradient (zeros where a factor is unused). Each backward is written with operators,
``run(Op, ...)`` and ops/dual's helpers, so it runs on arrays and, under ``create_graph``, on
tensors (double backward).

The formulas are the standard ones for real matrices: Giles (2008) for inv, solve, det and
cholesky, Townsend (2016) for the SVD, Walter & Lehmann (2018) for QR, Golub & Pereyra (1973)
for the pseudo-inverse, and the symmetric eigenvector derivative torch uses.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from .dual import const, data, mT, shape_of
from .reorder import Triangle


def _eye(n: int, like: Any) -> Any:
    """An n x n identity in the dtype (and kind: array or tensor) of ``like``."""
    return const(xp_of(data(like)).eye(n, dtype=data(like).dtype), like)


def _cat_rows(xp: Any, *parts: Any) -> Any:
    return xp.concatenate(parts, axis=-2)


class Inv(Node):
    """d(A^-1) = -A^-1 dA A^-1, so the gradient is -A^-T g A^-T."""

    saves = ()
    saves_output = True

    def forward(self, a: Any) -> Any:
        return xp_of(a).linalg.inv(a)

    def backward(self, g: Any) -> Any:
        inverse_t = mT(self.output())
        return -(inverse_t @ g @ inverse_t)


class Solve(Node):
    """X = A^-1 B: the gradient of B solves with A^T, that of A is -gB X^T."""

    saves_output = True

    def forward(self, a: Any, b: Any) -> Any:
        return xp_of(a).linalg.solve(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        gb = run(Solve, mT(self.input(0)), g)
        need_a, need_b = self.needs_input_grad
        return (-(gb @ mT(self.output())) if need_a else None), (gb if need_b else None)


class LogAbsDet(Node):
    """log|det A|: its gradient is A^-T (the sign has none)."""

    def forward(self, a: Any) -> Any:
        return xp_of(a).linalg.slogdet(a)[1]

    def backward(self, g: Any) -> Any:
        g = g.reshape(shape_of(g) + (1, 1))
        return g * mT(run(Inv, self.input(0)))


class Det(Node):
    """det A: gradient g * det(A) * A^-T, the cofactor matrix. For a singular matrix the
    cofactors come from the SVD (exact to first order; not differentiated again)."""

    saves_output = True

    def forward(self, a: Any) -> Any:
        return xp_of(a).linalg.det(a)

    def backward(self, g: Any) -> Any:
        a, out = self.input(0), self.output()
        g = g.reshape(shape_of(g) + (1, 1))
        if bool((data(out) != 0).all()):
            return g * out.reshape(shape_of(out) + (1, 1)) * mT(run(Inv, a))
        return g * const(_cofactors(data(a)), g)


def _cofactors(a: Any) -> Any:
    """The cofactor matrix of ``a`` (batched), also for singular matrices: with A = U S V^T it
    is det(U) det(V) U diag(prod of the other singular values) V^T."""
    xp = xp_of(a)
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    others = xp.stack([xp.prod(xp.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1)
    sign = xp.linalg.det(u) * xp.linalg.det(vh)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vh)


class Cholesky(Node):
    """A = L L^T. With P = L^T gL and phi(P) its lower triangle with the diagonal halved, the
    gradient is L^-T phi(P) L^-1, made symmetric."""

    saves = ()
    saves_output = True

    def forward(self, a: Any, upper: bool) -> Any:
        self.upper = upper
        lower = xp_of(a).linalg.cholesky(a)
        return mT(lower) if upper else lower

    def backward(self, g: Any) -> Any:
        lower = self.output()
        if self.upper:
            lower, g = mT(lower), mT(g)
        p = mT(lower) @ g
        n = shape_of(p)[-1]
        phi = run(Triangle, p, diagonal=-1, lower=True) + 0.5 * (p * _eye(n, p))
        inverse = run(Inv, lower)
        grad = mT(inverse) @ phi @ inverse
        return 0.5 * (grad + mT(grad))


class Eigh(Node):
    """Eigenvalues L (ascending) and orthonormal eigenvectors Q of a symmetric matrix, packed
    as [L; Q] (n + 1 rows). Gradient: Q (diag(gL) + skew(Q^T gQ) / (L_j - L_i)) Q^T."""

    saves = ()
    saves_output = True

    def forward(self, a: Any, uplo: str) -> Any:
        values, vectors = xp_of(a).linalg.eigh(a, UPLO=uplo)
        return _cat_rows(xp_of(a), values[..., None, :], vectors)

    def backward(self, g: Any) -> Any:
        out = self.output()
        values, vectors = out[..., 0, :], out[..., 1:, :]
        g_values, g_vectors = g[..., 0, :], g[..., 1:, :]
        n = shape_of(values)[-1]
        eye = _eye(n, g)
        inner = g_values[..., None, :] * eye
        if bool((data(g_vectors) != 0).any()):
            projected = mT(vectors) @ g_vectors
            skew = 0.5 * (projected - mT(projected))
            gaps = values[..., None, :] - values[..., :, None] + eye  # L_j - L_i, 1 on the diagonal
            inner = inner + skew / gaps * (1 - eye)
        return vectors @ inner @ mT(vectors)


class Svd(Node):
    """The reduced SVD A = U diag(S) V^T, packed as [U; S; V] (m + 1 + n rows, k columns). The
    factors are computed by the public function (once, full or reduced) and handed in."""

    saves = ()
    saves_output = True

    def forward(self, a: Any, factors: tuple[Any, Any, Any]) -> Any:
        u, s, vh = factors
        self.m = u.shape[-2]
        return _cat_rows(xp_of(a), u, s[..., None, :], mT(vh))

    def backward(self, g: Any) -> Any:
        out, m = self.output(), self.m
        u, s, v = out[..., :m, :], out[..., m, :], out[..., m + 1 :, :]
        gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1 :, :]
        grad = (u * gs[..., None, :]) @ mT(v)
        if not (bool((data(gu) != 0).any()) or bool((data(gv) != 0).any())):
            return grad  # singular values only: no division by their gaps
        k = shape_of(s)[-1]
        eye = _eye(k, g)
        squares = s * s
        f = (1 - eye) / (squares[..., None, :] - squares[..., :, None] + eye)
        utgu, vtgv = mT(u) @ gu, mT(v) @ gv
        j = f * (utgu - mT(utgu))
        l = f * (vtgv - mT(vtgv))  # noqa: E741 - Townsend's K, renamed from a capital
        middle = j * s[..., None, :] + s[..., :, None] * l
        grad = grad + u @ middle @ mT(v)
        inverse_s = 1 / s
        # the parts of gU and gV outside the spans of U and V (zero for a square matrix)
        grad = grad + ((gu - u @ utgu) * inverse_s[..., None, :]) @ mT(v)
        grad = grad + (u * inverse_s[..., None, :]) @ mT(gv - v @ vtgv)
        return grad


class Qr(Node):
    """A = Q R, packed as [Q; R^T] (m + n rows, k columns). Gradient (m >= n):
    (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q."""

    saves = ()
    saves_output = True

    def forward(self, a: Any, mode: str) -> Any:
        self.mode, self.m = mode, a.shape[-2]
        q, r = xp_of(a).linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        return _cat_rows(xp_of(a), q, mT(r))

    def backward(self, g: Any) -> Any:
        out, m = self.output(), self.m
        q, r = out[..., :m, :], mT(out[..., m:, :])
        n = shape_of(r)[-1]
        if self.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr."
            )
        if self.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if m < n:
            raise NotImplementedError(
                f"linalg.qr: the gradient of a wide matrix ({m} x {n}, fewer rows than columns) "
                "is not implemented in nerve; differentiate the QR of its transpose instead"
            )
        gq, gr = g[..., :m, :], mT(g[..., m:, :])
        mixed = r @ mT(gr) - mT(gq) @ q
        lower = run(Triangle, mixed, diagonal=0, lower=True)
        copied = lower + mT(run(Triangle, mixed, diagonal=-1, lower=True))
        b = gq + q @ copied
        return mT(run(Solve, r, mT(b)))  # b R^-T


class Pinv(Node):
    """The Moore-Penrose pseudo-inverse X of A (singular values below the tolerance dropped).
    Gradient, for a rank that small changes keep:
    -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A)."""

    saves_output = True

    def forward(self, a: Any, atol: Any, rtol: Any, hermitian: bool) -> Any:
        xp = xp_of(a)
        if hermitian:
            values, vectors = xp.linalg.eigh(a)
            magnitude = xp.abs(values)
            keep = magnitude > _cutoff(xp, magnitude, atol, rtol)
            scale = xp.where(keep, 1 / xp.where(keep, values, 1), 0)
            return (vectors * scale[..., None, :]) @ mT(vectors)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        keep = s > _cutoff(xp, s, atol, rtol)
        scale = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
        return (mT(vh) * scale[..., None, :]) @ mT(u)

    def backward(self, g: Any) -> Any:
        a, x = self.input(0), self.output()
        xt, gt = mT(x), mT(g)
        left = gt @ x @ xt  # G^T X X^T, then (I - A X) applied to it
        right = xt @ x @ gt  # X^T X G^T, then (I - X A) applied to it
        return -(xt @ g @ xt) + (left - a @ (x @ left)) + (right - (right @ x) @ a)


def _cutoff(xp: Any, magnitudes: Any, atol: Any, rtol: Any) -> Any:
    """torch's threshold max(atol, rtol * largest) per matrix (an array of shape (..., 1))."""
    largest = magnitudes.max(axis=-1, keepdims=True) if magnitudes.shape[-1] else 0.0
    atol = 0.0 if atol is None else atol
    atol = atol[..., None] if hasattr(atol, "ndim") else atol
    rtol = rtol[..., None] if hasattr(rtol, "ndim") else rtol
    return xp.maximum(atol, rtol * largest)


__all__ = ["Cholesky", "Det", "Eigh", "Inv", "LogAbsDet", "Pinv", "Qr", "Solve", "Svd"]
