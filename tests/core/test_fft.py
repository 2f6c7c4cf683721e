"""nerve.fft against torch.fft: frequencies and shifts, the ``*_real`` transforms against
``torch.view_as_real`` of torch's complex results (values and gradients, float32 and float64,
every norm, padding and trimming, dims), magnitude and power spectra, double backward, finite
differences, and the clear errors of the names whose result would be complex."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import check_function, check_second_order, gradcheck, gradgradcheck  # noqa: E402

NORMS = (None, "backward", "ortho", "forward")
FLOATS = (np.float32, np.float64)
RNG = np.random.default_rng(0)


def signal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def complex_of(z):  # torch's complex tensor behind a layout tensor
    return torch.view_as_complex(z.contiguous())


# -- frequencies and shifts -------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 4, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.1, 2.5])
def test_frequencies_match_torch(n, d):
    for name in ("fftfreq", "rfftfreq"):
        for dtype in ("float32", "float64"):
            ours = getattr(nerve.fft, name)(n, d, dtype=getattr(nerve, dtype))
            theirs = getattr(torch.fft, name)(n, d, dtype=getattr(torch, dtype))
            assert ours.dtype.name == dtype
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert nerve.fft.fftfreq(4).dtype == nerve.float32
    assert nerve.fft.rfftfreq(4, requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
def test_shifts_match_torch(dtype, dim):
    for name in ("fftshift", "ifftshift"):
        check_function(
            lambda x, name=name, lib=nerve: getattr(lib.fft, name)(x, dim=dim),
            lambda x, name=name, lib=torch: getattr(lib.fft, name)(x, dim=dim),
            [signal(3, 4, 5)],
            dtype=dtype,
        )


def test_shifts_pass_finite_differences():
    x = nerve.tensor(signal(4, 5), requires_grad=True)
    assert gradcheck(lambda t: nerve.fft.fftshift(t) * t, (x,))
    assert gradgradcheck(lambda t: nerve.fft.ifftshift(t, dim=1) * t, (x,))


# -- the transforms ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 3, 6, 9])
@pytest.mark.parametrize("dim", [-1, 1])
def test_rfft_and_irfft_real(dtype, norm, n, dim):
    x = signal(2, 6, 5)
    check_function(
        lambda t: nerve.fft.rfft_real(t, n, dim, norm),
        lambda t: torch.view_as_real(torch.fft.rfft(t, n, dim, norm)),
        [x],
        dtype=dtype,
    )
    z = signal(2, 4, 3, 2)
    check_function(
        lambda t: nerve.fft.irfft_real(t, n, dim, norm),
        lambda t: torch.fft.irfft(complex_of(t), n, dim, norm),
        [z],
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 2, 7])
@pytest.mark.parametrize("name", ["fft", "ifft"])
def test_fft_and_ifft_real(dtype, norm, n, name):
    z = signal(3, 5, 2)
    for dim in (0, -1):
        check_function(
            lambda t, dim=dim: getattr(nerve.fft, f"{name}_real")(t, n, dim, norm),
            lambda t, dim=dim: torch.view_as_real(
                getattr(torch.fft, name)(complex_of(t), n, dim, norm)
            ),
            [z],
            dtype=dtype,
        )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(
    "s, dim", [(None, None), ((4, 6), None), ((3, -1), (0, 2)), (None, (2, 0)), ((5,), (1,))]
)
def test_n_dimensional_transforms(dtype, norm, s, dim):
    x, z = signal(3, 4, 5), signal(3, 4, 5, 2)
    for name in ("rfftn", "fftn", "ifftn", "irfftn"):
        real_input = name == "rfftn"

        def theirs(t, name=name, real_input=real_input):
            out = getattr(torch.fft, name)(t if real_input else complex_of(t), s, dim, norm)
            return out if name == "irfftn" else torch.view_as_real(out)

        check_function(
            lambda t, name=name: getattr(nerve.fft, f"{name}_real")(t, s, dim, norm),
            theirs,
            [x if real_input else z],
            dtype=dtype,
        )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_two_dimensional_transforms(dtype, norm):
    x, z = signal(2, 4, 5), signal(2, 4, 3, 2)
    check_function(
        lambda t: nerve.fft.rfft2_real(t, norm=norm),
        lambda t: torch.view_as_real(torch.fft.rfft2(t, norm=norm)),
        [x],
        dtype=dtype,
    )
    check_function(
        lambda t: nerve.fft.irfft2_real(t, s=(4, 5), norm=norm),
        lambda t: torch.fft.irfft2(complex_of(t), s=(4, 5), norm=norm),
        [z],
        dtype=dtype,
    )
    for name in ("fft2", "ifft2"):
        check_function(
            lambda t, name=name: getattr(nerve.fft, f"{name}_real")(t, norm=norm),
            lambda t, name=name: torch.view_as_real(
                getattr(torch.fft, name)(complex_of(t), norm=norm)
            ),
            [z],
            dtype=dtype,
        )


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("norm", NORMS)
def test_magnitude_and_power_spectra(dtype, norm):
    x = signal(3, 8)
    x[0] = 0.0  # a zero row: every bin is exactly zero, where |.| has gradient 0 (as torch)
    check_function(
        lambda t: nerve.fft.rfft_magnitude(t, norm=norm),
        lambda t: torch.fft.rfft(t, norm=norm).abs(),
        [x],
        dtype=dtype,
    )
    check_function(
        lambda t: nerve.fft.rfft_power(t, n=10, dim=0, norm=norm),
        lambda t: torch.fft.rfft(t, n=10, dim=0, norm=norm).abs() ** 2,
        [x],
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", FLOATS)
def test_irfft_of_a_real_tensor_matches_torch(dtype):
    x = signal(3, 4, 5)
    check_function(
        lambda t: nerve.fft.irfft(t, 7), lambda t: torch.fft.irfft(t, 7), [x], dtype=dtype
    )
    check_function(nerve.fft.irfft2, torch.fft.irfft2, [x], dtype=dtype)
    check_function(
        lambda t: nerve.fft.irfftn(t, dim=(0, 1), norm="ortho"),
        lambda t: torch.fft.irfftn(t, dim=(0, 1), norm="ortho"),
        [x],
        dtype=dtype,
    )


def test_integer_input_is_promoted_as_torch():
    ours = nerve.fft.rfft_real(nerve.arange(4))
    theirs = torch.view_as_real(torch.fft.rfft(torch.arange(4)))
    assert ours.dtype == nerve.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: (
            nerve.fft.rfft_real(x, 6) if lib is nerve else torch.view_as_real(torch.fft.rfft(x, 6))
        ),
        lambda lib, x: (
            nerve.fft.irfft_real(x, 5, dim=0)
            if lib is nerve
            else torch.fft.irfft(complex_of(x), 5, dim=0)
        ),
        lambda lib, x: (
            nerve.fft.fftn_real(x, norm="ortho")
            if lib is nerve
            else torch.view_as_real(torch.fft.fftn(complex_of(x), norm="ortho"))
        ),
    ],
    ids=["rfft", "irfft", "fftn"],
)
def test_second_order_matches_torch(fn):
    x, v = signal(4, 3, 2), signal(4, 3, 2)
    weights = signal(*fn(torch, torch.tensor(x)).shape)

    def loss(lib, t):
        out = fn(lib, t)
        return (out * out * lib.tensor(weights)).sum()

    check_second_order(loss, x, v)


def test_transforms_pass_finite_differences():
    x = nerve.tensor(signal(5, 4), requires_grad=True)
    z = nerve.tensor(signal(3, 4, 2), requires_grad=True)
    assert gradcheck(lambda t: nerve.fft.rfftn_real(t, s=(6, 3), norm="ortho"), (x,))
    assert gradgradcheck(lambda t: nerve.fft.rfft_real(t, dim=0) ** 2, (x,))
    assert gradcheck(lambda t: nerve.fft.irfftn_real(t, s=(3, 7)), (z,))
    assert gradgradcheck(lambda t: nerve.fft.irfft_real(t) ** 2, (z,))
    assert gradgradcheck(lambda t: nerve.fft.ifft_real(t, n=5, dim=0, norm="forward") ** 2, (z,))


def test_round_trips():
    x = nerve.tensor(signal(4, 6))
    np.testing.assert_allclose(
        nerve.fft.irfftn_real(nerve.fft.rfftn_real(x), s=(4, 6)).numpy(), x.numpy(), atol=1e-5
    )
    z = nerve.tensor(signal(4, 6, 2))
    np.testing.assert_allclose(
        nerve.fft.ifft_real(nerve.fft.fft_real(z)).numpy(), z.numpy(), atol=1e-5
    )


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "rfft2", "rfftn", "ihfft"]
)
def test_complex_results_raise_a_clear_type_error(name):
    with pytest.raises(TypeError, match="no complex dtype") as info:
        getattr(nerve.fft, name)(nerve.ones(4), dim=-1)
    if name != "ihfft":
        assert f"nerve.fft.{name}_real()" in str(info.value)
    assert "rfft_magnitude" in str(info.value) or name == "ihfft"


def test_argument_errors():
    x = nerve.ones(4)
    with pytest.raises(RuntimeError, match="Invalid normalization mode"):
        nerve.fft.rfft_real(x, norm="bad")
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\)"):
        nerve.fft.rfft_real(x, n=0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        nerve.fft.rfft_real(x, dim=1)
    with pytest.raises(RuntimeError, match="unique"):
        nerve.fft.rfftn_real(nerve.ones(2, 2), dim=(0, 0))
    with pytest.raises(ValueError, match="view_as_real layout"):
        nerve.fft.fft_real(nerve.ones(4, 3))
    with pytest.raises(RuntimeError, match="Half"):
        nerve.fft.rfft_real(nerve.ones(4, dtype=nerve.float16))
