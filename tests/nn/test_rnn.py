"""RNN, LSTM, GRU, their cells and nn.utils.rnn against torch 2.13: outputs, final states and
every gradient (input, initial states, each parameter) in float64 and float32, padded and
packed batches; finite differences; hypothesis over small shapes; torch's errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve import nn
from nerve.nn.utils import rnn as R

torch = pytest.importorskip("torch")

from parity import DTYPE_IDS, DTYPES, close, copy_parameters, gradcheck, record  # noqa: E402

TR = torch.nn.utils.rnn
# torch's own note that its oneDNN kernel lacks LSTM projections (it then computes them anyway)
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
RNG = np.random.default_rng(0)

CONFIGS = {
    "plain": {},
    "stacked-bidirectional-batch-first": {
        "num_layers": 2,
        "bidirectional": True,
        "batch_first": True,
    },
    "no-bias-3-layers": {"num_layers": 3, "bias": False},
    "bidirectional": {"bidirectional": True},
}
EXTRA = {
    "RNN": {"relu": {"nonlinearity": "relu", "num_layers": 2}},
    "LSTM": {"proj": {"proj_size": 2, "num_layers": 2, "bidirectional": True}},
    "GRU": {},
}
CASES = [
    (mode, name, cfg)
    for mode in ("RNN", "LSTM", "GRU")
    for name, cfg in {**CONFIGS, **EXTRA[mode]}.items()
]


def _pair(
    mode: str, cfg: dict[str, Any], dtype: Any, size: tuple[int, int] = (3, 5)
) -> tuple[Any, Any]:
    ours, theirs = getattr(nn, mode)(*size, **cfg), getattr(torch.nn, mode)(*size, **cfg)
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_parameters(ours, theirs)
    return ours, theirs


def _states(mode: str, ours: Any, batch: int, dtype: Any) -> tuple[list[Any], list[Any]]:
    """Random initial states for both libraries, as leaves requiring gradients."""
    rows = ours.num_layers * (2 if ours.bidirectional else 1)
    out = ours.proj_size or ours.hidden_size
    shapes = [(rows, batch, out)] + ([(rows, batch, ours.hidden_size)] if mode == "LSTM" else [])
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    return (
        [nerve.tensor(a, requires_grad=True) for a in arrays],
        [torch.tensor(a, requires_grad=True) for a in arrays],
    )


def _compare_run(
    mode: str, cfg: dict[str, Any], dtype: Any, lengths: list[int] | None, with_state: bool
) -> None:
    ours, theirs = _pair(mode, cfg, dtype)
    batch_first = cfg.get("batch_first", False)
    steps, batch = 6, 4
    x = RNG.standard_normal((batch, steps, 3) if batch_first else (steps, batch, 3)).astype(dtype)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    inputs_n, inputs_t = xn, xt
    if lengths is not None:
        inputs_n = R.pack_padded_sequence(xn, lengths, batch_first, enforce_sorted=False)
        inputs_t = TR.pack_padded_sequence(
            xt, torch.tensor(lengths), batch_first, enforce_sorted=False
        )
    hn, ht = _states(mode, ours, batch, dtype) if with_state else ([], [])
    state_n = None if not hn else (tuple(hn) if mode == "LSTM" else hn[0])
    state_t = None if not ht else (tuple(ht) if mode == "LSTM" else ht[0])
    out_n, final_n = ours(inputs_n, state_n)
    out_t, final_t = theirs(inputs_t, state_t)
    if lengths is not None:
        out_n, _ = R.pad_packed_sequence(out_n, batch_first)
        out_t, _ = TR.pad_packed_sequence(out_t, batch_first)
    finals_n = list(final_n) if mode == "LSTM" else [final_n]
    finals_t = list(final_t) if mode == "LSTM" else [final_t]
    close(out_n, out_t, dtype, "output")
    for i, (a, b) in enumerate(zip(finals_n, finals_t)):
        close(a, b, dtype, f"final state {i}")
    weights = [RNG.standard_normal(tuple(t.shape)).astype(dtype) for t in [out_t, *finals_t]]
    loss_n = sum((t * nerve.tensor(w)).sum() for t, w in zip([out_n, *finals_n], weights))
    loss_t = sum((t * torch.tensor(w)).sum() for t, w in zip([out_t, *finals_t], weights))
    record(loss_n, "torch")
    loss_n.backward()
    loss_t.backward()
    close(xn.grad, xt.grad, dtype, "input gradient")
    for i, (a, b) in enumerate(zip(hn, ht)):
        close(a.grad, b.grad, dtype, f"initial state {i} gradient")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, dtype, f"gradient of {name}")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("mode,name,cfg", CASES, ids=[f"{m}-{n}" for m, n, _ in CASES])
def test_padded_batch_matches_torch(mode: str, name: str, cfg: dict[str, Any], dtype: Any) -> None:
    _compare_run(mode, cfg, dtype, None, with_state=name != "plain")


@pytest.mark.parametrize("mode,name,cfg", CASES, ids=[f"{m}-{n}" for m, n, _ in CASES])
def test_packed_batch_matches_torch(mode: str, name: str, cfg: dict[str, Any]) -> None:
    # unsorted lengths with a tie: the sort order and the final states of ended sequences
    _compare_run(mode, cfg, np.float64, [3, 6, 1, 3], with_state=True)


def test_parameter_names_shapes_and_initialisation() -> None:
    ours = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    big = nn.GRU(50, 400)
    values = np.concatenate([p.detach().numpy().ravel() for p in big.parameters()])
    bound = 1 / np.sqrt(400)
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.95 * bound and values.max() > 0.95 * bound  # uniform, not narrower
    assert abs(values.std() - bound / np.sqrt(3)) < 0.01 * bound
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(mode: str) -> None:
    ours, theirs = _pair(mode, {"num_layers": 2}, np.float64)
    x = RNG.standard_normal((5, 3))
    out_n, h_n = ours(nerve.tensor(x))
    out_t, h_t = theirs(torch.tensor(x))
    close(out_n, out_t, np.float64, "output")
    for a, b in zip(h_n if mode == "LSTM" else [h_n], h_t if mode == "LSTM" else [h_t]):
        close(a, b, np.float64, "final state")


def test_dropout_between_layers_only_in_training() -> None:
    ours, theirs = _pair("GRU", {"num_layers": 2, "dropout": 1.0}, np.float64)
    x = RNG.standard_normal((4, 2, 3))
    # p = 1 drops everything, deterministically: layer 2 sees zeros in both libraries
    close(ours(nerve.tensor(x))[0], theirs(torch.tensor(x))[0], np.float64, "training output")
    ours.eval()
    theirs.eval()
    close(ours(nerve.tensor(x))[0], theirs(torch.tensor(x))[0], np.float64, "evaluation output")
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_match_torch(cell: str, dtype: Any) -> None:
    kwargs = {"nonlinearity": "relu"} if cell == "RNNCell" else {}
    ours, theirs = getattr(nn, cell)(3, 4, **kwargs), getattr(torch.nn, cell)(3, 4, **kwargs)
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_parameters(ours, theirs)
    x = RNG.standard_normal((2, 3)).astype(dtype)
    h = RNG.standard_normal((2, 4)).astype(dtype)
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hn, ht = nerve.tensor(h, requires_grad=True), torch.tensor(h, requires_grad=True)
    state_n = (hn, hn * 0.5) if cell == "LSTMCell" else hn
    state_t = (ht, ht * 0.5) if cell == "LSTMCell" else ht
    out_n, out_t = ours(xn, state_n), theirs(xt, state_t)
    out_n = out_n[0] * 2 + out_n[1] if cell == "LSTMCell" else out_n
    out_t = out_t[0] * 2 + out_t[1] if cell == "LSTMCell" else out_t
    close(out_n, out_t, dtype, "output")
    record(out_n, "torch")
    out_n.sum().backward()
    out_t.sum().backward()
    close(xn.grad, xt.grad, dtype, "input gradient")
    close(hn.grad, ht.grad, dtype, "state gradient")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, dtype, f"gradient of {name}")
    unbatched = ours(nerve.tensor(x[0]))
    expected = theirs(torch.tensor(x[0]))
    for a, b in zip(
        unbatched if cell == "LSTMCell" else [unbatched],
        expected if cell == "LSTMCell" else [expected],
    ):
        close(a, b, dtype, "unbatched")


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_finite_differences(mode: str) -> None:
    layer = getattr(nn, mode)(2, 3, num_layers=2, bidirectional=True).double()
    x = nerve.tensor(RNG.standard_normal((3, 2, 2)), requires_grad=True)
    h = nerve.tensor(RNG.standard_normal((4, 2, 3)), requires_grad=True)

    def run(x: Any, h: Any) -> Any:
        out, final = layer(x, (h, h * 0.5) if mode == "LSTM" else h)
        return out.sum() + (final[1] if mode == "LSTM" else final).sum()

    assert gradcheck(run, [x, h])
    packed = R.pack_padded_sequence(x, [3, 1], enforce_sorted=False)
    assert gradcheck(lambda d: layer(R.PackedSequence(d, *packed[1:]))[0].data, [packed.data])


@settings(max_examples=15, deadline=None)
@given(
    mode=st.sampled_from(["RNN", "LSTM", "GRU"]),
    steps=st.integers(1, 4),
    lengths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    hidden=st.integers(1, 3),
    layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
)
def test_hypothesis_small_shapes(
    mode: str,
    steps: int,
    lengths: list[int],
    hidden: int,
    layers: int,
    bidirectional: bool,
    batch_first: bool,
) -> None:
    cfg = {"num_layers": layers, "bidirectional": bidirectional, "batch_first": batch_first}
    ours, theirs = _pair(mode, cfg, np.float64, size=(2, hidden))
    steps = max(steps, *lengths)
    shape = (len(lengths), steps, 2) if batch_first else (steps, len(lengths), 2)
    x = RNG.standard_normal(shape)
    packed_n = R.pack_padded_sequence(nerve.tensor(x), lengths, batch_first, enforce_sorted=False)
    packed_t = TR.pack_padded_sequence(
        torch.tensor(x), torch.tensor(lengths), batch_first, enforce_sorted=False
    )
    for inputs_n, inputs_t in ((nerve.tensor(x), torch.tensor(x)), (packed_n, packed_t)):
        out_n, final_n = ours(inputs_n)
        out_t, final_t = theirs(inputs_t)
        if isinstance(out_n, R.PackedSequence):
            out_n, out_t = out_n.data, out_t.data
        close(out_n, out_t, np.float64, "output")
        for a, b in zip(
            final_n if mode == "LSTM" else [final_n], final_t if mode == "LSTM" else [final_t]
        ):
            close(a, b, np.float64, "final state")


def _same_error(ours: Any, theirs: Any) -> None:
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(type(expected.value)) as got:
        ours()
    assert str(got.value) == str(expected.value).replace("torch.", "nerve.")


def test_errors_match_torch() -> None:
    ours, theirs = _pair("LSTM", {}, np.float32)
    x = np.zeros((4, 2, 3), np.float32)
    _same_error(lambda: ours(nerve.tensor(x[..., :2])), lambda: theirs(torch.tensor(x[..., :2])))
    _same_error(lambda: ours(nerve.tensor(x[None])), lambda: theirs(torch.tensor(x[None])))
    bad = (np.zeros((1, 3, 5), np.float32), np.zeros((1, 2, 5), np.float32))
    _same_error(
        lambda: ours(nerve.tensor(x), tuple(map(nerve.tensor, bad))),
        lambda: theirs(torch.tensor(x), tuple(map(torch.tensor, bad))),
    )
    gru_n, gru_t = _pair("GRU", {}, np.float32)
    _same_error(
        lambda: gru_n(nerve.tensor(x), nerve.zeros(2, 2, 5)),
        lambda: gru_t(torch.tensor(x), torch.zeros(2, 2, 5)),
    )
    _same_error(
        lambda: gru_n(nerve.tensor(x), nerve.zeros(2, 5)),
        lambda: gru_t(torch.tensor(x), torch.zeros(2, 5)),
    )
    _same_error(lambda: nn.GRU(3, 5, proj_size=2), lambda: torch.nn.GRU(3, 5, proj_size=2))
    _same_error(lambda: nn.LSTM(3, 5, proj_size=5), lambda: torch.nn.LSTM(3, 5, proj_size=5))
    _same_error(
        lambda: nn.RNN(3, 5, nonlinearity="gelu"), lambda: torch.nn.RNN(3, 5, nonlinearity="gelu")
    )
    _same_error(lambda: nn.RNN(3, 0), lambda: torch.nn.RNN(3, 0))
    _same_error(lambda: nn.RNN(3, 4, dropout=1.5), lambda: torch.nn.RNN(3, 4, dropout=1.5))
    _same_error(
        lambda: ours(nerve.tensor(x.astype(np.float64))),
        lambda: theirs(torch.tensor(x.astype(np.float64))),
    )
    cell_n, cell_t = nn.GRUCell(3, 4), torch.nn.GRUCell(3, 4)
    _same_error(lambda: cell_n(nerve.zeros(2, 2)), lambda: cell_t(torch.zeros(2, 2)))
    _same_error(
        lambda: cell_n(nerve.zeros(2, 3), nerve.zeros(3, 4)),
        lambda: cell_t(torch.zeros(2, 3), torch.zeros(3, 4)),
    )
    _same_error(lambda: cell_n(nerve.zeros(1, 2, 3)), lambda: cell_t(torch.zeros(1, 2, 3)))


# -- nn.utils.rnn ---------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3], True), ([2, 5, 2, 4], False)])
def test_pack_and_pad_match_torch(batch_first: bool, lengths: list[int], enforce: bool) -> None:
    batch = len(lengths)
    x = RNG.standard_normal((batch, 5, 2) if batch_first else (5, batch, 2))
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = R.pack_padded_sequence(xn, lengths, batch_first, enforce)
    theirs = TR.pack_padded_sequence(xt, torch.tensor(lengths), batch_first, enforce)
    close(ours.data, theirs.data, np.float64, "packed data")
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for a, b in (
        (ours.sorted_indices, theirs.sorted_indices),
        (ours.unsorted_indices, theirs.unsorted_indices),
    ):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    padded_n, len_n = R.pad_packed_sequence(ours, batch_first, padding_value=-2.0, total_length=7)
    padded_t, len_t = TR.pad_packed_sequence(
        theirs, batch_first, padding_value=-2.0, total_length=7
    )
    close(padded_n, padded_t, np.float64, "padded")
    np.testing.assert_array_equal(len_n.numpy(), len_t.numpy())
    g = RNG.standard_normal(tuple(padded_t.shape))
    record(padded_n, "torch")
    padded_n.backward(nerve.tensor(g))
    padded_t.backward(torch.tensor(g))
    close(xn.grad, xt.grad, np.float64, "gradient through pack and pad")


def test_pad_sequence_pack_sequence_and_errors() -> None:
    seqs = [RNG.standard_normal((n, 2)) for n in (2, 4, 3)]
    for side in ("right", "left"):
        for batch_first in (False, True):
            close(
                R.pad_sequence([nerve.tensor(s) for s in seqs], batch_first, 1.5, side),
                TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, 1.5, side),
                np.float64,
                f"pad_sequence {side}",
            )
    ours = R.pack_sequence([nerve.tensor(s) for s in seqs], enforce_sorted=False)
    theirs = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    close(ours.data, theirs.data, np.float64, "pack_sequence")
    for a, b in zip(R.unpack_sequence(ours), TR.unpack_sequence(theirs)):
        close(a, b, np.float64, "unpack_sequence")
    x = np.zeros((4, 3, 1))
    _same_error(
        lambda: R.pack_padded_sequence(nerve.tensor(x), [2, 4, 1]),
        lambda: TR.pack_padded_sequence(torch.tensor(x), [2, 4, 1]),
    )
    _same_error(
        lambda: R.pack_padded_sequence(nerve.tensor(x), [2, 1]),
        lambda: TR.pack_padded_sequence(torch.tensor(x), [2, 1]),
    )
    _same_error(
        lambda: R.pad_packed_sequence(
            R.pack_padded_sequence(nerve.tensor(x), [4, 2, 1]), total_length=2
        ),
        lambda: TR.pad_packed_sequence(
            TR.pack_padded_sequence(torch.tensor(x), [4, 2, 1]), total_length=2
        ),
    )
    with pytest.raises(RuntimeError, match="exceeds the 4 time steps"):
        R.pack_padded_sequence(nerve.tensor(x), [5, 2, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        R.pack_padded_sequence(nerve.tensor(x), [4, 2, 0])
