"""``nerve.nn.utils``: gradient clipping and flattening parameters to a vector."""

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

# Padding and packing batches of sequences: a submodule, as torch.nn.utils.rnn.
from . import rnn  # noqa: E402

__all__ += ["rnn"]
