"""``tradewind monitor``: a live signal log against what its model's run promised."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import FormatOption, SetOption, console, print_json, print_table

__all__ = ["monitor"]

_TOP = 10


def _span(ci: list[float] | None) -> str:
    return "" if ci is None else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:+.3f}"


def monitor(
    log: Annotated[Path, typer.Argument(metavar="LOG", help="SQLite signal log of `tradewind live`.",
                                        show_default=False)],
    model: Annotated[str | None, typer.Option(
        help="Bundle directory (a run's folder over several symbols: the --symbol's bundle), "
        "or registry version / alias; default: the registry version whose digest the log "
        "records.")] = None,
    symbol: Annotated[str | None, typer.Option(help="Series to check (needed if the log holds several).")]
    = None,
    timeframe: Annotated[str | None, typer.Option(help="Bar length of the series.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write monitor.json and monitor.html here.")]
    = None,
    window: Annotated[int | None, typer.Option(
        help="Newest resolved signals to judge (monitor.window).")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="Judge only signals of bars up to this UTC open time.")] = None,
    data: Annotated[str | None, typer.Option(
        help="Candles to recompute features from (default: the candles stored in the log).")]
    = None,
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI for registry refs (default: the embedded store in runs/).")]
    = None,
    registry_root: Annotated[Path, typer.Option(help="Embedded registry folder.")] = Path("runs"),
    html: Annotated[bool, typer.Option(help="Also write monitor.html (with --out).")] = True,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 11 when a check is breached (warnings do not count).")] = False,
    fmt: FormatOption = "table",
    set_: SetOption = None,
) -> None:
    """Realised metrics with intervals beside the run's promises, feature drift against the
    training distribution stored in the bundle, predicted-class shares, and breaches.

    Thresholds come from the experiment's ``monitor:`` section stored in the bundle;
    ``--set psi_breach=0.3`` (any monitor key) overrides them for this call.
    """
    from tradewind.config import apply_overrides, parse_overrides
    from tradewind.monitor import check, monitor_spec, open_log, write_monitor
    from tradewind.monitor.model import monitored_bundle

    with open_log(log) as signal_log:
        bundle = monitored_bundle(signal_log, model, symbol, timeframe,
                                  tracking_uri=tracking_uri, registry_root=registry_root)
        overrides = apply_overrides({}, parse_overrides(set_ or []))
        if window is not None:
            overrides["window"] = window
        spec = _spec(monitor_spec, bundle, overrides)
        candles = None
        if data is not None:
            from tradewind.data import load

            candles = load(data)
        result = check(signal_log, bundle, symbol=symbol, timeframe=timeframe, spec=spec,
                       as_of=as_of, candles=candles, source=model)
    written = write_monitor(result, out, html=html) if out is not None else None
    if fmt == "json":
        print_json(result)
    else:
        _print(result)
        if written is not None:
            console.print(f"monitor: {(written[1] or written[0]).resolve()}")
    if strict and result.breached:
        from tradewind.exceptions import MonitorBreach

        names = sorted({b.check for b in result.breaches if b.level == "breach"})
        raise MonitorBreach(f"monitor: {len(names)} check(s) breached: {', '.join(names)}")


def _spec(monitor_spec, bundle, overrides):
    from pydantic import ValidationError

    from tradewind.config import format_validation_error
    from tradewind.exceptions import ConfigError

    try:
        return monitor_spec(bundle, overrides)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, "tradewind monitor --set")) from None


def _print(result) -> None:
    level = "" if result.promises is None or result.promises.level is None else (
        f" ({result.promises.level:.0%} intervals)")
    print_table(f"Realised (newest {result.current.signals if result.current else 0} of "
                f"{result.resolved} resolved signals) vs promised{level}",
                ["metric", "realised", "interval", "promised", "promised interval", "status"],
                [(c.name, _num(c.value), _span(c.ci), _num(c.promised), _span(c.promised_ci),
                  c.status) for c in result.checks])
    drift = result.drift
    if drift.available:
        print_table(f"Feature drift over {drift.rows} signal bars (top {_TOP} by PSI)",
                    ["feature", "PSI", "KS", "status"],
                    [(f.feature, f"{f.psi:.3f}", f"{f.ks:.3f}", f.status)
                     for f in drift.features[:_TOP]])
    else:
        console.print(f"feature drift: unavailable ({drift.reason})", highlight=False)
    s = result.shares
    print_table(f"Predicted-class shares, newest {s.signals} signals (PSI vs training "
                f"{'—' if s.psi is None else f'{s.psi:.3f}'}: {s.status})",
                ["class", "recent", "training", "out of sample"],
                [(c, f"{s.recent.get(c, 0.0):.3f}",
                  "—" if s.training is None else f"{s.training.get(c, 0.0):.3f}",
                  "—" if s.promised is None else f"{s.promised.get(c, 0.0):.3f}")
                 for c in result.model.classes])
    if result.breaches:
        print_table("Breaches", ["check", "level", "reason"],
                    [(b.check, b.level, b.reason) for b in result.breaches])
    else:
        console.print("no breach")
