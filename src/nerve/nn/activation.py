"""Activation layers: the non-linearities that let a network be more than a linear map."""

from __future__ import annotations

from typing import Any

from ..creation import full
from ..ops.softmax import log_softmax, softmax
from ..ops.unary import relu, sigmoid, tanh
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter


class ReLU(Module):
    """max(0, x): cheap, piecewise linear, the most common activation.

    ``inplace=True`` is accepted and computes out of place, as the other activation layers do:
    the same values and gradients as torch's, while the input keeps its values (see the
    PyTorch-to-nerve guide; ``F.relu(x, inplace=True)`` does change ``x``).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.ReLU()(x)
        tensor([0., 0., 3.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise: no dead neurons.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.LeakyReLU(0.1)(x)
        tensor([-0.2000,  0.0000,  3.0000])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Leaky ReLU whose negative slope is learned (one per channel, or one shared).

    ``num_parameters`` is 1 (one slope for all) or the number of channels (dimension 1 of the
    input); every slope starts at ``init``.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> act = nerve.nn.PReLU()
        >>> act.weight
        Parameter containing:
        tensor([0.2500], requires_grad=True)
        >>> act(x)
        tensor([-0.5000,  0.0000,  3.0000], grad_fn=<...>)
    """

    def __init__(
        self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha * (exp(x) - 1) otherwise: smooth, with negative outputs down to -alpha.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.ELU()(x)
        tensor([-0.8647,  0.0000,  3.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (or its tanh approximation).

    ``approximate``: ``"none"`` (the exact CDF, through erf) or ``"tanh"``.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-1.0, 0.0, 2.0])
        >>> nerve.nn.GELU()(x)
        tensor([-0.1587,  0.0000,  1.9545])
        >>> nerve.nn.GELU(approximate="tanh")(x)
        tensor([-0.1588,  0.0000,  1.9546])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate='{self.approximate}'"


class SiLU(Module):
    """x * sigmoid(x) (also called swish).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.SiLU()(x)
        tensor([-0.2384,  0.0000,  2.8577])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """1 / (1 + exp(-x)): a probability estimate; saturates for large |x|.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.Sigmoid()(x)
        tensor([0.1192, 0.5000, 0.9526])
    """

    def forward(self, input: Tensor) -> Tensor:
        return sigmoid(input)


class Tanh(Module):
    """tanh(x): squashes into (-1, 1), zero-centred; saturates for large |x|.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.Tanh()(x)
        tensor([-0.9640,  0.0000,  0.9951])
    """

    def forward(self, input: Tensor) -> Tensor:
        return tanh(input)


class Hardtanh(Module):
    """x clamped into [min_val, max_val]: a piecewise-linear tanh.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.Hardtanh()(x)
        tensor([-1.,  0.,  1.])
        >>> nerve.nn.Hardtanh(min_val=0.0, max_val=2.0)(x)
        tensor([0., 0., 2.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6): a ReLU capped at 6 (a Hardtanh with bounds 0 and 6).

    Example:
        >>> import nerve
        >>> nerve.nn.ReLU6()(nerve.tensor([-2.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:  # torch prints only the inplace flag, not the fixed bounds
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """log(1 + exp(beta x)) / beta: a smooth ReLU.

    Where ``beta * x > threshold`` the output is ``x`` itself (the two agree there to float
    precision, and exp would overflow).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-2.0, 0.0, 3.0])
        >>> nerve.nn.Softplus()(x)
        tensor([0.1269, 0.6931, 3.0486])
        >>> nerve.nn.Softplus(beta=2.0)(x)
        tensor([0.0091, 0.3466, 3.0012])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """Probabilities over ``dim`` that sum to one: exp(x) / exp(x).sum(dim).

    Example:
        >>> import nerve
        >>> probs = nerve.nn.Softmax(dim=1)(nerve.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
        >>> probs
        tensor([[0.0900, 0.2447, 0.6652],
                [0.3333, 0.3333, 0.3333]])
        >>> probs.sum(dim=1)
        tensor([1., 1.])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) over ``dim``, computed stably (what NLLLoss expects as its input).

    Example:
        >>> import nerve
        >>> nerve.nn.LogSoftmax(dim=1)(nerve.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-2.4076, -1.4076, -0.4076]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
