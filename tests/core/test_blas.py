"""``backend.blas.matmul2d``: large float products through MKL (when installed), the same
numbers as NumPy's within float tolerance, NumPy's own product for everything MKL does not
take, and MKL's threads under nerve's control (set_num_threads, fork)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nerve
from nerve.backend import blas
from nerve.backend.blas import MIN_WORK, matmul2d

needs_mkl = pytest.mark.skipif(
    not blas.is_available(), reason="MKL is not installed (pip install nerve[mkl])"
)
rng = np.random.default_rng(0)


def _products_on_mkl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large products through MKL on any CPU (by default only on Intel's), as NERVE_MKL=1."""
    monkeypatch.setitem(blas._state, "products", blas.library() is not None)


def _layouts(m: int, k: int, n: int, dtype: type) -> list[tuple[np.ndarray, np.ndarray]]:
    """(a, b) of shapes (m, k) and (k, n) stored row-major, column-major and mixed."""
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    fa, fb = np.asfortranarray(a), np.asfortranarray(b)
    return [(a, b), (fa, b), (a, fb), (fa, fb)]


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_large_product_goes_to_mkl_and_agrees_with_numpy(dtype, monkeypatch):
    _products_on_mkl(monkeypatch)
    calls = []
    product = blas._mkl_product
    monkeypatch.setattr(blas, "_mkl_product", lambda a, b: calls.append(1) or product(a, b))
    m, k, n = 300, 160, 90
    assert m * k * n >= MIN_WORK
    for a, b in _layouts(m, k, n, dtype):
        out = matmul2d(a, b)
        assert out.shape == (m, n) and out.dtype == dtype and out.flags.c_contiguous
        exact = a.astype(np.float64) @ b.astype(np.float64)
        tol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(out, exact, rtol=tol, atol=tol * np.sqrt(k))
    assert len(calls) == 4
    assert all(product(a, b) is not None for a, b in _layouts(m, k, n, dtype))


@pytest.mark.parametrize(
    "make",
    [
        lambda: (rng.standard_normal((30, 20)), rng.standard_normal((20, 10))),  # small
        lambda: (rng.standard_normal((600, 320))[:, ::2], rng.standard_normal((160, 90))),
        lambda: (
            rng.standard_normal((300, 160)).astype(np.float32),
            rng.standard_normal((160, 90)),  # float32 times float64
        ),
        lambda: (
            rng.integers(0, 9, (300, 160)),
            rng.integers(0, 9, (160, 90)),  # integers: no GEMM for them
        ),
        lambda: (
            rng.standard_normal((300, 160)).astype(">f4"),  # byte-swapped: not MKL's floats
            rng.standard_normal((160, 90)).astype(">f4"),
        ),
    ],
    ids=["small", "strided", "mixed-dtypes", "integers", "big-endian"],
)
def test_what_mkl_does_not_take_is_numpys_own_product(make, monkeypatch):
    calls = []
    _products_on_mkl(monkeypatch)  # loaded (when installed) before its GEMMs are watched
    gemms = {
        c: lambda *args, g=g: calls.append(1) or g(*args) for c, g in blas._state["gemm"].items()
    }
    monkeypatch.setitem(blas._state, "gemm", gemms)
    a, b = make()
    np.testing.assert_array_equal(matmul2d(a, b), a.dot(b))
    assert matmul2d(a, b).dtype == a.dot(b).dtype
    assert not calls  # the numbers alone could not tell: MKL's may equal NumPy's bit for bit


def test_operands_that_do_not_fit_raise_numpys_error():
    a, b = np.ones((300, 160), np.float32), np.ones((150, 90), np.float32)
    with pytest.raises(ValueError, match="not aligned"):
        matmul2d(a, b)


def test_sizes_beyond_32_bits_are_left_to_numpy(monkeypatch):
    """MKL's LP64 interface takes 32-bit sizes: a larger one would wrap in ctypes."""
    monkeypatch.setattr(blas, "_INT_MAX", 159)  # as if 160 did not fit
    a, b = np.ones((300, 160), np.float32), np.ones((160, 90), np.float32)
    assert blas._mkl_product(a, b) is None
    monkeypatch.setattr(blas, "_INT_MAX", 300)
    assert blas._mkl_product(a, b) is not None or not blas.is_available()


def _run(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@needs_mkl
@pytest.mark.parametrize(
    "intel, setting, expected",
    [(True, "", True), (False, "", False), (False, "1", True), (True, "0", False)],
)
def test_large_products_go_to_mkl_on_intel_cpus_or_when_asked(intel, setting, expected):
    """On AMD's CPUs MKL measured slower than OpenBLAS (backend/blas.py): products stay with
    NumPy there unless NERVE_MKL=1; the sums MKL adds into its output work on any CPU."""
    code = f"""
        import numpy as np
        from nerve.backend import blas
        blas._intel_cpu = lambda: {intel}
        a, b = np.ones((300, 160), np.float32), np.ones((160, 90), np.float32)
        calls = []
        blas._mkl_product = lambda a, b: calls.append(1)
        blas.matmul2d(a, b)
        out = np.zeros((300, 90), np.float32)
        adds = blas.add_product_at_rows(out, 0, a, b, 300)
        print(blas.products_on_mkl(), bool(calls), adds == blas.is_available())
    """
    assert _run(code, NERVE_MKL=setting) == f"{expected} {expected} True"


def test_nerve_mkl_0_keeps_every_product_on_numpy():
    code = """
        import numpy as np
        from nerve.backend import blas
        a, b = np.ones((300, 160), np.float32), np.ones((160, 90), np.float32)
        print(blas.is_available(), blas._mkl_product(a, b))
    """
    assert _run(code, NERVE_MKL="0") == "False None"


@needs_mkl
def test_set_num_threads_reaches_mkl_before_and_after_it_loads():
    code = """
        import numpy as np, nerve
        from nerve.backend import blas
        nerve.set_num_threads(1)  # before MKL is loaded
        blas.matmul2d(np.ones((300, 160), np.float32), np.ones((160, 90), np.float32))
        before = blas.library().MKL_Get_Max_Threads()
        nerve.set_num_threads(3)  # after: through threadpoolctl, as for any BLAS
        sequential = blas._state["layer"] == blas._LAYER_SEQUENTIAL  # no libgomp: one thread
        print(before, blas.library().MKL_Get_Max_Threads(), 3 if not sequential else 1)
    """
    before, after, expected = _run(
        code, MKL_NUM_THREADS="2", OMP_NUM_THREADS="2", NERVE_MKL="1"
    ).split()
    assert before == "1" and after == expected


@needs_mkl
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_multiplies_after_the_parent_did():
    """A GNU OpenMP pool does not survive fork: the child runs MKL on one thread rather than
    waiting forever for the parent's threads."""
    code = """
        import os, signal, numpy as np
        from nerve.backend import blas
        a, b = np.ones((600, 300), np.float32), np.ones((300, 200), np.float32)
        blas.matmul2d(a, b)  # the parent's pool starts
        pid = os.fork()
        if pid == 0:
            signal.alarm(30)  # a hung child ends itself (its status then says so)
            os._exit(0 if blas.matmul2d(a, b)[0, 0] == 300 else 1)
        print(os.waitpid(pid, 0)[1])
    """
    assert _run(code, MKL_NUM_THREADS="2", OMP_NUM_THREADS="2", NERVE_MKL="1") == "0"


@needs_mkl
def test_an_ilp64_interface_asked_in_the_environment_is_overridden():
    """MKL_INTERFACE_LAYER=ILP64 would make MKL read 64-bit sizes where ctypes passes 32."""
    code = """
        import numpy as np
        from nerve.backend import blas
        out = blas.matmul2d(np.ones((300, 160), np.float32), np.ones((160, 90), np.float32))
        print(blas.is_available(), out[0, 0], out[-1, -1])
    """
    assert _run(code, MKL_INTERFACE_LAYER="ILP64", NERVE_MKL="1") == "True 160.0 160.0"


@needs_mkl
def test_a_wide_linear_layer_through_mkl_matches_torch(monkeypatch):
    _products_on_mkl(monkeypatch)
    torch = pytest.importorskip("torch", reason="torch is the oracle (pip install nerve[test])")
    x = rng.standard_normal((256, 320)).astype(np.float32)
    layer = nerve.nn.Linear(320, 96)
    reference = torch.nn.Linear(320, 96)
    with torch.no_grad():
        reference.weight.copy_(torch.from_numpy(layer.weight.detach().numpy()))
        reference.bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    ours, theirs = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (layer(ours) ** 2).sum().backward()
    (reference(theirs) ** 2).sum().backward()
    pairs = [(ours.grad, theirs.grad), (layer.weight.grad, reference.weight.grad)]
    for got, want in [(layer(ours), reference(theirs)), *pairs]:
        got, want = got.detach().numpy(), want.detach().numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_shifted_product_adds_into_its_columns_only(dtype):
    a, b = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal((4, 9)).astype(dtype)
    out = rng.standard_normal((3, 12)).astype(dtype)
    want = out.copy()
    want[:, 2:9] += a @ b[:, :7]
    assert blas.add_shifted_product(out, 2, a, b, 7)
    np.testing.assert_allclose(out, want, rtol=1e-5)


def test_a_shifted_product_refuses_what_it_cannot_take():
    a, b, out = np.ones((3, 4)), np.ones((4, 9)), np.zeros((3, 12))
    refused = [
        (out, 6, a, b, 7),  # past the end of out's rows
        (out, -1, a, b, 7),
        (out, 0, a, b, 10),  # wider than b
        (out.astype(np.float32), 0, a, b, 7),  # mixed dtypes
        (out, 0, np.asfortranarray(a), b, 7),  # not row-major
        (out, 0, a, np.ones((5, 9)), 7),  # shapes that do not chain
        (np.zeros((2, 12)), 0, a, b, 7),
        (out.astype(np.int64), 0, a.astype(np.int64), b.astype(np.int64), 7),
    ]
    read_only = np.zeros((3, 12))
    read_only.setflags(write=False)
    refused += [
        (read_only, 0, a, b, 7),
        (out.reshape(-1), 0, a, b, 7),  # not a matrix
    ]
    shared = np.zeros(36)  # b and out in one buffer: the product would read what it wrote
    refused.append((shared.reshape(3, 12), 0, a, shared.reshape(4, 9), 7))
    for args in refused:
        assert not blas.add_shifted_product(*args)
    assert not out.any()


@needs_mkl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_product_at_rows_adds_into_its_rows_only(dtype):
    a, b = rng.standard_normal((9, 4)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    out = rng.standard_normal((12, 3)).astype(dtype)
    want = out.copy()
    want[2:9] += a[:7] @ b
    assert blas.add_product_at_rows(out, 2, a, b, 7)
    np.testing.assert_allclose(out, want, rtol=1e-5)
    out = np.ones((12, 3), dtype)
    assert blas.add_product_at_rows(out, 2, a, b, 0)  # nothing to add
    assert (out == 1).all()


def test_a_product_at_rows_refuses_what_it_cannot_take():
    a, b, out = np.ones((9, 4)), np.ones((4, 3)), np.zeros((12, 3))
    read_only = np.zeros((12, 3))
    read_only.setflags(write=False)
    refused = [
        (out, 6, a, b, 7),  # past the end of out's rows
        (out, -1, a, b, 7),
        (out, 0, a, b, 10),  # taller than a
        (out.astype(np.float32), 0, a, b, 7),  # mixed dtypes
        (out, 0, a, np.asfortranarray(np.ones((4, 3))), 7),  # not row-major
        (out, 0, a, np.ones((5, 3)), 7),  # shapes that do not chain
        (np.zeros((12, 2)), 0, a, b, 7),
        (read_only, 0, a, b, 7),
        (out, 0, a.reshape(-1), b, 7),  # not a matrix
    ]
    for args in refused:
        assert not blas.add_product_at_rows(*args)
    assert not out.any()


@needs_mkl
def test_a_shifted_product_of_nothing_adds_nothing():
    out = np.ones((3, 12))
    assert blas.add_shifted_product(out, 2, np.ones((3, 4)), np.ones((4, 9)), 0)
    assert blas.add_shifted_product(out, 2, np.ones((3, 0)), np.ones((0, 9)), 7)
    assert (out == 1).all()
