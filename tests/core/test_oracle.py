"""Every op of the case tables against torch: values and gradients, float64 and float32,
broadcasting and non-contiguous inputs (the tables are cases_elementwise.py, cases_reduce.py
and cases_shape_index.py; the machinery is tests/parity/ops.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

# after the skip: the tables need torch
import cases_elementwise  # noqa: E402
import cases_reduce  # noqa: E402
import cases_shape_index  # noqa: E402

from parity import case_ids, run_case  # noqa: E402

CASES = cases_elementwise.CASES + cases_reduce.CASES + cases_shape_index.CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_matches_torch(case, dtype, data):
    run_case(case, data, dtype)
