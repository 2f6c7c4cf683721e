"""einsum: sums of products over named subscripts (torch.einsum), one graph node.

The equation is parsed once into explicit subscripts (the ellipsis becomes fresh letters, and
operands whose size-1 dimensions broadcast are expanded first, so the node sees equal sizes).
The gradient of an operand is itself an einsum: the upstream gradient times the other operands,
with the operand's subscripts as the output. Two cases need a constant operand: a letter
repeated within the operand (a diagonal, ``'ii->i'``) is renamed and tied to the original by
an identity matrix, and a letter that only this operand has (summed away, ``'ij->i'``) is
broadcast back by a vector of ones. So the backward is one einsum again, and double backward
comes for free.
"""

from __future__ import annotations

import string
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor
from .dual import const

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's implicit output order
_TORCH_TYPE = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
}


class Einsum(Node):
    def forward(self, *arrays: Any, subscripts: tuple[str, ...], output: str) -> Any:
        self.subscripts, self.out_subscripts = subscripts, output
        equation = ",".join(subscripts) + "->" + output
        xp = xp_of(arrays[0])
        if len(arrays) > 2 and xp.__name__ == "numpy":
            # a contraction order (and BLAS products) pays off from three operands on
            return xp.einsum(equation, *arrays, optimize="greedy")
        if len(arrays) == 2 and xp.__name__ == "numpy":
            return xp.einsum(equation, *arrays, optimize=True)
        return xp.einsum(equation, *arrays)

    def backward(self, g: Any) -> tuple[Any, ...]:
        subscripts = self.subscripts
        grads = []
        for i, mine in enumerate(subscripts):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [j for j in range(len(subscripts)) if j != i]
            operands = [g] + [self.input(j) for j in others]
            subs = [self.out_subscripts] + [subscripts[j] for j in others]
            present = set("".join(subs))
            unused = [c for c in _LETTERS if c not in "".join(subscripts) + self.out_subscripts]
            sizes = dict(zip(mine, self.input(i).shape))
            xp = xp_of(g._data if isinstance(g, Tensor) else g)
            dtype = (g._data if isinstance(g, Tensor) else g).dtype
            result, seen = "", set()
            for letter in mine:
                if letter in seen:  # a repeated letter: a new one, tied by an identity matrix
                    fresh = unused.pop()
                    operands.append(const(xp.eye(sizes[letter], dtype=dtype), g))
                    subs.append(letter + fresh)
                    result += fresh
                    continue
                seen.add(letter)
                result += letter
                if letter not in present:  # summed over in the forward: broadcast back
                    operands.append(const(xp.ones(sizes[letter], dtype=dtype), g))
                    subs.append(letter)
                    present.add(letter)
            grads.append(run(Einsum, *operands, subscripts=tuple(subs), output=result))
        return tuple(grads)


def _parse(equation: str, operands: list[Tensor]) -> tuple[list[str], str]:
    """Explicit subscripts for each operand and the output (the ellipsis spelled out)."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for position, char in enumerate(equation):
        if char not in _LETTERS and char not in ".,->":
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {position} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
    used = set(c for c in equation if c in _LETTERS)
    spare = [c for c in _LETTERS if c not in used]
    widths = []
    for index, (term, t) in enumerate(zip(terms, operands)):
        letters = term.replace("...", "")
        if "." in letters or term.count("...") > 1:
            raise RuntimeError(
                f"einsum(): found '.' for operand {index} that is not part of any ellipsis"
            )
        if "..." in term:
            if len(letters) > t.dim():
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({len(letters)}) is more "
                    f"than the number of dimensions ({t.dim()}) for operand {index}"
                )
            widths.append(t.dim() - len(letters))
        else:
            if len(letters) != t.dim():
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({len(letters)}) does not "
                    f"match the number of dimensions ({t.dim()}) for operand {index} and no "
                    "ellipsis was given"
                )
            widths.append(0)
    width = max(widths, default=0)
    if width > len(spare):
        raise RuntimeError("einsum(): too many dimensions under the ellipsis (52 letters at most)")
    ellipsis = "".join(spare[:width])
    subscripts = [term.replace("...", ellipsis[width - w :]) for term, w in zip(terms, widths)]
    if arrow:
        if "." in rhs.replace("...", "") or rhs.count("...") > 1:
            raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis")
        output = rhs.replace("...", ellipsis)
        for letter in output:
            if output.count(letter) > 1:
                raise RuntimeError(
                    f"einsum(): output subscript {letter} appears more than once in the output"
                )
            if letter not in "".join(subscripts):
                raise RuntimeError(
                    f"einsum(): output subscript {letter} does not appear in the equation for "
                    "any input operand"
                )
    else:  # implicit: the ellipsis, then the letters used once, in alphabetical order
        joined = lhs.replace("...", "")
        output = ellipsis + "".join(c for c in _LETTERS if joined.count(c) == 1)
    return subscripts, output


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products over subscripts named by ``equation`` (torch.einsum), e.g.
    ``einsum('ij,jk->ik', a, b)`` is ``a @ b`` and ``einsum('bii->b', x)`` a batch of traces.

    Example:
        >>> import nerve
        >>> nerve.einsum('i,i->', nerve.tensor([1.0, 2.0]), nerve.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the equation must be a string, got {type(equation).__name__}")
    tensors = list(operands)
    if not tensors:
        raise RuntimeError("einsum(): must provide at least one operand")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): expected tensors as operands, got {type(t).__name__}")
    first = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != first:
            raise RuntimeError(
                f"expected scalar type {_TORCH_TYPE.get(str(first), first)} but found "
                f"{_TORCH_TYPE.get(str(t._data.dtype), t._data.dtype)}"
            )
    subscripts, output = _parse(equation, tensors)
    sizes: dict[str, int] = {}
    for index, (subs, t) in enumerate(zip(subscripts, tensors)):
        for letter, n in zip(subs, t.shape):
            seen = sizes.get(letter, 1)
            if n != seen and n != 1 and seen != 1:
                raise RuntimeError(
                    f"einsum(): subscript {letter} has size {n} for operand {index} which does "
                    f"not broadcast with previously seen size {seen}"
                )
            sizes[letter] = max(seen, n)
    for index, (subs, t) in enumerate(zip(subscripts, tensors)):
        wanted = tuple(sizes[letter] for letter in subs)
        if tuple(t.shape) != wanted:
            tensors[index] = t.expand(wanted)  # size-1 dimensions broadcast
    return apply(Einsum, *tensors, subscripts=tuple(subscripts), output=output)


__all__ = ["einsum"]
