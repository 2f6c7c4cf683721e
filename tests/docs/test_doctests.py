"""Every docstring example of nerve runs as a doctest, one test per module.

The examples in the docstrings are what the API reference shows a reader (see mkdocs.yml), so
each must run as written and print what it says. Modules are found by walking the installed
package; ``__main__`` modules are skipped (importing one starts its program).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import nerve

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = ["nerve"]
    for info in pkgutil.walk_packages(nerve.__path__, "nerve."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def test_walk_finds_the_documented_packages() -> None:
    for name in ("nerve.nn.linear", "nerve.optim.lr_scheduler", "nerve.workflow.metrics"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional component (mpi4py, cupy) missing here
        pytest.skip(f"{name} needs an optional component that is not installed: {exc}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    # examples draw random numbers: leave the suite's generators as they were
    state = nerve.random.get_rng_state()
    np_state = np.random.get_state()
    failures: list[str] = []
    try:
        for test in finder.find(module, name):
            out: list[str] = []
            result = runner.run(test, out=out.append, clear_globs=True)
            if result.failed:
                failures.append("".join(out))
    finally:
        np.random.set_state(np_state)
        nerve.random.set_rng_state(state)
    assert not failures, f"{len(failures)} docstring example(s) of {name} failed:\n" + "\n".join(
        failures
    )
