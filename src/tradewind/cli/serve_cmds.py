"""``tradewind serve``: the model server over a bundle directory or the registry's champion."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import AllowRefusedOption, SetOption, console

__all__ = ["build_settings", "serve"]


def build_settings(model: str, host: str, port: int, poll_seconds: float,
                   pairs: list[str] | None, *, allow_refused: bool = False, workers: int = 1,
                   require_signed: Path | None = None, tracking_uri: str | None = None,
                   registry_root: Path | None = None, monitor_log: Path | None = None,
                   monitor_every: float | None = None):
    """ServeSettings from the command's options plus ``--set`` overrides (which win)."""
    from tradewind.config import apply_overrides, parse_overrides, validate_section
    from tradewind.serve import ServeSettings

    raw = {"model": model, "host": host, "port": port, "poll_seconds": poll_seconds,
           "allow_refused": allow_refused, "workers": workers}
    if require_signed is not None:
        raw["require_signed"] = str(require_signed)
    if monitor_log is not None:
        raw["monitor_log"] = str(monitor_log)
    if monitor_every is not None:
        raw["monitor_seconds"] = monitor_every
    registry = {"tracking_uri": tracking_uri,
                "root": None if registry_root is None else str(registry_root)}
    if any(v is not None for v in registry.values()):
        raw["registry"] = {k: v for k, v in registry.items() if v is not None}
    return validate_section(ServeSettings, apply_overrides(raw, parse_overrides(pairs or [])),
                            "tradewind serve")


def serve(
    model: Annotated[
        str, typer.Option(help="Bundle directory (a run's bundle folder of several symbols is "
                          "served by the requests' symbol), or registry alias / version / run id.")
    ] = "champion",
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    poll_seconds: Annotated[
        float, typer.Option(help="Seconds between checks whether the alias moved (0: never).")
    ] = 30.0,
    workers: Annotated[int, typer.Option(
        help="Worker processes (each loads the bundle; /metrics adds them all up).")] = 1,
    allow_refused: AllowRefusedOption = False,
    require_signed: Annotated[Path | None, typer.Option(
        help="Ed25519 public key: refuse bundles not signed by it (tradewind sign).")] = None,
    tracking_uri: Annotated[str | None, typer.Option(
        help="MLflow tracking URI for registry refs (default: the embedded store in runs/).")]
    = None,
    registry_root: Annotated[Path | None, typer.Option(
        help="Embedded registry folder (default runs).")] = None,
    monitor_log: Annotated[Path | None, typer.Option(
        help="Signal log to monitor: tradewind_monitor_* gauges on /metrics.")] = None,
    monitor_every: Annotated[float | None, typer.Option(
        help="Seconds between monitor checks (default 60).")] = None,
    set_: SetOption = None,
) -> None:
    """Serve /v1/signal, /v1/predict, /v1/models, /healthz and /metrics with uvicorn.

    A bundle the gate refused is not served unless its registry version was promoted
    with an audited override or ``--allow-refused`` is given; every answer carries the
    verdict (``gate_passed``, ``override_reason``). The bundle folder of a run over several
    symbols is served by symbol (each symbol's bundle on its own verdict).

    ``--set`` reaches every ServeSettings field, e.g. ``--set registry.root=runs``,
    ``--set registry.model_name=btc``, ``--set policy.threshold=0.6`` (overrides the bundle's own trade policy),
    ``--set monitor.psi_breach=0.3``, ``--set monitor_symbol=BTC/USDT`` (with ``--monitor-log``).
    """
    from tradewind.serve import serve as run_server

    settings = build_settings(model, host, port, poll_seconds, set_, allow_refused=allow_refused,
                              workers=workers, require_signed=require_signed,
                              tracking_uri=tracking_uri, registry_root=registry_root,
                              monitor_log=monitor_log, monitor_every=monitor_every)
    console.print(f"serving {settings.model} on http://{settings.host}:{settings.port} "
                  f"with {settings.workers} worker(s) (docs at /docs, metrics at /metrics)")
    run_server(settings)
