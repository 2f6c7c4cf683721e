"""Griffe extension: read nerve's ``Example:`` sections as Google-style ``Examples:``.

nerve's docstrings head their doctests ``Example:``, a title that Griffe's Google parser does not
know; it would render them as prose, and Markdown would read a doctest's output such as
``['a', 'b']`` as a link. Renaming the title before parsing makes each one a code block with
the interpreter's prompts, as the reader of the source sees it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_TITLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` section titles to ``Examples:`` in every loaded docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _TITLE.sub(r"\1Examples:", obj.docstring.value)
