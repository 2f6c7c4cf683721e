"""One parity harness for the tests: nerve against torch 2.13 (and against finite differences)
for ops, layers, losses, optimizers and double backward, with one tolerance table.

- ``tolerance``: the table (kind of check x float width) and :func:`assert_close`/:func:`close`.
- ``ops``: :class:`OpCase` rows and :func:`check_op` (the op oracle); ``draw``: their inputs.
- ``modules``: :func:`check_module`, :func:`check_function`, :func:`check_second_order`.
- ``optim``: :class:`Pair`, one regression problem trained by both libraries' optimizers.
- ``finite``: :func:`gradcheck` and :func:`gradgradcheck`, finite differences without torch.
- ``coverage``: which graph-node classes the checks above exercised (read by
  ``tests/test_node_coverage.py``), and every node class nerve defines.

Every check that compares gradients records the graph it differentiated, so a node class that
no check reaches shows up in the coverage test. Import torch (``pytest.importorskip``) before
importing this package.
"""

from __future__ import annotations

from .coverage import record
from .finite import gradcheck, gradgradcheck
from .modules import (
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    check_second_order,
    copy_parameters,
    to_nerve,
    to_torch,
)
from .ops import LAYOUTS, Arrays, OpCase, case_ids, check_op, lay_out, make_inputs, run_case
from .optim import Pair, compare_schedules, two_group_optimizers
from .tolerance import TOLERANCES, Tolerance, assert_close, close, tolerance

__all__ = [
    "DTYPES",
    "DTYPE_IDS",
    "LAYOUTS",
    "TOLERANCES",
    "Arrays",
    "OpCase",
    "Pair",
    "compare_schedules",
    "two_group_optimizers",
    "Tolerance",
    "assert_close",
    "case_ids",
    "check_function",
    "check_module",
    "check_op",
    "check_second_order",
    "close",
    "copy_parameters",
    "gradcheck",
    "gradgradcheck",
    "lay_out",
    "make_inputs",
    "record",
    "run_case",
    "to_nerve",
    "to_torch",
    "tolerance",
]
