"""The op table for shape ops (reshape ... triu), indexing (slices, ints, None, Ellipsis,
integer tensors, boolean masks, gather, scatter_add, index_select, masked_fill), in-place ops
on non-leaf tensors, and ``x[idx] = v``."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from parity import Arrays, OpCase
from parity.draw import drawn, fill, index_array, onto, same, shapes, unary

C = OpCase
CONTIGUOUS = ("contiguous",)  # view() of a non-contiguous tensor fails in both libraries


def _reversed(lib: Any, a: Any) -> Any:
    return a.reshape(tuple(reversed(a.shape)))


def _cat_inputs(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    """Three arrays that differ only in their last dimension."""
    return tuple(fill(rng, shape[:-1] + (int(rng.integers(1, 4)),), "real") for _ in range(3))


def _halves(lib: Any, a: Any) -> Any:
    n = a.shape[0]
    return a.split([n // 2, n - n // 2])


# (small, full) pairs: the first broadcasts onto the second
_small_first = onto("real", "real").map(lambda arrays: arrays[::-1])

SHAPE = [
    C("reshape", _reversed, unary()),
    C("reshape_flat", lambda lib, a: a.reshape(-1), unary()),
    C("reshape_function", lambda lib, a: lib.reshape(a, (1, -1)), unary()),
    C("view", lambda lib, a: a.view(-1), unary(), layouts=CONTIGUOUS),
    C("view_of_view", lambda lib, a: a.view(-1).view(1, -1), unary(), layouts=CONTIGUOUS),
    C("view_as", lambda lib, a, b: a.view_as(b), same("real", "real"), layouts=CONTIGUOUS),
    C("flatten", lambda lib, a: a.flatten(), unary()),
    C("flatten_range", lambda lib, a: lib.flatten(a, 1), unary(min_dims=2)),
    C("unflatten", lambda lib, a: a.unflatten(-1, (1, -1)), unary(min_dims=1)),
    C("squeeze", lambda lib, a: a.squeeze(), unary(max_side=2)),
    C("squeeze_dim", lambda lib, a: lib.squeeze(a, 0), unary(min_dims=1, max_side=2)),
    C("unsqueeze", lambda lib, a: a.unsqueeze(-1), unary()),
    C("unsqueeze_0", lambda lib, a: lib.unsqueeze(a, 0), unary()),
    C("transpose", lambda lib, a: a.transpose(0, -1), unary(min_dims=1)),
    C("transpose_function", lambda lib, a: lib.transpose(a, 0, 1), unary(min_dims=2)),
    C(
        "permute",
        lambda lib, a: a.permute(*reversed(range(a.dim()))),
        unary(min_dims=1),
        gradgrad=True,
    ),
    C("permute_function", lambda lib, a: lib.permute(a, (1, 2, 0)), unary(min_dims=3)),
    C("T", lambda lib, a: a.T, unary(min_dims=2, max_dims=2)),
    C("mT", lambda lib, a: a.mT, unary(min_dims=2)),
    C("t", lambda lib, a: a.t(), unary(max_dims=2)),
    C("expand", lambda lib, a, b: a.expand(b.shape), _small_first, gradgrad=True),
    C("expand_minus_one", lambda lib, a: a.expand(3, *([-1] * a.dim())), unary()),
    C("expand_as", lambda lib, a, b: a.expand_as(b), _small_first),
    C("repeat", lambda lib, a: a.repeat(2, *[i % 2 + 1 for i in range(a.dim())]), unary()),
    C(
        "repeat_same_rank",
        lambda lib, a: a.repeat(*[3 - i % 2 for i in range(a.dim())]),
        unary(min_dims=1),
    ),
    C(
        "cat",
        lambda lib, a, b, c: lib.cat([a, b, c], dim=-1),
        drawn(shapes(min_dims=1), _cat_inputs),
        gradgrad=True,
    ),
    C("cat_dim0", lambda lib, a, b: lib.cat((a, b)), same("real", "real", min_dims=1)),
    C("stack", lambda lib, a, b: lib.stack([a, b]), same("real", "real"), gradgrad=True),
    C("stack_last", lambda lib, a, b: lib.stack([a, b, a], dim=-1), same("real", "real")),
    C("split", lambda lib, a: a.split(2, dim=-1), unary(min_dims=1), gradgrad=True),
    C("split_sizes", _halves, unary(min_dims=1)),
    C("split_function", lambda lib, a: lib.split(a, 1), unary(min_dims=1)),
    C("chunk", lambda lib, a: a.chunk(2, dim=-1), unary(min_dims=1)),
    C("chunk_function", lambda lib, a: lib.chunk(a, 3), unary(min_dims=1)),
    C("flip", lambda lib, a: a.flip(0), unary(min_dims=1)),
    C("flip_dims", lambda lib, a: lib.flip(a, (0, -1)), unary(min_dims=2)),
    C("roll", lambda lib, a: a.roll(1, 0), unary(min_dims=1)),
    C("roll_dims", lambda lib, a: lib.roll(a, (1, -2), (0, -1)), unary(min_dims=2)),
    C("roll_flat", lambda lib, a: a.roll(2), unary()),
    C("tril", lambda lib, a: a.tril(), unary(min_dims=2)),
    C("tril_diagonal", lambda lib, a: lib.tril(a, -1), unary(min_dims=2)),
    C("triu", lambda lib, a: lib.triu(a), unary(min_dims=2)),
    C("triu_diagonal", lambda lib, a: a.triu(diagonal=1), unary(min_dims=2)),
    C("clone", lambda lib, a: a.clone(), unary(), gradgrad=True),
    C("contiguous", lambda lib, a: a.contiguous() * 1, unary()),
]


def _indexed(
    size_dim: int = 0, min_dims: int = 1, unique: bool = False, negative: bool = True
) -> st.SearchStrategy[Arrays]:
    """An array and int64 indices into its dimension ``size_dim`` (repeats unless ``unique``)."""

    def make(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
        size = shape[size_dim]
        k = size if unique else int(rng.integers(1, 6))
        index = index_array(rng, size, (k,), unique)
        return fill(rng, shape, "real"), index if negative else index % size

    return drawn(shapes(min_dims=min_dims), make)


def _with_scalar(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    return fill(rng, shape, "real"), fill(rng, (), "real")


def _masked(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    return fill(rng, shape, "real"), fill(rng, shape, "bool")


def _gather_arrays(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> Arrays:
    """(input, index) for gather along ``axis``: index no larger than input off the axis."""
    index_shape = tuple(
        int(rng.integers(1, 5)) if d == axis % len(shape) else int(rng.integers(1, n + 1))
        for d, n in enumerate(shape)
    )
    return fill(rng, shape, "real"), rng.integers(0, shape[axis], index_shape)


def _gather(axis: int) -> st.SearchStrategy[Arrays]:
    return drawn(shapes(min_dims=1), lambda rng, s: _gather_arrays(rng, s, axis))


def _scatter(axis: int) -> st.SearchStrategy[Arrays]:
    """(input, index, src) for scatter_add; src has the index's shape (torch's backward fails
    for a larger src)."""

    def make(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
        a, index = _gather_arrays(rng, shape, axis)
        return a, index, fill(rng, index.shape, "real")

    return drawn(shapes(min_dims=1), make)


def _suffix_mask(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    """An array and a bool mask that broadcasts onto it (a suffix of its shape, some 1s)."""
    tail = shape[int(rng.integers(0, len(shape) + 1)) :]
    mask_shape = tuple(1 if rng.random() < 0.3 else n for n in tail)
    return fill(rng, shape, "real"), fill(rng, mask_shape, "bool"), fill(rng, (), "real")


INDEX = [
    C("slices", lambda lib, a: a[1:, ::2], unary(min_dims=2), gradgrad=True),
    C("negative_slice", lambda lib, a: a[..., -2:], unary(min_dims=1)),
    C("int", lambda lib, a: a[0], unary(min_dims=1)),
    C("int_negative", lambda lib, a: a[-1, 0], unary(min_dims=2)),
    C("none_ellipsis", lambda lib, a: a[None, ..., 0], unary(min_dims=1)),
    C("ellipsis_none", lambda lib, a: a[..., None], unary()),
    C("slice_int_none", lambda lib, a: a[:, 0, None], unary(min_dims=2)),
    C("int_tensor", lambda lib, a, i: a[i], _indexed(), gradgrad=True),
    C("int_tensor_then_slice", lambda lib, a, i: a[i, 1:], _indexed(min_dims=2)),
    C("int_tensor_second_dim", lambda lib, a, i: a[:, i], _indexed(size_dim=1, min_dims=2)),
    C("two_int_tensors", lambda lib, a, i: a[i, i % a.shape[1]], _indexed(min_dims=2)),
    C("bool_mask", lambda lib, a, m: a[m], drawn(shapes(), _masked), gradgrad=True),
    C("bool_mask_rows", lambda lib, a, m: a[m[..., 0]], drawn(shapes(min_dims=2), _masked)),
    C("comparison_mask", lambda lib, a: a[a > 0], unary()),
    C("gather", lambda lib, a, i: lib.gather(a, -1, i), _gather(-1), gradgrad=True),
    C("gather_dim0", lambda lib, a, i: a.gather(0, i), _gather(0)),
    C(
        "scatter_add",
        lambda lib, a, i, s: lib.scatter_add(a, -1, i, s),
        _scatter(-1),
        gradgrad=True,
    ),
    C("scatter_add_dim0", lambda lib, a, i, s: a.scatter_add(0, i, s), _scatter(0)),
    C("index_select", lambda lib, a, i: lib.index_select(a, 0, i), _indexed(negative=False)),
    C("index_select_method", lambda lib, a, i: a.index_select(-1, i), _indexed(-1, negative=False)),
    C("masked_fill", lambda lib, a, m, v: a.masked_fill(m, 0.5), drawn(shapes(), _suffix_mask)),
    C(
        "masked_fill_tensor",
        lambda lib, a, m, v: lib.masked_fill(a, m, v),
        drawn(shapes(), _suffix_mask),
        gradgrad=True,
    ),
]


def _inplace(method: str, *args: Any) -> Any:
    """``y = a * 2; y.<method>(*args)``: in place on a non-leaf that has a history."""

    def fn(lib: Any, a: Any, *tensors: Any) -> Any:
        y = a * 2
        return getattr(y, method)(*tensors, *args)

    return fn


def _iadd(lib: Any, a: Any, b: Any) -> Any:
    y = a * 1
    y += b
    y *= b
    y -= a
    y /= 2
    return y


def _write_gives_history(lib: Any, a: Any, b: Any) -> Any:
    y = lib.zeros_like(a)  # no history: the write gives it one
    y.add_(b)
    return y * a


def _augmented_subscript(lib: Any, a: Any, b: Any) -> Any:
    y = a * 1
    y[:, 0] += b[:, 0]  # a view changed in place, then written back by __setitem__
    y[0] *= 2
    return y


def _through_views(lib: Any, a: Any, b: Any) -> Any:
    y = a * 2
    y.T[0].mul_(b[:, 0])  # a view of a view
    y[:1][0][:2].add_(b[0, :2])
    y.unsqueeze(0)[0, -1].clamp_(-0.5, 0.5)
    y[1:].sigmoid_()  # last: torch refuses a later write to a base whose view saved its output
    return y * a


def _view_of_plain_base(lib: Any, a: Any, b: Any) -> Any:
    y = lib.zeros_like(a)  # needs no grad until a view of it is changed with one that does
    y[0].add_(b[0])
    y.mT[..., 0].copy_(a.mT[..., 0])
    return y


INPLACE = [
    C("add_", _inplace("add_"), onto("real", "real")),
    C("add_alpha_", lambda lib, a, b: (a * 2).add_(b, alpha=1.5), onto("real", "real")),
    C("add_scalar_", lambda lib, a: (a * 2).add_(1.5), unary()),
    C("sub_", _inplace("sub_"), onto("real", "real")),
    C("mul_", _inplace("mul_"), onto("real", "real"), gradgrad=True),
    C("mul_scalar_", lambda lib, a: (a * 2).mul_(-3), unary()),
    C("div_", _inplace("div_"), onto("real", "nonzero"), gradgrad=True),
    C("zero_", lambda lib, a: (a * 2).zero_() + a, unary()),
    C("fill_", lambda lib, a: (a * 2).fill_(1.5) * a, unary()),
    C("fill_tensor_", lambda lib, a, v: (a * 2).fill_(v) * a, drawn(shapes(), _with_scalar)),
    C("clamp_", lambda lib, a: (a * 1).clamp_(-0.5, 0.5), unary()),
    C("clamp_min_", lambda lib, a: (a * 1).clamp_(min=0.0), unary("nonzero")),
    C("copy_", lambda lib, a, b: (a * 2).copy_(b) * a, onto("real", "real")),
    C("operators_in_place", _iadd, onto("real", "nonzero")),
    C("in_place_gives_history", _write_gives_history, onto("real", "real")),
    C("augmented_subscript", _augmented_subscript, same("real", "real", min_dims=2), gradgrad=True),
    C(
        "in_place_through_views",
        _through_views,
        same("real", "real", min_dims=2, max_dims=2),
        gradgrad=True,
    ),
    C("in_place_view_of_plain_base", _view_of_plain_base, same("real", "real", min_dims=2)),
]


def _setitem(key: Any, value_is_tensor: bool = True) -> Any:
    def fn(lib: Any, a: Any, *rest: Any) -> Any:
        y = a * 1
        *indices, v = rest if value_is_tensor else (*rest, 2.5)
        y[key(*indices)] = v
        return y * 2

    return fn


def _set_rows(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    """An array, unique row indices, and values for those rows."""
    index = index_array(rng, shape[0], (int(rng.integers(1, shape[0] + 1)),), unique=True)
    return fill(rng, shape, "real"), index, fill(rng, (len(index),) + shape[1:], "real")


def _set_slice(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    target = (max(shape[0] - 1, 0),) + shape[2:]
    value_shape = target[int(rng.integers(0, len(target) + 1)) :]  # broadcasts onto target
    return fill(rng, shape, "real"), fill(rng, value_shape, "real")


SETITEM = [
    C(
        "setitem_slice",
        _setitem(lambda: (slice(1, None), 0)),
        drawn(shapes(min_dims=2), _set_slice),
    ),
    C("setitem_int_scalar", _setitem(lambda: 0, value_is_tensor=False), unary(min_dims=1)),
    C(
        "setitem_int_tensor",
        _setitem(lambda i: i),
        drawn(shapes(min_dims=1), _set_rows),
        gradgrad=True,
    ),
    C(
        "setitem_mask_scalar",
        _setitem(lambda m: m, value_is_tensor=False),
        drawn(shapes(), _masked),
    ),
    C(
        "setitem_mask_tensor",
        lambda lib, a, m, v: _setitem(lambda m: m)(lib, a, m, v),
        drawn(shapes(), lambda rng, s: (*_masked(rng, s), fill(rng, (), "real"))),
    ),
    C("setitem_ellipsis", _setitem(lambda: ...), same("real", "real")),
]

CASES = SHAPE + INDEX + INPLACE + SETITEM
