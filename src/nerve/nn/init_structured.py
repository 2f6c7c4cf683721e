"""Initialisations with a structure (torch.nn.init's names), re-exported by ``nn.init``:
``orthogonal_`` (a random (semi-)orthogonal matrix), ``dirac_`` (convolutions that start as
the identity) and ``sparse_`` (a fraction of each column set to zero). Each fills a tensor in
place, outside the graph."""

from __future__ import annotations

import math

import numpy as np

from ..random import Generator, numpy_generator
from ..tensor import Tensor
from .init import _fill

__all__ = ["dirac_", "orthogonal_", "sparse_"]


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Generator | None = None) -> Tensor:
    """Fill with a (semi-)orthogonal matrix times ``gain``, in place: the rows (or, when there
    are more rows than columns, the columns) are orthonormal. Dimensions after the first are
    flattened into the columns. As torch: the Q of the QR factorisation of a standard-normal
    matrix, its columns' signs set by R's diagonal (so that Q is uniformly distributed).

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.orthogonal_(nerve.empty(3, 5))
        >>> bool(((w @ w.T - nerve.eye(3)).abs() < 1e-5).all())
        True
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = int(tensor.shape[0])
    cols = tensor.numel() // rows
    flat = numpy_generator(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tuple(tensor.shape)))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta, in place: each output
    channel (of each of ``groups`` groups) copies one input channel through the kernel's
    centre, so that the convolution starts as the identity on the channels it keeps.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> w = init.dirac_(nerve.empty(2, 2, 3))
        >>> w[:, :, 1]
        tensor([[1., 0.],
                [0., 1.]])
        >>> float(w.sum())
        2.0
    """
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    centre = tuple(size // 2 for size in sizes[2:])
    values = np.zeros(sizes)
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            values[(g * per_group + d, d, *centre)] = 1
    return _fill(tensor, values)


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """Fill a 2-D tensor with N(0, std^2) values, then set ``ceil(sparsity * rows)`` randomly
    chosen entries of each column to zero, in place (Martens, 2010).

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.sparse_(nerve.empty(4, 3), sparsity=0.5)
        >>> (w == 0).sum(dim=0)  # two zeros in each column
        tensor([2, 2, 2])
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = (int(size) for size in tensor.shape)
    rng = numpy_generator(generator)
    values = rng.normal(0.0, std, (rows, cols))
    zeros = math.ceil(sparsity * rows)
    for col in range(cols):
        values[rng.permutation(rows)[:zeros], col] = 0
    return _fill(tensor, values)
