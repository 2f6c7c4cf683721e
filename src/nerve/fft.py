"""torch.fft for real tensors: frequencies, shifts, and spectra in the ``view_as_real`` layout.

nerve has no complex dtype, and most of torch.fft returns complex tensors. So this module
offers what stays honest on real tensors:

* real in, real out, as torch: :func:`fftfreq`, :func:`rfftfreq`, :func:`fftshift`,
  :func:`ifftshift`, and :func:`irfft`, :func:`irfft2`, :func:`irfftn` of a real input (which
  torch reads as a complex one with zero imaginary part);
* the transforms whose result is complex under names that say what they return: ``*_real``
  functions give ``torch.view_as_real`` of torch's result, the real and imaginary parts along
  a trailing dimension of 2 (:func:`rfft_real`, :func:`fft_real`, ...). Those that take a
  complex input (:func:`fft_real`, :func:`ifft_real`, :func:`irfft_real`, ...) take it in the
  same layout;
* real-valued spectra: :func:`rfft_magnitude` (``torch.fft.rfft(x).abs()``) and
  :func:`rfft_power` (``.abs() ** 2``). The real part of a layout spectrum ``z`` is
  ``z[..., 0]``, the imaginary part ``z[..., 1]``, its phase ``nerve.atan2(z[..., 1],
  z[..., 0])``.

torch's complex-returning names (:func:`rfft`, :func:`fft`, :func:`fftn`, ...) raise a
``TypeError`` that points here, rather than return something torch code would misread.
Every transform is differentiable (``nerve.ops.fft`` holds the graph nodes).

Example:
    >>> import nerve
    >>> x = nerve.tensor([1.0, 0.0, -1.0, 0.0])
    >>> nerve.fft.rfft_real(x)  # torch.view_as_real(torch.fft.rfft(x))
    tensor([[0., 0.],
            [2., 0.],
            [0., 0.]])
    >>> nerve.fft.rfft_magnitude(x)
    tensor([0., 2., 0.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd.node import apply
from .backend import dtypes
from .creation import tensor, zeros
from .ops.fft import FFT, IRFFT, NORMS, RFFT
from .ops.join import cat, narrow
from .ops.reorder import roll
from .tensor import Tensor

__all__ = [
    "fftfreq",
    "rfftfreq",
    "fftshift",
    "ifftshift",
    "rfft_real",
    "irfft_real",
    "fft_real",
    "ifft_real",
    "rfft2_real",
    "irfft2_real",
    "fft2_real",
    "ifft2_real",
    "rfftn_real",
    "irfftn_real",
    "fftn_real",
    "ifftn_real",
    "rfft_magnitude",
    "rfft_power",
    "irfft",
    "irfft2",
    "irfftn",
    "fft",
    "ifft",
    "fft2",
    "ifft2",
    "fftn",
    "ifftn",
    "rfft",
    "rfft2",
    "rfftn",
    "ihfft",
    "ihfft2",
    "ihfftn",
]


# -- frequencies and shifts --------------------------------------------------------------------


def _frequencies(
    op: str, count: int, n: int, d: float, dtype: Any, layout: Any, device: Any, grad: bool
) -> Tensor:
    if layout not in (None, "strided") and str(layout) not in ("torch.strided", "nerve.strided"):
        raise ValueError(f"{op}: only the strided layout is supported, got {layout}")
    kind = dtypes.get_default_dtype() if dtype is None else dtypes.to_dtype(dtype)
    k = np.arange(count, dtype=kind.np)
    if op == "fftfreq":
        k[(n + 1) // 2 :] -= n  # 0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1
    values = k * kind.np.type(1.0 / (n * d))  # as torch: arange, times 1 / (n d)
    return tensor(values, dtype=kind, device=device, requires_grad=grad)


def fftfreq(
    n: int,
    d: float = 1.0,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The sample frequencies of a length-``n`` DFT with sample spacing ``d``:
    ``[0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d * n)`` (torch.fft.fftfreq).

    Example:
        >>> import nerve
        >>> nerve.fft.fftfreq(5)
        tensor([ 0.0000,  0.2000,  0.4000, -0.4000, -0.2000])
        >>> nerve.fft.fftfreq(4, d=0.5, dtype=nerve.float64)
        tensor([ 0.0000,  0.5000, -1.0000, -0.5000], dtype=nerve.float64)
    """
    return _frequencies("fftfreq", n, n, d, dtype, layout, device, requires_grad)


def rfftfreq(
    n: int,
    d: float = 1.0,
    *,
    dtype: Any = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The sample frequencies of :func:`rfft_real`'s n // 2 + 1 bins for a length-``n``
    signal with sample spacing ``d``: ``[0, 1, ..., n // 2] / (d * n)`` (torch.fft.rfftfreq).

    Example:
        >>> import nerve
        >>> nerve.fft.rfftfreq(5)
        tensor([0.0000, 0.2000, 0.4000])
        >>> nerve.fft.rfftfreq(4, d=0.5)
        tensor([0.0000, 0.5000, 1.0000])
    """
    return _frequencies("rfftfreq", n // 2 + 1, n, d, dtype, layout, device, requires_grad)


def _shift(input: Tensor, dim: Any, sign: int) -> Tensor:
    if dim is None:
        dims = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return input.clone()
    shifts = tuple(sign * (input.shape[d] // 2) for d in dims)
    return roll(input, shifts, dims)


def fftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Move the zero frequency to the centre: a roll by ``size // 2`` along each of ``dim``
    (all dimensions when None; give ``dim`` for a layout spectrum, whose trailing 2 is no
    frequency axis) (torch.fft.fftshift).

    Example:
        >>> import nerve
        >>> nerve.fft.fftshift(nerve.fft.fftfreq(5))
        tensor([-0.4000, -0.2000,  0.0000,  0.2000,  0.4000])
    """
    return _shift(input, dim, 1)


def ifftshift(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """The inverse of :func:`fftshift`: a roll by ``-(size // 2)`` along each of ``dim``
    (torch.fft.ifftshift).

    Example:
        >>> import nerve
        >>> nerve.fft.ifftshift(nerve.fft.fftshift(nerve.fft.fftfreq(5)))
        tensor([ 0.0000,  0.2000,  0.4000, -0.4000, -0.2000])
    """
    return _shift(input, dim, -1)


# -- argument checks and resizing -------------------------------------------------------------


def _floating(op: str, input: Tensor) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): expected a nerve.Tensor as input, got {type(input).__name__}")
    if input.dtype == dtypes.float16:
        raise RuntimeError(f"{op}(): Unsupported dtype Half (use float32 or float64)")
    if not input.dtype.is_floating_point:
        return input.to(dtypes.get_default_dtype())
    return input


def _layout_input(op: str, input: Tensor) -> Tensor:
    """A complex input in the view_as_real layout: floating, with a trailing dimension of 2."""
    input = _floating(op, input)
    if input.ndim == 0 or input.shape[-1] != 2:
        raise ValueError(
            f"{op}(): expected a complex input in the view_as_real layout (a trailing dimension "
            f"of size 2: real, imaginary), got shape {list(input.shape)}"
        )
    return input


def _norm(norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}" (expected one of {NORMS})')
    return norm


def _dims(op: str, dim: Any, s: Any, ndim: int, default: Any) -> tuple[int, ...]:
    """The transform dimensions (non-negative) of a signal with ``ndim`` dimensions."""
    if dim is None:
        if s is not None:
            dim = tuple(range(ndim - len(s), ndim))
        else:
            dim = default if default is not None else tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -ndim <= d < max(ndim, 1) or ndim == 0:
            raise IndexError(
                f"{op}(): Dimension out of range (expected to be in range of "
                f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
        out.append(d % ndim)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}(): FFT dims must be unique, got {list(dims)}")
    if not out:
        raise RuntimeError(f"{op}(): expected at least one dimension to transform")
    if s is not None and len(s) != len(out):
        raise RuntimeError(
            f"{op}(): When given, dim and shape arguments must have the same length, got "
            f"s={list(s)} and dim={list(dims)}"
        )
    return tuple(out)


def _check_size(n: int) -> int:
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _resize(x: Tensor, dim: int, size: int) -> Tensor:
    """``x`` trimmed or zero-padded to ``size`` along ``dim`` (both differentiable)."""
    have = x.shape[dim]
    if size < have:
        return narrow(x, dim, 0, size)
    if size > have:
        shape = list(x.shape)
        shape[dim] = size - have
        return cat([x, zeros(shape, dtype=x.dtype, device=x.device)], dim)
    return x


# -- the transforms ---------------------------------------------------------------------------


def _c2c(op: str, input: Tensor, s: Any, dim: Any, norm: Any, inverse: bool, default: Any):
    z = _layout_input(op, input)
    dims = _dims(op, dim, s, z.ndim - 1, default)
    if s is not None:
        for d, size in zip(dims, s):
            z = _resize(z, d, z.shape[d] if size == -1 else _check_size(size))
    return apply(FFT, z, dims=dims, norm=_norm(norm), inverse=inverse)


def _r2c(op: str, input: Tensor, s: Any, dim: Any, norm: Any, default: Any) -> Tensor:
    x = _floating(op, input)
    dims = _dims(op, dim, s, x.ndim, default)
    if s is not None:
        for d, size in zip(dims, s):
            x = _resize(x, d, x.shape[d] if size == -1 else _check_size(size))
    _check_size(x.shape[dims[-1]])
    return apply(RFFT, x, dims=dims, norm=_norm(norm))


def _c2r(op: str, z: Tensor, s: Any, dim: Any, norm: Any, default: Any) -> Tensor:
    dims = _dims(op, dim, s, z.ndim - 1, default)
    last = dims[-1]
    if s is not None:
        for d, size in zip(dims[:-1], s[:-1]):
            z = _resize(z, d, z.shape[d] if size == -1 else _check_size(size))
    n = s[-1] if s is not None and s[-1] != -1 else 2 * (z.shape[last] - 1)
    z = _resize(z, last, _check_size(n) // 2 + 1)
    return apply(IRFFT, z, dims=dims, n=n, norm=_norm(norm))


def _one(n: int | None) -> tuple[int] | None:
    return None if n is None else (n,)


def rfft_real(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
) -> Tensor:
    """``torch.view_as_real(torch.fft.rfft(input, n, dim, norm))``: the half spectrum (bins
    0 .. n // 2) of a real signal along ``dim``, real and imaginary parts along a trailing
    dimension of 2. ``n`` trims or zero-pads the signal first; ``norm`` is ``"backward"``
    (no scaling, the default), ``"ortho"`` (1 / sqrt(n)) or ``"forward"`` (1 / n).

    Example:
        >>> import nerve
        >>> nerve.fft.rfft_real(nerve.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor([[10.,  0.],
                [-2.,  2.],
                [-2.,  0.]])
    """
    return _r2c("rfft_real", input, _one(n), dim, norm, None)


def irfft_real(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
) -> Tensor:
    """``torch.fft.irfft(torch.view_as_complex(input), n, dim, norm)``: the real signal of
    length ``n`` (default 2 * (bins - 1)) whose half spectrum along ``dim`` is ``input``, given
    in the view_as_real layout (trailing dimension 2). Real output.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0, 3.0, 4.0])
        >>> nerve.fft.irfft_real(nerve.fft.rfft_real(x))
        tensor([1., 2., 3., 4.])
    """
    z = _layout_input("irfft_real", input)
    return _c2r("irfft_real", z, _one(n), dim, norm, None)


def fft_real(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """``torch.view_as_real(torch.fft.fft(torch.view_as_complex(input), n, dim, norm))``:
    the DFT along ``dim`` of a complex signal given, and returned, in the view_as_real layout
    (trailing dimension 2). For a real signal ``x`` pass
    ``nerve.stack([x, nerve.zeros_like(x)], -1)``.

    Example:
        >>> import nerve
        >>> z = nerve.tensor([[1.0, 0.0], [0.0, 1.0]])  # 1, i
        >>> nerve.fft.fft_real(z)  # 1 + i, 1 - i
        tensor([[ 1.,  1.],
                [ 1., -1.]])
    """
    return _c2c("fft_real", input, _one(n), dim, norm, False, None)


def ifft_real(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
) -> Tensor:
    """``torch.view_as_real(torch.fft.ifft(torch.view_as_complex(input), n, dim, norm))``:
    the inverse DFT along ``dim``, in and out in the view_as_real layout.

    Example:
        >>> import nerve
        >>> z = nerve.tensor([[1.0, 1.0], [1.0, -1.0]])
        >>> nerve.fft.ifft_real(z)
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _c2c("ifft_real", input, _one(n), dim, norm, True, None)


def rfft2_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.rfft2(input, s, dim, norm))``: :func:`rfftn_real` over
    the last two dimensions by default.

    Example:
        >>> import nerve
        >>> nerve.fft.rfft2_real(nerve.ones(2, 2))
        tensor([[[4., 0.],
                 [0., 0.]],
        <BLANKLINE>
                [[0., 0.],
                 [0., 0.]]])
    """
    return _r2c("rfft2_real", input, s, dim, norm, None)


def irfft2_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Tensor:
    """``torch.fft.irfft2(torch.view_as_complex(input), s, dim, norm)``: :func:`irfftn_real`
    over the last two dimensions by default. Real output.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> nerve.fft.irfft2_real(nerve.fft.rfft2_real(x))
        tensor([[1., 2.],
                [3., 4.]])
    """
    z = _layout_input("irfft2_real", input)
    return _c2r("irfft2_real", z, s, dim, norm, None)


def fft2_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.fft2(torch.view_as_complex(input), s, dim, norm))``:
    :func:`fftn_real` over the last two dimensions by default.

    Example:
        >>> import nerve
        >>> z = nerve.stack([nerve.ones(2, 2), nerve.zeros(2, 2)], -1)
        >>> nerve.fft.fft2_real(z)[..., 0]
        tensor([[4., 0.],
                [0., 0.]])
    """
    return _c2c("fft2_real", input, s, dim, norm, False, None)


def ifft2_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.ifft2(torch.view_as_complex(input), s, dim, norm))``:
    :func:`ifftn_real` over the last two dimensions by default.

    Example:
        >>> import nerve
        >>> z = nerve.stack([nerve.ones(2, 2), nerve.zeros(2, 2)], -1)
        >>> nerve.fft.ifft2_real(nerve.fft.fft2_real(z))[..., 0]
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _c2c("ifft2_real", input, s, dim, norm, True, None)


def rfftn_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] | None = None,
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.rfftn(input, s, dim, norm))``: the DFT of a real
    signal over ``dim`` (all dimensions, or the last ``len(s)``, by default), the last of them
    halved to n // 2 + 1 bins, in the view_as_real layout. ``s`` trims or zero-pads each
    transformed dimension first (-1 keeps a size).

    Example:
        >>> import nerve
        >>> nerve.fft.rfftn_real(nerve.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([[[10.,  0.],
                 [-2.,  0.]],
        <BLANKLINE>
                [[-4.,  0.],
                 [ 0.,  0.]]])
    """
    return _r2c("rfftn_real", input, s, dim, norm, None)


def irfftn_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] | None = None,
    norm: str | None = None,
) -> Tensor:
    """``torch.fft.irfftn(torch.view_as_complex(input), s, dim, norm)``: the inverse of
    :func:`rfftn_real`, from a half spectrum in the view_as_real layout to a real signal (the
    last transformed dimension's length is ``s[-1]``, by default 2 * (bins - 1)).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> nerve.fft.irfftn_real(nerve.fft.rfftn_real(x))
        tensor([[1., 2.],
                [3., 4.]])
    """
    z = _layout_input("irfftn_real", input)
    return _c2r("irfftn_real", z, s, dim, norm, None)


def fftn_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] | None = None,
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.fftn(torch.view_as_complex(input), s, dim, norm))``:
    the DFT over ``dim`` (all of the complex signal's dimensions, or the last ``len(s)``, by
    default) of a complex signal in the view_as_real layout (its trailing 2 is no signal
    dimension), returned in that layout.

    Example:
        >>> import nerve
        >>> z = nerve.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])  # an impulse
        >>> nerve.fft.fftn_real(z)
        tensor([[1., 0.],
                [1., 0.],
                [1., 0.]])
    """
    return _c2c("fftn_real", input, s, dim, norm, False, None)


def ifftn_real(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] | None = None,
    norm: str | None = None,
) -> Tensor:
    """``torch.view_as_real(torch.fft.ifftn(torch.view_as_complex(input), s, dim, norm))``:
    the inverse of :func:`fftn_real`, in and out in the view_as_real layout.

    Example:
        >>> import nerve
        >>> z = nerve.tensor([[3.0, 0.0], [3.0, 0.0], [3.0, 0.0]])
        >>> nerve.fft.ifftn_real(z)
        tensor([[3., 0.],
                [0., 0.],
                [0., 0.]])
    """
    return _c2c("ifftn_real", input, s, dim, norm, True, None)


def rfft_magnitude(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
) -> Tensor:
    """The magnitude spectrum ``torch.fft.rfft(input, n, dim, norm).abs()``: the length of
    each bin of :func:`rfft_real` (its gradient at a zero bin is 0, as torch's).

    Example:
        >>> import nerve
        >>> nerve.fft.rfft_magnitude(nerve.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor([10.0000,  2.8284,  2.0000])
    """
    from .linalg import vector_norm

    return vector_norm(rfft_real(input, n, dim, norm), dim=-1)


def rfft_power(
    input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None
) -> Tensor:
    """The power spectrum ``torch.fft.rfft(input, n, dim, norm).abs() ** 2``: the squared
    length of each bin of :func:`rfft_real`.

    Example:
        >>> import nerve
        >>> nerve.fft.rfft_power(nerve.tensor([1.0, 2.0, 3.0, 4.0]))
        tensor([100.,   8.,   4.])
    """
    z = rfft_real(input, n, dim, norm)
    return (z * z).sum(-1)


def _as_complex(x: Tensor) -> Tensor:
    """A real tensor as a complex one with zero imaginary part, in the view_as_real layout."""
    return cat([x.unsqueeze(-1), zeros(list(x.shape) + [1], dtype=x.dtype, device=x.device)], -1)


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """torch.fft.irfft of a real tensor, read (as torch reads it) as a half spectrum with zero
    imaginary parts: a real signal of length ``n`` (default 2 * (size - 1)). For a complex
    spectrum in the view_as_real layout use :func:`irfft_real`.

    Example:
        >>> import nerve
        >>> nerve.fft.irfft(nerve.tensor([4.0, 0.0, 0.0]))
        tensor([1., 1., 1., 1.])
    """
    x = _floating("irfft", input)
    return _c2r("irfft", _as_complex(x), _one(n), dim, norm, None)


def irfft2(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] = (-2, -1),
    norm: str | None = None,
) -> Tensor:
    """torch.fft.irfft2 of a real tensor (zero imaginary parts, as torch reads it); for a
    complex spectrum in the view_as_real layout use :func:`irfft2_real`.

    Example:
        >>> import nerve
        >>> nerve.fft.irfft2(nerve.tensor([[4.0, 0.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [1., 1.]])
    """
    x = _floating("irfft2", input)
    return _c2r("irfft2", _as_complex(x), s, dim, norm, None)


def irfftn(
    input: Tensor,
    s: Sequence[int] | None = None,
    dim: Sequence[int] | None = None,
    norm: str | None = None,
) -> Tensor:
    """torch.fft.irfftn of a real tensor (zero imaginary parts, as torch reads it); for a
    complex spectrum in the view_as_real layout use :func:`irfftn_real`.

    Example:
        >>> import nerve
        >>> nerve.fft.irfftn(nerve.tensor([[4.0, 0.0], [0.0, 0.0]]))
        tensor([[1., 1.],
                [1., 1.]])
    """
    x = _floating("irfftn", input)
    return _c2r("irfftn", _as_complex(x), s, dim, norm, None)


# -- torch's names whose result is complex ----------------------------------------------------


def _no_complex_message(name: str, use: str) -> str:
    return (
        f"nerve.fft.{name}() would return a complex tensor, and nerve has no complex dtype. "
        f"Use nerve.fft.{use}(), which returns torch.view_as_real(torch.fft.{name}(...)) "
        "(real and imaginary parts along a trailing dimension of 2), or "
        "nerve.fft.rfft_magnitude() / nerve.fft.rfft_power() for a magnitude or power spectrum"
    )


def _complex_result(name: str, use: str | None) -> Any:
    message = (
        _no_complex_message(name, use)
        if use
        else (
            f"nerve.fft.{name}() would return a complex tensor, and nerve has no complex dtype; "
            f"nerve has no {name}_real either (see nerve.fft.rfft_real, nerve.fft.irfft_real)"
        )
    )

    def transform(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        raise TypeError(message)

    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = (
        f"Not available: torch.fft.{name} returns a complex tensor, and nerve has no complex "
        f"dtype.{f' Use :func:`{use}` (the view_as_real layout).' if use else ''}\n\n"
        "Example:\n"
        "    >>> import nerve\n"
        f"    >>> nerve.fft.{name}(nerve.ones(4))\n"
        "    Traceback (most recent call last):\n"
        "    ...\n"
        f"    TypeError: nerve.fft.{name}() would return a complex tensor, ...\n"
    )
    return transform


fft = _complex_result("fft", "fft_real")
ifft = _complex_result("ifft", "ifft_real")
fft2 = _complex_result("fft2", "fft2_real")
ifft2 = _complex_result("ifft2", "ifft2_real")
fftn = _complex_result("fftn", "fftn_real")
ifftn = _complex_result("ifftn", "ifftn_real")
rfft = _complex_result("rfft", "rfft_real")
rfft2 = _complex_result("rfft2", "rfft2_real")
rfftn = _complex_result("rfftn", "rfftn_real")
ihfft = _complex_result("ihfft", None)
ihfft2 = _complex_result("ihfft2", None)
ihfftn = _complex_result("ihfftn", None)
