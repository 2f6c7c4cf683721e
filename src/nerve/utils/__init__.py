"""``nerve.utils``: data loading (``nerve.utils.data``)."""

from . import data

__all__ = ["data"]
