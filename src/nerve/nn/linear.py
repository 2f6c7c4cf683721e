"""Linear layers and the shape helpers Identity, Flatten and Unflatten."""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty
from ..ops.nn_ops import linear
from ..tensor import Tensor
from . import init
from .functional_linear import bilinear
from .module import Module
from .parameter import Parameter


def _add_bias(module: Module, bias: bool, size: int, device: Any, dtype: Any) -> None:
    """A ``bias`` parameter of ``size`` values (its values set by ``reset_parameters``), or
    the parameter registered as None, as torch's layers do without one."""
    if bias:
        module.bias = Parameter(empty(size, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)


class Linear(Module):
    """y = x W^T + b: every output neuron is a weighted sum of the inputs plus a bias.

    Weights and bias start uniform in +-1/sqrt(in_features), as torch's default.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.Linear(2, 8)
        >>> layer(nerve.zeros(32, 2)).shape
        nerve.Size([32, 8])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(
                f"Linear: feature sizes must be >= 0, got {in_features} and {out_features}"
            )
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        _add_bias(self, bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(+-1/sqrt(fan_in))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y = x1^T A x2 + b`` for each output feature (``F.bilinear``): a learned interaction of
    two inputs. Weight (out, in1, in2) and bias start uniform in +-1/sqrt(in1_features), as
    torch's.

    Example:
        >>> import nerve
        >>> nerve.nn.Bilinear(4, 5, 2)(nerve.zeros(3, 4), nerve.zeros(3, 5)).shape
        nerve.Size([3, 2])
    """

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        self.weight = Parameter(empty(*shape, device=device, dtype=dtype))
        _add_bias(self, bias, out_features, device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0])
        >>> nerve.nn.Identity()(x) is x
        True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Flatten dims ``start_dim`` .. ``end_dim`` (by default all but the batch dimension).

    Example:
        >>> import nerve
        >>> nerve.nn.Flatten()(nerve.zeros(32, 1, 8, 8)).shape
        nerve.Size([32, 64])
        >>> nerve.nn.Flatten(0, 1)(nerve.zeros(32, 1, 8, 8)).shape
        nerve.Size([32, 8, 8])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size``.

    Example:
        >>> import nerve
        >>> nerve.nn.Unflatten(1, (1, 8, 8))(nerve.zeros(32, 64)).shape
        nerve.Size([32, 1, 8, 8])
    """

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
