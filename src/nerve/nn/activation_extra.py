"""More activation layers, the ones a learner meets in later models (torch.nn's SELU, CELU,
Hardsigmoid, Hardswish, Mish, Softsign, LogSigmoid, Threshold, GLU, Softmin, Softmax2d,
Hardshrink, Softshrink, Tanhshrink and RReLU), each calling its function in
``nerve.nn.functional``. As for the layers of activation.py, ``inplace=True`` is accepted
and the output computed out of place (the same values and gradients as torch's)."""

from __future__ import annotations

from ..ops.softmax import softmax, softmin
from ..tensor import Tensor
from . import functional_activation as A
from .module import Module


class _Inplace(Module):
    """A layer whose only option is torch's ``inplace`` flag."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SELU(_Inplace):
    """``scale * elu(x, alpha)`` with SELU's constants: self-normalizing networks.

    Example:
        >>> import nerve
        >>> nerve.nn.SELU()(nerve.tensor([-1.0, 2.0]))
        tensor([-1.1113,  2.1014])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.selu(input)


class CELU(Module):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.

    Example:
        >>> import nerve
        >>> nerve.nn.CELU(alpha=2.0)(nerve.tensor([-1.0, 2.0]))
        tensor([-0.7869,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Hardsigmoid(_Inplace):
    """0 below -3, 1 above 3, ``x / 6 + 1/2`` between.

    Example:
        >>> import nerve
        >>> nerve.nn.Hardsigmoid()(nerve.tensor([-4.0, 0.0, 1.5]))
        tensor([0.0000, 0.5000, 0.7500])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.hardsigmoid(input)

    def extra_repr(self) -> str:  # torch prints no flag for this layer
        return ""


class Hardswish(Hardsigmoid):
    """``x * hardsigmoid(x)``: MobileNetV3's activation.

    Example:
        >>> import nerve
        >>> nerve.nn.Hardswish()(nerve.tensor([-1.0, 1.0, 4.0]))
        tensor([-0.3333,  0.6667,  4.0000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.hardswish(input)


class Mish(_Inplace):
    """``x * tanh(softplus(x))``: a smooth, non-monotonic ReLU.

    Example:
        >>> import nerve
        >>> nerve.nn.Mish()(nerve.tensor([-1.0, 2.0]))
        tensor([-0.3034,  1.9440])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.mish(input)


class Softsign(Module):
    """``x / (1 + |x|)``.

    Example:
        >>> import nerve
        >>> nerve.nn.Softsign()(nerve.tensor([-3.0, 1.0]))
        tensor([-0.7500,  0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.softsign(input)


class LogSigmoid(Module):
    """``log(sigmoid(x))``, computed stably.

    Example:
        >>> import nerve
        >>> nerve.nn.LogSigmoid()(nerve.tensor([0.0, 2.0]))
        tensor([-0.6931, -0.1269])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.logsigmoid(input)


class Tanhshrink(Module):
    """``x - tanh(x)``.

    Example:
        >>> import nerve
        >>> nerve.nn.Tanhshrink()(nerve.tensor([-1.0, 2.0]))
        tensor([-0.2384,  1.0360])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.tanhshrink(input)


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    Example:
        >>> import nerve
        >>> nerve.nn.Threshold(0.5, -1.0)(nerve.tensor([0.2, 0.5, 3.0]))
        tensor([-1., -1.,  3.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class GLU(Module):
    """The gated linear unit: one half of the input along ``dim`` times the sigmoid of the
    other.

    Example:
        >>> import nerve
        >>> nerve.nn.GLU()(nerve.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5000, 2.0000]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return A.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """``softmax(-x)`` over ``dim``: probabilities that favour the smallest values.

    Example:
        >>> import nerve
        >>> nerve.nn.Softmin(dim=1)(nerve.tensor([[1.0, 2.0, 3.0]]))
        tensor([[0.6652, 0.2447, 0.0900]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """A softmax over the channels of each pixel of (N, C, H, W) or (C, H, W) images.

    Example:
        >>> import nerve
        >>> out = nerve.nn.Softmax2d()(nerve.zeros(1, 4, 2, 2))
        >>> out[0, :, 0, 0]
        tensor([0.2500, 0.2500, 0.2500, 0.2500])
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead"
            )
        return softmax(input, -3)


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0.

    Example:
        >>> import nerve
        >>> nerve.nn.Hardshrink()(nerve.tensor([-1.0, 0.3, 2.0]))
        tensor([-1.,  0.,  2.])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return A.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x`` moved towards 0 by ``lambd`` (0 within ``lambd`` of it).

    Example:
        >>> import nerve
        >>> nerve.nn.Softshrink()(nerve.tensor([-1.0, 0.3, 2.0]))
        tensor([-0.5000,  0.0000,  1.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return A.softshrink(input, self.lambd)


class RReLU(Module):
    """A leaky ReLU with a random negative slope from [lower, upper) per element in training,
    their mean in evaluation (nerve's generator draws other slopes than torch's).

    Example:
        >>> import nerve
        >>> nerve.nn.RReLU().eval()(nerve.tensor([-1.0, 2.0]))
        tensor([-0.2292,  2.0000])
    """

    def __init__(
        self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False
    ) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input: Tensor) -> Tensor:
        return A.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"
