"""Fused ops for neural networks: linear (matmul + bias) and the activations with a closed-form
backward. One node each instead of a chain of small ones: this is where small networks spend
their time, so fewer nodes means less Python per training step."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.blas import matmul2d
from ..backend.constants import max_zero, min_zero
from ..backend.device import xp_of
from ..backend.select import select
from ..tensor import Tensor
from .dual import mm, mT, shape_of, where
from .dual import sum as dual_sum
from .inplace import apply_inplace
from .promotion import check_same_device, float_operand
from .unary import Erf, Exp, Sigmoid, Tanh, erf_array, one_plus_exp_neg


class Linear(Node):
    """y = x W^T + b for x of shape (..., in), W (out, in), b (out,) or absent."""

    def forward(self, x: Any, weight: Any, bias: Any = None) -> Any:
        # for 2-D inputs: ndarray.dot (the same product as @ with half the call overhead) or
        # MKL's for large ones
        out = matmul2d(x, weight.T) if x.ndim == 2 else x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, weight = self.input(0), self.input(1)
        need = self.needs_input_grad
        two_d = len(shape_of(g)) == 2
        g2 = g if two_d else g.reshape((-1, shape_of(g)[-1]))  # batch dimensions flattened
        gx = (mm(g2, weight) if two_d else g @ weight) if need[0] else None
        gw = mm(mT(g2), x if two_d else x.reshape((-1, shape_of(x)[-1]))) if need[1] else None
        if len(need) < 3:
            return gx, gw
        return gx, gw, (dual_sum(g2, (0,)) if need[2] else None)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one op (torch.nn.functional.linear).

    ``input`` is (..., in_features), ``weight`` (out_features, in_features) and ``bias``
    (out_features,) or None; the result is (..., out_features).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, 2.0]])
        >>> w = nerve.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
        >>> F.linear(x, w, nerve.tensor([0.0, 0.5, 1.0]))
        tensor([[ 1.0000,  3.5000, -1.0000]])
    """
    if input._data.ndim == 0 or input._data.shape[-1] != weight._data.shape[-1]:
        raise RuntimeError(
            f"linear: input of shape {list(input.shape)} does not match weight of shape "
            f"{list(weight.shape)}: the input's last dimension must be in_features = "
            f"{weight.shape[-1]}"
        )
    check_same_device(input, weight, "linear")
    if input._data.dtype is not weight._data.dtype and input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"linear: expected input and weight to have the same dtype, but got {input.dtype} "
            f"and {weight.dtype}; convert the input, e.g. x.float()"
        )
    if bias is None:
        return apply(Linear, input, weight)
    return apply(Linear, input, weight, bias)


class LeakyRelu(Node):
    def forward(self, x: Any, slope: float) -> Any:
        self.slope = slope
        scaled = x * slope
        if slope != 0 and slope == slope:  # (not 0: inf * 0 is nan; not nan)
            # torch's x > 0 ? x : slope x is the larger of the two for a slope below 1, the
            # smaller above: two vectorized passes, where a select on x > 0 branches at random
            pick = xp_of(x).maximum if slope < 1 else xp_of(x).minimum
            # (into the product's array, the result's memory; a 0-d x gives a NumPy scalar)
            return pick(x, scaled, out=scaled) if scaled.ndim else pick(x, scaled)
        return select(x > 0, x, scaled)

    def backward(self, g: Any) -> Any:
        return where(self.input(0) > 0, g, g * self.slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, ``negative_slope * x`` elsewhere (torch.nn.functional.leaky_relu);
    ``inplace=True`` writes the result into ``input`` and returns it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.leaky_relu(nerve.tensor([-2.0, 0.0, 3.0]), negative_slope=0.1)
        tensor([-0.2000,  0.0000,  3.0000])
    """
    if inplace:
        return apply_inplace(input, lambda x: leaky_relu(x, negative_slope))
    return apply(LeakyRelu, float_operand(input), slope=negative_slope)


class Elu(Node):
    saves, saves_output = (0,), True

    def forward(self, x: Any, alpha: float) -> Any:
        self.alpha = alpha
        xp = xp_of(x)
        return select(x > 0, x, alpha * xp.expm1(min_zero(x)))

    def backward(self, g: Any) -> Any:
        return where(self.input(0) > 0, g, g * (self.output() + self.alpha))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, ``alpha * (exp(x) - 1)`` elsewhere (torch.nn.functional.elu);
    ``inplace=True`` writes the result into ``input`` and returns it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.elu(nerve.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.8647,  0.0000,  3.0000])
        >>> F.elu(nerve.tensor([-2.0, 0.0, 3.0]), alpha=0.5)
        tensor([-0.4323,  0.0000,  3.0000])
    """
    if inplace:
        return apply_inplace(input, lambda x: elu(x, alpha))
    return apply(Elu, float_operand(input), alpha=alpha)


class Gelu(Node):
    def forward(self, x: Any, approximate: str) -> Any:
        self.approximate = approximate
        xp = xp_of(x)
        if approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * (x * x * x))  # (** is slow)
            return 0.5 * x * (1 + xp.tanh(inner))
        # Phi(x) = (1 + erf(x / sqrt 2)) / 2, in the erf's own array (it is new), kept for the
        # backward: an erf is most of this op's work
        cdf = erf_array(x * (1 / math.sqrt(2))).astype(x.dtype, copy=False)
        cdf += 1
        cdf *= 0.5
        self.cdf = cdf
        return x * cdf

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = run(Tanh, k * (x + 0.044715 * x * x * x))
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x))
        if isinstance(x, Tensor):  # create_graph: Phi again, as an op of x (differentiable)
            cdf = 0.5 * (1 + run(Erf, x * (1 / math.sqrt(2))))
        else:
            cdf = self.cdf
        pdf = run(Exp, -0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (cdf + x * pdf)

    def release(self) -> None:
        super().release()
        self.cdf = None


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)``, Phi the standard normal CDF (torch.nn.functional.gelu).

    ``approximate="tanh"`` uses the tanh approximation of Phi instead of erf.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([-1.0, 0.0, 2.0])
        >>> F.gelu(x)
        tensor([-0.1587,  0.0000,  1.9545])
        >>> F.gelu(x, approximate="tanh")
        tensor([-0.1588,  0.0000,  1.9546])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return apply(Gelu, float_operand(input), approximate=approximate)


class Silu(Node):
    def forward(self, x: Any) -> Any:
        denominator = one_plus_exp_neg(x)
        return xp_of(x).divide(x, denominator, out=denominator)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        s = run(Sigmoid, x)
        return g * s * (1 + x * (1 - s))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``, also called swish (torch.nn.functional.silu); ``inplace=True``
    writes the result into ``input`` and returns it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.silu(nerve.tensor([-2.0, 0.0, 3.0]))
        tensor([-0.2384,  0.0000,  2.8577])
    """
    if inplace:
        return apply_inplace(input, silu)
    return apply(Silu, float_operand(input))


class Softplus(Node):
    def forward(self, x: Any, beta: float, threshold: float) -> Any:
        self.beta, self.threshold = beta, threshold
        xp = xp_of(x)
        bx = x if beta == 1 else beta * x  # (torch's default beta: two passes saved)
        soft = max_zero(bx) + xp.log1p(xp.exp(-xp.abs(bx)))
        if beta != 1:
            soft /= beta
        return select(bx > threshold, x, soft.astype(x.dtype, copy=False))

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        bx = x if self.beta == 1 else x * self.beta
        return where(bx > self.threshold, g, g * run(Sigmoid, bx))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU (torch.nn.functional.softplus).

    Where ``beta * x > threshold`` the result is ``x`` itself, as in torch.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.softplus(nerve.tensor([-2.0, 0.0, 3.0]))
        tensor([0.1269, 0.6931, 3.0486])
    """
    return apply(Softplus, float_operand(input), beta=beta, threshold=threshold)


class Hardtanh(Node):
    def forward(self, x: Any, low: float, high: float) -> Any:
        self.low, self.high = low, high
        return xp_of(x).clip(x, low, high)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g * ((x > self.low) & (x < self.high))  # strict, as torch's hardtanh_backward


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``input`` clamped into ``[min_val, max_val]`` (torch.nn.functional.hardtanh);
    ``inplace=True`` writes the result into ``input`` and returns it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hardtanh(nerve.tensor([-2.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    if inplace:
        return apply_inplace(input, lambda x: hardtanh(x, min_val, max_val))
    return apply(Hardtanh, float_operand(input), low=min_val, high=max_val)
