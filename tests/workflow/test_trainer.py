"""Trainer, History, callbacks and the model builder: the lecture's training loop, packaged."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.workflow import (
    ArrayData,
    Callback,
    DataError,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ModelSpec,
    Trainer,
    build_loss,
    build_model,
    class_weights,
    load_sklearn,
    make_imbalanced,
    make_scaler,
    make_toy,
    recall,
    train_val_test_split,
)
from nerve.workflow.model import (
    ClassWeightedBCELoss,
    head_of,
    output_size,
    outputs_to_proba,
    resolve_loss,
)


def _splits(data: ArrayData, seed: int = 0) -> tuple[ArrayData, ArrayData, ArrayData]:
    """Stratified split with a scaler fitted on the training part, as the workflow does."""
    tr, va, te = train_val_test_split(
        data.y, 0.2, 0.2, stratify=data.task != "regression", seed=seed
    )
    scaler = make_scaler("standard").fit(data.X[tr])
    scaled = ArrayData(
        scaler.transform(data.X), data.y, data.task, data.name, data.feature_names, data.class_names
    )
    return scaled.subset(tr), scaled.subset(va), scaled.subset(te)


def _lecture_trainer(seed: int = 0, **kwargs) -> Trainer:
    """2 inputs -> 8 hidden (tanh) -> 1 output (sigmoid), BCE, SGD lr 0.01."""
    nerve.manual_seed(seed)
    spec = ModelSpec(input_size=2, hidden=[8], output_size=1, activation="tanh")
    model = build_model(spec, "binary")
    optimizer = nerve.optim.SGD(model.parameters(), lr=0.01)
    options = {"epochs": 50, "batch_size": 1, "seed": seed, "progress": False, **kwargs}
    return Trainer(model, build_loss("binary"), optimizer, **options)


def test_lecture_network_reaches_100_percent_on_xor() -> None:
    train, val, test = _splits(make_toy("xor", n_samples=400, noise=0.0, seed=0, margin=0.2))
    trainer = _lecture_trainer()
    history = trainer.fit(train, val)
    assert len(history) == 50
    assert trainer.evaluate(test)["accuracy"] == 1.0
    assert history["train_loss"][-1] < history["train_loss"][0] / 5


def test_mlp_reaches_95_percent_on_digits() -> None:
    train, val, test = _splits(load_sklearn("digits"))
    nerve.manual_seed(0)
    spec = ModelSpec(64, [64], output_size("multiclass", 10), activation="relu")
    model = build_model(spec, "multiclass")
    optimizer = nerve.optim.Adam(model.parameters(), lr=1e-3)
    trainer = Trainer(
        model, build_loss("multiclass"), optimizer, epochs=15, batch_size=32, seed=0, progress=False
    )
    history = trainer.fit(train, val)
    metrics = trainer.evaluate(test)
    assert metrics["accuracy"] >= 0.95, metrics
    assert history["val_accuracy"][-1] >= 0.9
    assert trainer.predict(test.X).shape == (len(test),)
    proba = trainer.predict_proba(test.X)
    assert proba.shape == (len(test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_history_lengths_and_keys() -> None:
    data = make_toy("gaussian", n_samples=60, seed=1)
    train, val, _ = _splits(data)
    trainer = _lecture_trainer(epochs=4, batch_size=8)
    history = trainer.fit(train, val)
    assert len(history) == 4
    assert history.keys() == [
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "time",
    ]
    assert all(len(history[k]) == 4 for k in history.history)
    assert [row["epoch"] for row in history.rows()] == [1, 2, 3, 4]
    history = _lecture_trainer(epochs=3, batch_size=8).fit(train)  # no validation data
    assert history.keys() == ["train_loss", "train_accuracy", "lr", "time"]
    with pytest.raises(KeyError, match="val_loss"):
        history["val_loss"]


def test_history_to_csv(tmp_path) -> None:
    history = History()
    history.append({"train_loss": 0.5, "lr": 0.1})
    history.append({"train_loss": 0.25, "lr": 0.1})
    history.to_csv(tmp_path / "h.csv")
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines == ["epoch,train_loss,lr", "1,0.5,0.1", "2,0.25,0.1"]
    assert history.best("train_loss") == (2, 0.25)


def test_same_seed_same_history() -> None:
    train, val, _ = _splits(make_toy("moons", n_samples=80, noise=0.2, seed=0))

    def fit() -> dict[str, list[float]]:
        nerve.manual_seed(3)
        model = build_model(ModelSpec(2, [8], 1, "relu", dropout=0.2), "binary")
        opt = nerve.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        trainer = Trainer(
            model, build_loss("binary"), opt, epochs=3, batch_size=8, seed=3, progress=False
        )
        h = trainer.fit(train, val).history
        return {k: v for k, v in h.items() if k != "time"}

    first, second = fit(), fit()
    assert first == second


def _flipped(data: ArrayData) -> ArrayData:
    return ArrayData(data.X, 1 - data.y, data.task, data.name, data.feature_names, data.class_names)


def test_early_stopping_stops_and_restores_best_weights() -> None:
    # Validation labels are the training labels flipped: the better the model fits, the worse
    # the validation loss, so the best epoch is the first.
    train, _, _ = _splits(make_toy("gaussian", n_samples=100, seed=0))
    snapshots: list[dict[str, np.ndarray]] = []

    def remember(trainer: Trainer, epoch: int, logs: dict) -> None:
        snapshots.append({k: v.numpy().copy() for k, v in trainer.model.state_dict().items()})

    stopper = EarlyStopping(monitor="val_loss", patience=2)
    trainer = _lecture_trainer(
        epochs=20, batch_size=4, callbacks=[stopper, LambdaCallback(on_epoch_end=remember)]
    )
    history = trainer.fit(train, _flipped(train))
    assert len(history) == 3  # the best epoch, then `patience` epochs without improvement
    assert stopper.best_epoch == 1 and stopper.stopped_epoch == 3
    assert "early stopping" in trainer.stop_reason
    restored = trainer.model.state_dict()
    for key, value in snapshots[0].items():
        np.testing.assert_array_equal(restored[key].numpy(), value)
    assert trainer.evaluate(_flipped(train))["loss"] == pytest.approx(history["val_loss"][0])


def test_early_stopping_mode_and_missing_monitor() -> None:
    assert EarlyStopping("val_accuracy").maximize
    assert not EarlyStopping("val_loss").maximize
    assert EarlyStopping("val_loss", mode="max").maximize
    with pytest.raises(DataError, match="mode"):
        EarlyStopping(mode="up")
    train, _, _ = _splits(make_toy("gaussian", n_samples=40, seed=0))
    trainer = _lecture_trainer(epochs=2, batch_size=8, callbacks=[EarlyStopping("val_loss")])
    with pytest.raises(DataError, match="validation data"):
        trainer.fit(train)  # nothing to monitor without validation data


def test_model_checkpoint_writes_loadable_files(tmp_path) -> None:
    train, val, _ = _splits(make_toy("gaussian", n_samples=60, seed=0))
    every = ModelCheckpoint(tmp_path / "epoch{epoch}.safetensors", save_best_only=False)
    best = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_loss")
    trainer = _lecture_trainer(epochs=3, batch_size=8, callbacks=[every, best])
    trainer.fit(train, val)
    assert sorted(p.name for p in tmp_path.glob("epoch*")) == [
        "epoch1.safetensors",
        "epoch2.safetensors",
        "epoch3.safetensors",
    ]
    assert best.saved and best.saved[-1] == tmp_path / "best.safetensors"
    fresh = build_model(ModelSpec(2, [8], 1, "tanh"), "binary")
    fresh.load_state_dict(nerve.load(tmp_path / "epoch3.safetensors"))  # strict: all keys
    with nerve.no_grad():
        x = nerve.from_numpy(val.X)
        np.testing.assert_allclose(fresh(x).numpy(), trainer.model(x).numpy(), rtol=1e-6)
    assert not list(tmp_path.glob("*.tmp"))  # written atomically


def test_user_callback_can_stop_training() -> None:
    class StopAtTwo(Callback):
        def __init__(self) -> None:
            self.events: list[str] = []

        def on_train_begin(self, trainer, logs):
            self.events.append("begin")

        def on_epoch_end(self, trainer, epoch, logs):
            self.events.append(f"epoch{epoch}")
            if epoch == 2:
                trainer.stop("enough")

        def on_train_end(self, trainer, logs):
            self.events.append("end")

    cb = StopAtTwo()
    train, _, _ = _splits(make_toy("gaussian", n_samples=40, seed=0))
    trainer = _lecture_trainer(epochs=10, batch_size=8, callbacks=[cb])
    assert len(trainer.fit(train)) == 2
    assert cb.events == ["begin", "epoch1", "epoch2", "end"]
    assert trainer.stop_reason == "enough"


def _imbalanced() -> ArrayData:
    data = make_imbalanced(make_toy("gaussian", n_samples=600, noise=1.0, seed=0), 0.1)
    scaler = make_scaler("standard").fit(data.X)
    return ArrayData(scaler.transform(data.X), data.y, "binary", "imb")


def _minority_predictions(loss_fn: nn.Module, sampler: bool = False) -> tuple[int, float]:
    """How often a model trained on imbalanced data predicts the minority class, and its recall."""
    data = _imbalanced()
    nerve.manual_seed(0)
    model = build_model(ModelSpec(2, [8], 1, "tanh"), "binary")
    opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(
        model,
        loss_fn,
        opt,
        epochs=15,
        batch_size=16,
        seed=0,
        progress=False,
        weighted_sampling=sampler,
    )
    trainer.fit(data)
    predicted = trainer.predict(data.X)
    return int((predicted == 1).sum()), recall(data.y, predicted)


def test_class_weights_and_weighted_sampler_take_effect() -> None:
    data = _imbalanced()
    weights = class_weights(data.y, 2)
    assert weights[1] > 5 * weights[0]
    plain, plain_recall = _minority_predictions(build_loss("binary"))
    weighted, weighted_recall = _minority_predictions(build_loss("binary", class_weights=weights))
    sampled, sampled_recall = _minority_predictions(build_loss("binary"), sampler=True)
    # Both remedies make the minority class count: predicted more often, recalled better.
    assert weighted > 1.5 * plain and weighted_recall > plain_recall
    assert sampled > 1.5 * plain and sampled_recall > plain_recall


def test_class_weighted_losses() -> None:
    ce = build_loss("multiclass", class_weights=[1.0, 2.0, 3.0])
    assert isinstance(ce, nn.CrossEntropyLoss) and ce.weight.tolist() == [1.0, 2.0, 3.0]
    logits = build_loss("binary", "bce_with_logits", class_weights=[0.5, 2.0])
    assert logits.pos_weight.tolist() == [4.0]
    bce = build_loss("binary", class_weights=[1.0, 3.0])
    assert isinstance(bce, ClassWeightedBCELoss)
    p, y = nerve.tensor([[0.8], [0.3]]), nerve.tensor([[1.0], [0.0]])
    expected = -(3.0 * np.log(0.8) + 1.0 * np.log(0.7)) / 2
    assert bce(p, y).item() == pytest.approx(expected, rel=1e-5)
    with pytest.raises(DataError, match="classification loss"):
        build_loss("binary", "mse", class_weights=[1.0, 2.0])


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_l1_and_l2_penalties_add_their_gradient(penalty: str) -> None:
    # One full-batch SGD step from the same start, with and without the penalty: the weights
    # differ by exactly lr * d(penalty)/dw (sign(w) for L1, w for L2); biases are not penalised.
    train, _, _ = _splits(make_toy("gaussian", n_samples=40, seed=0))

    def one_step(coef: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        nerve.manual_seed(0)
        model = build_model(ModelSpec(2, [8], 1, "tanh"), "binary")
        start = {k: v.numpy().copy() for k, v in model.state_dict().items()}
        opt = nerve.optim.SGD(model.parameters(), lr=0.5)
        Trainer(
            model,
            nn.BCELoss(),
            opt,
            epochs=1,
            batch_size=len(train),
            progress=False,
            **{penalty: coef},
        ).fit(train)
        return start, {k: v.numpy() for k, v in model.state_dict().items()}

    start, plain = one_step(0.0)
    _, penalised = one_step(0.1)
    for key, w in start.items():
        grad = (np.sign(w) if penalty == "l1" else w) if w.ndim > 1 else 0.0
        np.testing.assert_allclose(penalised[key] - plain[key], -0.5 * 0.1 * grad, atol=1e-6)


def test_grad_clip_bounds_each_step() -> None:
    train, _, _ = _splits(make_toy("gaussian", n_samples=40, seed=0))
    nerve.manual_seed(0)
    model = build_model(ModelSpec(2, [8], 1, "tanh"), "binary")
    before = nn.utils.parameters_to_vector(model.parameters()).detach().numpy().copy()
    opt = nerve.optim.SGD(model.parameters(), lr=1.0)
    # One step on the whole data set: the update is lr * clipped gradient.
    Trainer(
        model, nn.BCELoss(), opt, epochs=1, batch_size=len(train), grad_clip=1e-3, progress=False
    ).fit(train)
    after = nn.utils.parameters_to_vector(model.parameters()).detach().numpy()
    assert np.linalg.norm(after - before) == pytest.approx(1e-3, rel=1e-3)
    with pytest.raises(DataError, match="grad_clip"):
        Trainer(model, nn.BCELoss(), opt, grad_clip=-1.0)


def test_schedulers_are_stepped() -> None:
    train, val, _ = _splits(make_toy("gaussian", n_samples=60, seed=0))
    trainer = _lecture_trainer(epochs=4, batch_size=8)
    trainer.scheduler = nerve.optim.lr_scheduler.StepLR(trainer.optimizer, step_size=2, gamma=0.5)
    history = trainer.fit(train, val)
    assert history["lr"] == [0.01, 0.01, 0.005, 0.005]  # the lr each epoch trained with
    trainer = _lecture_trainer(epochs=2, batch_size=8)
    steps = 2 * int(np.ceil(len(train) / 8))
    trainer.scheduler = nerve.optim.lr_scheduler.OneCycleLR(
        trainer.optimizer, max_lr=0.1, total_steps=steps, cycle_momentum=False
    )
    trainer.fit(train)  # stepped once per batch: exactly total_steps, no error
    assert trainer.scheduler.last_epoch == steps


def test_regression_and_logit_heads() -> None:
    train, val, test = _splits(make_toy("plane", n_samples=100, noise=0.05, seed=0))
    nerve.manual_seed(0)
    model = build_model(ModelSpec(2, [16], 1, "relu"), "regression")
    trainer = Trainer(
        model,
        build_loss("regression"),
        nerve.optim.Adam(model.parameters(), 0.01),
        epochs=20,
        batch_size=16,
        seed=0,
        progress=False,
    )
    history = trainer.fit(train, val)
    assert "val_mse" in history and trainer.predict(test.X).shape == (len(test),)
    assert trainer.evaluate(test)["r2"] > 0.8
    assert head_of(nn.BCEWithLogitsLoss(), "binary") == "logit"
    assert head_of(nn.CrossEntropyLoss(), "binary") == "logits"
    assert head_of(nn.MSELoss(), "regression") == "value"
    np.testing.assert_allclose(outputs_to_proba(np.array([[0.0]]), "logit"), [[0.5, 0.5]])


def test_model_spec_checks() -> None:
    spec = ModelSpec(4, [8, 6], 3, ["relu", "gelu"], dropout=0.1, batch_norm=True)
    model = build_model(spec, "multiclass")
    kinds = [type(m).__name__ for m in model]
    assert kinds == [
        "Linear",
        "BatchNorm1d",
        "ReLU",
        "Dropout",
        "Linear",
        "BatchNorm1d",
        "GELU",
        "Dropout",
        "Linear",
    ]
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    assert [type(m).__name__ for m in build_model(ModelSpec(2, [], 1, "relu"), "binary")] == [
        "Linear",
        "Sigmoid",
    ]
    assert resolve_loss("regression") == "mse"
    with pytest.raises(DataError, match="activation"):
        ModelSpec(2, [8], 1, "swish")
    with pytest.raises(DataError, match="2 activations for 1 hidden"):
        ModelSpec(2, [8], 1, ["relu", "tanh"])
    with pytest.raises(DataError, match="does not suit a multiclass"):
        resolve_loss("multiclass", "bce")
    with pytest.raises(DataError, match="output_size"):
        build_model(ModelSpec(2, [8], 2, "relu"), "binary")
    with pytest.raises(DataError, match="batch_size 1"):
        Trainer(
            model,
            build_loss("multiclass"),
            nerve.optim.SGD(model.parameters(), 0.1),
            batch_size=1,
            progress=False,
        ).fit(load_sklearn("iris"))


def test_progress_false_prints_nothing(capsys) -> None:
    train, _, _ = _splits(make_toy("gaussian", n_samples=40, seed=0))
    _lecture_trainer(epochs=2, batch_size=8, progress=True).fit(train)  # stdout is no terminal
    _lecture_trainer(epochs=2, batch_size=8, progress=False).fit(train)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------------ the single training step


def _twin_models(seed: int = 3) -> tuple[nn.Module, nn.Module]:
    nerve.manual_seed(seed)
    a = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1), nn.Sigmoid())
    b = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1), nn.Sigmoid())
    b.load_state_dict(a.state_dict())
    return a, b


@pytest.mark.parametrize("l1,l2,clip", [(0.0, 0.0, None), (0.01, 0.0, None), (0.0, 0.1, 0.5)])
def test_train_step_is_the_lectures_loop_body(l1: float, l2: float, clip: float | None) -> None:
    from nerve.workflow.step import add_weight_penalty, penalized_weights, train_step

    rng = np.random.default_rng(0)
    x = nerve.from_numpy(rng.normal(size=(8, 2)).astype(np.float32))
    y = nerve.from_numpy((rng.random((8, 1)) > 0.5).astype(np.float32))
    ours, written = _twin_models()
    opt_a = nerve.optim.SGD(ours.parameters(), lr=0.3, momentum=0.9)
    opt_b = nerve.optim.SGD(written.parameters(), lr=0.3, momentum=0.9)
    for _ in range(3):
        loss, out = train_step(ours, nn.BCELoss(), opt_a, x, y, l1=l1, l2=l2, grad_clip=clip)
        # The loop written out by hand, penalty by its formula.
        opt_b.zero_grad()
        expected = nn.BCELoss()(written(x), y)
        weights = [written[0].weight, written[2].weight]
        total = expected + l1 * sum(w.abs().sum() for w in weights) if l1 else expected
        total = total + 0.5 * l2 * sum((w * w).sum() for w in weights) if l2 else total
        total.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(written.parameters(), clip)
        opt_b.step()
        assert loss.item() == expected.item()  # the data loss, without the penalty
        assert out.shape == (8, 1)
    for p, q in zip(ours.parameters(), written.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert [tuple(w.shape) for w in penalized_weights(ours)] == [(5, 2), (1, 5)]
    w = nerve.tensor([[1.0, -2.0]])
    value = add_weight_penalty(nerve.tensor(0.5), [w], l1=0.1, l2=0.2).item()
    assert value == pytest.approx(0.5 + 0.1 * 3.0 + 0.1 * 5.0)
