"""The activations a learner meets after ReLU and its family (``nerve.nn.functional``'s selu,
celu, hardsigmoid, hardswish, mish, softsign, logsigmoid, threshold, glu, hardshrink,
softshrink, tanhshrink and rrelu), with torch's names, defaults and semantics.

Each is a composition of existing ops, so its derivative is theirs (nothing new to get wrong,
and double backward comes free). Where torch's gradient at a kink is a choice (hardswish at
-3 and 3, the shrinks at +-lambd), the composition is written so that autograd makes the same
choice.
"""

from __future__ import annotations

import math

import numpy as np

from ..creation import rand
from ..ops import nn_ops
from ..ops.compare import where
from ..ops.inplace import apply_inplace
from ..ops.promotion import TORCH_NAMES
from ..ops.unary import sigmoid, tanh
from ..tensor import Tensor

__all__ = [
    "celu",
    "celu_",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "mish",
    "rrelu",
    "rrelu_",
    "selu",
    "selu_",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
    "threshold_",
]

# SELU's constants, as torch writes them (Klambauer et al., 2017): with them, activations keep
# mean 0 and variance 1 through the layers of a suitably initialised network.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with SELU's fixed constants (torch.nn.functional.selu).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.selu(nerve.tensor([-1.0, 0.0, 2.0]))
        tensor([-1.1113,  0.0000,  2.1014])
    """
    if inplace:
        return apply_inplace(input, selu)
    return nn_ops.elu(input, SELU_ALPHA) * SELU_SCALE


def selu_(input: Tensor) -> Tensor:
    """``selu(input, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.selu_(nerve.tensor([-1.0, 2.0]))
        tensor([-1.1113,  2.1014])
    """
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`` (torch.nn.functional.celu): an ELU
    whose negative side is continuously differentiable for every alpha.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.celu(nerve.tensor([-1.0, 0.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  0.0000,  2.0000])
    """
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return apply_inplace(input, lambda x: celu(x, alpha))
    return nn_ops.elu(input * (1 / alpha)) * alpha


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``celu(input, alpha, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.celu_(nerve.tensor([-1.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  2.0000])
    """
    return celu(input, alpha, inplace=True)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 below -3, 1 above 3, ``x / 6 + 1/2`` between: a piecewise-linear sigmoid
    (torch.nn.functional.hardsigmoid).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hardsigmoid(nerve.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    if inplace:
        return apply_inplace(input, hardsigmoid)
    # (the gradient of hardtanh is zero at its bounds, as torch's hardsigmoid's at -3 and 3)
    return nn_ops.hardtanh(input + 3, 0.0, 6.0) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * hardsigmoid(x)`` (torch.nn.functional.hardswish), MobileNetV3's activation.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hardswish(nerve.tensor([-4.0, -1.0, 0.0, 1.0, 4.0]))
        tensor([-0.0000, -0.3333,  0.0000,  0.6667,  4.0000])
    """
    if inplace:
        return apply_inplace(input, hardswish)
    # Written by region, so that the gradient is torch's: 0 up to -3, x / 3 + 1/2 strictly
    # between -3 and 3, 1 from 3 on.
    middle = input * (input + 3) / 6
    # (up to -3 torch's x * 0, which is -0.0; for -inf too, where torch's 0 * inf is NaN)
    return where(input <= -3, -0.0, where(input < 3, middle, input))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (torch.nn.functional.mish): a smooth, non-monotonic ReLU.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.mish(nerve.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.3034,  0.0000,  1.9440])
    """
    if inplace:
        return apply_inplace(input, mish)
    return input * tanh(nn_ops.softplus(input))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)`` (torch.nn.functional.softsign).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.softsign(nerve.tensor([-3.0, 0.0, 1.0]))
        tensor([-0.7500,  0.0000,  0.5000])
    """
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, computed stably as ``-softplus(-x)`` (torch.nn.functional.logsigmoid).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.logsigmoid(nerve.tensor([-100.0, 0.0, 2.0]))
        tensor([-100.0000,   -0.6931,   -0.1269])
    """
    return -nn_ops.softplus(-input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (torch.nn.functional.threshold).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.threshold(nerve.tensor([-1.0, 0.5, 2.0]), 0.5, -9.0)
        tensor([-9., -9.,  2.])
    """
    if inplace:
        return apply_inplace(input, lambda x: _threshold(x, threshold, value))
    return _threshold(input, threshold, value)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    return where(input <= threshold, value, input)  # (NaN passes, as in torch)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``threshold(input, threshold, value, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.threshold_(nerve.tensor([-1.0, 2.0]), 0.0, 5.0)
        tensor([5., 2.])
    """
    return apply_inplace(input, lambda x: _threshold(x, threshold, value))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """The gated linear unit: ``a * sigmoid(b)``, ``a`` and ``b`` the two halves of ``input``
    along ``dim`` (torch.nn.functional.glu).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.glu(nerve.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5000, 2.0000]])
    """
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        axis = dim % input.dim()
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {size}")
    first, second = input.chunk(2, dim)
    return first * sigmoid(second)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0 (torch.nn.functional.hardshrink).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hardshrink(nerve.tensor([-1.0, 0.3, 0.5, 2.0]))
        tensor([-1.,  0.,  0.,  2.])
    """
    return where(input.abs() <= lambd, 0.0, input)  # (NaN passes, as in torch)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0: x moved towards
    0 by ``lambd`` (torch.nn.functional.softshrink).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.softshrink(nerve.tensor([-1.0, 0.3, 2.0]))
        tensor([-0.5000,  0.0000,  1.5000])
    """
    if lambd < 0:
        dtype = np.dtype(input._data.dtype)
        name = TORCH_NAMES.get(dtype.name, dtype.name)
        top = float(np.finfo(dtype).max) if dtype.kind == "f" else math.inf
        raise RuntimeError(
            f"lambda must be in range [0, {top:g}] for input dtype {name}, but found {lambd}"
        )
    # within lambd torch's x * 0 (-0.0 below zero), of x clamped so that no inf meets 0
    within = input.clamp(-lambd, lambd) * 0
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, within))


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)`` (torch.nn.functional.tanhshrink).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.tanhshrink(nerve.tensor([-1.0, 0.0, 2.0]))
        tensor([-0.2384,  0.0000,  1.0360])
    """
    return input - tanh(input)


def rrelu(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """A leaky ReLU whose negative slope is drawn uniformly from [lower, upper) for each
    element in training, and is their mean in evaluation (torch.nn.functional.rrelu). The
    random slopes come from nerve's generator, so a seeded run draws other ones than torch's.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.rrelu(nerve.tensor([-1.0, 2.0]))  # evaluation: the slope (1/8 + 1/3) / 2
        tensor([-0.2292,  2.0000])
    """
    if inplace:
        return apply_inplace(input, lambda x: rrelu(x, lower, upper, training))
    if not training:
        return nn_ops.leaky_relu(input, (lower + upper) / 2)
    slopes = rand(input.shape, dtype=input.dtype, device=input.device) * (upper - lower) + lower
    return where(input > 0, input, input * slopes)  # (at 0 the slope, as torch)


def rrelu_(
    input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False
) -> Tensor:
    """``rrelu(input, lower, upper, training, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.rrelu_(nerve.tensor([-1.0, 2.0]))
        tensor([-0.2292,  2.0000])
    """
    return rrelu(input, lower, upper, training, inplace=True)
