"""List nerve's public names that have no docstring, or no runnable example in it.

The API reference (docs/_hooks/api_pages.py) shows every public class and function of the
documented modules; each should have a docstring with a short ``>>>`` example, which the tests
run (tests/docs/test_doctests.py). This report says which do not yet:

    python docs/missing_examples.py            # a summary per module, then the names
    python docs/missing_examples.py --names    # one dotted name per line, nothing else

A class counts as having an example when its own docstring has one (its methods are reported
separately only with --methods).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

HOOK = Path(__file__).resolve().parent / "_hooks" / "api_pages.py"


def _pages() -> Any:
    spec = importlib.util.spec_from_file_location("api_pages", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_example(doc: str | None) -> bool:
    return bool(doc) and (">>>" in doc or ("Example" in doc and "::" in doc))


def missing(methods: bool = False) -> dict[str, list[tuple[str, str]]]:
    """Per documented module, the (name, what is missing) pairs."""
    pages = _pages()
    report: dict[str, list[tuple[str, str]]] = {}
    seen: set[int] = set()
    for _path, dotted, _title, _intro in pages.PAGES:
        documented, _ = pages.public_names(dotted)
        if not documented:
            continue
        module = importlib.import_module(dotted)
        rows = []
        for name in documented:
            obj = getattr(module, name)
            if id(obj) in seen:  # re-exported elsewhere: reported once
                continue
            seen.add(id(obj))
            doc = inspect.getdoc(obj) if obj.__doc__ else None
            if not doc:
                rows.append((f"{dotted}.{name}", "no docstring"))
            elif not _has_example(doc):
                rows.append((f"{dotted}.{name}", "no example"))
            if methods and inspect.isclass(obj):
                for mname, member in vars(obj).items():
                    if mname.startswith("_") or not callable(member):
                        continue
                    mdoc = member.__doc__
                    if not mdoc:
                        rows.append((f"{dotted}.{name}.{mname}", "no docstring"))
        report[dotted] = rows
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", action="store_true", help="only the dotted names")
    parser.add_argument("--methods", action="store_true", help="also public methods")
    args = parser.parse_args(argv)
    report = missing(args.methods)
    total = sum(len(rows) for rows in report.values())
    if args.names:
        for rows in report.values():
            for name, _ in rows:
                print(name)
        return 0
    for dotted, rows in report.items():
        print(f"{dotted}: {len(rows)} without an example")
    print(f"total: {total}\n")
    for rows in report.values():
        for name, what in rows:
            print(f"{name:60s} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
