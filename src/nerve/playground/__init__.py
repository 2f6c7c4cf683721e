"""The nerve playground: the lecture's neural-network demo, served from the learner's machine.

``nerve playground`` starts a small web server (:mod:`~nerve.playground.server`) whose page
draws data, network, decision surface and metrics while nerve trains the network. The parts:

* :mod:`~nerve.playground.protocol`: the messages the page may send, and their checks;
* :mod:`~nerve.playground.session`: one page's data, network and training (no web code);
* :mod:`~nerve.playground.export`: weights as safetensors, the set-up as a nerve or PyTorch
  script;
* :mod:`~nerve.playground.cli`: the ``nerve playground`` command.

The server needs the ``playground`` extra: ``pip install 'nerve[playground]'``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIMITS", "ProtocolError", "Session"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `nerve --help` does not load the workflow and the model.
    if name == "Session":
        from .session import Session

        return Session
    if name in ("LIMITS", "ProtocolError"):
        from . import protocol

        return getattr(protocol, name)
    raise AttributeError(f"module 'nerve.playground' has no attribute {name!r}")
