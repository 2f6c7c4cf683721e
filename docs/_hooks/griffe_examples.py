"""Griffe extension: read nerve's ``Example:`` sections as Google-style ``Examples:``.

nerve's docstrings head their doctests ``Example:``, a title that Griffe's Google parser does not
know; it would render them as prose, and Markdown would read a doctest's output such as
``['a', 'b']`` as a link. Renaming the title before parsing makes each one a code block with
the interpreter's prompts, as the reader of the source sees it.

Functions and classes that nerve builds at import time (``exp = _float_unary(Exp, ...)``, the
legacy ``FloatTensor`` types) are plain assignments to Griffe's static reading, with no
docstring; their docstrings are set when the module runs, so they are read from the imported
objects once the package is loaded.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import griffe

_TITLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` section titles to ``Examples:`` in every loaded docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _TITLE.sub(r"\1Examples:", obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Give generated functions and classes the docstrings they carry at run time."""
        if pkg.name == "nerve":
            _fill_generated(pkg)


def _fill_generated(module: griffe.Module) -> None:
    # only modules already imported (by nerve itself or the API pages): importing another one
    # could start a program (``__main__``) or need an optional part that is not installed
    runtime = sys.modules.get(module.path)
    if runtime is None:
        return
    for name, member in module.members.items():
        if member.is_alias:
            continue
        if member.is_module:
            _fill_generated(member)  # type: ignore[arg-type]
        elif member.is_attribute and member.docstring is None:
            value = getattr(runtime, name, None)
            if (inspect.isfunction(value) or inspect.isclass(value)) and value.__doc__:
                text = _TITLE.sub(r"\1Examples:", inspect.cleandoc(value.__doc__))
                member.docstring = griffe.Docstring(text, parent=member)
