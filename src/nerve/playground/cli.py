"""``nerve playground``: serve the lecture's neural-network demo from the learner's machine.

The command is added to ``nerve``'s parser by :func:`add_parser` and run by :func:`run`; the
web server's packages (Starlette, uvicorn, websockets) are imported only when it runs, so
``nerve`` itself does not need them.

Examples::

    nerve playground                      # http://127.0.0.1:8000/ in the default browser
    nerve playground --port 8080 --no-browser
    nerve playground --allow-embed https://course.example   # framed in a course's pages
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_parser", "run", "main"]

_EPILOG = """\
Share a set-up: the page keeps its settings in the URL; add hide=optimizer,loss (a comma
list of control names) to hide controls for a class, tutorial=backpropagation to open a
lesson, hideText=1 to hide the explanations.
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``playground`` command to ``nerve``'s subparsers and return its parser."""
    parser = subparsers.add_parser(
        "playground",
        help="open the interactive neural-network playground in the browser",
        description="Serve the neural-network playground (data, network, training, "
        "decision surface, hidden space, metrics) on this machine; nerve does the training.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on [127.0.0.1]")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on [8000]")
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open the page in a browser"
    )
    parser.add_argument(
        "--allow-embed",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let pages of this origin (e.g. https://course.example) show the playground in a "
        "frame; repeat for several. By default no other site may frame it",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the server until Ctrl-C; 2 for a user's mistake (a taken port, missing packages)."""
    if not 0 <= args.port <= 65535:
        print(f"nerve playground: error: --port must be 0..65535, got {args.port}", file=sys.stderr)
        return 2
    from .guards import embed_origin

    try:
        embed_from = [embed_origin(text) for text in args.allow_embed]
    except ValueError as err:
        print(f"nerve playground: error: {err}", file=sys.stderr)
        return 2
    try:
        from .server import serve
    except ImportError as err:
        print(
            f"nerve playground: error: {err.name or err} is not installed; the playground "
            "needs: pip install 'nerve[playground]'",
            file=sys.stderr,
        )
        return 2
    return serve(args.host, args.port, open_browser=not args.no_browser, embed_from=embed_from)


def main(argv: list[str] | None = None) -> int:
    """``python -m nerve.playground``: the same command without the ``nerve`` launcher."""
    parser = argparse.ArgumentParser(prog="nerve")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["playground", *(argv if argv is not None else sys.argv[1:])]))
