"""``nerve.nn.utils``: gradient clipping and flattening parameters to a vector."""

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]

# Padding and packing batches of sequences: a submodule, as torch.nn.utils.rnn.
from . import rnn  # noqa: E402

__all__ += ["rnn"]

# Reparametrized weights: torch.nn.utils.parametrize, .parametrizations, and the legacy hooks.
from . import parametrizations, parametrize  # noqa: E402
from .weight_norms import (  # noqa: E402
    remove_spectral_norm,
    remove_weight_norm,
    spectral_norm,
    weight_norm,
)

__all__ += [
    "parametrizations",
    "parametrize",
    "remove_spectral_norm",
    "remove_weight_norm",
    "spectral_norm",
    "weight_norm",
]
