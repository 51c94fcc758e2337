"""``tradewind features compute`` with a ``features.cross`` reference, through the installed
script: the columns appear, and a reference that does not span the data exits 3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

TRADEWIND = Path(sys.executable).parent / "tradewind"

EXPERIMENT = """\
data:
  source: synthetic:random_walk?bars=600&seed=1&timeframe=1h&start=2020-01-05
features:
  sets: [core15]
  cross:
    - source: "{hourly}"
      name: btc
      returns: [1, 3]
      features: [rsi, volume_z]
      correlation: [24]
      beta: [24]
    - source: synthetic:random_walk?bars=250&seed=3&timeframe=1d&start=2019-06-01
      name: daily
      timeframe: 1d
      returns: [1]
"""


def _run(tmp_path: Path, hourly: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    config = tmp_path / "exp.yaml"
    config.write_text(EXPERIMENT.format(hourly=hourly))
    out = tmp_path / "feats.parquet"
    result = subprocess.run(
        [str(TRADEWIND), "features", "compute", str(config), "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    return result, out


def test_features_compute_with_cross_references(tmp_path: Path) -> None:
    result, out = _run(tmp_path, "synthetic:random_walk?bars=900&seed=2&timeframe=1h&start=2020-01-01")
    assert result.returncode == 0, result.stdout + result.stderr
    frame = pd.read_parquet(out)
    cross = ["btc_logret_1", "btc_logret_3", "btc_rsi", "btc_volume_z", "btc_corr_24",
             "btc_beta_24", "daily_logret_1"]
    assert list(frame.columns[-len(cross):]) == cross
    assert frame.index[-1] == pd.Timestamp("2020-01-05", tz="UTC") + pd.Timedelta(hours=599)
    # the daily return changes only once a day, on the bar whose close ends the day
    changes = frame.index[frame["daily_logret_1"].diff().fillna(0) != 0]
    assert len(changes) > 5 and (changes.hour == 23).all()


def test_features_compute_refuses_a_reference_that_ends_early(tmp_path: Path) -> None:
    short = "synthetic:random_walk?bars=300&seed=2&timeframe=1h&start=2020-01-01"
    result, out = _run(tmp_path, short)
    assert result.returncode == 3, result.stdout + result.stderr
    message = " ".join((result.stdout + result.stderr).split())
    assert f"features.cross 'btc' ({short}) does not cover the instrument" in message
    assert "2020-01-13 12:00:00+00:00" in message  # the first bar after the reference
    assert not out.exists()


def test_the_documented_example_on_real_candles(repo_root: Path, shared_data: Path) -> None:
    """examples/cross_asset.yaml: ADA/BTC 5m with ETH/BTC 5m and BTC/USD daily references."""
    from tradewind.config import load_experiment
    from tradewind.features import compute
    from tradewind.pipeline.prepare import load_candles

    def local(source: str) -> str:
        return str(shared_data / Path(source).name)

    exp = load_experiment(repo_root / "examples" / "cross_asset.yaml")
    for ref in exp.features.cross:
        ref.source = local(ref.source)
    feats = compute(load_candles(exp, local(exp.data.source)), exp.features)
    assert feats.names[15:] == [
        "eth_logret_1", "eth_logret_3", "eth_logret_12", "eth_rsi", "eth_volume_z",
        "eth_corr_96", "eth_beta_96", "btc_logret_1", "btc_logret_7", "btc_rsi"]
    daily = feats.frame["btc_logret_1"]
    changes = daily.index[daily.diff().fillna(0) != 0]
    assert len(changes) >= 15
    assert ((changes.hour == 23) & (changes.minute == 55)).all()  # the bar closing the day
