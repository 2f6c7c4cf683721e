"""One step of the recurrent cells, and the cell layers RNNCell, LSTMCell and GRUCell.

A step takes the input's projection ``xw = x W_ih^T + b_ih`` (computed by the caller: the
sequence layers project all time steps at once, one matrix product) and the previous state, and
returns the next state, with torch's gate order and formulas:

* RNN:  h' = act(xw + h W_hh^T + b_hh), act tanh or relu;
* LSTM: i, f, g, o = split(xw + h W_hh^T + b_hh); c' = s(f) c + s(i) tanh(g);
  h' = s(o) tanh(c'), then h' W_hr^T with a projection;
* GRU:  r, z, n from the input part (xw) and the hidden part (gh = h W_hh^T + b_hh) separately:
  r = s(xw_r + gh_r), z = s(xw_z + gh_z), n = tanh(xw_n + r * gh_n), h' = (1 - z) n + z h.

The steps are compositions of the fused ops (linear, sigmoid, tanh), so gradients, double
backward included, come from theirs; the LSTM's and the GRU's gates after their projections
are one op each (ops/recurrent.py), with a closed-form backward.
"""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty, zeros
from ..ops.nn_ops import linear
from ..ops.recurrent import gru_gates, lstm_gates
from ..ops.unary import relu, tanh
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


def rnn_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, relu_act: bool) -> Tensor:
    pre = xw + linear(h, w_hh, b_hh)
    return relu(pre) if relu_act else tanh(pre)


def lstm_step(
    xw: Tensor,
    h: Tensor,
    c: Tensor,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    h_next, c_next = lstm_gates(xw + linear(h, w_hh, b_hh), c)  # (one op: ops/recurrent.py)
    if w_hr is not None:
        h_next = linear(h_next, w_hr)
    return h_next, c_next


def gru_step(xw: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    return gru_gates(xw, linear(h, w_hh, b_hh), h)  # (one op: ops/recurrent.py)


def init_uniform(module: Module, hidden_size: int) -> None:
    """torch's initialisation of the recurrent layers: every weight and bias U(+-1/sqrt(H))."""
    bound = 1.0 / math.sqrt(hidden_size) if hidden_size > 0 else 0.0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


class RNNCellBase(Module):
    """The parameters of a cell: weight_ih (G*H, in), weight_hh (G*H, H), bias_ih, bias_hh."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if input_size < 0 or hidden_size <= 0:
            raise ValueError(
                f"{type(self).__name__}: input_size must be >= 0 and hidden_size > 0, got "
                f"input_size={input_size} and hidden_size={hidden_size}"
            )
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = self.gates * hidden_size
        self.weight_ih = Parameter(empty(rows, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(rows, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(rows, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(rows, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text

    def _prepare(self, input: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor, bool]:
        """The input as a batch (B, in), the state (B, H) (zeros when absent), and whether
        the input came unbatched (1-D)."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() != input.dim():
            raise ValueError(
                f"{name}: Expected hidden to be {input.dim()}D to match the {input.dim()}D "
                f"input, got {hx.dim()}D instead"
            )
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            hx = None if hx is None else hx.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        if hx is None:
            hx = zeros(input.shape[0], self.hidden_size, dtype=input.dtype, device=input.device)
        self._check_hidden(input, hx, "hidden0")
        return input, hx, batched

    def _check_hidden(self, input: Tensor, hx: Tensor, name: str) -> None:
        if hx.shape[0] != input.shape[0]:
            raise RuntimeError(
                f"Input batch size {input.shape[0]} doesn't match {name} batch size {hx.shape[0]}"
            )
        if hx.shape[1] != self.hidden_size:
            raise RuntimeError(
                f"{name} has inconsistent hidden_size: got {hx.shape[1]}, expected "
                f"{self.hidden_size}"
            )


class RNNCell(RNNCellBase):
    """An Elman cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Example:
        >>> import nerve
        >>> cell = nerve.nn.RNNCell(4, 8)
        >>> h = nerve.zeros(2, 8)
        >>> for x in nerve.zeros(5, 2, 4):  # one step at a time
        ...     h = cell(x, h)
        >>> h.shape
        nerve.Size([2, 8])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        xw = linear(x, self.weight_ih, self.bias_ih)
        h = rnn_step(xw, h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """A long short-term memory cell: returns (h', c') (gates i, f, g, o).

    Example:
        >>> import nerve
        >>> cell = nerve.nn.LSTMCell(4, 8)
        >>> h, c = cell(nerve.zeros(2, 4))  # the state starts at zeros when not given
        >>> h, c = cell(nerve.zeros(2, 4), (h, c))
        >>> h.shape, c.shape
        (nerve.Size([2, 8]), nerve.Size([2, 8]))
    """

    gates = 4

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0) of two tensors or None")
        x, h, batched = self._prepare(input, None if hx is None else hx[0])
        if hx is None:
            c = h
        else:
            c = hx[1] if batched else hx[1].unsqueeze(0)
            self._check_hidden(x, c, "hidden1")
        xw = linear(x, self.weight_ih, self.bias_ih)
        h, c = lstm_step(xw, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """A gated recurrent unit: gates r (reset), z (update) and the candidate n.

    Example:
        >>> import nerve
        >>> cell = nerve.nn.GRUCell(4, 8)
        >>> cell(nerve.zeros(2, 4), nerve.zeros(2, 8)).shape
        nerve.Size([2, 8])
    """

    gates = 3

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        xw = linear(x, self.weight_ih, self.bias_ih)
        h = gru_step(xw, h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
