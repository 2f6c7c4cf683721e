"""The lecture's notebooks (docs/notebooks/) run top to bottom, and are stored without outputs.

Each is executed in a fresh kernel in a temporary directory, as a learner would run it; a cell
that raises fails the test with the cell's traceback. Outputs are not stored (CI makes them),
so that a diff of a notebook shows the change of its code and text only.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "docs" / "notebooks").glob("*.ipynb"))
INDEX = NOTEBOOKS[0].parent / "index.md" if NOTEBOOKS else None


def _needs(*modules: str) -> None:
    for module in modules:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: pip install -e '.[docs]' to run notebooks")


def test_the_lecture_is_all_there() -> None:
    numbers = [path.name[:2] for path in NOTEBOOKS]
    assert numbers == [f"{i:02d}" for i in range(1, 9)], numbers
    assert INDEX is not None
    index = INDEX.read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"({path.name})" in index, f"docs/notebooks/index.md does not link {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    _needs("nbformat")
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{path.name} is stored with outputs: clear them (Jupyter: Edit > Clear "
                "outputs of all cells) before committing"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _needs("nbformat", "nbclient", "ipykernel")
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=180,  # per cell: generous on a loaded 2-core CI machine
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    images = sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    )
    if path.name[:2] != "08":  # 08 shows commands; the others' plots are their point
        assert images > 0, f"{path.name} drew no figure"
