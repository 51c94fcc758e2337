"""``tradewind live``: a signal at every bar close, from an exchange or a replayed file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import AllowRefusedOption, SetOption, console
from tradewind.cli.signal_cmds import policy_from_pairs

__all__ = ["live"]


def live(
    symbol: Annotated[str, typer.Option(help="ccxt unified symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, the bundle's training timeframe.")],
    model: Annotated[str, typer.Option(
        help="Bundle directory, or a registry version / alias such as 'champion'.")],
    exchange: Annotated[str | None, typer.Option(
        help="ccxt exchange id (binance, kraken, ...); not needed with --data.")] = None,
    data: Annotated[str | None, typer.Option(
        "--data", "--replay",
        help="Replay these candles (a file or data source) bar by bar instead of an exchange.",
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
    set_: SetOption = None,
) -> None:
    """Run the live loop: closed bars only, one logged signal per bar, resumable.

    A bundle the gate refused is refused unless its registry version was promoted with an
    audited override or ``--allow-refused`` is given; every signal carries the verdict.
    """
    if data is None and exchange is None:
        raise typer.BadParameter("give --exchange ID for live bars or --data FILE to replay a file",
                                 param_hint="'--exchange' / '--data'")
    from tradewind.live import ExchangeSource, ReplaySource, SignalLog, resolve_model, run_live

    predictor, version = resolve_model(model, tracking_uri=tracking_uri, registry_root=registry_root,
                                       public_key=require_signed)
    policy = policy_from_pairs(predictor.policy, set_)
    override = None
    if version is not None:  # a registry version: a refused one may carry an audited override
        from tradewind.artifacts import Registry

        override = Registry(tracking_uri, root=registry_root).override_reason(version)
    if data is not None:
        source = ReplaySource(data, speed, timeframe=timeframe)
    else:
        from tradewind.data import make_exchange

        source = ExchangeSource(make_exchange(str(exchange)), symbol, timeframe)
    with SignalLog(log) as signal_log:
        result = run_live(predictor, source=source, log=signal_log, policy=policy, symbol=symbol,
                          timeframe=timeframe, max_bars=max_bars, history=history,
                          model_version=version, show=not quiet, console=console,
                          allow_refused=allow_refused, override_reason=override,
                          new_segment=new_segment)
    console.print(f"{len(result.logged)} new signal(s) logged to {log}")
