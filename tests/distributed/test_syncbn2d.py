"""SyncBatchNorm on 4-D inputs under mpirun: equal to one BatchNorm2d over the global batch."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("ranks", [2])
def test_sync_batch_norm_on_images(mpirun, ranks: int) -> None:
    results = mpirun("syncbn2d", ranks).results
    assert len(results) == ranks
    for got in results:
        assert got["type"] == "SyncBatchNorm"
        for step in got["steps"]:
            assert max(step.values()) < 1e-12, step
        assert got["parameter_grads"] < 1e-12
