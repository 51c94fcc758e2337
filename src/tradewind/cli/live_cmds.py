"""``tradewind live``: a signal at every bar close, from an exchange or a replayed file.

One ``--symbol`` with a bundle runs :func:`tradewind.live.run_live`; several ``--symbol``
(each in the universe bundle given as ``--model``) run one loop over all of them with
:func:`tradewind.live.run_live_many`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tradewind.cli.common import AllowRefusedOption, SetOption, console, symbol_sources

__all__ = ["live", "split_live_overrides"]


def split_live_overrides(pairs: list[str] | None) -> tuple[dict[str, object], dict[str, object]]:
    """``--set`` pairs → (paper-ledger cost keys of the ``backtest:`` section, trade-policy
    keys); ``fee_bps=1`` and ``backtest.fee_bps=1`` are costs, anything else (with or
    without ``policy.``) a policy key, as ``tradewind signal`` reads them."""
    from tradewind.config import BacktestSpec, parse_overrides

    costs: dict[str, object] = {}
    policy: dict[str, object] = {}
    fields = set(BacktestSpec.model_fields) - {"exits", "enabled"}
    for key, value in parse_overrides(pairs or []).items():
        bare = key.removeprefix("backtest.")
        if bare in fields:
            costs[bare] = value
        else:
            policy[key] = value
    return costs, policy


def live(
    symbol: Annotated[list[str], typer.Option(
        metavar="SYMBOL", help="ccxt unified symbol, e.g. BTC/USDT; repeat it to run several symbols of a "
             "universe bundle in one loop.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, the bundle's training timeframe.")],
    model: Annotated[str, typer.Option(
        help="Bundle directory, or a registry version / alias such as 'champion'.")],
    exchange: Annotated[str | None, typer.Option(
        help="ccxt exchange id (binance, kraken, ...); not needed with --data.")] = None,
    data: Annotated[list[str] | None, typer.Option(
        "--data", "--replay", metavar="SOURCE",
        help="Replay these candles (a file or data source) bar by bar instead of an exchange; "
             "with several --symbol, SYMBOL=SOURCE once per symbol.",
        show_default=False)] = None,
    speed: Annotated[float, typer.Option(
        help="Replay speed-up over real time (60: a 1-minute bar per second); 0 = no waiting.")] = 0.0,
    log: Annotated[Path, typer.Option(help="SQLite signal log; a restart resumes after its last bar.")]
    = Path("signals.sqlite"),
    max_bars: Annotated[int | None, typer.Option(help="Stop after this many new signals.")] = None,
    history: Annotated[int | None, typer.Option(
        help="Closed bars given to the model per signal (default max(1000, 4 × what it needs)).")]
    = None,
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI for registry refs (default $TRADEWIND_TRACKING_URI or runs/).")]
    = None,
    registry_root: Annotated[Path, typer.Option(help="Embedded registry folder.")] = Path("runs"),
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Do not print signals (they are still logged).")]
    = False,
    allow_refused: AllowRefusedOption = False,
    require_signed: Annotated[Path | None, typer.Option(
        help="Ed25519 public key: refuse a bundle not signed by it (tradewind sign).")] = None,
    new_segment: Annotated[bool, typer.Option(
        help="Continue a log written by another bundle, recorded as a new segment.")] = False,
    retrain: Annotated[Path | None, typer.Option(
        help="Experiment YAML: run `tradewind retrain` on the stored candles in its own "
        "process at bar boundaries (with --retrain-every).")] = None,
    retrain_every: Annotated[str | None, typer.Option(
        help="How often to retrain, e.g. 12h, 1d, 1w (counted in bar time, from the epoch).")]
    = None,
    monitor_every: Annotated[int, typer.Option(
        help="Check the log every N new signals (realised vs promised, drift, class shares; "
             "see tradewind monitor) and warn on a breach; 0 = never.", min=0)] = 100,
    set_: SetOption = None,
    reference: Annotated[list[str] | None, typer.Option(
        "--reference", metavar="NAME=SOURCE",
        help="NAME=SOURCE: one of the bundle's features.cross references; with --data a file "
             "or data source read alongside, with --exchange a symbol of that exchange (e.g. "
             "btc=BTC/USDT). Repeat for each; required for a bundle with cross-asset features.",
        show_default=False)] = None,
) -> None:
    """Run the live loop: closed bars only, one logged signal per bar, resumable.

    A bundle the gate refused is refused unless its registry version was promoted with an
    audited override or ``--allow-refused`` is given; every signal carries the verdict.
    The signals are paper traded in the same log with the backtest's engine, costs and
    exits: ``--set fee_bps=... slippage_bps=...`` as for ``tradewind backtest``, other
    keys (``threshold=0.6``, ``policy.sides=long``) override the trade policy.

    Several ``--symbol`` need a universe bundle (the ``bundle/`` folder of a run over
    ``data.sources``) and run in one loop, each symbol with its own bundle, log rows and
    paper ledger; replays take ``--data SYMBOL=SOURCE`` per symbol.

    A bundle with cross-asset features needs ``--reference NAME=SOURCE`` for each of its
    references: with ``--data`` a file or data source replayed alongside, with
    ``--exchange`` a symbol of the same exchange. Each bar's signal sees only the reference
    bars closed by that bar's close.
    """
    if not data and exchange is None:
        raise typer.BadParameter("give --exchange ID for live bars or --data FILE to replay a file",
                                 param_hint="'--exchange' / '--data'")
    if (retrain is None) != (retrain_every is None):
        raise typer.BadParameter("give --retrain EXPERIMENT.yaml and --retrain-every (e.g. 1d) "
                                 "together", param_hint="'--retrain' / '--retrain-every'")
    from tradewind.artifacts.universe import is_universe

    symbols = _symbols(symbol)
    universe = Path(model).is_dir() and is_universe(model)
    if len(symbols) > 1 and not universe:
        raise typer.BadParameter(
            f"{model} is one bundle, trained on one symbol; several --symbol need a universe "
            "bundle (the bundle/ folder of a run over data.sources, with universe.json), or "
            "run one loop per symbol", param_hint="'--symbol'")
    if retrain is not None and universe:
        raise typer.BadParameter(
            "scheduled retraining follows one symbol and one bundle; run --retrain with a "
            "single bundle, or retrain the universe run yourself", param_hint="'--retrain'")
    replays = None if not data else _replay_sources(data, symbols)
    from tradewind.config import BacktestSpec, apply_overrides, validate_section
    from tradewind.live import ExchangeSource, ReplaySource, SignalLog, resolve_model, run_live
    from tradewind.live.ledger import paper_summary
    from tradewind.live.retrain import RetrainSchedule, parse_every

    cost_keys, policy_keys = split_live_overrides(set_)
    costs = validate_section(BacktestSpec, apply_overrides({}, cost_keys), "--set").costs()
    schedule = None
    if retrain is not None and retrain_every is not None:
        if not retrain.is_file():
            raise typer.BadParameter(f"no experiment file {retrain}", param_hint="'--retrain'")
        schedule = RetrainSchedule(experiment=retrain, every=parse_every(retrain_every),
                                   registry_root=registry_root, tracking_uri=tracking_uri)
    if universe:
        _live_universe(model, symbols, replays, exchange, require_signed, policy_keys, timeframe,
                       speed, log, max_bars=max_bars, history=history, quiet=quiet,
                       allow_refused=allow_refused, new_segment=new_segment, costs=costs,
                       monitor_every=monitor_every, reference=reference)
        return
    symbol_ = symbols[0]
    predictor, version = resolve_model(model, tracking_uri=tracking_uri, registry_root=registry_root,
                                       public_key=require_signed)
    policy = predictor.policy.with_overrides(policy_keys, "--set")
    override = None
    if version is not None:  # a registry version: a refused one may carry an audited override
        from tradewind.artifacts import Registry

        override = Registry(tracking_uri, root=registry_root).override_reason(version)
    market = None
    if replays is not None:
        source = ReplaySource(replays[symbol_], speed, timeframe=timeframe)
    else:
        from tradewind.data import make_exchange

        market = make_exchange(str(exchange))
        source = ExchangeSource(market, symbol_, timeframe)
    references = _reference_sources(predictor, reference, market, timeframe)
    with SignalLog(log) as signal_log:
        result = run_live(predictor, source=source, log=signal_log, policy=policy, symbol=symbol_,
                          timeframe=timeframe, max_bars=max_bars, history=history,
                          model_version=version, show=not quiet, console=console,
                          allow_refused=allow_refused, override_reason=override,
                          new_segment=new_segment, costs=costs, retrain=schedule,
                          follow_ref=None if Path(model).is_dir() else model,
                          policy_overrides=policy_keys, public_key=require_signed,
                          monitor=_monitor_hook(symbol_, timeframe) if monitor_every else None,
                          monitor_every=max(monitor_every, 1), references=references)
        summary = paper_summary(signal_log, symbol_, timeframe)
    console.print(f"{len(result.logged)} new signal(s) logged to {log}")
    console.print(summary, highlight=False)


def _symbols(given: list[str]) -> list[str]:
    """The --symbol values, each once."""
    twice = sorted({s for s in given if given.count(s) > 1})
    if twice:
        raise typer.BadParameter(f"{', '.join(twice)} given twice; name each symbol once",
                                 param_hint="'--symbol'")
    return list(given)


def _replay_sources(data: list[str], symbols: list[str]) -> dict[str, str]:
    """``--data`` values → the candle source of each symbol.

    With one symbol a single ``--data SOURCE`` is its source (``SYMBOL=SOURCE`` works too);
    with several, each symbol needs exactly one ``SYMBOL=SOURCE``.
    """
    if len(symbols) == 1 and len(data) == 1:
        return {symbols[0]: data[0].removeprefix(f"{symbols[0]}=")}
    pairs = symbol_sources(data, symbols, "one of the --symbol values")
    missing = [s for s in symbols if s not in pairs]
    if missing:
        raise typer.BadParameter(f"no --data for {', '.join(missing)}; give --data SYMBOL=SOURCE "
                                 "for every --symbol", param_hint="'--data'")
    return pairs


def _live_universe(model: str, symbols: list[str], replays: dict[str, str] | None,
                   exchange: str | None, public_key: Path | None,
                   policy_keys: dict[str, object], timeframe: str, speed: float, log: Path, *,
                   max_bars: int | None, history: int | None, quiet: bool, allow_refused: bool,
                   new_segment: bool, costs: Any, monitor_every: int,
                   reference: list[str] | None) -> None:
    """Several symbols of a universe bundle in one loop, each with its own bundle."""
    from tradewind.artifacts.universe import load_universe
    from tradewind.live import ExchangeSource, LiveLane, ReplaySource, SignalLog, run_live_many
    from tradewind.live.ledger import paper_summary

    universe = load_universe(model, public_key=public_key)
    bundles = {s: universe.bundle(s) for s in symbols}  # an unknown symbol is refused by name
    market = None
    if replays is None:
        from tradewind.data import make_exchange

        market = make_exchange(str(exchange))
    lanes = [LiveLane(
        symbol=s, model=bundle, policy=bundle.policy.with_overrides(policy_keys, "--set"),
        source=(ReplaySource(replays[s], speed, timeframe=timeframe) if replays is not None
                else ExchangeSource(market, s, timeframe)),
        monitor=_monitor_hook(s, timeframe) if monitor_every else None,
        references=_reference_sources(bundle, reference, market, timeframe),
    ) for s, bundle in bundles.items()]
    with SignalLog(log) as signal_log:
        results = run_live_many(lanes, log=signal_log, timeframe=timeframe, max_bars=max_bars,
                                history=history, show=not quiet, console=console,
                                allow_refused=allow_refused, new_segment=new_segment,
                                costs=costs, monitor_every=max(monitor_every, 1))
        summaries = [paper_summary(signal_log, s, timeframe) for s in symbols]
    logged = sum(len(r.logged) for r in results.values())
    console.print(f"{logged} new signal(s) logged to {log} "
                  f"({', '.join(f'{s}: {len(results[s].logged)}' for s in symbols)})")
    for line in summaries:
        console.print(line, highlight=False)


def _reference_sources(predictor: Any, pairs: list[str] | None, market: Any,
                       timeframe: str) -> dict[str, Any] | None:
    """``--reference NAME=SOURCE`` → each reference's candle source: a replayed file
    (``market`` None: the loop replays ``--data``) or the exchange's candles of symbol
    SOURCE. A model whose references are not all named is refused here, before any bar."""
    from tradewind.features.cross import reference_pairs
    from tradewind.live import ExchangeSource, ReplaySource
    from tradewind.live.references import cross_of

    cross = cross_of(predictor, "live")
    sources = reference_pairs(cross, pairs)
    if sources is None:
        return None
    out: dict[str, Any] = {}
    for spec in cross:
        if market is None:
            out[spec.name] = ReplaySource(sources[spec.name], 0.0, timeframe=spec.timeframe)
        else:
            out[spec.name] = ExchangeSource(market, sources[spec.name],
                                            spec.timeframe or timeframe)
    return out


def _monitor_hook(symbol: str, timeframe: str) -> Callable[[Any, Any], list[str]]:
    """The live loop's monitor check: ``tradewind.monitor.loop_check``'s breaches as sentences."""
    from tradewind.monitor import loop_check

    def check(log: Any, predictor: Any) -> list[str]:
        result = loop_check(log, predictor, symbol=symbol, timeframe=timeframe)
        return [] if result is None else [f"{b.level}: {b.reason}" for b in result.breaches]

    return check
