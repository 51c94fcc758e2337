"""``tradewind backtest``: a bundle's trades after costs on candles it was not trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import ReferenceOption, SetOption, console, print_table

__all__ = ["backtest"]


def backtest(
    bundle: Annotated[Path, typer.Argument(
        help="Bundle directory (from `tradewind run`; a run over several symbols: its "
        "bundle folder, with --symbol).")],
    data: Annotated[str, typer.Option(help="Candles: path, sample:, synthetic: or store:.")],
    symbol: Annotated[str | None, typer.Option(
        help="Whose bundle to trade, in a bundle of several symbols (the candles are that "
        "symbol's).")] = None,
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
    reference: ReferenceOption = None,
) -> None:
    """Backtest a bundle after fees and slippage with its own trade policy.

    ``--set`` keys are those of `backtest:` (costs), and ``policy.*`` overrides the bundle's
    trade policy (e.g. ``--set policy.threshold=0.6``). A run over several symbols is
    backtested one symbol at a time: its bundle folder and ``--symbol``.
    """
    import pandas as pd

    from tradewind.artifacts.universe import bundle_for
    from tradewind.backtest.of_bundle import backtest_bundle
    from tradewind.config import BacktestSpec, apply_overrides, parse_overrides, validate_section
    from tradewind.data import load, write_bytes_atomic, write_parquet_atomic, write_text_atomic
    from tradewind.exceptions import ConfigError
    from tradewind.features.cross import references_from_pairs
    from tradewind.report.charts import equity_png

    pairs = parse_overrides(set_ or [])
    policy_keys = {k: v for k, v in pairs.items() if k.startswith("policy.")}
    rest = {k: v for k, v in pairs.items() if not k.startswith("policy.")}
    if any(k == "exits" or k.startswith("exits.") for k in rest):
        raise ConfigError("backtest --set exits.*: the exits belong to the trade policy; use "
                          "--set policy.exits.stop_loss=... (and so on)")
    spec = validate_section(BacktestSpec, apply_overrides({}, rest), "--set")
    loaded = bundle_for(bundle, symbol)
    references = references_from_pairs(loaded.feature_spec.cross, reference)
    done = backtest_bundle(
        loaded, load(data), policy=loaded.policy.with_overrides(policy_keys, "--set"),
        start=from_, end=to, allow_in_sample=allow_in_sample, config=spec.costs(),
        references=references,
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
        {**stats, "in_sample_bars": done.in_sample_bars, "policy": done.policy.model_dump(mode="json")}, indent=2))
    console.print(f"wrote {out}/equity.parquet, trades.parquet, trades.csv, equity.png, stats.json")


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
