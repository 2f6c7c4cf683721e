"""MkDocs hook: the API reference pages, generated at build time from nerve's public names.

Each page lists, for one public module, every public class and function with a
``::: dotted.name`` block that mkdocstrings renders from the docstring and signature. The list
is read from the module itself (its ``__all__``, or its public attributes where it has none), so
a name added to nerve appears in the reference at the next build: the reference cannot fall
behind the code. Constants (dtypes, registries) are listed in a table instead, since a
docstring belongs to their type, not to them.

``python docs/_hooks/api_pages.py`` prints the pages' sources, to check them without building.
"""

from __future__ import annotations

import importlib
import inspect
import types
from typing import Any

# (page path inside docs/, module, title, introduction)
PAGES: list[tuple[str, str, str, str]] = [
    ("api/nerve.md", "nerve", "nerve", "Tensors, their creation, dtypes, devices, random seeds."),
    ("api/tensor.md", "nerve.Tensor", "nerve.Tensor", "The tensor: data, dtype, grad, methods."),
    ("api/nn.md", "nerve.nn", "nerve.nn", "Modules: layers, activations, losses, containers."),
    (
        "api/nn.functional.md",
        "nerve.nn.functional",
        "nerve.nn.functional",
        "The layers' operations as functions (torch.nn.functional's names).",
    ),
    ("api/nn.init.md", "nerve.nn.init", "nerve.nn.init", "Weight initialisation schemes."),
    (
        "api/nn.utils.md",
        "nerve.nn.utils",
        "nerve.nn.utils",
        "Gradient clipping and parameter helpers.",
    ),
    ("api/optim.md", "nerve.optim", "nerve.optim", "Optimizers: SGD, Adam, RMSprop ..."),
    (
        "api/optim.lr_scheduler.md",
        "nerve.optim.lr_scheduler",
        "nerve.optim.lr_scheduler",
        "Learning-rate schedules.",
    ),
    (
        "api/utils.data.md",
        "nerve.utils.data",
        "nerve.utils.data",
        "Datasets, DataLoader and samplers (torch.utils.data's names).",
    ),
    (
        "api/autograd.md",
        "nerve.autograd",
        "nerve.autograd",
        "The graph, the backward engine, grad mode, custom Functions, gradcheck.",
    ),
    ("api/io.md", "nerve.io", "nerve.io", "Saving and loading in the safetensors format."),
    (
        "api/workflow.md",
        "nerve.workflow",
        "nerve.workflow",
        "The machine-learning workflow: data, splits, scaling, metrics, Trainer, runs.",
    ),
    (
        "api/vision.md",
        "nerve.vision",
        "nerve.vision",
        "Image data sets and transforms (torchvision's names).",
    ),
    (
        "api/viz.md",
        "nerve.viz",
        "nerve.viz",
        "Pictures of the autograd graph of any computation (Graphviz).",
    ),
    (
        "api/distributed.md",
        "nerve.distributed",
        "nerve.distributed",
        "Data-parallel training over MPI (torch.distributed's names).",
    ),
    (
        "api/nn.parallel.md",
        "nerve.nn.parallel",
        "nerve.nn.parallel",
        "DistributedDataParallel and SyncBatchNorm.",
    ),
    (
        "api/distributions.md",
        "nerve.distributions",
        "nerve.distributions",
        "Probability distributions: sampling, log_prob, entropy, KL (torch.distributions).",
    ),
    (
        "api/special.md",
        "nerve.special",
        "nerve.special",
        "Special functions: erfcx, ndtr, log_ndtr, gammainc, zeta, Bessel ... (torch.special).",
    ),
    (
        "api/fft.md",
        "nerve.fft",
        "nerve.fft",
        "Discrete Fourier transforms of real tensors; complex results in the view_as_real layout.",
    ),
]


def _resolve(dotted: str) -> Any:
    """Import ``dotted``: a module, or an attribute of one (``nerve.Tensor``)."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError:
        module, _, attr = dotted.rpartition(".")
        return getattr(importlib.import_module(module), attr)


def public_names(dotted: str) -> tuple[list[str], list[str]]:
    """The public (documented, constant) names of a module or class.

    Documented: classes and functions defined in nerve. Constants: the other public
    non-module attributes of a module (dtypes, dictionaries). Optional parts whose import
    fails (``nerve.vision`` before it lands) give two empty lists.
    """
    try:
        obj = _resolve(dotted)
    except (ImportError, AttributeError):
        return [], []
    if inspect.isclass(obj):
        return [], []  # a class page renders the class with all its members
    names = getattr(obj, "__all__", None)
    if names is None:
        names = [n for n in vars(obj) if not n.startswith("_")]
    documented, constants = [], []
    for name in sorted(set(names), key=str.lower):
        value = getattr(obj, name, None)
        if isinstance(value, types.ModuleType) or name == "annotations":
            continue
        if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
            if (getattr(value, "__module__", "") or "").startswith("nerve"):
                documented.append(name)
        elif value is not None:
            constants.append(name)
    return documented, constants


def page_source(dotted: str, title: str, intro: str) -> str:
    """The Markdown of one reference page."""
    lines = [f"# {title}", "", intro, ""]
    try:
        obj = _resolve(dotted)
    except (ImportError, AttributeError):
        return "\n".join([*lines, "Not available in this build of nerve.", ""])
    if inspect.isclass(obj):
        return "\n".join([*lines, f"::: {dotted}", ""])
    doc = inspect.getdoc(obj)
    documented, constants = public_names(dotted)
    if doc:
        lines += [f"::: {dotted}", "    options:", "      members: false", ""]
    if constants:
        lines += ["## Constants", "", "| name | value |", "| --- | --- |"]
        for name in constants:
            value = getattr(obj, name)
            shown = repr(value)
            if " at 0x" in shown:  # an object without a repr of its own: name its type
                shown = f"a {type(value).__name__.lstrip('_')} object"
            shown = shown.replace("|", "\\|").replace("\n", " ")
            if len(shown) > 80:
                shown = shown[:77] + "..."
            lines.append(f"| `{dotted}.{name}` | `{shown}` |")
        lines.append("")
    for name in documented:
        lines += [f"::: {dotted}.{name}", ""]
    return "\n".join(lines)


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add one generated page per entry of ``PAGES`` to the site's files."""
    from mkdocs.structure.files import File

    for path, dotted, title, intro in PAGES:
        files.append(File.generated(config, path, content=page_source(dotted, title, intro)))
    return files


if __name__ == "__main__":
    for _path, _dotted, _title, _intro in PAGES:
        print(f"--- {_path}")
        print(page_source(_dotted, _title, _intro))
