"""What every worker script shares: where to write its JSON result, and how."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def out_dir() -> Path:
    """The directory the test passed as the first argument."""
    return Path(sys.argv[1])


def write_result(rank: int, payload: dict[str, Any]) -> None:
    """Write ``rank<r>.json`` atomically, so the test never reads a half-written file."""
    path = out_dir() / f"rank{rank}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, path)
