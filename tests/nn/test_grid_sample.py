"""affine_grid and grid_sample (the Spatial Transformer Networks tutorial) against torch 2.13:
values and the gradients of the input, the grid and theta in float64 and float32 across modes,
padding modes and align_corners, finite differences of first and second order, the tutorial's
pipeline, torch's default-align_corners warning and its errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 5, 7))  # N > 1, non-square


def safe_grid(shape, height, width, align_corners, rng=RNG, reach=2.0):
    """A grid (N, H_out, W_out, 2) of positions up to ``reach`` pixels outside the image,
    each away from whole and half pixels (where bilinear's gradient and nearest's choice
    jump), so that float32 rounding cannot pick another pixel than torch does."""

    def axis(size):
        whole = rng.integers(int(-reach), int(size + reach), shape)
        part = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)
        pixel = whole + part
        if align_corners:
            return pixel / max(size - 1, 1) * 2 - 1
        return (2 * pixel + 1) / size - 1

    return np.stack([axis(width), axis(height)], axis=-1)


GRIDS = {ac: safe_grid((2, 4, 6), 5, 7, ac) for ac in (True, False)}
MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    grid = GRIDS[align_corners]
    assert (np.abs(grid) > 1).any()  # positions outside the image: the padding matters
    check_function(
        F.grid_sample,
        TF.grid_sample,
        [X, grid],
        dtype,
        (0, 1),
        mode=mode,
        padding_mode=padding_mode,
        align_corners=align_corners,
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 2, 4)], ids=["2d", "3d"])
def test_affine_grid_matches_torch(size, align_corners, dtype):
    theta = RNG.standard_normal((2, len(size) - 2, len(size) - 1))
    check_function(
        F.affine_grid, TF.affine_grid, [theta], dtype, (0,), size=size, align_corners=align_corners
    )


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_the_spatial_transformer_pipeline(padding_mode, dtype):
    """The tutorial's transformer: a rotation, scale and shift per image turned into a grid,
    the images sampled through it; gradients of the images and of theta."""
    angle, scale = np.array([0.3, -0.5]), np.array([0.8, 1.3])
    theta = np.zeros((2, 2, 3))
    theta[:, 0, 0] = theta[:, 1, 1] = scale * np.cos(angle)
    theta[:, 0, 1], theta[:, 1, 0] = -scale * np.sin(angle), scale * np.sin(angle)
    theta[:, :, 2] = [[0.1, -0.2], [0.3, 0.05]]

    def transform(lib):
        fn = F if lib is nerve else TF

        def run(x, t):
            grid = fn.affine_grid(t, list(x.shape), align_corners=False)
            return fn.grid_sample(x, grid, padding_mode=padding_mode, align_corners=False)

        return run

    check_function(transform(nerve), transform(torch), [X, theta], dtype, (0, 1))


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_finite_differences(mode, padding_mode, align_corners):
    x = nerve.tensor(RNG.standard_normal((2, 2, 3, 4)), requires_grad=True)
    grid = safe_grid((2, 3, 2), 3, 4, align_corners, reach=1.0)
    g = nerve.tensor(grid, requires_grad=True)

    def fn(x, g):
        return F.grid_sample(x, g, mode, padding_mode, align_corners)

    assert gradcheck(fn, (x, g))


def test_second_order_finite_differences():
    """Double backward comes from the ops grid_sample is made of (torch: through its own
    backward), the gather's scatter included."""
    x = nerve.tensor(RNG.standard_normal((1, 2, 3, 4)), requires_grad=True)
    g = nerve.tensor(safe_grid((1, 2, 3), 3, 4, False, reach=1.0), requires_grad=True)

    def fn(x, g):
        return F.grid_sample(x, g, align_corners=False)

    assert gradgradcheck(fn, (x, g))


def test_nearest_gives_the_grid_a_zero_gradient():
    """As torch: zeros (not None), and the output requires grad when only the grid does."""
    grid = GRIDS[False]
    ours, theirs = nerve.tensor(grid, requires_grad=True), torch.tensor(grid, requires_grad=True)
    out = F.grid_sample(nerve.tensor(X), ours, mode="nearest", align_corners=False)
    expected = TF.grid_sample(torch.tensor(X), theirs, mode="nearest", align_corners=False)
    assert out.requires_grad and expected.requires_grad
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), np.zeros_like(grid))


def test_identity_grid_reads_the_input_back():
    theta = nerve.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2, dtype=nerve.float64)
    for align_corners in (True, False):
        grid = F.affine_grid(theta, list(X.shape), align_corners=align_corners)
        out = F.grid_sample(nerve.tensor(X), grid, align_corners=align_corners)
        np.testing.assert_allclose(out.numpy(), X, atol=1e-12)


def test_default_align_corners_warns_as_torch():
    image, grid = nerve.tensor(X), nerve.tensor(GRIDS[False])
    theta = nerve.tensor(np.eye(2, 3)[None].repeat(2, 0))
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = TF.grid_sample(torch.tensor(X), torch.tensor(GRIDS[False]))
        TF.affine_grid(torch.tensor(np.eye(2, 3)[None]), (1, 1, 2, 2))
    with pytest.warns(UserWarning) as ours:
        out = F.grid_sample(image, grid)
        F.affine_grid(theta[:1], (1, 1, 2, 2))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)  # False's result
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(theta, (2, 1, 1, 3), align_corners=True)


def _outcome(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            # (nerve.Size, nerve.int64 where torch names torch.Size, torch.int64)
            return type(error).__name__, str(error).replace("nerve.", "torch.")
    return "ok", tuple(result.shape)


def _both(name, shapes, dtypes=None, **kwargs):
    """The outcome of nerve's and torch's ``name`` on zeros of ``shapes`` (int tuples) or
    on given sizes (lists)."""
    results = []
    for lib in (nerve, torch):
        fn = getattr(F if lib is nerve else TF, name)
        args = []
        for i, shape in enumerate(shapes):
            if isinstance(shape, list):
                args.append(tuple(shape))
                continue
            dtype = (dtypes or {}).get(i, "float32")
            args.append(lib.zeros(*shape, dtype=getattr(lib, dtype)))
        results.append(_outcome(fn, *args, **kwargs))
    return results


ERRORS = [
    ("grid_sample", [(2, 3, 4, 5), (2, 6, 7, 2)], {}, {"mode": "area"}),
    ("grid_sample", [(2, 3, 4, 5), (2, 6, 7, 2)], {}, {"padding_mode": "wrap"}),
    ("grid_sample", [(2, 3, 4, 5), (1, 6, 7, 2)], {}, {}),  # batch sizes
    ("grid_sample", [(2, 3, 4, 5), (2, 6, 7, 1)], {}, {}),  # coordinates per position
    ("grid_sample", [(2, 3, 4, 5), (2, 1, 6, 7, 2)], {}, {}),  # 4-D input, 5-D grid
    ("grid_sample", [(2, 4, 5), (2, 7, 1)], {}, {}),  # 3-D
    ("grid_sample", [(3, 4, 5), (2, 6, 7, 2)], {}, {}),
    ("grid_sample", [(2, 3, 0, 5), (2, 6, 7, 2)], {}, {}),  # empty image
    ("grid_sample", [(2, 3, 4, 5), (2, 6, 7, 2)], {1: "float64"}, {}),  # dtypes differ
    ("grid_sample", [(2, 3, 4, 5), (2, 6, 7, 2)], {0: "int64", 1: "int64"}, {}),
    ("grid_sample", [(0, 3, 4, 5), (0, 6, 7, 2)], {}, {}),  # an empty batch works
    ("grid_sample", [(2, 0, 4, 5), (2, 6, 7, 2)], {}, {}),  # and no channels
    ("grid_sample", [(2, 3, 4, 5), (2, 0, 7, 2)], {}, {}),  # and an empty grid
    ("affine_grid", [(2, 2, 3), [2, 3, 4]], {}, {}),
    ("affine_grid", [(2, 2, 3), [2, 3, 4, 5, 6]], {}, {}),
    ("affine_grid", [(2, 3), [2, 3, 4, 5]], {}, {}),
    ("affine_grid", [(2, 2, 3), [3, 3, 4, 5]], {}, {}),  # batch sizes
    ("affine_grid", [(2, 2, 3), [2, 3, 0, 5]], {}, {}),
    ("affine_grid", [(2, 2, 3), [2, 3, 4, 5]], {0: "int64"}, {}),
    ("affine_grid", [(2, 2, 3), [2, 3, 1, 5]], {}, {}),  # a unit size
]


@pytest.mark.parametrize("name,shapes,dtypes,options", ERRORS)
def test_errors_match_torch(name, shapes, dtypes, options):
    ours, theirs = _both(name, shapes, dtypes, align_corners=False, **options)
    assert ours == theirs


def test_what_nerve_does_not_sample_yet():
    """Volumes (5-D inputs): torch samples them, nerve says it does not (yet)."""
    volume, grid = nerve.zeros(1, 1, 2, 2, 2), nerve.zeros(1, 1, 1, 1, 3)
    with pytest.raises(NotImplementedError, match="4-D"):
        F.grid_sample(volume, grid, align_corners=False)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(volume, grid, "bicubic", align_corners=False)


def test_nearest_rounds_halves_to_even_as_torch():
    """Positions exactly half-way between pixels (0.5, 1.5, 2.5 ... with align_corners): torch
    rounds them to the even pixel (nearbyint), and so does nerve."""
    steps = np.arange(-1, 5) + 0.5  # pixel positions -0.5 ... 4.5 of a 5-pixel axis
    grid = np.stack(np.meshgrid(steps / 2 - 1, steps / 2 - 1), axis=-1)[None]
    check_function(
        F.grid_sample,
        TF.grid_sample,
        [X[:1, :, :, :5], grid],
        np.float64,
        (0,),
        mode="nearest",
        align_corners=True,
    )
