"""Batches of sequences of different lengths (torch.nn.utils.rnn's names).

A *padded* batch is a (T, B, *) tensor (or (B, T, *) with ``batch_first``) whose shorter
sequences are filled up with a padding value. A :class:`PackedSequence` keeps only the real
steps, time-major: the ``batch_sizes[0]`` sequences' first steps, then the ``batch_sizes[1]``
sequences still running at step 1, and so on, with the sequences sorted longest first. The
recurrent layers accept it and then never compute a step past the end of a sequence, so the
final hidden state of each sequence is the one after its own last step.

Packing and unpacking are each one gather (an indexing op), so gradients flow through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ...backend import dtypes
from ...creation import full, tensor
from ...ops.join import cat
from ...tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *) holds the steps time-major; ``batch_sizes`` (int64, on the
    CPU) how many sequences run at each step; ``sorted_indices`` the original batch position of
    each sorted sequence and ``unsorted_indices`` its inverse (None when the batch came
    sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved or cast (the index tensors follow the device, not the dtype)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        device = data.device

        def move(index: Tensor | None) -> Tensor | None:
            return None if index is None else index.to(device)

        return self._replace(
            data=data,
            sorted_indices=move(self.sorted_indices),
            unsorted_indices=move(self.unsorted_indices),
        )

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to("cuda")

    def double(self) -> PackedSequence:
        return self.to(dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(dtypes.float32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes ``permutation``."""
    if permutation is None:
        return None
    order = np.asarray(permutation.cpu().numpy())
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return tensor(inverse, device=permutation.device)


def _lengths_array(lengths: Any) -> np.ndarray:
    if isinstance(lengths, Tensor):
        array = np.asarray(lengths.cpu().numpy())
    else:
        array = np.asarray(list(lengths) if not isinstance(lengths, np.ndarray) else lengths)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise RuntimeError(
            f"'lengths' argument should be a 1D list or CPU int64 tensor of sequence lengths, "
            f"got shape {list(array.shape)} of dtype {array.dtype}"
        )
    return array.astype(np.int64)


def _batch_sizes(sorted_lengths: np.ndarray) -> np.ndarray:
    """How many of the (longest-first) sequences run at each step."""
    steps = np.arange(int(sorted_lengths[0]))
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *)) whose sequence ``b`` has ``lengths[b]``
    real steps. With ``enforce_sorted`` the lengths must come longest first; otherwise the
    batch is sorted here and the order recorded, so unpacking restores it."""
    length_array = _lengths_array(lengths)
    batch_dim, time_dim = (0, 1) if batch_first else (1, 0)
    if input.dim() < 2:
        raise RuntimeError(
            f"pack_padded_sequence: expected a padded batch of at least 2 dimensions, got shape "
            f"{list(input.shape)}"
        )
    batch, steps = input.shape[batch_dim], input.shape[time_dim]
    if length_array.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {length_array.size} "
            f"(batch_size={batch})"
        )
    if enforce_sorted:
        if np.any(np.diff(length_array) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
        order = np.arange(batch)
        sorted_indices = None
    else:
        order = np.argsort(-length_array, kind="stable")
        sorted_indices = tensor(order, device=input.device)
    sorted_lengths = length_array[order]
    if batch == 0 or sorted_lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' "
            "that is <= 0"
        )
    if sorted_lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: a length of {int(sorted_lengths[0])} exceeds the "
            f"{steps} time steps of the padded input of shape {list(input.shape)}"
        )
    batch_sizes = _batch_sizes(sorted_lengths)
    # the (time, batch) position of each packed row, time-major
    times = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    rows = order[np.concatenate([np.arange(n) for n in batch_sizes])]
    key = (rows, times) if batch_first else (times, rows)
    data = input[tuple(tensor(k, device=input.device) for k in key)]
    return PackedSequence(
        data, tensor(batch_sizes), sorted_indices, invert_permutation(sorted_indices)
    )


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of :func:`pack_padded_sequence`: the padded batch, in the original batch
    order, and each sequence's length (int64)."""
    data = sequence.data
    batch_sizes = np.asarray(sequence.batch_sizes.cpu().numpy()).astype(np.int64)
    steps, batch = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    unsorted = (
        np.arange(batch)
        if sequence.unsorted_indices is None
        else np.asarray(sequence.unsorted_indices.cpu().numpy())
    )
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    padded_sizes = np.zeros(steps, dtype=np.int64)
    padded_sizes[: batch_sizes.size] = batch_sizes
    padded_offsets = np.zeros(steps, dtype=np.int64)
    padded_offsets[: offsets.size] = offsets
    # row of ``data`` for (step t, original sequence j), or the padding row past the end
    position = unsorted[None, :]
    running = position < padded_sizes[:, None]
    index = np.where(running, padded_offsets[:, None] + position, data.shape[0])
    if batch_first:
        index = index.T
    pad_row = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row])[tensor(index, device=data.device)]
    sorted_lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1)
    return padded, tensor(sorted_lengths[unsorted].astype(np.int64))


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences (L_i, *) of different lengths into (T, B, *) (or (B, T, *)), filling
    the shorter ones with ``padding_value`` on the right (or the left)."""
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences.unbind(0) if isinstance(sequences, Tensor) else sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if s.dim() == 0 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"pad_sequence: every sequence needs the trailing shape {list(trailing)} of the "
                f"first, got a sequence of shape {list(s.shape)}"
            )
    longest = max(s.shape[0] for s in sequences)
    pieces = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            pad = full((missing, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = cat([s, pad] if padding_side == "right" else [pad, s])
        pieces.append(s.unsqueeze(0 if batch_first else 1))
    return cat(pieces, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *) (longest first, unless not ``enforce_sorted``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded batch, each cut to its length."""
    batch = padded if batch_first else padded.transpose(0, 1)
    return [batch[i, : int(n)] for i, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed: PackedSequence) -> list[Tensor]:
    """The sequences of a packed batch, in their original order."""
    padded, lengths = pad_packed_sequence(packed, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
