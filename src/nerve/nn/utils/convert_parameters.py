"""Parameters as one flat vector, and back."""

from __future__ import annotations

from collections.abc import Iterable

from ...autograd.grad_mode import no_grad
from ...ops.shape import cat
from ...tensor import Tensor


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (in order).

    Example:
        >>> import nerve
        >>> layer = nerve.nn.Linear(3, 2)
        >>> nerve.nn.utils.parameters_to_vector(layer.parameters()).shape  # 2*3 weights + 2 biases
        nerve.Size([8])
    """
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (in place).

    Example:
        >>> import nerve
        >>> layer = nerve.nn.Linear(2, 1)
        >>> nerve.nn.utils.vector_to_parameters(nerve.tensor([1.0, 2.0, 3.0]), layer.parameters())
        >>> layer.weight, layer.bias
        (Parameter containing:
        tensor([[1., 2.]], requires_grad=True), Parameter containing:
        tensor([3.], requires_grad=True))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != needed:
        raise RuntimeError(
            f"vector_to_parameters: expected a 1-D vector of {needed} elements, got shape "
            f"{list(vec.shape)}"
        )
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec[offset : offset + n].reshape(p.shape))
            offset += n
