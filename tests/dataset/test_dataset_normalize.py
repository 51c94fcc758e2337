"""Normalizer: fit on training rows, transform, clip, robust, constant columns, schema, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from tradewind.dataset import Normalizer, NormalizerSpec
from tradewind.exceptions import ConfigError, DataError, NotFittedError, SchemaMismatchError

NAMES = ["ret_1", "rsi_14", "atr_pct", "volume_z", "hour_sin"]


@pytest.fixture
def X() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal([0.0, 50.0, 0.01, 3.0, 0.0], [0.01, 10.0, 0.002, 2.0, 0.7], size=(500, 5))


def test_standard_learns_mean_and_std_and_returns_float32(X):
    norm = Normalizer(kind="standard", clip=None).fit(X, NAMES)
    np.testing.assert_allclose(norm.center_, X.mean(axis=0))
    np.testing.assert_allclose(norm.scale_, X.std(axis=0))
    assert norm.feature_names_in_ == tuple(NAMES) and norm.n_features_in_ == 5
    assert norm.n_samples_seen_ == 500 and norm.constant_features_ == ()
    Z = norm.transform(X)
    assert Z.dtype == np.float32 and Z.shape == X.shape
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, atol=1e-5)


def test_only_the_rows_given_to_fit_shape_the_statistics(X):
    train, later = X[:300], X[300:] + 100.0  # a later regime must not leak into the scaler
    norm = Normalizer(clip=None).fit(train, NAMES)
    np.testing.assert_allclose(norm.center_, train.mean(axis=0))
    assert (norm.transform(later) > 5).all(axis=0).any()


def test_clip(X):
    big = X.copy()
    big[0, 1] = 1e6
    big[1, 1] = -1e6
    clipped = Normalizer(clip=3.0).fit(X, NAMES).transform(big)
    assert clipped[0, 1] == 3.0 and clipped[1, 1] == -3.0
    assert np.abs(clipped).max() <= 3.0
    unclipped = Normalizer(clip=None).fit(X, NAMES).transform(big)
    assert unclipped[0, 1] > 1e4


def test_robust_uses_median_and_iqr_and_ignores_outliers(X):
    dirty = X.copy()
    dirty[:10, 0] = 50.0  # 2 % wild outliers
    norm = Normalizer(kind="robust", clip=None).fit(dirty, NAMES)
    q25, q50, q75 = np.percentile(dirty, [25, 50, 75], axis=0)
    np.testing.assert_allclose(norm.center_, q50)
    np.testing.assert_allclose(norm.scale_, (q75 - q25) / 1.349)
    assert norm.scale_[0] < 0.02  # the std would be ~7
    assert Normalizer(kind="standard").fit(dirty, NAMES).scale_[0] > 5


def test_robust_zero_iqr_falls_back_to_std():
    mostly_zero = np.zeros((100, 1))
    mostly_zero[:10, 0] = 5.0  # e.g. volume on a thin market: 90 % zero bars
    norm = Normalizer(kind="robust").fit(mostly_zero, ["volume"])
    assert norm.iqr_fallback_features_ == ("volume",)
    np.testing.assert_allclose(norm.scale_, [mostly_zero.std()])


def test_constant_column_gets_scale_one_and_is_reported(X):
    X = X.copy()
    X[:, 2] = 7.0
    for kind in ("standard", "robust"):
        norm = Normalizer(kind=kind).fit(X, NAMES)
        assert norm.constant_features_ == ("atr_pct",)
        assert norm.scale_[2] == 1.0
        Z = norm.transform(X)
        assert (Z[:, 2] == 0).all() and np.isfinite(Z).all()


def test_none_is_identity_with_clip(X):
    Z = Normalizer(kind="none", clip=40.0).fit(X, NAMES).transform(X)
    np.testing.assert_allclose(Z, np.clip(X, -40, 40).astype(np.float32))


def test_wrong_number_of_features_has_sklearn_style_message(X):
    norm = Normalizer().fit(X, NAMES)
    with pytest.raises(SchemaMismatchError, match="X has 3 features, but Normalizer is expecting 5"):
        norm.transform(X[:, :3])


def test_check_features_lists_missing_and_unexpected(X):
    norm = Normalizer().fit(X, NAMES)
    norm.check_features(NAMES)
    with pytest.raises(SchemaMismatchError) as info:
        norm.check_features(["ret_1", "rsi_14", "macd"])
    message = str(info.value)
    assert "X has 3 features, but Normalizer is expecting 5" in message
    assert "missing: ['atr_pct', 'volume_z', 'hour_sin']" in message
    assert "unexpected: ['macd']" in message
    with pytest.raises(SchemaMismatchError, match="another order"):
        norm.check_features(list(reversed(NAMES)))
    with pytest.raises(SchemaMismatchError, match="unexpected"):
        norm.transform(X, feature_names=[*NAMES[:4], "minute_sin"])


def test_use_before_fit_raises_not_fitted(X):
    norm = Normalizer()
    for call in (lambda: norm.transform(X), norm.to_dict, lambda: norm.check_features(NAMES)):
        with pytest.raises(NotFittedError, match="call fit"):
            call()


def test_non_finite_inputs_are_refused_with_row_and_column(X):
    X = X.copy()
    X[42, 3] = np.nan
    with pytest.raises(DataError, match=r"row 42, column 'volume_z'"):
        Normalizer().fit(X, NAMES)
    norm = Normalizer().fit(X[:40], NAMES)
    with pytest.raises(DataError, match=r"row 42, column 'volume_z'"):
        norm.transform(X)


def test_bad_parameters_and_names(X):
    with pytest.raises(ConfigError, match="kind"):
        Normalizer(kind="minmax")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="clip"):
        Normalizer(clip=0.0)
    with pytest.raises(SchemaMismatchError, match="5 features but 4 feature names"):
        Normalizer().fit(X, NAMES[:4])
    with pytest.raises(SchemaMismatchError, match="duplicate"):
        Normalizer().fit(X, ["a", "a", "b", "c", "d"])


@pytest.mark.parametrize("kind", ["standard", "robust", "none"])
def test_json_round_trip_gives_identical_output(tmp_path, X, kind):
    X = X.copy()
    X[:, 4] = 1.5  # a constant column travels too
    norm = Normalizer(kind=kind, clip=4.0).fit(X[:400], NAMES)
    path = norm.save_json(tmp_path / "sub" / "normalizer.json")
    assert [p.name for p in path.parent.iterdir()] == ["normalizer.json"]  # no temp file left
    state = json.loads(path.read_text())
    assert state["format"] == "tradewind.normalizer" and state["feature_names_in"] == NAMES
    loaded = Normalizer.load_json(path)
    assert loaded.feature_names_in_ == norm.feature_names_in_
    assert loaded.constant_features_ == norm.constant_features_
    assert (loaded.kind, loaded.clip) == (kind, 4.0)
    np.testing.assert_array_equal(loaded.center_, norm.center_)
    np.testing.assert_array_equal(loaded.scale_, norm.scale_)
    np.testing.assert_array_equal(loaded.transform(X), norm.transform(X))
    again = Normalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
    np.testing.assert_array_equal(again.transform(X), norm.transform(X))


def test_from_dict_refuses_foreign_or_broken_state(tmp_path, X):
    state = Normalizer().fit(X, NAMES).to_dict()
    with pytest.raises(SchemaMismatchError, match=r"not a 'tradewind\.normalizer'"):
        Normalizer.from_dict({"mean_": [0.0]})
    with pytest.raises(SchemaMismatchError, match="version"):
        Normalizer.from_dict({**state, "version": 99})
    with pytest.raises(SchemaMismatchError, match="names"):
        Normalizer.from_dict({**state, "center": state["center"][:3]})
    with pytest.raises(SchemaMismatchError, match="scales > 0"):
        Normalizer.from_dict({**state, "scale": [0.0] * 5})
    broken = tmp_path / "n.json"
    broken.write_text("{not json")
    with pytest.raises(SchemaMismatchError, match="not valid JSON"):
        Normalizer.load_json(broken)


def test_spec():
    spec = NormalizerSpec()
    assert (spec.kind, spec.clip) == ("standard", 5.0)
    norm = Normalizer.from_spec(NormalizerSpec(kind="robust", clip=None))
    assert (norm.kind, norm.clip) == ("robust", None)
    with pytest.raises(ValidationError):
        NormalizerSpec.model_validate({"kind": "robust", "clipp": 3})
    with pytest.raises(ValidationError):
        NormalizerSpec(clip=-1.0)


def test_far_outside_finds_the_first_value_beyond_the_given_scales(X):
    norm = Normalizer(kind="robust").fit(X, NAMES)
    assert norm.far_outside(X, 1e6) is None
    rows = X[:4].copy()
    rows[2, 1] = norm.center_[1] + 2e6 * norm.scale_[1]
    rows[3, 0] = np.inf
    assert norm.far_outside(rows, 1e6) == (2, 1)
    assert norm.far_outside(rows[3:], 1e6) == (0, 0)  # non-finite counts as far outside
