"""nn.utils.parametrize, nn.utils.parametrizations and the legacy weight_norm / spectral_norm
hooks, against torch with the same weights."""

from __future__ import annotations

import copy
import pickle
import warnings

import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from nerve.nn.utils import parametrizations as PN  # noqa: E402
from nerve.nn.utils import parametrize as P  # noqa: E402
from parity import check_module, close, gradcheck  # noqa: E402

TP = torch.nn.utils.parametrize
TPN = torch.nn.utils.parametrizations
RNG = np.random.default_rng(0)


def sd_to_torch(sd: dict) -> dict:
    return {k: torch.tensor(np.array(v.detach().numpy())) for k, v in sd.items()}


def sd_to_nerve(sd: dict) -> dict:
    return {k: nerve.tensor(v.detach().numpy().copy()) for k, v in sd.items()}


def linears(n_in: int = 4, n_out: int = 3) -> tuple[nn.Linear, torch.nn.Linear]:
    ours, theirs = nn.Linear(n_in, n_out).double(), torch.nn.Linear(n_in, n_out).double()
    theirs.load_state_dict(sd_to_torch(ours.state_dict()))
    return ours, theirs


def compare_grads(ours: nn.Module, theirs: torch.nn.Module) -> None:
    mine, their = dict(ours.named_parameters()), dict(theirs.named_parameters())
    assert list(mine) == list(their)
    for name in mine:
        close(mine[name].grad, their[name].grad, np.float64, f"gradient of {name}")


def run_both(ours, theirs, x: np.ndarray, input_grad: bool = True):
    xn = nerve.tensor(x, requires_grad=input_grad)
    xt = torch.tensor(x, requires_grad=input_grad)
    out_n, out_t = ours(xn), theirs(xt)
    close(out_n, out_t, np.float64, "output")
    up = RNG.standard_normal(tuple(out_t.shape))
    out_n.backward(nerve.tensor(up))
    out_t.backward(torch.tensor(up))
    if input_grad:
        close(xn.grad, xt.grad, np.float64, "input gradient")
    return out_n, out_t


# -- custom parametrizations ------------------------------------------------------------------


def make_symmetric(lib, with_inverse: bool):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        if with_inverse:

            def right_inverse(self, A):
                return A.triu()

    return Symmetric()


def make_scale(lib, factor: float):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, X):
            return X / factor

    return Scale()


@pytest.mark.parametrize("with_inverse", [False, True])
def test_symmetric_values_gradients_and_structure(with_inverse):
    ours, theirs = linears(4, 4)
    P.register_parametrization(ours, "weight", make_symmetric(nerve, with_inverse))
    TP.register_parametrization(theirs, "weight", make_symmetric(torch, with_inverse))
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert isinstance(ours, nn.Linear)
    assert isinstance(ours.parametrizations, nn.ModuleDict)
    assert isinstance(ours.parametrizations.weight, P.ParametrizationList)
    assert isinstance(ours.parametrizations.weight.original, nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original)
    close(ours.weight, theirs.weight, np.float64, "weight")
    run_both(ours, theirs, RNG.standard_normal((5, 4)))
    compare_grads(ours, theirs)
    assert P.is_parametrized(ours) and P.is_parametrized(ours, "weight")
    assert not P.is_parametrized(ours, "bias") and not P.is_parametrized(nn.Linear(2, 2))
    assert P.type_before_parametrizations(ours) is nn.Linear
    assert "ParametrizationList" in repr(ours)


def test_assignment_goes_through_right_inverse():
    ours, theirs = linears(4, 4)
    P.register_parametrization(ours, "weight", make_symmetric(nerve, True))
    TP.register_parametrization(theirs, "weight", make_symmetric(torch, True))
    A = RNG.standard_normal((4, 4))
    A = A + A.T
    original = ours.parametrizations.weight.original
    ours.weight = nerve.tensor(A)
    theirs.weight = torch.tensor(A)
    assert ours.parametrizations.weight.original is original  # set in place, as torch's set_
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original)
    close(ours.weight, torch.tensor(A), np.float64, "weight")
    # without a right_inverse, assignment is torch's RuntimeError
    m = P.register_parametrization(nn.Linear(3, 3), "weight", make_symmetric(nerve, False))
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = nerve.zeros(3, 3)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.weight = nn.Parameter(nerve.zeros(3, 3))
    m.other = nn.Parameter(nerve.zeros(1))  # other attributes as usual
    assert "other" in dict(m.named_parameters())


def test_chained_parametrizations():
    ours, theirs = linears(4, 4)
    for lib, m in ((nerve, ours), (torch, theirs)):
        reg = P.register_parametrization if lib is nerve else TP.register_parametrization
        reg(m, "weight", make_scale(lib, 3.0))
        reg(m, "weight", make_symmetric(lib, True))
        reg(m, "weight", make_scale(lib, 0.5))
    assert len(ours.parametrizations.weight) == 3
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original)
    run_both(ours, theirs, RNG.standard_normal((2, 4)))
    compare_grads(ours, theirs)
    A = RNG.standard_normal((4, 4))
    ours.weight, theirs.weight = nerve.tensor(A + A.T), torch.tensor(A + A.T)
    close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original)
    close(ours.weight, theirs.weight, np.float64, "weight")


def test_buffer_parametrization_and_unsafe():
    ours = nn.Module()
    ours.register_buffer("table", nerve.ones(2, 3))

    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(ours, "table", Flat())
    P.register_parametrization(ours, "table", Flat(), unsafe=True)
    assert ours.table.shape == (6,)
    assert list(ours.state_dict()) == ["parametrizations.table.original"]
    assert list(ours.parameters()) == []


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    ours, theirs = linears(4, 4)
    P.register_parametrization(ours, "weight", make_scale(nerve, 2.0))
    TP.register_parametrization(theirs, "weight", make_scale(torch, 2.0))
    original = ours.parametrizations.weight.original
    P.remove_parametrizations(ours, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(theirs, "weight", leave_parametrized=leave)
    assert type(ours) is nn.Linear and not hasattr(ours, "parametrizations")
    assert ours.weight is original and isinstance(ours.weight, nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    close(ours.weight, theirs.weight, np.float64, "weight")
    run_both(ours, theirs, RNG.standard_normal((2, 4)))
    compare_grads(ours, theirs)


def test_remove_with_several_originals():
    ours, theirs = linears()
    PN.weight_norm(ours)
    TPN.weight_norm(theirs)
    theirs.load_state_dict(sd_to_torch(ours.state_dict()))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(ours, "weight", leave_parametrized=False)
    P.remove_parametrizations(ours, "weight")
    TP.remove_parametrizations(theirs, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    close(ours.weight, theirs.weight, np.float64, "weight")
    assert isinstance(ours.weight, nn.Parameter)


def test_cached():
    calls = []

    class Counted(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = P.register_parametrization(nn.Linear(3, 3), "weight", Counted())
    calls.clear()
    with P.cached():
        first = m.weight
        with P.cached():
            assert m.weight is first
        assert m.weight is first
    assert len(calls) == 1
    assert m.weight is not first
    # gradients through a cached weight used twice
    m2 = copy.deepcopy(m)
    x = nerve.randn(2, 3)
    with P.cached():
        (m(x) + m(x)).sum().backward()
    (m2(x) + m2(x)).sum().backward()
    close(m.parametrizations.weight.original.grad, m2.parametrizations.weight.original.grad)


def test_state_dict_round_trips_and_copies():
    ours, theirs = linears(4, 4)
    P.register_parametrization(ours, "weight", make_symmetric(nerve, True))
    TP.register_parametrization(theirs, "weight", make_symmetric(torch, True))
    # nerve -> torch -> nerve
    theirs.load_state_dict(sd_to_torch(ours.state_dict()))
    other = P.register_parametrization(
        nn.Linear(4, 4).double(), "weight", make_symmetric(nerve, True)
    )
    other.load_state_dict(sd_to_nerve(theirs.state_dict()))
    close(other.weight, theirs.weight, np.float64, "weight")
    close(other.weight, ours.weight, np.float64, "weight")
    # deepcopy keeps the parametrization; pickling is refused as torch does
    clone = copy.deepcopy(ours)
    assert type(clone) is type(ours)
    close(clone.weight, ours.weight, np.float64, "weight")
    clone.parametrizations.weight.original.data = nerve.zeros(4, 4, dtype=nerve.float64)
    assert float(ours.weight.abs().sum()) > 0
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(ours)


def test_registration_errors():
    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized"):
        P.register_parametrization(m, "nothing", nn.Identity())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        P.remove_parametrizations(m, "bias")

    class Cast(nn.Module):
        def forward(self, X):
            return X.double()

    with pytest.raises(ValueError, match="may not change the dtype"):
        P.register_parametrization(nn.Linear(3, 3), "weight", Cast())

    class NotTensor(nn.Module):
        def forward(self, X):
            return 1.0

    with pytest.raises(ValueError, match="A parametrization must return a tensor. Got float."):
        P.register_parametrization(nn.Linear(3, 3), "weight", NotTensor())
    with pytest.raises(ValueError, match="requires one or more modules"):
        P.ParametrizationList([], nerve.zeros(2))
    # a second parametrization changing the shape of an already parametrized tensor
    m = P.register_parametrization(nn.Linear(3, 3), "weight", nn.Identity())

    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(m, "weight", Flat())


# -- parametrizations.weight_norm / spectral_norm / orthogonal ---------------------------------


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm(dim):
    ours, theirs = linears()
    PN.weight_norm(ours, dim=dim)
    TPN.weight_norm(theirs, dim=dim)
    sd_n, sd_t = ours.state_dict(), theirs.state_dict()
    assert (
        list(sd_n)
        == list(sd_t)
        == [
            "bias",
            "parametrizations.weight.original0",
            "parametrizations.weight.original1",
        ]
    )
    for k in sd_n:
        assert tuple(sd_n[k].shape) == tuple(sd_t[k].shape)
        close(sd_n[k], sd_t[k], np.float64, k)
    ours.parametrizations.weight.original0.data = nerve.tensor(
        RNG.uniform(0.5, 2, tuple(sd_n["parametrizations.weight.original0"].shape))
    )
    check_module(ours, theirs, RNG.standard_normal((5, 4)))


def test_weight_norm_conv_and_gradcheck():
    ours = nn.Conv2d(2, 3, 3).double()
    theirs = torch.nn.Conv2d(2, 3, 3).double()
    PN.weight_norm(ours)
    TPN.weight_norm(theirs)
    check_module(ours, theirs, RNG.standard_normal((2, 2, 5, 5)))

    def fn(g, v):
        return PN._weight_norm(v, g, 0)

    g = nerve.tensor(RNG.uniform(0.5, 2, (3, 1)), requires_grad=True)
    v = nerve.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(fn, (g, v))


@pytest.mark.parametrize("module_kind", ["linear", "conv"])
def test_spectral_norm_train_then_eval(module_kind):
    if module_kind == "linear":
        ours, theirs = linears(5, 3)
        x = RNG.standard_normal((4, 5))
    else:
        ours, theirs = nn.Conv2d(2, 3, 3).double(), torch.nn.Conv2d(2, 3, 3).double()
        x = RNG.standard_normal((2, 2, 5, 5))
    PN.spectral_norm(ours, n_power_iterations=2)
    TPN.spectral_norm(theirs, n_power_iterations=2)
    sd_t = theirs.state_dict()
    assert list(ours.state_dict()) == list(sd_t)
    ours.load_state_dict(sd_to_nerve(sd_t))  # torch's weights and its u, v buffers
    for step in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, x)
        compare_grads(ours, theirs)
        for k, v in theirs.state_dict().items():
            close(ours.state_dict()[k], v, np.float64, f"{k} after step {step}")
    ours.eval()
    theirs.eval()
    u = ours.parametrizations.weight[0]._u.detach().clone()
    for _ in range(2):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, x)
        compare_grads(ours, theirs)
    close(ours.parametrizations.weight[0]._u, u, np.float64, "u unchanged in eval")
    close(ours.weight, theirs.weight, np.float64, "weight")


def test_spectral_norm_normalizes_and_errors():
    m = PN.spectral_norm(nn.Linear(6, 4).double())
    for _ in range(200):  # each access in training mode is a step of the power iteration
        weight = m.weight
    s = np.linalg.svd(weight.detach().numpy(), compute_uv=False)[0]
    assert abs(s - 1) < 1e-4
    with pytest.raises(IndexError, match="Dimension out of range"):
        PN.spectral_norm(nn.Linear(3, 3), dim=2)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        PN.spectral_norm(nn.Linear(3, 3), n_power_iterations=0)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        PN.spectral_norm(nn.Linear(3, 3), "w")
    # a vector: normalized
    ours, theirs = linears(3, 3)
    PN.spectral_norm(ours, "bias")
    TPN.spectral_norm(theirs, "bias")
    run_both(ours, theirs, RNG.standard_normal((2, 3)))
    compare_grads(ours, theirs)


@pytest.mark.parametrize(
    "shape,kind",
    [
        ((4, 4), None),
        ((4, 4), "cayley"),
        ((5, 3), "matrix_exp"),
        ((3, 5), "cayley"),
        ((5, 3), None),
        ((3, 5), "householder"),
        ((4, 4), "householder"),
    ],
)
def test_orthogonal(shape, kind):
    n_out, n_in = shape
    ours, theirs = linears(n_in, n_out)
    PN.orthogonal(ours, orthogonal_map=kind)
    TPN.orthogonal(theirs, orthogonal_map=kind)
    w = ours.weight.detach().numpy()
    small = min(shape)
    gram = w @ w.T if n_out <= n_in else w.T @ w
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-10)
    if n_out == n_in:  # (a rectangular base is completed at random)
        close(ours.weight, theirs.weight, np.float64, "weight")
        close(ours.parametrizations.weight[0].base, theirs.parametrizations.weight[0].base)
    # the map itself, from the same original and base: values and gradients
    with torch.no_grad():
        theirs.parametrizations.weight[0].base.copy_(
            torch.tensor(ours.parametrizations.weight[0].base.numpy())
        )
    X = RNG.standard_normal(shape) * 0.3
    ours.parametrizations.weight.original.data = nerve.tensor(X)
    with torch.no_grad():
        theirs.parametrizations.weight.original.copy_(torch.tensor(X))
    run_both(ours, theirs, RNG.standard_normal((2, n_in)))
    compare_grads(ours, theirs)


def test_orthogonal_errors():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        PN.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
        PN.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(NotImplementedError, match="use_trivialization=True only"):
        PN.orthogonal(nn.Linear(3, 3), use_trivialization=False)


# -- legacy hooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, None])
def test_legacy_weight_norm(dim):
    ours, theirs = linears()
    with pytest.warns(FutureWarning, match="deprecated"):
        nn.utils.weight_norm(ours, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(theirs, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight_g", "weight_v"]
    for k, v in theirs.state_dict().items():
        close(ours.state_dict()[k], v, np.float64, k)
    ours.weight_g.data = nerve.tensor(RNG.uniform(0.5, 2, tuple(ours.weight_g.shape)))
    check_module(ours, theirs, RNG.standard_normal((5, 4)))
    with (
        pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        nn.utils.weight_norm(ours, dim=dim)
    nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    close(ours.weight, theirs.weight, np.float64, "weight")
    assert not ours._hooked
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(ours)


def test_legacy_spectral_norm():
    ours, theirs = linears(5, 3)
    nn.utils.spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    keys = ["bias", "weight_orig", "weight_u", "weight_v"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    ours.load_state_dict(sd_to_nerve(theirs.state_dict()))
    x = RNG.standard_normal((4, 5))
    for mode in ("train", "train", "eval", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        ours.zero_grad()
        theirs.zero_grad()
        run_both(ours, theirs, x)
        compare_grads(ours, theirs)
        for k, v in theirs.state_dict().items():
            close(ours.state_dict()[k], v, np.float64, k)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(ours)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    close(ours.weight, theirs.weight, np.float64, "weight")
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(ours)


# -- Sequential's fused chains and nerve.compile ---------------------------------------------


def stacks():
    a, ta = linears(4, 4)
    b, tb = linears(4, 2)
    P.register_parametrization(a, "weight", make_symmetric(nerve, True))
    TP.register_parametrization(ta, "weight", make_symmetric(torch, True))
    PN.weight_norm(b)
    TPN.weight_norm(tb)
    ours = nn.Sequential(a, nn.Tanh(), b, nn.Sigmoid())
    theirs = torch.nn.Sequential(ta, torch.nn.Tanh(), tb, torch.nn.Sigmoid())
    return ours, theirs


def test_parametrized_linear_in_sequential_is_not_fused():
    ours, theirs = stacks()
    for _ in range(2):  # a second call: no kept decision treats it as a plain Linear
        ours.zero_grad()
        theirs.zero_grad()
        out, _ = run_both(ours, theirs, RNG.standard_normal((3, 4)))
        compare_grads(ours, theirs)
        assert out.grad_fn is not None and "LayerChain" not in type(out.grad_fn).__name__
    # a Sequential that was fused, then parametrized: the kept decision no longer holds
    plain, tplain = linears(4, 4)
    seq, tseq = nn.Sequential(plain, nn.ReLU(), nn.Linear(4, 2).double()), None
    x = nerve.tensor(RNG.standard_normal((3, 4)))
    assert "LayerChain" in type(seq(x).grad_fn).__name__
    seq(x)
    P.register_parametrization(plain, "weight", make_scale(nerve, 2.0))
    tseq = torch.nn.Sequential(tplain, torch.nn.ReLU(), torch.nn.Linear(4, 2).double())
    tseq[2].load_state_dict(sd_to_torch(seq[2].state_dict()))
    TP.register_parametrization(tplain, "weight", make_scale(torch, 2.0))
    run_both(seq, tseq, x.numpy())
    compare_grads(seq, tseq)


def test_parametrized_linear_under_compile():
    ours, theirs = stacks()
    compiled = nerve.compile(ours)
    x = RNG.standard_normal((3, 4))
    for _ in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        run_both(compiled, theirs, x)
        compare_grads(ours, theirs)
    assert compiled.replays == 0  # parametrized layers run eagerly
    # legacy hooks too
    a, ta = linears(4, 3)
    nn.utils.spectral_norm(a)
    torch.nn.utils.spectral_norm(ta)
    a.load_state_dict(sd_to_nerve(ta.state_dict()))
    compiled = nerve.compile(nn.Sequential(a, nn.ReLU()))
    tseq = torch.nn.Sequential(ta, torch.nn.ReLU())
    for _ in range(2):
        a.zero_grad()
        ta.zero_grad()
        run_both(compiled, tseq, x)
        compare_grads(a, ta)
