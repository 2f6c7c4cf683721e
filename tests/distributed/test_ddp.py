"""DistributedDataParallel under mpirun: equal to single-process training, and its features."""

from __future__ import annotations

import numpy as np
import pytest


def flat(lists: list[list[float]]) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.float64) for x in lists])


@pytest.mark.parametrize(("ranks", "bucket_cap_mb"), [(2, "1"), (2, "0.0001"), (4, "0.0001")])
def test_training_equals_single_process(mpirun, ranks: int, bucket_cap_mb: str) -> None:
    results = mpirun("ddp_train", ranks, bucket_cap_mb).results
    first = results[0]
    assert first["steps"] > 0
    assert first["buckets"] == (1 if bucket_cap_mb == "1" else 5)
    for got in results:
        # Construction broadcast rank 0's weights over each rank's own random ones.
        assert got["after_broadcast"] == first["initial_rank0"]
        # The replicas stay bitwise identical ...
        assert got["ddp"] == first["ddp"]
        # ... and equal one process training on the concatenated batches (float64).
        np.testing.assert_allclose(flat(got["ddp"]), flat(got["reference"]), rtol=1e-10, atol=1e-12)
        # no_sync: no communication inside, local gradients; then the average of the sums.
        assert got["no_sync_comm_seconds"] == 0.0
        np.testing.assert_allclose(
            flat(got["accumulated"]), flat(got["synced"]), rtol=1e-10, atol=1e-13
        )
        np.testing.assert_allclose(
            flat(got["accumulated"]), flat(got["single"]), rtol=1e-10, atol=1e-13
        )
    local = [flat(got["no_sync_local_grads"]) for got in results]
    assert not np.allclose(local[0], local[1])


@pytest.mark.parametrize("ranks", [2, 4])
def test_features(mpirun, ranks: int) -> None:
    results = mpirun("ddp_features", ranks).results
    for rank, got in enumerate(results):
        assert got["syncbn_type"] == "SyncBatchNorm"
        np.testing.assert_allclose(got["syncbn"], got["syncbn_reference"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(
            got["syncbn_eval_out"], got["syncbn_eval_reference"], rtol=1e-10, atol=1e-12
        )
        assert got["syncbn"] == results[0]["syncbn"]
        assert got["eval_passthrough"] == [False, False, False]
        for step in got["unused"]:
            assert step["max_error"] < 1e-12 and step["never_grad_is_none"]
        error = got["unfinished_error"]
        assert error is not None and "find_unused_parameters=True" in error
        assert f"rank {rank}: extra.weight, extra.bias, never.weight, never.bias" in error
        assert got["state_keys"] == ["module.weight", "module.bias"] and got["state_roundtrip"]
        assert got["grad_after_no_grad_forward"]
        assert "the ranks built different models" in (got["mismatch_error"] or "")
