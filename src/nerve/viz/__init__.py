"""``nerve.viz``: pictures of what autograd did.

:func:`graph` draws the autograd graph of any computation (ops, shapes, values and, after
``backward()``, gradients) with Graphviz, as an object that Jupyter shows as SVG and that saves
to ``.svg``, ``.png`` or ``.dot``. It needs the ``graphviz`` Python package and Graphviz's
``dot`` program (``pip install 'nerve[viz]'``; Debian: ``apt-get install graphviz``). The code
is in ``nerve.viz.drawing`` (a module not named ``graph``, so that the function keeps the name).
"""

from .drawing import Graph, NodeInfo, clean_text, graph, summarize

__all__ = ["graph", "Graph", "NodeInfo", "summarize", "clean_text"]
