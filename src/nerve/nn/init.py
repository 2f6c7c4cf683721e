"""Weight initialisation (torch.nn.init's names): fills a tensor in place, outside the graph.

Example:
    >>> import nerve
    >>> w = nerve.empty(8, 2)
    >>> _ = nerve.nn.init.xavier_uniform_(w)
    >>> bool((w.abs() <= (6 / (2 + 8)) ** 0.5).all())
    True
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.grad_mode import no_grad
from ..random import Generator, numpy_generator
from ..tensor import Tensor

# the page of the API reference, and ``import *``, show these, not the helpers imported above
__all__ = [
    "calculate_gain",
    "constant_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_LIKE = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "identity",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for a non-linearity: 1 for linear/sigmoid, 5/3 for tanh,
    sqrt(2) for ReLU, sqrt(2 / (1 + slope^2)) for leaky ReLU, 3/4 for SELU.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> init.calculate_gain("relu")
        1.4142135623730951
        >>> init.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.dim() < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = 1
    for n in tensor.shape[2:]:
        receptive *= n
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    with no_grad():
        tensor._data[...] = tensor.device.xp.asarray(values, dtype=tensor._data.dtype)
        tensor._bump_version()
    return tensor


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with U(a, b), in place; returns ``tensor``.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.uniform_(nerve.empty(10000), -2.0, 2.0)
        >>> round(float(w.min()), 2), round(float(w.max()), 2)
        (-2.0, 2.0)
    """
    return _fill(tensor, numpy_generator(generator).uniform(a, b, tuple(tensor.shape)))


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with N(mean, std^2), in place; returns ``tensor``.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.normal_(nerve.empty(10000), mean=3.0, std=0.5)
        >>> round(float(w.mean()), 1), round(float(w.std()), 1)
        (3.0, 0.5)
    """
    return _fill(tensor, numpy_generator(generator).normal(mean, std, tuple(tensor.shape)))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std^2) restricted to [a, b] (redrawing values outside), in place.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.trunc_normal_(nerve.empty(1000), std=1.0, a=-0.5, b=0.5)
        >>> bool(((w >= -0.5) & (w <= 0.5)).all())
        True
    """
    rng = numpy_generator(generator)
    values = rng.normal(mean, std, tuple(tensor.shape))
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``, in place (outside the graph); returns ``tensor``.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> init.constant_(nerve.empty(2, 3), 0.5)
        tensor([[0.5000, 0.5000, 0.5000],
                [0.5000, 0.5000, 0.5000]])
    """
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros, in place; returns ``tensor`` (a common choice for biases).

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> layer = nerve.nn.Linear(3, 2)
        >>> init.zeros_(layer.bias)
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones, in place; returns ``tensor``.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> init.ones_(nerve.empty(2, 2))
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _fill(tensor, 1)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal), in place: a linear layer
    that starts by passing its input through.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> init.eye_(nerve.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    import numpy as np

    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Glorot uniform: U(+-gain * sqrt(6 / (fan_in + fan_out))), in place.

    fan_in is ``tensor.shape[1]`` and fan_out ``tensor.shape[0]`` (each times the kernel size
    for a convolution's weight).

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.xavier_uniform_(nerve.empty(20, 30))  # bound sqrt(6 / 50) = 0.346...
        >>> bool((w.abs() <= (6 / 50) ** 0.5).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, gain^2 * 2 / (fan_in + fan_out)), in place.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.xavier_normal_(nerve.empty(100, 100))  # std sqrt(2 / 200) = 0.1
        >>> round(float(w.std()), 2)
        0.1
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He uniform: U(+-gain * sqrt(3 / fan)); torch's default for Linear uses a = sqrt(5).

    ``mode`` picks the fan (``"fan_in"`` keeps the forward pass's variance, ``"fan_out"`` the
    backward's); ``a`` is the leaky ReLU's negative slope for the gain.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.kaiming_uniform_(nerve.empty(50, 200), nonlinearity="relu")
        >>> bool((w.abs() <= (6 / 200) ** 0.5).all())  # bound sqrt(2) * sqrt(3 / 200)
        True
    """
    if 0 in tuple(tensor.shape):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """He normal: N(0, gain^2 / fan), in place; the usual start for ReLU networks.

    Example:
        >>> import nerve
        >>> from nerve.nn import init
        >>> _ = nerve.manual_seed(0)
        >>> w = init.kaiming_normal_(nerve.empty(100, 200), nonlinearity="relu")
        >>> round(float(w.std()), 2)  # sqrt(2 / 200)
        0.1
    """
    if 0 in tuple(tensor.shape):
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


# structured initialisations (their own module)
from .init_structured import dirac_, orthogonal_, sparse_  # noqa: E402

__all__ += ["dirac_", "orthogonal_", "sparse_"]
