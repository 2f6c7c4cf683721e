"""Make the op tables of tests/core (cases_*.py) importable by name.

pytest runs with ``--import-mode=importlib``, which does not put test directories on
``sys.path``; the oracle tables are shared between several test files, so this directory is.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
