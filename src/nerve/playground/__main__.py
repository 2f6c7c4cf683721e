"""``python -m nerve.playground [--host H] [--port P] [--no-browser]``."""

import sys

from .cli import main

sys.exit(main())
