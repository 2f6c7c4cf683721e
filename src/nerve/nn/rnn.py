"""The recurrent layers RNN, LSTM and GRU: stacked, optionally bidirectional, over padded or
packed batches (torch.nn's names, parameters, shapes and initialisation).

Each layer and direction projects the inputs of all time steps at once (one matrix product,
``x W_ih^T + b_ih``), then loops over time with one product per step (``h W_hh^T + b_hh``,
inside the cell step of ``rnn_cells.py``). Sequences are handled in the packed layout: rows of
the steps, time-major, with ``batch_sizes[t]`` sequences (longest first) running at step t. A
padded batch is the special case where every step has the whole batch. A sequence that has
ended keeps its final state: its rows are set aside (forward direction) or have not started yet
(reverse direction, which begins with the shortest sequences' last steps).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..creation import empty, zeros
from ..ops.join import cat, stack
from ..ops.nn_ops import linear
from ..ops.recurrent import row_blocks
from ..tensor import Tensor
from .functional import dropout as dropout_fn
from .module import Module
from .parameter import Parameter
from .rnn_cells import GRUCell, LSTMCell, RNNCell, gru_step, init_uniform, lstm_step, rnn_step
from .utils.rnn import PackedSequence

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_NAMES = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


class RNNBase(Module):
    """Parameters and the time loop shared by RNN, LSTM and GRU. For layer k and direction
    suffix s ('' or '_reverse'): weight_ih_l{k}{s} (G*H, in), weight_hh_l{k}{s} (G*H, H_out),
    bias_ih_l{k}{s}, bias_hh_l{k}{s} (G*H), and for an LSTM with ``proj_size`` also
    weight_hr_l{k}{s} (proj_size, H); G is 1, 4 (i, f, g, o) or 3 (r, z, n).

    Example:
        >>> import nerve
        >>> lstm = nerve.nn.RNNBase("LSTM", 4, 8)
        >>> for name, p in lstm.named_parameters():  # G*H = 4*8 rows: the gates i, f, g, o
        ...     print(name, tuple(p.shape))
        weight_ih_l0 (32, 4)
        weight_hh_l0 (32, 8)
        bias_ih_l0 (32,)
        bias_hh_l0 (32,)
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_options(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout)
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size if proj_size > 0 else hidden_size
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, out_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for name, shape in shapes:
                    setattr(
                        self, name + suffix, Parameter(empty(*shape, device=device, dtype=dtype))
                    )
                    names.append(name + suffix)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """torch packs the weights into one cuDNN buffer here; nerve's weights stay separate
        tensors, so there is nothing to rearrange (kept so that torch scripts run)."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            text += ", nonlinearity=relu"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # -- forward -----------------------------------------------------------------------

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        lstm = self.mode == "LSTM"
        name = _NAMES[self.mode]
        packed = isinstance(input, PackedSequence)
        if packed:
            data, sizes_t, sorted_idx, unsorted_idx = input
            sizes = [int(n) for n in np.asarray(sizes_t.cpu().numpy())]
            batched, steps = True, len(sizes)
            if data.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
        else:
            if not isinstance(input, Tensor) or input.dim() not in (2, 3):
                got = input.dim() if isinstance(input, Tensor) else type(input).__name__
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {got}D instead")
            batched = input.dim() == 3
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            if self.batch_first:
                input = input.transpose(0, 1)
            steps, batch = input.shape[0], input.shape[1]
            data = input.reshape(steps * batch, input.shape[2])
            sizes = [batch] * steps
        self._check_input(data)
        batch = sizes[0] if sizes else 0
        h0, c0 = self._initial_state(hx, data, batch, batched, lstm)
        if packed and sorted_idx is not None:
            h0 = h0.index_select(1, sorted_idx)
            c0 = None if c0 is None else c0.index_select(1, sorted_idx)
        out, h_n, c_n = self._layers(data, sizes, h0, c0)
        if packed:
            if unsorted_idx is not None:
                h_n = h_n.index_select(1, unsorted_idx)
                c_n = None if c_n is None else c_n.index_select(1, unsorted_idx)
            output: Any = PackedSequence(out, sizes_t, sorted_idx, unsorted_idx)
        else:
            output = out.reshape(steps, batch, out.shape[-1])
            if self.batch_first:
                output = output.transpose(0, 1)
            if not batched:
                output = output.squeeze(0 if self.batch_first else 1)
                h_n = h_n.squeeze(1)
                c_n = None if c_n is None else c_n.squeeze(1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _check_input(self, data: Tensor) -> None:
        weight = self.weight_ih_l0
        if data.dtype is not weight.dtype:
            raise ValueError(
                f"RNN input dtype ({data.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({data.dtype})"
            )
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {data.shape[-1]}"
            )

    def _initial_state(
        self, hx: Any, data: Tensor, batch: int, batched: bool, lstm: bool
    ) -> tuple[Tensor, Tensor | None]:
        """h_0 (layers * directions, B, H_out) and for an LSTM c_0 (..., B, H): zeros when
        ``hx`` is None, else checked against torch's expected shapes."""
        rows = self.num_layers * (2 if self.bidirectional else 1)
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        expected_h = (rows, batch, out_size)
        expected_c = (rows, batch, self.hidden_size)
        if hx is None:
            h0 = zeros(*expected_h, dtype=data.dtype, device=data.device)
            return h0, zeros(*expected_c, dtype=data.dtype, device=data.device) if lstm else None
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors or None")
            h0, c0 = hx
            want = 3 if batched else 2
            if h0.dim() != want or c0.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got "
                    f"({h0.dim()}-D, {c0.dim()}-D) tensors"
                )
            if not batched:
                h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
            _check_size(h0, expected_h, "Expected hidden[0] size {}, got {}")
            _check_size(c0, expected_c, "Expected hidden[1] size {}, got {}")
            return h0, c0
        want = 3 if batched else 2
        if hx.dim() != want:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(
                f"For {kind} input, hx should also be {want}-D but got {hx.dim()}-D tensor"
            )
        h0 = hx if batched else hx.unsqueeze(1)
        _check_size(h0, expected_h, "Expected hidden size {}, got {}")
        return h0, None

    def _layers(
        self, data: Tensor, sizes: list[int], h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        directions = 2 if self.bidirectional else 1
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                index = layer * directions + direction
                params = [getattr(self, name) for name in self._all_weights[index]]
                out, h, c = self._direction(
                    data, sizes, h0[index], None if c0 is None else c0[index], params, direction
                )
                outputs.append(out)
                finals_h.append(h)
                finals_c.append(c)
            data = outputs[0] if directions == 1 else cat(outputs, 1)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                data = dropout_fn(data, self.dropout, training=True)
        c_n = None if c0 is None else stack(finals_c)
        return data, stack(finals_h), c_n

    def _direction(
        self,
        data: Tensor,
        sizes: list[int],
        h0: Tensor,
        c0: Tensor | None,
        params: list[Parameter],
        direction: int,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One layer in one direction over all steps: (outputs in the packed layout, final h,
        final c)."""
        w_ih, w_hh = params[0], params[1]
        b_ih, b_hh = (params[2], params[3]) if self.bias else (None, None)
        w_hr = params[-1] if self.proj_size > 0 else None
        xw = linear(data, w_ih, b_ih)  # every step's input projection in one product
        steps = row_blocks(xw, sizes) if len(sizes) > 1 else (xw,)  # (one node for all)
        mode, relu = self.mode, self.mode == "RNN_RELU"
        reverse = direction == 1
        order = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
        outputs: list[Tensor | None] = [None] * len(sizes)
        finished: list[tuple[Tensor, Tensor | None]] = []  # rows of sequences that ended
        h, c = h0, c0
        rows = 0 if reverse else h0.shape[0]  # reverse: no sequence has started yet
        for t in order:
            size = sizes[t]
            if size < rows:  # forward: the shortest sequences have ended
                finished.append((h[size:], None if c is None else c[size:]))
                h, c = h[:size], None if c is None else c[:size]
            elif size > rows:  # reverse: longer sequences start (from their initial state)
                h = _join(h, h0, rows, size)
                c = None if c0 is None else _join(c, c0, rows, size)  # type: ignore[arg-type]
            rows = size
            x_t = steps[t]
            if mode == "LSTM":
                h, c = lstm_step(x_t, h, c, w_hh, b_hh, w_hr)  # type: ignore[arg-type]
            elif mode == "GRU":
                h = gru_step(x_t, h, w_hh, b_hh)
            else:
                h = rnn_step(x_t, h, w_hh, b_hh, relu)
            outputs[t] = h
        if finished:  # the final states, in batch order: running rows, then ended ones
            h = cat([h] + [piece for piece, _ in reversed(finished)])
            if c is not None:
                c = cat([c] + [piece for _, piece in reversed(finished)])  # type: ignore[misc]
        out = cat(outputs) if len(outputs) > 1 else outputs[0]  # type: ignore[arg-type]
        return out, h, c  # type: ignore[return-value]


def _join(state: Tensor, initial: Tensor, rows: int, size: int) -> Tensor:
    """The running rows of ``state`` followed by the initial state of the sequences that start
    now (rows .. size)."""
    if rows == 0:
        return initial if size == initial.shape[0] else initial[:size]
    return cat([state, initial[rows:size]])


def _check_size(hx: Tensor, expected: tuple[int, int, int], message: str) -> None:
    if tuple(hx.shape) != expected:
        raise RuntimeError(message.format(expected, list(hx.shape)))


def _check_options(
    mode: str,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bias: bool,
    batch_first: bool,
    dropout: float,
) -> None:
    """torch's checks of the constructor's arguments, with its messages."""
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an "
            "element being zeroed"
        )
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero "
            f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
            f"num_layers={num_layers}",
            stacklevel=4,
        )
    if not isinstance(bias, bool):
        raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
    if not isinstance(batch_first, bool):
        raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
    if not isinstance(input_size, int):
        raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
    if input_size <= 0:
        raise ValueError("input_size must be greater than zero")
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")


class RNN(RNNBase):
    """An Elman network: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; returns (output, h_n).

    Example:
        >>> import nerve
        >>> rnn = nerve.nn.RNN(4, 8, batch_first=True)
        >>> out, h = rnn(nerve.zeros(2, 5, 4))
        >>> out.shape, h.shape
        (nerve.Size([2, 5, 8]), nerve.Size([1, 2, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: ``LSTM(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, proj_size=0)``; returns
    (output, (h_n, c_n)).

    Example:
        >>> import nerve
        >>> lstm = nerve.nn.LSTM(4, 8, num_layers=2, batch_first=True)
        >>> out, (h, c) = lstm(nerve.zeros(2, 5, 4))  # 2 sequences of 5 steps
        >>> out.shape, h.shape, c.shape
        (nerve.Size([2, 5, 8]), nerve.Size([2, 2, 8]), nerve.Size([2, 2, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent units: ``GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; returns (output, h_n).

    Example:
        >>> import nerve
        >>> gru = nerve.nn.GRU(4, 8, bidirectional=True)
        >>> out, h = gru(nerve.zeros(5, 2, 4))  # (time, batch, features): batch_first=False
        >>> out.shape, h.shape
        (nerve.Size([5, 2, 16]), nerve.Size([2, 2, 8]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# the cells live in rnn_cells.py; they are re-exported here, where torch.nn.modules.rnn has them
_CELLS = (RNNCell, LSTMCell, GRUCell)
