"""Discrete Fourier transforms as graph nodes (``nerve.fft`` calls them), on real arrays only.

nerve has no complex dtype, so a complex array travels in torch's ``view_as_real`` layout: a
trailing dimension of 2 holding the real and the imaginary part. Three node families:

* :class:`FFT`, complex to complex (``fftn``/``ifftn``): layout in, layout out;
* :class:`RFFT`, real to the half spectrum (``rfftn``): real in, layout out;
* :class:`IRFFT`, the half spectrum back to a real signal (``irfftn``): layout in, real out.

The transform axes ``dims`` count the dimensions of the complex array (the layout's trailing
2 excluded); the last of them is the halved one for RFFT and IRFFT. Padding or trimming to
``n`` is done before the node by ``nerve.fft`` (with differentiable ops), so every node maps
its input's sizes to fixed output sizes.

Each backward is one formula: the adjoint of a linear map. The adjoint of an unnormalised DFT
is the conjugate (inverse-direction) DFT, unnormalised; so the adjoint of a transform with
``norm`` m is the opposite transform with the opposite norm (``backward`` <-> ``forward``,
``ortho`` stays). For the half spectrum, RFFT keeps bins 0..n//2 of the full DFT; its adjoint
zero-fills the other bins and keeps the real part, which equals IRFFT (whose Hermitian
extension counts each bin other than DC and Nyquist twice) of the gradient with those bins
halved. Conversely IRFFT's adjoint is RFFT with those bins doubled. Every backward calls the
other node with ``run``, so double backward comes for free.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from .dual import const, data

NORMS = ("backward", "ortho", "forward")
# The adjoint of a transform normalised by ``norm`` is the opposite transform normalised so.
ADJOINT_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def to_complex(z: Any) -> Any:
    """The complex array behind a ``view_as_real`` layout array (trailing dimension 2)."""
    xp = xp_of(z)
    kind = xp.complex64 if z.dtype == xp.float32 else xp.complex128
    out = xp.empty(z.shape[:-1], dtype=kind)
    out.real = z[..., 0]
    out.imag = z[..., 1]
    return out


def to_layout(c: Any, dtype: Any) -> Any:
    """A complex array as real and imaginary parts along a new trailing dimension."""
    return xp_of(c).stack([c.real, c.imag], axis=-1).astype(dtype, copy=False)


def bin_weights(m: int, n: int, axis: int, ndim: int, half: bool, like: Any) -> Any:
    """Per-bin weights of a half spectrum of ``m`` bins of a length-``n`` signal, shaped to
    broadcast along ``axis`` of a layout array with ``ndim`` dimensions: 1 at DC (and at
    Nyquist, bin n/2 for even n), elsewhere 2 (or 1/2 when ``half``). Those bins stand for
    themselves and their mirror images in the full spectrum."""
    xp = xp_of(data(like))
    weights = xp.full(m, 0.5 if half else 2.0, dtype=data(like).dtype)
    weights[0] = 1
    if n % 2 == 0 and n // 2 < m:
        weights[n // 2] = 1
    shape = [1] * ndim
    shape[axis] = m
    return const(weights.reshape(shape), like)


class FFT(Node):
    """``fftn`` (or ``ifftn`` when ``inverse``) over ``dims`` of a layout array. Its adjoint is
    the opposite transform with the opposite norm."""

    saves = ()

    def forward(self, z: Any, dims: tuple[int, ...], norm: str, inverse: bool) -> Any:
        self.dims, self.norm, self.inverse = dims, norm, inverse
        xp = xp_of(z)
        transform = xp.fft.ifftn if inverse else xp.fft.fftn
        return to_layout(transform(to_complex(z), axes=dims, norm=norm), z.dtype)

    def backward(self, g: Any) -> Any:
        opposite = ADJOINT_NORM[self.norm]
        return run(FFT, g, dims=self.dims, norm=opposite, inverse=not self.inverse)


class RFFT(Node):
    """``rfftn`` over ``dims`` of a real array (the last of ``dims`` halved to n//2 + 1 bins),
    in layout. Adjoint: IRFFT, with the opposite norm, of the gradient with the bins other
    than DC and Nyquist halved."""

    saves = ()

    def forward(self, x: Any, dims: tuple[int, ...], norm: str) -> Any:
        self.dims, self.norm, self.n = dims, norm, x.shape[dims[-1]]
        return to_layout(xp_of(x).fft.rfftn(x, axes=dims, norm=norm), x.dtype)

    def backward(self, g: Any) -> Any:
        axis = self.dims[-1]
        halve = bin_weights(data(g).shape[axis], self.n, axis, data(g).ndim, True, g)
        return run(IRFFT, g * halve, dims=self.dims, n=self.n, norm=ADJOINT_NORM[self.norm])


class IRFFT(Node):
    """``irfftn`` over ``dims`` of a layout half spectrum (n//2 + 1 bins along the last of
    ``dims``) to a real signal of length ``n`` there. Adjoint: RFFT with the opposite norm,
    the bins other than DC and Nyquist doubled."""

    saves = ()

    def forward(self, z: Any, dims: tuple[int, ...], n: int, norm: str) -> Any:
        self.dims, self.norm, self.n = dims, norm, n
        c = to_complex(z)
        sizes = [c.shape[d] for d in dims[:-1]] + [n]
        return xp_of(z).fft.irfftn(c, s=sizes, axes=dims, norm=norm).astype(z.dtype, copy=False)

    def backward(self, g: Any) -> Any:
        spectrum = run(RFFT, g, dims=self.dims, norm=ADJOINT_NORM[self.norm])
        axis = self.dims[-1]
        double = bin_weights(self.n // 2 + 1, self.n, axis, data(g).ndim + 1, False, g)
        return spectrum * double
