"""nerve's differentiable ops, one file per family; ``methods.install`` attaches them to Tensor."""

from . import methods

methods.install()
