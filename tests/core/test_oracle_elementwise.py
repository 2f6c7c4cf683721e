"""Elementwise ops against torch: values and gradients, float64 and float32, broadcasting and
non-contiguous inputs (the table is cases_elementwise.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from cases_elementwise import CASES  # noqa: E402 - after the skip: the table needs torch
from oracle import case_ids, run_case  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
@settings(max_examples=15)
@given(data=st.data())
def test_matches_torch(case, dtype, data):
    run_case(case, data, dtype)
