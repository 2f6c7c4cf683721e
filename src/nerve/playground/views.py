"""What the page draws, computed from one forward pass: surface, neuron maps, hidden space.

A frame evaluates the network once on a batch that holds, one after the other, the 100x100
grid of the decision surface, the points of the warped grid lines of the hidden-space view and
the data points. Everything the page shows comes from that pass: the output surface, a 25x25
heatmap per neuron (every 4th grid cell), the hidden-space view and the losses and metrics.
Pictures travel as bytes (``uint8`` colours, ``uint16`` coordinates) in one binary WebSocket
frame (see :mod:`~nerve.playground.wire`): a 6x8 network's frame shrank from about 118 KB of
JSON with base64 to about a third of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nerve

from .network import forward_collect, linear_layers, output_activation

__all__ = [
    "GRID",
    "NEURON_GRID",
    "grid_points",
    "line_points",
    "encode_unit",
    "encode_proba",
    "surface",
    "neuron_maps",
    "output_maps",
    "weight_bytes",
    "hidden_view",
    "explain",
]

GRID = 100  # cells per side of the decision surface
NEURON_GRID = 25  # cells per side of a neuron's heatmap (every 4th cell of the grid)
N_LINES = 11  # grid lines per direction in the hidden-space view
LINE_SAMPLES = 41  # points per grid line


def grid_points(domain: tuple[float, float, float, float], n: int = GRID) -> np.ndarray:
    """Cell centres, row by row from the top (largest x2) as an image is stored."""
    x1 = np.linspace(domain[0], domain[1], n)
    x2 = np.linspace(domain[3], domain[2], n)
    g1, g2 = np.meshgrid(x1, x2)
    return np.stack([g1.ravel(), g2.ravel()], axis=1)


def line_points(domain: tuple[float, float, float, float]) -> np.ndarray:
    """Points along N_LINES vertical then N_LINES horizontal lines across the input plane."""
    t1 = np.linspace(domain[0], domain[1], LINE_SAMPLES)
    t2 = np.linspace(domain[2], domain[3], LINE_SAMPLES)
    lines = []
    for c in np.linspace(domain[0], domain[1], N_LINES):
        lines.append(np.stack([np.full(LINE_SAMPLES, c), t2], axis=1))
    for c in np.linspace(domain[2], domain[3], N_LINES):
        lines.append(np.stack([t1, np.full(LINE_SAMPLES, c)], axis=1))
    return np.concatenate(lines)


def encode_unit(values: np.ndarray) -> bytes:
    """Values clipped to [-1, 1] as bytes 0..255 (the heatmaps' fixed colour scale: the page
    draws colours, and 256 steps are more than it can show)."""
    arr = np.asarray(values, dtype=np.float32)
    arr = np.where(np.isnan(arr), np.float32(0.0), np.clip(arr, -1.0, 1.0))  # +-inf clip
    return np.round((arr + 1.0) * 127.5).astype(np.uint8).tobytes()


def encode_proba(values: np.ndarray) -> bytes:
    """Probabilities in [0, 1] as bytes 0..255."""
    arr = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.5)
    return np.round(np.clip(arr, 0.0, 1.0) * 255).astype(np.uint8).tobytes()


def surface(proba: np.ndarray, task: str) -> dict[str, Any]:
    """The output over the grid: P(class 1), the winning class and its probability, or values
    (clipped to [-1, 1], the colour scale of the targets)."""
    if task == "binary":
        return {"kind": "binary", "n": GRID, "values": encode_proba(proba[:, 1])}
    if task == "multiclass":
        cls = np.nan_to_num(proba, nan=0.0).argmax(axis=1).astype(np.uint8)
        return {
            "kind": "multiclass",
            "n": GRID,
            "classes": cls.tobytes(),
            "confidence": encode_proba(proba.max(axis=1)),
        }
    return {"kind": "regression", "n": GRID, "values": encode_unit(proba)}


def _thin(acts: np.ndarray) -> np.ndarray:
    """Every 4th cell of a grid's rows and columns: (GRID*GRID, k) -> (25, 25, k)."""
    step = GRID // NEURON_GRID
    return acts.reshape(GRID, GRID, -1)[::step, ::step]


def neuron_maps(grid_inputs: np.ndarray, grid_hidden: list[np.ndarray]) -> list[list[bytes]]:
    """One 25x25 heatmap per neuron: the input features first, then each hidden layer."""
    maps = []
    for acts in [grid_inputs, *grid_hidden]:
        # one quantisation per layer, then one slice per neuron (a 32-wide layer in one call)
        planes = np.ascontiguousarray(np.moveaxis(_thin(acts), 2, 0))
        raw = encode_unit(planes)
        size = NEURON_GRID * NEURON_GRID
        maps.append([raw[j * size : (j + 1) * size] for j in range(planes.shape[0])])
    return maps


def output_maps(grid_proba: np.ndarray, task: str) -> list[bytes]:
    """One 25x25 map per output neuron: its own class's probability for k classes, P(class 1)
    for binary data (as 2P-1 on the diverging scale) and the value for regression."""
    cube = _thin(np.asarray(grid_proba, dtype=np.float64))
    if task == "multiclass":
        return [encode_proba(cube[:, :, j]) for j in range(cube.shape[2])]
    column = cube[:, :, 1] if task == "binary" else cube[:, :, 0]
    return [encode_unit(2 * column - 1 if task == "binary" else column)]


def weight_bytes(layers: list[Any]) -> list[dict[str, Any]]:
    """Each Linear layer's weights (one row per neuron) and biases as float32 bytes."""

    def raw(t: Any) -> bytes:
        return np.nan_to_num(t.detach().numpy().astype("<f4"), nan=0.0).tobytes()

    return [{"w": raw(m.weight), "b": raw(m.bias), "shape": list(m.weight.shape)} for m in layers]


def hidden_view(
    points: np.ndarray, lines: np.ndarray, mode: str, neurons: list[int], layer: int
) -> dict[str, Any]:
    """The data points and the grid lines as the chosen hidden layer sees them, in 2-D.

    A layer of one or two neurons is drawn as it is; a wider one shows two chosen neurons
    (``mode == "neurons"``) or its first two principal components (``"pca"``, and ``"auto"``),
    fitted on the data points. PCA signs are fixed (largest loading positive) so that the
    picture does not flip from one frame to the next.
    """
    width = points.shape[1]
    if width == 1:
        coords_p = np.stack([points[:, 0], np.zeros(len(points))], axis=1)
        coords_l = np.stack([lines[:, 0], np.zeros(len(lines))], axis=1)
        axes = [f"h{layer}.1", "(one neuron)"]
    elif width == 2 or mode == "neurons":
        i, j = neurons if max(neurons) < width else (0, 1)
        coords_p, coords_l = points[:, [i, j]], lines[:, [i, j]]
        axes = [f"h{layer}.{i + 1}", f"h{layer}.{j + 1}"]
    else:
        coords_p, coords_l, axes = _pca(points, lines)
    coords_p = np.nan_to_num(np.asarray(coords_p, dtype=np.float64))
    coords_l = np.nan_to_num(np.asarray(coords_l, dtype=np.float64))
    # The page frames the points (lines may run off): coordinates as uint16 steps of the
    # points' box, padded by 8 %; lines beyond a box twice as wide are clipped there.
    lo, hi = coords_p.min(axis=0), coords_p.max(axis=0)
    pad = 0.08 * (hi - lo) + 1e-3
    lo, hi = lo - pad, hi + pad
    return {
        "layer": layer,
        "axes": axes,
        "lo": lo.tolist(),
        "hi": hi.tolist(),
        "n_lines": 2 * N_LINES,
        "points": _quantise(coords_p, lo, hi),
        "lines": _quantise(coords_l, lo, hi),
    }


def _quantise(coords: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bytes:
    """(n, 2) coordinates as little-endian uint16 pairs: 0 at lo - (hi - lo)/2, 65535 at
    hi + (hi - lo)/2, so that a line leaving the frame keeps its direction."""
    span = hi - lo
    t = (coords - (lo - span / 2)) / (2 * span)
    return np.round(np.clip(t, 0.0, 1.0) * 65535).astype("<u2").tobytes()


def _pca(points: np.ndarray, lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    mean = points.mean(axis=0)
    _, s, vt = np.linalg.svd(points - mean, full_matrices=False)
    comps = vt[:2]
    flip = np.sign(comps[np.arange(2), np.abs(comps).argmax(axis=1)])
    comps = comps * np.where(flip == 0, 1.0, flip)[:, None]
    var = s**2
    share = var[:2] / var.sum() if var.sum() > 0 else np.zeros(2)
    axes = [f"PC{k + 1} ({share[k]:.0%} of variance)" for k in range(2)]
    return (points - mean) @ comps.T, (lines - mean) @ comps.T, axes


def _term(weight: float, name: str, first: bool) -> str:
    sign = "−" if weight < 0 else ("" if first else "+")
    text = f"{abs(weight):.3g}·{name}"
    return f"{sign}{text}" if first else f" {sign} {text}"


def _formula(
    name: str, act: str, weights: np.ndarray, inputs: list[str], bias: float, bn: bool = False
) -> str:
    """E.g. ``h1.2 = tanh(0.52·x1 − 1.3·x2 + 0.1)`` with the current weights and bias."""
    terms = "".join(_term(float(w), n, k == 0) for k, (w, n) in enumerate(zip(weights, inputs)))
    bias_text = f" {'−' if bias < 0 else '+'} {abs(bias):.3g}"
    inner = f"BN({terms}{bias_text})" if bn else f"{terms}{bias_text}"
    return f"{name} = {inner}" if act == "linear" else f"{name} = {act}({inner})"


def unit_names(
    feature_labels: list[str], hidden: list[int], task: str, class_names: list[str]
) -> list[list[str]]:
    """Display names of every neuron: features, h{layer}.{k}, then the output(s)."""
    names = [list(feature_labels)]
    names += [[f"h{i + 1}.{k + 1}" for k in range(n)] for i, n in enumerate(hidden)]
    if task == "multiclass":
        names.append([f"z[{c}]" for c in class_names])
    else:
        names.append(["ŷ"])
    return names


def explain(
    model: Any,
    row: np.ndarray,
    layer: int,
    neuron: int,
    task: str,
    activations: list[str],
    names: list[list[str]],
    batch_norm: bool = False,
) -> dict[str, Any]:
    """A neuron at one input point: formula, value, the output and d output / d neuron.

    ``row`` is the network's input (features after scaling) for the point, shape ``(1, f)``.
    The output is P(class 1) for binary data and the value for regression. For k classes it
    is the probability of the hovered output neuron's own class, or of the winning class for
    a hidden neuron. The gradient comes from nerve's autograd.
    """
    is_out = layer == len(activations) + 1
    was_training = model.training
    model.eval()  # dropout off and batch-norm running statistics, as in the drawn surface
    try:
        with nerve.enable_grad():
            x = nerve.tensor(np.asarray(row, dtype=np.float32), requires_grad=True)
            out, hidden = forward_collect(model, x)
            acts = [x, *hidden, out]
            if task == "multiclass":
                proba = nerve.softmax(out, dim=1)
                cls = neuron if is_out else int(proba.detach().numpy().argmax())
                target, out_label = proba[0, cls], f"P(class {cls})"
            else:
                target = out[0, 0]
                out_label = "P(class 1)" if task == "binary" else "ŷ"
            (grad,) = nerve.autograd.grad(target, acts[layer])
    finally:
        model.train(was_training)
    values = [a.detach().numpy() for a in acts]
    result: dict[str, Any] = {
        "type": "explain",
        "layer": layer,
        "neuron": neuron,
        "name": names[layer][neuron],
        "value": float(values[layer][0, neuron]),
        "output": float(target.detach().item()),
        "output_label": out_label,
        "gradient": float(grad.numpy()[0, neuron]),
        "formula": None,
        "z": None,
        "value_label": "value",
    }
    if layer > 0:
        lin = linear_layers(model)[layer - 1]
        w = lin.weight.detach().numpy()[neuron].astype(np.float64)
        b = float(lin.bias.detach().numpy()[neuron])
        z = float(w @ values[layer - 1][0].astype(np.float64) + b)
        act = output_activation(task) if is_out else activations[layer - 1]
        shown = "linear" if is_out and task == "multiclass" else act  # softmax acts on all z
        bn = batch_norm and not is_out  # batch normalisation sits between z and the activation
        result["formula"] = _formula(names[layer][neuron], shown, w, names[layer - 1], b, bn)
        result["z"] = z
        result["activation"] = act
        # k logits: this neuron holds z itself; softmax turns all k of them into probabilities.
        multi_out = is_out and task == "multiclass"
        result["value_label"] = "logit z (softmax follows)" if multi_out else f"value ({act})"
    return result
