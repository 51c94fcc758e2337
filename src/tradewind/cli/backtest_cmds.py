"""``tradewind backtest``: a bundle's trades after costs on candles it was not trained on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tradewind.cli.common import (
    ReferenceOption,
    SetOption,
    console,
    print_table,
    symbol_sources,
)

__all__ = ["backtest"]


def backtest(
    bundle: Annotated[Path, typer.Argument(
        help="Bundle directory (from `tradewind run`; a run over several symbols: its "
        "bundle folder, with --symbol).")],
    data: Annotated[list[str], typer.Option(
        help="Candles: path, sample:, synthetic: or store:. A run's bundle folder over several "
        "symbols without --symbol: SYMBOL=SOURCE once per symbol, traded as one equal-risk "
        "portfolio.")],
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
    trade policy (e.g. ``--set policy.threshold=0.6``). A run over several symbols: its
    bundle folder and ``--symbol`` trade one symbol; ``--data SYMBOL=SOURCE`` for two or
    more of its symbols trades them side by side as an equal-risk portfolio.
    """
    from tradewind.artifacts.universe import bundle_for, is_universe, read_universe_index
    from tradewind.backtest.of_bundle import backtest_bundle
    from tradewind.config import BacktestSpec, apply_overrides, parse_overrides, validate_section
    from tradewind.data import load
    from tradewind.exceptions import ConfigError
    from tradewind.features.cross import references_from_pairs

    pairs = parse_overrides(set_ or [])
    policy_keys = {k: v for k, v in pairs.items() if k.startswith("policy.")}
    rest = {k: v for k, v in pairs.items() if not k.startswith("policy.")}
    if any(k == "exits" or k.startswith("exits.") for k in rest):
        raise ConfigError("backtest --set exits.*: the exits belong to the trade policy; use "
                          "--set policy.exits.stop_loss=... (and so on)")
    spec = validate_section(BacktestSpec, apply_overrides({}, rest), "--set")
    if symbol is None and len(data) > 1 and is_universe(bundle):
        index = read_universe_index(bundle)
        _portfolio(index, symbol_sources(data, index.symbols, f"a symbol of {bundle}"), spec,
                   policy_keys, from_, to, allow_in_sample, reference, out)
        return
    if len(data) != 1:
        raise ConfigError(f"backtest: {len(data)} --data given; give one (several, as "
                          "SYMBOL=SOURCE, only for a run's bundle folder over several symbols "
                          "without --symbol)")
    loaded = bundle_for(bundle, symbol)
    references = references_from_pairs(loaded.feature_spec.cross, reference)
    done = backtest_bundle(
        loaded, load(data[0]), policy=loaded.policy.with_overrides(policy_keys, "--set"),
        start=from_, end=to, allow_in_sample=allow_in_sample, config=spec.costs(),
        references=references,
    )
    stats = done.stats.to_dict()
    title = f"Backtest {done.start} → {done.end} after {spec.fee_bps} bps fee + {spec.slippage_bps} bps slippage"
    if done.in_sample_bars:
        title = f"[bold red]IN-SAMPLE ({done.in_sample_bars} bars the model was trained on)[/] " + title
    print_table(title, ["statistic", "value"], [(k, _fmt(v)) for k, v in stats.items()],
                no_wrap=("statistic", "value"))
    _write_one(out, done, spec.initial_equity)
    console.print(f"wrote {out}/equity.parquet, trades.parquet, trades.csv, equity.png, stats.json")


def _write_one(out: Path, done: Any, initial_equity: float) -> None:
    """equity.parquet (with buy-and-hold), trades.parquet/.csv, equity.png and stats.json."""
    import pandas as pd

    from tradewind.data import write_bytes_atomic, write_parquet_atomic, write_text_atomic
    from tradewind.report.charts import equity_png

    out.mkdir(parents=True, exist_ok=True)
    result = done.result
    hold = initial_equity * result.close / result.close[0]
    curve = pd.DataFrame({"equity": result.equity, "buy_and_hold": hold}, index=result.index)
    write_parquet_atomic(curve, out / "equity.parquet")
    write_parquet_atomic(result.trades, out / "trades.parquet")
    write_text_atomic(out / "trades.csv", result.trades.to_csv(index=False))
    write_bytes_atomic(out / "equity.png",
                       equity_png(result.equity, list(result.index), benchmark=hold))
    write_text_atomic(out / "stats.json", json.dumps(
        {**done.stats.to_dict(), "in_sample_bars": done.in_sample_bars,
         "policy": done.policy.model_dump(mode="json")}, indent=2))


def _portfolio(index: Any, sources: dict[str, str], spec: Any, policy_keys: dict[str, Any],
               start: str | None, end: str | None, allow_in_sample: bool,
               reference: list[str] | None, out: Path) -> None:
    """Trade each symbol with its own bundle, print each and the equal-risk portfolio (Sharpe
    with its interval, symbols resampled jointly), write each under OUT/<symbol>/ and
    OUT/portfolio.json."""
    from tradewind.artifacts.universe import bundle_for
    from tradewind.backtest.of_universe import backtest_universe
    from tradewind.data import load
    from tradewind.data.atomic import write_json_atomic
    from tradewind.features.cross import references_from_pairs

    first = bundle_for(index.path, next(iter(sources)))
    references = references_from_pairs(first.feature_spec.cross, reference)
    done = backtest_universe(
        index.path, {symbol: load(source) for symbol, source in sources.items()},
        policy_overrides=policy_keys, config=spec.costs(), start=start, end=end,
        allow_in_sample=allow_in_sample, references=references)
    p = done.portfolio
    level = f"{p['sharpe_ci_level']:.0%}"
    rows = []
    for symbol, one in done.symbols.items():
        s = one.stats
        rows.append((symbol + (" [IN-SAMPLE]" if one.in_sample_bars else ""),
                     f"{one.start} → {one.end}", str(s.n_trades), _fmt(s.sharpe),
                     f"[{_fmt(s.sharpe_ci_low)}, {_fmt(s.sharpe_ci_high)}]",
                     _fmt(s.total_return), _fmt(s.max_drawdown),
                     f"{p['weights'][symbol]:.3f}"))
    rows.append(("portfolio", "", str(p["n_trades"]), _fmt(p["sharpe"]),
                 f"[{_fmt(p['sharpe_ci_low'])}, {_fmt(p['sharpe_ci_high'])}]",
                 _fmt(p["total_return"]), _fmt(p["max_drawdown"]), "1"))
    tainted = [s for s, one in done.symbols.items() if one.in_sample_bars]
    warning = (f"[bold red]IN-SAMPLE ({', '.join(tainted)}: bars the models were trained on)[/] "
               if tainted else "")
    print_table(warning + f"Portfolio backtest after {spec.fee_bps} bps fee + {spec.slippage_bps} bps "
                f"slippage per side (trading edge; Sharpe annualised, {level} interval, "
                "symbols resampled jointly)",
                ["symbol", "bars traded", "trades", "Sharpe", f"Sharpe {level} CI",
                 "total return", "max drawdown", "weight"], rows, no_wrap=("symbol",))
    for symbol, one in done.symbols.items():
        _write_one(out / index.folders[symbol], one, spec.initial_equity)
    write_json_atomic(out / "portfolio.json", {
        **p, "in_sample_bars": {s: d.in_sample_bars for s, d in done.symbols.items()}})
    console.print(f"wrote {out}/portfolio.json and each symbol's files under "
                  f"{', '.join(f'{out}/{index.folders[s]}' for s in done.symbols)}",
                  highlight=False)


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
