"""``labels search``: finds a planted threshold, reads only the training period, writes a
label spec an experiment accepts, and refuses bad objectives and targets clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tradewind.cli import app
from tradewind.config import Experiment, validate_section
from tradewind.data import synthetic_market
from tradewind.exceptions import ConfigError
from tradewind.labels import LabelSpec, forward_returns, make_labels
from tradewind.research import load_label_spec, search_labels, write_label_spec

runner = CliRunner()


def _experiment(labels: dict[str, Any], **extra: Any) -> Experiment:
    raw: dict[str, Any] = {
        "name": "label-search-test",
        "data": {"source": "synthetic:random_walk"},
        "features": {"sets": ["core15"]},
        "labels": labels,
        "lookback": 8,
        "split": {"n_folds": 2, "min_train": 0.5, "val_fraction": 0.25},
        "registry": {"enabled": False},
        **extra,
    }
    return validate_section(Experiment, raw, "test experiment")


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return synthetic_market("random_walk", bars=2500, seed=4).candles


def test_balance_search_lands_on_the_planted_threshold(candles: pd.DataFrame) -> None:
    exp = _experiment({"kind": "ternary", "horizon": 2, "threshold": 0.001})
    result = search_labels(
        exp,
        objective="balance",
        n_trials=40,
        target=(0.25, 0.5, 0.25),
        seed=1,
        progress=False,
        candles=candles,
    )
    # the threshold that makes HOLD exactly half of the training period: the median |move|
    end = candles.index.get_loc(result.train_end) - 2
    moves = np.abs(forward_returns(candles["close"].to_numpy(), 2)[:end])
    planted = float(np.median(moves))
    found = result.spec.threshold
    assert result.spec.kind == "ternary" and result.spec.horizon == 2
    assert abs(found - planted) / planted < 0.1, (found, planted)
    assert abs(result.best.shares["HOLD"] - 0.5) < 0.03, result.best.shares
    assert result.best.value == min(t.value for t in result.trials if t.value is not None)
    # trial 0 is the experiment's own labels, for comparison
    assert result.trials[0].params == {"threshold": 0.001}
    assert result.current == result.trials[0]


def test_the_test_period_is_never_read(candles: pd.DataFrame) -> None:
    exp = _experiment(
        {"kind": "ternary", "horizon": 2, "adaptive": {"multiplier": 1.0, "window": 50}}
    )
    first = search_labels(exp, n_trials=12, seed=3, progress=False, candles=candles)
    later = candles.index >= first.train_end
    assert 0 < later.sum() < len(candles)
    rng = np.random.default_rng(0)
    changed = candles.copy()
    changed.loc[later] = changed.loc[later].mul(rng.uniform(0.7, 1.3, later.sum()), axis=0)
    second = search_labels(exp, n_trials=12, seed=3, progress=False, candles=changed)
    assert second.train_end == first.train_end
    assert [t.params for t in second.trials] == [t.params for t in first.trials]
    assert [t.value for t in second.trials] == [t.value for t in first.trials]
    assert second.spec.adaptive is not None and second.spec.adaptive.window == 50


def test_written_spec_is_a_valid_labels_section(candles: pd.DataFrame, tmp_path: Path) -> None:
    exp = _experiment(
        {
            "kind": "triple_barrier",
            "horizon": 6,
            "exits": {"take_profit": 2.0, "stop_loss": 1.0, "unit": "atr"},
        }
    )
    result = search_labels(
        exp,
        n_trials=8,
        seed=0,
        progress=False,
        candles=candles,
        horizons=[4, 6],
        bounds={"take_profit": (0.5, 3.0)},
    )
    assert set(result.bounds) == {"take_profit", "stop_loss", "horizon"}
    assert 0.5 <= result.spec.exits.take_profit <= 3.0
    path = write_label_spec(result, tmp_path / "labels.yaml")
    text = path.read_text()
    assert text.startswith("# labels found by `tradewind labels search`")
    assert load_label_spec(path) == result.spec
    raw = yaml.safe_load(text)
    assert LabelSpec.model_validate(raw) == result.spec
    merged = validate_section(Experiment, {**exp.model_dump(mode="json"), "labels": raw}, str(path))
    assert merged.labels == result.spec
    assert make_labels(candles, merged.labels).classes == ("SELL", "HOLD", "BUY")


def test_val_mcc_scores_a_cheap_model_on_later_training_rows(candles: pd.DataFrame) -> None:
    market = synthetic_market("planted", bars=2500, seed=5, edge=1.0).candles
    exp = _experiment({"kind": "ternary", "horizon": 1, "threshold": 0.002})
    result = search_labels(
        exp, objective="val_mcc", n_trials=6, seed=0, progress=False, candles=market
    )
    assert result.direction == "maximize"
    accepted = [t.value for t in result.trials if t.value is not None]
    assert accepted and result.best.value == max(accepted)
    assert -1.0 <= result.best.value <= 1.0
    assert result.best.value > 0.05  # the planted edge makes these labels predictable


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objective": "accuracy"}, "unknown objective 'accuracy'"),
        ({"target": (0.5, 0.5)}, "has 2 shares but the labels have 3 classes"),
        ({"target": (0.5, 0.5, 0.5)}, "summing to 1"),
        ({"objective": "val_mcc", "target": (0.3, 0.4, 0.3)}, "only used by objective 'balance'"),
        ({"bounds": {"multiplier": (0.5, 2.0)}}, "bounds for ['multiplier']"),
        ({"bounds": {"threshold": (0.02, 0.01)}}, "need 0 < low < high"),
        ({"model": "xgboost", "objective": "val_mcc"}, "unknown model 'xgboost'"),
    ],
)
def test_bad_arguments_say_what_to_fix(
    candles: pd.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    exp = _experiment({"kind": "ternary", "horizon": 2, "threshold": 0.001})
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        search_labels(exp, n_trials=2, progress=False, candles=candles, **kwargs)


def test_direction_labels_need_horizons_to_search(candles: pd.DataFrame) -> None:
    exp = _experiment({"kind": "direction", "horizon": 1})
    with pytest.raises(ConfigError, match="no threshold to search"):
        search_labels(exp, n_trials=2, progress=False, candles=candles)
    result = search_labels(exp, n_trials=4, progress=False, candles=candles, horizons=[1, 3])
    assert result.spec.horizon in (1, 3)


def test_cli_search_on_the_sample_data(tmp_path: Path, repo_root: Path) -> None:
    config = repo_root / "examples" / "quickstart.yaml"
    out = tmp_path / "best_labels.yaml"
    args = [
        "labels",
        "search",
        str(config),
        "--out",
        str(out),
        "--trials",
        "5",
        "--seed",
        "2",
        "--target",
        "0.3,0.4,0.3",
        "--no-progress",
        "--set",
        "labels.kind=ternary",
        "--set",
        "labels.horizon=3",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "chosen labels" in result.output and "HOLD share" in result.output
    spec = load_label_spec(out)
    assert spec.kind == "ternary" and spec.horizon == 3 and spec.threshold > 0
    # `tradewind` (cli.main) maps a ConfigError to exit code 2 and prints its message
    bad = runner.invoke(app, [*args[:-4], "--target", "0.5,0.5", "--set", "labels.kind=ternary"])
    assert isinstance(bad.exception, ConfigError) and bad.exception.exit_code == 2
    assert "has 2 shares but the labels have 3 classes" in str(bad.exception)
    bad = runner.invoke(app, [*args, "--objective", "sharpe"])
    assert isinstance(bad.exception, ConfigError)
    assert "unknown objective 'sharpe'" in str(bad.exception)
    bad = runner.invoke(app, [*args, "--bounds", "threshold=0.001"])
    assert isinstance(bad.exception, ConfigError) and "name=low,high" in str(bad.exception)


def test_a_label_spec_file_is_read_strictly(tmp_path: Path) -> None:
    twice = tmp_path / "twice.yaml"
    twice.write_text("kind: direction\nhorizon: 2\nhorizon: 4\n")
    with pytest.raises(ConfigError, match=r"twice\.yaml.*horizon"):
        load_label_spec(twice)
    listed = tmp_path / "list.yaml"
    listed.write_text("- kind: direction\n")
    with pytest.raises(ConfigError, match=r"list\.yaml: the top level must be a mapping"):
        load_label_spec(listed)
    with pytest.raises(ConfigError, match="not found"):
        load_label_spec(tmp_path / "missing.yaml")
