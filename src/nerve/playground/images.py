"""The playground's images mode: a small CNN learns the 8x8 digits while the learner watches.

One :class:`ImagesSession` per page holds the digits (scikit-learn's 1797 images, pixels in
[0, 1], split 75/25 with every class in both parts), a two-block CNN and its Adam optimizer.
The page asks for a few training steps at a time and gets back a view of everything it draws:
the loss and accuracies so far, the first layer's filters, the feature maps of a digit it chose,
the confusion matrix and the misclassified test digits. A digit drawn on the page's canvas
arrives as an 8x8 grid of intensities and is answered with the network's probabilities and
every layer's feature maps.

Messages are JSON objects of at most ``MAX_MESSAGE`` characters, checked by
:func:`parse_message` before anything runs; a bad one gets an ``error`` reply and changes
nothing. The WebSocket endpoint (:func:`images_websocket`) keeps the main page's rules: same
origin only, one job at a time, and the same count of open pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from typing import Any

import numpy as np
from starlette.websockets import WebSocketDisconnect

import nerve
from nerve import nn
from nerve.workflow.images import load_image_source
from nerve.workflow.metrics import confusion_matrix
from nerve.workflow.split import train_val_test_split
from nerve.workflow.step import train_step

from .guards import next_message, page_slot

__all__ = ["ImagesSession", "ImagesError", "parse_message", "images_websocket", "LIMITS"]

SIDE = 8  # the digits are 8x8
CLASSES = 10
MAX_MESSAGE = 4096  # characters: the largest message is a drawn digit, 64 numbers
LIMITS = {"steps": 100, "gallery": 24, "misclassified": 24, "history": 400}
BATCH = 32
LEARNING_RATE = 0.01
log = logging.getLogger("nerve.playground")


class ImagesError(ValueError):
    """A message the images mode refuses; its text is sent to the page as is."""


def _int(message: dict[str, Any], key: str, low: int, high: int) -> int:
    value = message.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ImagesError(f"'{key}' must be an integer from {low} to {high}, got {value!r:.40}")
    return value


def parse_pixels(value: Any) -> np.ndarray:
    """A drawn digit: 64 numbers (or 8 rows of 8) in [0, 1], as a (1, 1, 8, 8) float32 array.

    Example:
        >>> parse_pixels([0.5] * 64).shape
        (1, 1, 8, 8)
        >>> parse_pixels([1.5] + [0] * 63)
        Traceback (most recent call last):
        ...
        nerve.playground.images.ImagesError: 'pixels' must hold numbers from 0 to 1; pixel 0 is 1.5
    """
    if isinstance(value, list) and len(value) == SIDE and all(isinstance(r, list) for r in value):
        value = [v for row in value for v in row]
    if not isinstance(value, list) or len(value) != SIDE * SIDE:
        size = len(value) if isinstance(value, list) else type(value).__name__
        raise ImagesError(f"'pixels' must be a list of {SIDE * SIDE} numbers (8x8), got {size}")
    for index, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ImagesError(f"'pixels' must hold numbers; pixel {index} is {type(v).__name__}")
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise ImagesError(f"'pixels' must hold numbers from 0 to 1; pixel {index} is {v!r:.20}")
    return np.asarray(value, dtype=np.float32).reshape(1, 1, SIDE, SIDE)


def parse_message(raw: str | bytes) -> dict[str, Any]:
    """Check one message from the page: its size, its JSON, its type and its fields."""
    if len(raw) > MAX_MESSAGE:
        raise ImagesError(f"message too long: {len(raw)} characters, at most {MAX_MESSAGE}")
    try:
        message = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ImagesError("message is not valid JSON") from None
    if not isinstance(message, dict):
        raise ImagesError("a message must be a JSON object with a 'type'")
    kind = message.get("type")
    if kind == "train":
        return {"type": kind, "steps": _int(message, "steps", 1, LIMITS["steps"])}
    if kind == "digit":
        return {"type": kind, "index": _int(message, "index", 0, LIMITS["gallery"] - 1)}
    if kind == "predict":
        return {"type": kind, "pixels": parse_pixels(message.get("pixels"))}
    if kind == "reset":
        return {"type": kind, "seed": _int(message, "seed", 0, 2**31 - 1)}
    raise ImagesError(
        f"unknown message type {str(kind)[:40]!r}; expected train, digit, predict or reset"
    )


def _build(seed: int) -> nn.Sequential:
    """The CNN, its weights drawn from ``seed``; the global generator is left as it was, so that
    one page's reset does not change what another page or script draws next."""
    saved = nerve.random.get_rng_state()
    nerve.manual_seed(seed)
    try:
        return _layers()
    finally:
        nerve.random.set_rng_state(saved)


def _layers() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),  # 8 filters of 3x3 on the 8x8 image -> 8x8x8
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 8x4x4
        nn.Conv2d(8, 16, 3, padding=1),  # -> 16x4x4
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 16x2x2
        nn.Flatten(),
        nn.Linear(64, CLASSES),
    )


def _round(array: np.ndarray, digits: int = 3) -> list[Any]:
    return np.round(array.astype(np.float64), digits).tolist()


class ImagesSession:
    """The digits, a CNN and its training, for one page."""

    def __init__(self, seed: int = 0) -> None:
        data = load_image_source("digits")
        self.images = data.images().astype(np.float32)  # (1797, 1, 8, 8) in [0, 1]
        self.labels = np.asarray(data.y, dtype=np.int64)
        train, _, test = train_val_test_split(self.labels, val=0.0, test=0.25, seed=0)
        self.train_idx, self.test_idx = train, test
        self.reset(seed)

    def reset(self, seed: int = 0) -> None:
        """A fresh network (weights and batch order drawn from ``seed``), step 0."""
        self.seed = seed
        self.model = _build(seed)
        self.optimizer = nerve.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.train_idx)
        self.cursor = 0
        self.step = 0
        self.history: list[dict[str, float]] = []
        self.chosen = 0
        self._record(loss=None)

    # -- training -------------------------------------------------------------------------

    def train(self, steps: int) -> None:
        """``steps`` mini-batches of ``BATCH`` training digits, one Adam step each."""
        self.model.train()
        for _ in range(steps):
            if self.cursor + BATCH > len(self.order):
                self.order, self.cursor = self.rng.permutation(self.train_idx), 0
            batch = self.order[self.cursor : self.cursor + BATCH]
            self.cursor += BATCH
            x = nerve.from_numpy(self.images[batch])
            y = nerve.from_numpy(self.labels[batch])
            loss, _ = train_step(self.model, nn.functional.cross_entropy, self.optimizer, x, y)
            self.step += 1
        self._record(loss=float(loss.item()))

    def _predict(self, idx: np.ndarray) -> np.ndarray:
        self.model.eval()
        with nerve.no_grad():
            logits = self.model(nerve.from_numpy(self.images[idx]))
        return logits.numpy()

    def _record(self, loss: float | None) -> None:
        train_pred = self._predict(self.train_idx).argmax(1)
        self.test_pred = self._predict(self.test_idx).argmax(1)
        point = {
            "step": self.step,
            "loss": math.nan if loss is None else loss,
            "train_accuracy": float((train_pred == self.labels[self.train_idx]).mean()),
            "test_accuracy": float((self.test_pred == self.labels[self.test_idx]).mean()),
        }
        self.history.append(point)
        if len(self.history) > LIMITS["history"]:  # keep every other old point: bounded
            self.history = self.history[:-100:2] + self.history[-100:]

    # -- what the page draws --------------------------------------------------------------

    def feature_maps(self, image: np.ndarray) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Every layer's output for one (1, 1, 8, 8) image, and the class probabilities."""
        self.model.eval()
        layers = []
        with nerve.no_grad():
            x = nerve.from_numpy(image)
            for index, layer in enumerate(self.model):
                x = layer(x)
                if isinstance(layer, (nn.Flatten,)):
                    continue
                values = x.numpy()[0]
                layers.append(
                    {
                        "name": f"{index}: {type(layer).__name__}",
                        "shape": list(values.shape),
                        "values": _round(values),
                    }
                )
            probabilities = nn.functional.softmax(x, dim=1).numpy()[0]
        return layers, probabilities

    def filters(self) -> dict[str, Any]:
        weight = self.model[0].weight.detach().numpy()[:, 0]  # (8, 3, 3)
        return {"shape": list(weight.shape), "values": _round(weight)}

    def gallery(self) -> list[dict[str, Any]]:
        """The first test digits, for the page to choose one from."""
        chosen = self.test_idx[: LIMITS["gallery"]]
        return [
            {"pixels": _round(self.images[i, 0], 2), "label": int(self.labels[i])} for i in chosen
        ]

    def view(self) -> dict[str, Any]:
        """Everything the page shows after a change: one message."""
        truth = self.labels[self.test_idx]
        wrong = np.flatnonzero(self.test_pred != truth)[: LIMITS["misclassified"]]
        index = int(self.test_idx[self.chosen])
        layers, probabilities = self.feature_maps(self.images[index : index + 1])
        return {
            "type": "images",
            "step": self.step,
            "seed": self.seed,
            "history": self.history,
            "filters": self.filters(),
            "confusion": confusion_matrix(truth, self.test_pred, CLASSES).tolist(),
            "test_size": len(self.test_idx),
            "misclassified": [
                {
                    "pixels": _round(self.images[self.test_idx[i], 0], 2),
                    "label": int(truth[i]),
                    "predicted": int(self.test_pred[i]),
                }
                for i in wrong
            ],
            "chosen": {
                "index": self.chosen,
                "label": int(self.labels[index]),
                "layers": layers,
                "probabilities": _round(probabilities),
            },
        }

    def handle(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """Apply one checked message (from :func:`parse_message`); the replies to send."""
        kind = message["type"]
        if kind == "train":
            self.train(message["steps"])
        elif kind == "reset":
            self.reset(message["seed"])
        elif kind == "digit":
            self.chosen = message["index"]
        elif kind == "predict":
            layers, probabilities = self.feature_maps(message["pixels"])
            return [
                {
                    "type": "prediction",
                    "predicted": int(np.argmax(probabilities)),
                    "probabilities": _round(probabilities),
                    "layers": layers,
                }
            ]
        return [self.view()]

    def hello(self) -> dict[str, Any]:
        return {"type": "hello", "limits": LIMITS, "gallery": self.gallery(), "batch": BATCH}


def _json(message: dict[str, Any]) -> str:
    # NaN (the loss before any step) is not JSON: it goes as null
    return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


async def images_websocket(websocket: Any) -> None:
    """``/ws/images``: one :class:`ImagesSession` per page, messages answered in order."""
    async with page_slot(websocket) as admitted:
        if admitted:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                # (the page may go away mid-reply: starlette's disconnects are RuntimeErrors)
                await _serve(websocket)


async def _serve(websocket: Any) -> None:
    """Messages answered in order until the page goes away."""
    session = await asyncio.to_thread(ImagesSession)
    await websocket.send_text(_json(session.hello()))
    await websocket.send_text(_json(await asyncio.to_thread(session.view)))
    while (raw := await next_message(websocket)) is not None:
        try:
            replies = await asyncio.to_thread(session.handle, parse_message(raw))
        except ImagesError as err:
            replies = [{"type": "error", "message": str(err)}]
        except Exception as err:  # a bug: report it, keep the page's session alive
            log.exception("internal error in the images mode")
            text = f"internal error ({type(err).__name__}); the session goes on"
            replies = [{"type": "error", "message": text}]
        for reply in replies:
            await websocket.send_text(_json(reply))
