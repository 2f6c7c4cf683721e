"""Property-based parity for the classification losses: random batch sizes, class counts,
extra dimensions, weights, ignored targets and label smoothing, against torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import check_function  # noqa: E402

settings_shapes = st.tuples(
    st.integers(1, 5),  # batch
    st.integers(1, 5),  # classes
    st.lists(st.integers(1, 3), max_size=2),  # extra dimensions
)


def _functions(name, options):
    def ours(x, y):
        kw = {k: nerve.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
        return getattr(nn, name)(**kw)(x, y)

    def theirs(x, y):
        kw = {
            k: torch.tensor(v).to(x.dtype) if isinstance(v, np.ndarray) else v
            for k, v in options.items()
        }
        return getattr(torch.nn, name)(**kw)(x, y)

    return ours, theirs


@given(
    shape=settings_shapes,
    seed=st.integers(0, 2**32 - 1),
    reduction=st.sampled_from(["none", "mean", "sum"]),
    weighted=st.booleans(),
    ignore=st.sampled_from([None, -100, 0]),
    smoothing=st.sampled_from([0.0, 0.25]),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_cross_entropy_and_nll_random(shape, seed, reduction, weighted, ignore, smoothing, dtype):
    n, c, extra = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *extra)) * 3
    target = rng.integers(0, c, (n, *extra))
    options = {"reduction": reduction}
    if weighted:
        options["weight"] = rng.uniform(0.1, 2.0, c)
    if ignore is not None:
        options["ignore_index"] = ignore
        target[rng.random(target.shape) < 0.3] = ignore
    # all targets ignored with a mean gives 0/0 = nan in both; keep at least one
    target.reshape(-1)[0] = rng.integers(0, c) if ignore != 0 or c == 1 else max(1, c - 1)
    if ignore == 0 and c == 1:
        return
    ours, theirs = _functions("NLLLoss", options)
    log_p = torch.log_softmax(torch.tensor(x), dim=1).numpy()
    check_function(ours, theirs, [log_p, target], dtype)
    ours, theirs = _functions("CrossEntropyLoss", {**options, "label_smoothing": smoothing})
    check_function(ours, theirs, [x, target], dtype)
    if ignore is None or ignore < 0:
        probs = rng.dirichlet(np.ones(c), (n, *extra))
        probs = np.moveaxis(probs, -1, 1).copy()
        check_function(ours, theirs, [x, probs], dtype)
