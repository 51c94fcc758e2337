"""``tradewind backtest``: a bundle's trades after costs on candles it was not trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import SetOption, console, print_table

__all__ = ["backtest"]


def backtest(
    bundle: Annotated[Path, typer.Argument(help="Bundle directory (from `tradewind run`).")],
    data: Annotated[str, typer.Option(help="Candles: path, sample:, synthetic: or store:.")],
    out: Annotated[Path, typer.Option(help="Where equity, trades and the chart go.")] = Path(
        "out/backtest"
    ),
    from_: Annotated[
        str | None, typer.Option("--from", help="First bar to trade (default: after training).")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Last bar to trade.")] = None,
    allow_in_sample: Annotated[
        bool, typer.Option(help="Also trade bars the model was trained on (labelled in-sample).")
    ] = False,
    set_: SetOption = None,
) -> None:
    """Backtest a bundle after fees and slippage; --set keys are those of `backtest:`."""
    import pandas as pd

    from tradewind.artifacts.bundle import load_bundle
    from tradewind.backtest import BacktestConfig
    from tradewind.backtest.of_bundle import backtest_bundle
    from tradewind.config import BacktestSpec, apply_overrides, parse_overrides, validate_section
    from tradewind.data import load, write_bytes_atomic, write_parquet_atomic, write_text_atomic
    from tradewind.report.charts import equity_png

    spec = validate_section(BacktestSpec, apply_overrides({}, parse_overrides(set_ or [])), "--set")
    loaded = load_bundle(bundle)
    done = backtest_bundle(
        loaded, load(data), exits=spec.exits, signal=spec.signal, start=from_, end=to,
        allow_in_sample=allow_in_sample,
        config=BacktestConfig(initial_equity=spec.initial_equity, fee_bps=spec.fee_bps,
                              slippage_bps=spec.slippage_bps, long_only=spec.signal.long_only),
    )
    stats = done.stats.to_dict()
    title = f"Backtest {done.start} → {done.end} after {spec.fee_bps} bps fee + {spec.slippage_bps} bps slippage"
    if done.in_sample_bars:
        title = f"[bold red]IN-SAMPLE ({done.in_sample_bars} bars the model was trained on)[/] " + title
    print_table(title, ["statistic", "value"], [(k, _fmt(v)) for k, v in stats.items()],
                no_wrap=("statistic", "value"))
    out.mkdir(parents=True, exist_ok=True)
    result = done.result
    hold = spec.initial_equity * result.close / result.close[0]
    curve = pd.DataFrame({"equity": result.equity, "buy_and_hold": hold}, index=result.index)
    write_parquet_atomic(curve, out / "equity.parquet")
    write_parquet_atomic(result.trades, out / "trades.parquet")
    write_text_atomic(out / "trades.csv", result.trades.to_csv(index=False))
    write_bytes_atomic(out / "equity.png",
                       equity_png(result.equity, list(result.index), benchmark=hold))
    write_text_atomic(out / "stats.json", json.dumps(
        {**stats, "in_sample_bars": done.in_sample_bars, "exits": done.exits.model_dump()}, indent=2))
    console.print(f"wrote {out}/equity.parquet, trades.parquet, trades.csv, equity.png, stats.json")


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
