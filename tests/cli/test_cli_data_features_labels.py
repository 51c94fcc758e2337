"""CLI shells over the data, features and labels libraries, run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tradewind.cli import app

runner = CliRunner()


def _csv(tmp_path: Path, rows: list[tuple]) -> Path:
    path = tmp_path / "candles.csv"
    frame = pd.DataFrame(rows, columns=["Date", "Open", "High", "Low", "Close", "Volume"])
    frame.to_csv(path, index=False)
    return path


def _good_rows(n: int = 50) -> list[tuple]:
    start = pd.Timestamp("2024-01-01T00:00:00Z")
    rows = []
    for i in range(n):
        price = 100.0 + i * 0.1
        rows.append(((start + pd.Timedelta(hours=i)).isoformat(), price, price + 0.5, price - 0.5,
                     price + 0.05, 10.0 + i))
    return rows


def test_data_validate_reports_hard_errors_with_exit_code(tmp_path: Path) -> None:
    rows = _good_rows()
    rows[10] = (rows[10][0], 100.0, 99.0, 98.0, 100.5, 5.0)  # high below open/close
    result = runner.invoke(app, ["data", "validate", "--data", str(_csv(tmp_path, rows))])
    assert result.exit_code == 3, result.output
    assert "high" in result.output.lower()


def test_data_validate_and_info_on_good_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, _good_rows())
    result = runner.invoke(app, ["data", "validate", "--data", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["data", "info", "--data", str(path)])
    assert result.exit_code == 0, result.output
    assert "50" in result.output


@pytest.mark.parametrize("store_option", ["--store", "--set"])
def test_data_import_into_store(tmp_path: Path, store_option: str) -> None:
    path = _csv(tmp_path, _good_rows())
    store = tmp_path / "store"
    where = str(store) if store_option == "--store" else f"store={store}"
    result = runner.invoke(app, ["data", "import", "--data", str(path), "--exchange", "binance",
                                 "--symbol", "BTC/USDT", "--timeframe", "1h", store_option, where])
    assert result.exit_code == 0, result.output
    target = store / "binance" / "BTC-USDT" / "1h.parquet"
    assert target.is_file()
    assert len(pd.read_parquet(target)) == 50


def test_features_compute_and_labels_inspect(tmp_path: Path, repo_root: Path) -> None:
    config = repo_root / "examples" / "quickstart.yaml"
    out = tmp_path / "feats.parquet"
    result = runner.invoke(app, ["features", "compute", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame.shape[1] == 15 and len(frame) > 4000
    result = runner.invoke(app, ["labels", "inspect", str(config), "--set", "labels.horizon=3"])
    assert result.exit_code == 0, result.output
    assert "UP" in result.output and "DOWN" in result.output


def _break(rows: list[tuple], rule: str) -> list[tuple]:
    rows = list(rows)
    if rule == "unsorted":
        rows[5], rows[6] = rows[6], rows[5]
    elif rule == "duplicate_timestamps":
        rows[6] = (rows[5][0], *rows[6][1:])
    elif rule == "non_positive_price":
        rows[7] = (rows[7][0], 100.0, 100.5, 99.5, 0.0, 1.0)
    elif rule == "nan":
        rows[8] = (rows[8][0], 100.0, 100.5, 99.5, float("nan"), 1.0)
    elif rule == "high_below_open_close":
        rows[9] = (rows[9][0], 100.0, 99.0, 98.0, 100.5, 1.0)
    elif rule == "empty":
        rows = []
    return rows


@pytest.mark.parametrize("rule", ["unsorted", "duplicate_timestamps", "non_positive_price", "nan",
                                  "high_below_open_close", "empty"])
def test_data_validate_exits_3_on_each_hard_rule(tmp_path: Path, rule: str) -> None:
    path = _csv(tmp_path, _break(_good_rows(), rule))
    result = runner.invoke(app, ["data", "validate", "--data", str(path), "--format", "json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.output)
    assert report["ok"] is False
    assert rule in {f["rule"] for f in report["findings"] if f["severity"] == "error"}, report
