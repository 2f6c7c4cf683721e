"""nerve.autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against
torch.autograd.functional: values, the structure of the results (tensor or nested tuples, as
given), create_graph (results differentiable again), strict mode and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.autograd.functional as NF  # noqa: E402
from parity import assert_close  # noqa: E402

TF = torch.autograd.functional
rng = np.random.default_rng(3)
X, Y, V = rng.standard_normal(3), rng.standard_normal((2, 2)), rng.standard_normal(3)


def both(*arrays):
    return tuple(nerve.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def same(ours, theirs, what=""):
    """Equal values in the same nesting of tuples."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), what
        for o, t in zip(ours, theirs):
            same(o, t, what)
    else:
        assert isinstance(ours, nerve.Tensor), what
        assert_close(ours, theirs, "module", what)


FUNCS = {  # scalar-valued, for hessian / vhp / hvp; vector-valued for the rest
    "one-in-one-out": (lambda a: a.sin() * a.sum(), (X,)),
    "two-in-two-out": (lambda a, b: (a.tanh() * a[0], (b @ b).exp().sum() * a), (X, Y)),
    "unused-input": (lambda a, b: a**2, (X, Y)),
}
SCALAR = {
    "cubic": (lambda a: (a**3).sum() * a[1].tanh(), (X,)),
    "two-inputs": (lambda a, b: a.sin().sum() * (b**2).sum(), (X, Y)),
}


@pytest.mark.parametrize("as_tuple", [False, True])
@pytest.mark.parametrize("name", FUNCS)
def test_jacobian_matches_torch(name, as_tuple):
    func, arrays = FUNCS[name]
    ours, theirs = both(*arrays)
    if len(arrays) == 1 and not as_tuple:
        ours, theirs = ours[0], theirs[0]
    same(NF.jacobian(func, ours), TF.jacobian(func, theirs), name)
    same(NF.jacobian(func, ours, vectorize=True), TF.jacobian(func, theirs, vectorize=True))


@pytest.mark.parametrize("name", SCALAR)
def test_hessian_vhp_hvp_match_torch(name):
    func, arrays = SCALAR[name]
    ours, theirs = both(*arrays)
    if len(arrays) == 1:
        ours, theirs = ours[0], theirs[0]
    same(NF.hessian(func, ours), TF.hessian(func, theirs), name)
    vs = both(*[rng.standard_normal(a.shape) for a in arrays])
    v_ours, v_theirs = (vs[0], vs[1]) if len(arrays) > 1 else (vs[0][0], vs[1][0])
    for fn in ("vhp", "hvp"):
        same(getattr(NF, fn)(func, ours, v_ours), getattr(TF, fn)(func, theirs, v_theirs), fn)


@pytest.mark.parametrize("name", FUNCS)
def test_vjp_and_jvp_match_torch(name):
    func, arrays = FUNCS[name]
    ours, theirs = both(*arrays)
    outs = func(*theirs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    v_out = both(*[rng.standard_normal(tuple(o.shape)) for o in outs])
    v_in = both(*[rng.standard_normal(a.shape) for a in arrays])
    unpack = (lambda t: t) if len(outs) > 1 else (lambda t: t[0])
    same(NF.vjp(func, ours, unpack(v_out[0])), TF.vjp(func, theirs, unpack(v_out[1])), "vjp")
    same(NF.jvp(func, ours, v_in[0]), TF.jvp(func, theirs, v_in[1]), "jvp")


def test_v_may_be_omitted_for_one_element():
    ours, theirs = both(np.array([0.7]))
    for fn, f in [
        ("vjp", lambda a: (a**3).sum()),
        ("jvp", lambda a: a.exp()),
        ("vhp", lambda a: (a**3).sum()),
        ("hvp", lambda a: (a**3).sum()),
    ]:
        same(getattr(NF, fn)(f, ours[0]), getattr(TF, fn)(f, theirs[0]), fn)


@pytest.mark.parametrize("fn", ["jacobian", "hessian", "vjp", "jvp", "vhp", "hvp"])
def test_create_graph_results_are_differentiable(fn):
    """The result's own gradient with respect to the inputs equals torch's."""
    results = []
    for lib, mod in ((nerve, NF), (torch, TF)):
        x = lib.tensor(X, requires_grad=True)
        if fn in ("hessian", "vhp", "hvp"):
            f = lambda a: (a**3).sum() * a[0].sin()  # noqa: E731
        else:
            f = lambda a: a**3 * a[0].sin()  # noqa: E731
        if fn in ("jacobian", "hessian"):
            out = getattr(mod, fn)(f, x, create_graph=True)
        else:
            out = getattr(mod, fn)(f, x, lib.tensor(V), create_graph=True)[1]
        assert out.requires_grad
        (g,) = lib.autograd.grad((out * out).sum(), x)
        results.append(g)
    assert_close(results[0], results[1], "module", fn)


def test_results_detached_without_create_graph():
    x = nerve.tensor(X, requires_grad=True)
    out, g = NF.vjp(lambda a: a.exp(), x, nerve.tensor(V))
    assert not out.requires_grad and not g.requires_grad
    assert not NF.jacobian(lambda a: a.exp(), x).requires_grad
    assert x.grad is None  # nothing accumulated into the caller's tensor


ERRORS = [
    ("vjp", lambda m, t: m.vjp(lambda a: a * 2, t(X)), RuntimeError),
    ("jvp v shape", lambda m, t: m.jvp(lambda a: a * 2, t(X), t(Y)), RuntimeError),
    ("vjp v count", lambda m, t: m.vjp(lambda a: (a, a), t(X), (t(X),)), RuntimeError),
    ("jacobian inputs", lambda m, t: m.jacobian(lambda a: a, (t(X), 3)), TypeError),
    ("jacobian input", lambda m, t: m.jacobian(lambda a: a, [t(X)]), TypeError),
    ("hessian vector", lambda m, t: m.hessian(lambda a: a * 2, t(X)), RuntimeError),
    ("hessian tuple", lambda m, t: m.hessian(lambda a: (a.sum(),), t(X)), RuntimeError),
    ("vhp vector", lambda m, t: m.vhp(lambda a: a * 2, t(X), t(X)), RuntimeError),
    (
        "strict unused",
        lambda m, t: m.jacobian(lambda a, b: a * 2, (t(X), t(Y)), strict=True),
        RuntimeError,
    ),
    ("strict constant", lambda m, t: m.vjp(lambda a: t(X), t(X), t(X), strict=True), RuntimeError),
    (
        "strict linear hessian",
        lambda m, t: m.hessian(lambda a: a.sum(), t(X), strict=True),
        RuntimeError,
    ),
    (
        "strict jvp unused",
        lambda m, t: m.jvp(lambda a, b: a * 2, (t(X), t(Y)), (t(X), t(Y)), strict=True),
        RuntimeError,
    ),
    (
        "strict vectorize",
        lambda m, t: m.jacobian(lambda a: a * 2, t(X), strict=True, vectorize=True),
        RuntimeError,
    ),
    (
        "strategy",
        lambda m, t: m.jacobian(lambda a: a * 2, t(X), strategy="sideways"),
        AssertionError,
    ),
    (
        "forward create_graph",
        lambda m, t: m.jacobian(lambda a: a, t(X), True, strategy="forward-mode", vectorize=True),
        NotImplementedError,
    ),
]


@pytest.mark.parametrize("what, call, error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(what, call, error):
    messages = []
    for mod, make in ((NF, nerve.tensor), (TF, torch.tensor)):
        with pytest.raises(error) as info:
            call(mod, make)
        messages.append(str(info.value).replace("torch.Size", "").replace("<class 'list'>", ""))
    if what not in ("jvp v shape",):  # sizes print as torch.Size([3]) / nerve.Size([3])
        assert messages[0].replace("nerve.", "torch.") == messages[1].replace("nerve.", "torch."), (
            what
        )


def test_reachable_as_nerve_autograd_functional():
    from nerve.autograd.functional import grad, hessian, jacobian

    assert nerve.autograd.functional.jacobian is jacobian and callable(hessian)
    assert grad is nerve.autograd.grad  # the existing names are still there
