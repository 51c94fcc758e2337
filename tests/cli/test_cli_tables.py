"""Tables on an 80-column terminal keep identifiers whole; piped tables are plain text."""

from __future__ import annotations

import io

import pytest

from tradewind.cli import common

PRESETS = [("goldenbreeze_v4_lite", "seed 000", "transformer_lite ← lstm", "direction, h=1",
            "bitstamp-coinbase_BTC-USD_1d.parquet", "REFUSED, MCC +0.041 [+0.014, +0.070]"),
           ("crpbot_lstm", "seed 003", "lstm", "direction, h=15",
            "binanceus_BTC-USD_1m.parquet", "not run here")]
PRESET_COLUMNS = ["preset", "rebuilds", "model", "labels", "data", "measured"]
VERSIONS = [("12", "champion, candidate", "2026-12-04 05:20", "+0.022", "-0.013", "0.041",
             "REFUSED", "ab12cd34")]
VERSION_COLUMNS = ["ver", "aliases", "created (UTC)", "MCC", "CI low", "ECE", "gate", "run"]


def _render(monkeypatch: pytest.MonkeyPatch, terminal: bool, *args, **kwargs) -> str:
    out = io.StringIO()
    console = common._Console(file=out, width=80, force_terminal=terminal, color_system=None)
    monkeypatch.setattr(common, "console", console)
    if not terminal:
        monkeypatch.setattr(common.typer, "echo", lambda text: out.write(text + "\n"))
    common.print_table(*args, **kwargs)
    return out.getvalue()


def test_terminal_table_never_folds_the_name_column(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _render(monkeypatch, True, "Presets", PRESET_COLUMNS, PRESETS, no_wrap=("preset",))
    assert max(len(line) for line in text.splitlines()) <= 80
    for name, *_ in PRESETS:
        assert any(line.startswith(name + " ") for line in text.splitlines()), text


def test_models_table_fits_80_columns_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    keep = [c for c in VERSION_COLUMNS if c != "aliases"]
    text = _render(monkeypatch, True, "Model versions", VERSION_COLUMNS, VERSIONS, no_wrap=keep)
    assert max(len(line) for line in text.splitlines()) <= 80
    row = next(line for line in text.splitlines() if line.startswith("12 "))
    for value in ("2026-12-04 05:20", "+0.022", "-0.013", "0.041", "REFUSED", "ab12cd34"):
        assert value in row, text
    assert "…" not in text, text


def test_piped_table_is_plain_and_unwrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _render(monkeypatch, False, "[bold]Presets[/]", PRESET_COLUMNS, PRESETS)
    lines = text.splitlines()
    assert lines[0] == "Presets"
    assert lines[1].split()[:2] == ["preset", "rebuilds"]
    assert lines[2].startswith("goldenbreeze_v4_lite  ") and lines[2].endswith("[+0.014, +0.070]")
    assert len(lines) == 4 and not set(text) & set("│┃━─")
