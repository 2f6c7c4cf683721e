"""The device lines of current tutorials, printing options, threads and ``f"{loss:.4f}"``,
each against torch 2.13 (CPU) where torch answers."""

from __future__ import annotations

import warnings

import pytest

import nerve

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("spec", [".4f", ".2e", "", ">10.3f", "g"])
def test_format_of_a_zero_dim_tensor_is_its_number(spec: str) -> None:
    assert format(nerve.tensor(1.23456), spec) == format(torch.tensor(1.23456), spec)
    assert format(nerve.tensor(7), "5d") == format(torch.tensor(7), "5d")
    loss = (nerve.tensor(1.5, requires_grad=True) * 2).sum()
    assert f"{loss:.3f}" == "3.000"


def test_format_of_a_vector_is_str_or_torch_error() -> None:
    assert f"{nerve.tensor([1.0, 2.0])}" == str(nerve.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
        f"{nerve.tensor([1.0, 2.0]):.2f}"
    with pytest.raises(TypeError, match="unsupported format string"):
        format(torch.tensor([1.0, 2.0]), ".2f")


def test_accelerator_cuda_and_backends_answer_as_torch_on_a_cpu_machine() -> None:
    if nerve.cuda.is_available():
        pytest.skip("this machine has a GPU: the answers differ from a CPU-only torch")
    assert nerve.accelerator.is_available() is torch.accelerator.is_available() is False
    assert nerve.accelerator.current_accelerator() is None
    assert nerve.cuda.device_count() == torch.cuda.device_count() == 0
    assert nerve.backends.mps.is_available() is torch.backends.mps.is_available()
    assert nerve.backends.mps.is_built() is False
    nerve.cuda.empty_cache()
    nerve.cuda.manual_seed_all(0)
    for call in (nerve.cuda.get_device_name, nerve.cuda.synchronize):
        with pytest.raises(AssertionError, match="nerve.cuda.is_available"):
            call()
    device = "cuda" if nerve.cuda.is_available() else "cpu"
    assert nerve.zeros(2).to(device).device == nerve.device("cpu")


def test_cudnn_flags_are_settable_module_attributes() -> None:
    import nerve.backends.cudnn as cudnn

    before = (cudnn.benchmark, cudnn.deterministic, cudnn.enabled)
    assert before == (
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.enabled,
    )
    try:
        nerve.backends.cudnn.benchmark = True
        nerve.backends.cudnn.deterministic = True
        assert cudnn.benchmark and cudnn.deterministic
    finally:
        cudnn.benchmark, cudnn.deterministic, cudnn.enabled = before


def test_default_device() -> None:
    assert nerve.get_default_device() == nerve.device("cpu")
    nerve.set_default_device("cpu")
    assert nerve.zeros(2).device == nerve.device("cpu")
    nerve.set_default_device(None)
    assert repr(nerve.get_default_device()) == repr(torch.get_default_device())
    if not nerve.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            nerve.set_default_device("cuda")
        assert nerve.get_default_device() == nerve.device("cpu")


@pytest.fixture
def restore_printoptions():
    yield
    nerve.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize(
    "options",
    [
        {"precision": 2},
        {"sci_mode": True},
        {"sci_mode": False},
        {"threshold": 5, "edgeitems": 2},
        {"linewidth": 30},
        {"profile": "short"},
        {"profile": "full"},
        {"profile": "short", "precision": 6},
    ],
)
def test_printing_honours_printoptions(options: dict, restore_printoptions: None) -> None:
    nerve.set_printoptions(**options)
    torch.set_printoptions(**options)
    for values in ([1.23456, 100.5], [1e-8, 1e9], list(range(20)), [0.5] * 1005):
        ours = repr(nerve.tensor(values, dtype=nerve.float32))
        theirs = repr(torch.tensor(values, dtype=torch.float32))
        assert ours == theirs, options
    assert nerve.get_printoptions()["precision"] == nerve.printing.OPTS.precision


def test_unknown_print_profile_raises() -> None:
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        nerve.set_printoptions(profile="huge")


def test_num_threads_limit_the_blas_pool() -> None:
    pytest.importorskip("threadpoolctl")
    before = nerve.get_num_threads()
    try:
        nerve.set_num_threads(1)
        assert nerve.get_num_threads() == 1
        from threadpoolctl import threadpool_info

        assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")
    finally:
        nerve.set_num_threads(before)
    assert nerve.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_num_threads_errors_are_torch_s(bad: object) -> None:
    with pytest.raises(RuntimeError) as ours:
        nerve.set_num_threads(bad)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    assert str(ours.value) == str(theirs.value)


def test_non_leaf_grad_warns_as_torch() -> None:
    x = nerve.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="not a leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None and x.grad is None
        assert nerve.nn.Parameter(nerve.ones(1)).grad is None
