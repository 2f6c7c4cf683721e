"""``nerve.nn.utils.parametrizations``: weight normalization, spectral normalization and
orthogonal matrices, as parametrizations (see :mod:`nerve.nn.utils.parametrize`).

What differs from torch: ``spectral_norm`` starts its power iteration from random vectors
drawn by nerve's generator, not torch's (copy torch's ``_u``/``_v`` buffers in for the same
numbers), and ``orthogonal`` supports real matrices only, its ``matrix_exp`` map computed by
scaling and squaring a Taylor series (nerve has no ``matrix_exp`` op), and the random
completion of a rectangular matrix's base drawn by nerve's generator. The load_state_dict hook
that renames the legacy ``weight_g``/``weight_v`` keys is not installed (nerve modules have
no load_state_dict pre-hooks).
"""

from __future__ import annotations

import math
from enum import Enum, auto

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import functional as F
from ..module import Module
from . import parametrize

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """torch's ``norm_except_dim(v, 2, dim)``: the 2-norm over every dimension but ``dim``
    (kept, of size one), or of the whole tensor (0-d) when ``dim`` is -1."""
    from ...linalg import vector_norm

    if dim == -1:
        return vector_norm(v)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return vector_norm(v, dim=others, keepdim=True) if others else v.abs()


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """torch's ``_weight_norm``: ``v * (g / ||v||)``, the norm as in :func:`_norm_except_dim`."""
    return v * (g / _norm_except_dim(v, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Split ``module.<name>`` into a magnitude ``g`` (``parametrizations.<name>.original0``)
    and a direction ``v`` (``original1``): the weight is ``g * v / ||v||``, the norm taken
    over every dimension but ``dim`` (over everything when ``dim`` is None).

    Example:
        >>> import nerve
        >>> from nerve import nn
        >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
        >>> for key, value in m.state_dict().items():
        ...     print(key, tuple(value.shape))
        bias (2,)
        parametrizations.weight.original0 (2, 1)
        parametrizations.weight.original1 (2, 3)
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            from ...creation_random import randn

            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            u = randn(h, dtype=weight.dtype)
            v = randn(w, dtype=weight.dtype)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # u, v updated in place (their clones enter the graph), as torch's ``out=``
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(weight_mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(weight_mat.mH.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat.detach(), self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * weight_mat.mv(v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _conv_transpose_types() -> tuple[type, ...]:
    from .. import ConvTranspose1d, ConvTranspose2d

    return (ConvTranspose1d, ConvTranspose2d)


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its largest singular value, estimated by power iteration
    (``n_power_iterations`` steps per forward in training mode; in evaluation the kept
    estimate is reused): the GAN discriminator's Lipschitz constraint. ``dim`` (default 0,
    1 for transposed convolutions) is the output dimension.

    Example:
        >>> import nerve
        >>> from nerve import nn
        >>> m = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 3))
        >>> for key in m.state_dict():
        ...     print(key)
        bias
        parametrizations.weight.original
        parametrizations.weight.0._u
        parametrizations.weight.0._v
        >>> s = nerve.linalg.svdvals(m.weight.detach())[0].item()
        >>> abs(s - 1) < 1e-3
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, _conv_transpose_types()) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _eye(n: int, like: Tensor) -> Tensor:
    from ...creation import eye

    return eye(n, dtype=like.dtype)


def _matrix_exp(A: Tensor) -> Tensor:
    """``exp(A)`` of (a batch of) square matrices by scaling and squaring an 18-term Taylor
    series, all in nerve ops (so differentiable)."""
    with no_grad():
        size = float(A.detach().abs().sum(dim=-2).max().item()) if A.numel() else 0.0
    squarings = max(0, math.ceil(math.log2(size)) + 1) if size > 0.5 else 0
    X = A / (2.0**squarings)
    term = result = _eye(A.shape[-1], A).expand(*A.shape)
    for k in range(1, 19):
        term = (term @ X) / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def _householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """torch's ``linalg.householder_product``: the first ``k`` columns of
    ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_i^T`` with ``v_i`` column ``i`` of ``A`` below the
    diagonal and 1 on it (real matrices)."""
    n, k = A.shape[-2], A.shape[-1]
    identity = _eye(n, A)
    Q = identity[:, :k].expand(*A.shape)
    for i in reversed(range(k)):
        v = A[..., :, i] + identity[:, i]  # (A is zero on and above its diagonal)
        Q = Q - tau[..., i, None, None] * v.unsqueeze(-1) * (v.unsqueeze(-2) @ Q)
    return Q


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q of A's QR decomposition with R's diagonal made positive."""
    from ...linalg import qr

    Q, R = qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


def _is_orthogonal(Q: Tensor) -> bool:
    from ...type_info import finfo

    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * finfo(Q.dtype).eps
    return bool(((Q.mH @ Q) - _eye(k, Q)).abs().max().item() <= eps)


class _Orthogonal(Module):
    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        if weight.is_complex():
            raise NotImplementedError(
                "nerve's orthogonal parametrization supports real tensors only"
            )
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        from ...ops.join import cat

        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                from ...linalg import solve

                identity = _eye(n, A)
                Q = solve(identity - 0.5 * A, identity + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().trunc().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        from ...creation import eye, zeros_like
        from ...creation_random import randn
        from ...ops.join import cat

        if Q.shape != self.shape:
            raise ValueError(
                f"Expected a matrix or batch of matrices of shape {self.shape}. "
                f"Got a tensor of shape {Q.shape}."
            )
        with no_grad():
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            if n < k:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                raise NotImplementedError(
                    "nerve's orthogonal parametrization supports use_trivialization=True only"
                )
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            # (-1 on the diagonal; nerve's ``diagonal`` is a copy, not a view to fill)
            rows, cols = Q_init.shape[-2], Q_init.shape[-1]
            return zeros_like(Q_init) - eye(rows, cols, dtype=Q_init.dtype)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Make ``module.<name>`` an orthogonal matrix (orthonormal columns or rows when it is
    not square): the image of an unconstrained matrix by ``orthogonal_map``,
    ``"matrix_exp"`` (default for square), ``"cayley"`` or ``"householder"`` (default for
    rectangular). Real weights and ``use_trivialization=True`` only.

    Example:
        >>> import nerve
        >>> from nerve import nn
        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
        >>> w = m.weight.detach()
        >>> bool(nerve.allclose(w @ w.T, nerve.eye(3), atol=1e-5))
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        orthogonal_map = (
            "matrix_exp"
            if weight.shape[-2] == weight.shape[-1] or weight.is_complex()
            else "householder"
        )
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    if not use_trivialization:
        raise NotImplementedError(
            "nerve's orthogonal parametrization supports use_trivialization=True only"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
