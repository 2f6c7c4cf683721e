"""Image data in the workflow: CnnSpec bounds (checked before allocating), the CNN network,
per-channel scaling, in-model augmentation, and CNN model files checked against their spec."""

from __future__ import annotations

import io

import numpy as np
import pytest

import nerve
from nerve.workflow import RunConfig, load_run, run
from nerve.workflow.cnnmodel import CnnSpec, build_cnn, spec_from_dict
from nerve.workflow.errors import DataError
from nerve.workflow.images import ImageAugment, ImageData, channel_scaler, load_image_source


def test_spec_bounds_before_allocating() -> None:
    with pytest.raises(DataError, match="at most 4096"):
        CnnSpec(input_shape=[1, 100_000, 8])
    with pytest.raises(DataError, match="feature-map values per image"):
        CnnSpec(input_shape=[3, 4096, 4096], channels=[64], pool=[1])
    with pytest.raises(DataError, match="parameters; at most 50,000,000"):
        CnnSpec(input_shape=[1, 512, 512], channels=[64], pool=[1], kernel=[3], hidden=[4096])
    with pytest.raises(DataError, match="kernel lists 2 values for 3 conv blocks"):
        CnnSpec(input_shape=[1, 28, 28], channels=[4, 4, 4], kernel=[3, 5])
    with pytest.raises(DataError, match="channels lists 17 conv blocks"):
        CnnSpec(input_shape=[1, 28, 28], channels=[2] * 17)
    with pytest.raises(DataError, match="malformed CNN spec"):
        spec_from_dict({"type": "cnn", "input_shape": [1, 8, 8], "evil": 1})


def test_cnn_shapes_and_parameter_count() -> None:
    spec = CnnSpec(
        [3, 12, 10],
        channels=[4, 6],
        kernel=[5, 3],
        stride=[1, 2],
        pool=[2, 1],
        batch_norm=True,
        hidden=[7],
        output_size=5,
    )
    model = build_cnn(spec, "multiclass")
    assert sum(p.numel() for p in model.parameters()) == spec.n_parameters()
    shapes = [tuple(p.shape) for n, p in model.named_parameters() if p.dim() in (2, 4)]
    assert shapes == spec.weight_shapes()
    out = model(nerve.randn(2, spec.input_size))
    assert out.shape == (2, 5)
    assert spec.feature_shapes() == [(4, 6, 5), (6, 3, 3)]


def test_channel_scaler_is_per_channel() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.random((50, 16)) * 0.1, 0.5 + rng.random((50, 16))], axis=1)
    s = channel_scaler("standard", X, (2, 4, 4))
    Z = s.transform(X).reshape(50, 2, 16)
    np.testing.assert_allclose(Z.mean(axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=(0, 2)), 1.0, atol=1e-4)
    assert np.allclose(channel_scaler("none", X, (2, 4, 4)).transform(X), X)


def test_augment_only_in_training_and_seeded() -> None:
    aug = ImageAugment(["flip", "crop", "rotate"])
    x = nerve.rand(4, 1, 8, 8)
    aug.eval()
    assert aug(x) is x
    aug.train()
    nerve.manual_seed(1)
    a = aug(x).numpy()
    nerve.manual_seed(1)
    np.testing.assert_array_equal(a, aug(x).numpy())
    assert a.shape == (4, 1, 8, 8) and not np.array_equal(a, x.numpy())


def test_image_data_keeps_its_shape() -> None:
    data = load_image_source("digits")
    part = data.subset(np.arange(5))
    assert isinstance(part, ImageData) and part.images().shape == (5, 1, 8, 8)
    assert data.X.min() >= 0.0 and data.X.max() <= 1.0
    with pytest.raises(DataError, match="does not match rows"):
        ImageData(np.zeros((2, 10)), np.array([0, 1]), "binary", image_shape=(1, 3, 3))


def test_model_file_spec_must_match_its_weights(tmp_path) -> None:
    cfg = RunConfig().override(
        {
            "data.source": "digits",
            "model.type": "cnn",
            "model.channels": "4",
            "model.hidden": "8",
            "training.epochs": "1",
            "output.dir": str(tmp_path / "r"),
            "output.plots": "false",
        }
    )
    result = run(cfg, quiet=True, out=io.StringIO())
    assert load_run(result.run_dir).predict(np.zeros((1, 64))).shape == (1,)
    path = result.run_dir / "model.safetensors"
    bundle = nerve.load(path)
    bundle["spec"]["channels"] = [1024]  # the file claims a far larger network
    nerve.save(bundle, path)
    with pytest.raises(DataError, match="key 'spec'.*the file stores weights"):
        load_run(result.run_dir)
    bundle["spec"]["input_shape"] = [1, 2_000_000, 8]
    nerve.save(bundle, path)
    with pytest.raises(DataError, match="key 'spec'.*at most 4096"):
        load_run(result.run_dir)
