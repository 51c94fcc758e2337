"""A bad ``features:`` section is reported like any other config error: file, key, value."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewind.config import load_experiment
from tradewind.exceptions import ConfigError

HEAD = "data:\n  source: synthetic:random_walk?bars=400&seed=1\nlookback: 4\n"


@pytest.mark.parametrize(
    ("section", "key", "words"),
    [
        ("features:\n  sets: [core15, nope]\n", "features.sets", "unknown feature set 'nope'"),
        ("features:\n  params: {sma_fast: 30, sma_slow: 20}\n", "features.params",
         "sma_fast (30) must be smaller than sma_slow (20)"),
        ("features:\n  indicators:\n    - {name: RSI, alias: 9bad}\n",
         "features.indicators.0.alias", "must be a plain identifier"),
        ("features:\n  indicators:\n    - {name: SMA, params: {timeperiod: 20}}\n",
         "features.indicators.0", "not scale-free"),
        ("features:\n  higher_timeframes:\n    - {timeframe: 7x}\n",
         "features.higher_timeframes.0.timeframe", "7x"),
        ("features:\n  sets: [core15]\n  side_sets: [core15]\n", "features",
         "in both sets and side_sets"),
    ],
    ids=["set", "params", "alias", "indicator", "timeframe", "side_sets"],
)
def test_feature_spec_errors_name_the_file_and_key(
    tmp_path: Path, section: str, key: str, words: str
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(HEAD + section)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert f"{path}: {key}: " in message, message
    assert words in message, message


def test_two_feature_errors_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(HEAD + "features:\n  sets: [nope]\n  params: {rsi: 1}\n")
    with pytest.raises(ConfigError, match=r"2 problem\(s\)") as err:
        load_experiment(path)
    assert "features.sets" in str(err.value) and "features.params.rsi" in str(err.value)
