"""The record of a training run: one row of losses and metrics per epoch."""

from __future__ import annotations

import csv
from typing import Any

import numpy as np

__all__ = ["History"]


class History:
    """Per-epoch values: ``history["train_loss"][i]`` is the training loss of epoch ``i + 1``.

    Keys: ``train_loss``, ``train_<metric>``, ``val_loss``, ``val_<metric>`` (with validation
    data), ``lr`` and ``time`` (seconds the epoch took), where ``<metric>`` is ``accuracy`` for
    classification and ``mse`` for regression.

    Example:
        >>> h = History()
        >>> h.append({"train_loss": 0.7, "lr": 0.01}); h.append({"train_loss": 0.5, "lr": 0.01})
        >>> len(h), h["train_loss"], h.best("train_loss")
        (2, [0.7, 0.5], (2, 0.5))
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}

    def append(self, row: dict[str, float]) -> None:
        """Add one epoch's values."""
        for key, value in row.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"{key!r} is not in the history; keys: {', '.join(self.history)}")
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return max((len(v) for v in self.history.values()), default=0)

    def keys(self) -> list[str]:
        return list(self.history)

    def rows(self) -> list[dict[str, float]]:
        """One dict per epoch, with an ``epoch`` column counting from 1."""
        return [
            {"epoch": i + 1, **{k: v[i] for k, v in self.history.items() if i < len(v)}}
            for i in range(len(self))
        ]

    def best(self, key: str, maximize: bool | None = None) -> tuple[int, float]:
        """``(epoch, value)`` of the best epoch for ``key`` (max for scores, min for losses)."""
        from .metrics import greater_is_better

        values = np.asarray(self[key], dtype=np.float64)
        hi = greater_is_better(key) if maximize is None else maximize
        i = int(np.nanargmax(values) if hi else np.nanargmin(values))
        return i + 1, float(values[i])

    def to_csv(self, path: Any) -> None:
        """Write one row per epoch (``epoch`` first) to ``path``."""
        rows = self.rows()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=["epoch", *self.history])
            writer.writeheader()
            writer.writerows({k: _csv_number(v) for k, v in row.items()} for row in rows)

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.history)})"


def _csv_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)
