"""``tradewind data ...``: fetch, import, validate, inspect and resample candles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict, Field

from tradewind.cli.common import SetOption, console, table

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


class DataSettings(BaseModel):
    """Settings of the data commands, overridable with ``--set``."""

    model_config = ConfigDict(extra="forbid")

    store: str = Field(default_factory=lambda: os.environ.get("TRADEWIND_STORE", "data-store"))
    tz: str = "UTC"
    timeframe: str | None = None
    limit: int = Field(1000, ge=1)


def _settings(pairs: list[str] | None) -> DataSettings:
    from tradewind.config import apply_overrides, parse_overrides, validate_section

    return validate_section(DataSettings, apply_overrides({}, parse_overrides(pairs or [])), "--set")


@app.command("fetch", help="Fetch OHLCV through ccxt into the store (paginated, resumable).")
def fetch_cmd(
    exchange: Annotated[str, typer.Option(help="ccxt exchange id, e.g. binance.")],
    symbol: Annotated[str, typer.Option(help="Market symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1m, 1h.")] = "1m",
    since: Annotated[str, typer.Option(help="Start date (ISO); ignored when the store already has data.")] = "2024-01-01",
    until: Annotated[str | None, typer.Option(help="End date (ISO, exclusive).")] = None,
    set_: SetOption = None,
) -> None:
    from tradewind.data import Store, fetch, make_exchange

    settings = _settings(set_)
    store = Store(Path(settings.store))
    result = fetch(make_exchange(exchange), symbol, timeframe, since, store, until=until,
                   limit=settings.limit)
    console.print(result)


@app.command("import", help="Copy a CSV/Parquet file into the store after validating it.")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet candles.")],
    exchange: Annotated[str, typer.Option(help="Exchange name for the store path.")],
    symbol: Annotated[str, typer.Option(help="Symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1m.")],
    set_: SetOption = None,
) -> None:
    from tradewind.data import Store, import_file

    settings = _settings(set_)
    path = import_file(file, Store(Path(settings.store)), exchange, symbol, timeframe)
    console.print(f"imported {file} → {path}")


@app.command("validate", help="Check candles for unsorted/duplicate bars, gaps, NaN, bad OHLC.")
def validate_cmd(
    source: Annotated[str, typer.Argument(help="File path or source (sample:, store:).")],
    set_: SetOption = None,
) -> None:
    from tradewind.data import read_source, validate

    settings = _settings(set_)
    frame = read_source(source, tz=settings.tz, store_root=Path(settings.store))
    report = validate(frame, timeframe=settings.timeframe)
    console.print(table(f"Validation of {source}",
                        ["rule", "severity", "count", "first timestamp", "column", "message"],
                        report.rows()))
    if not report.ok:
        raise typer.Exit(3)
    console.print("[green]no hard errors[/]")


@app.command("info", help="Summarise rows, date range, timeframe and gaps.")
def info_cmd(
    source: Annotated[str, typer.Argument(help="File path or source (sample:, store:, synthetic:).")],
    set_: SetOption = None,
) -> None:
    from tradewind.data import info, read_source

    settings = _settings(set_)
    frame = read_source(source, tz=settings.tz, store_root=Path(settings.store))
    console.print(table(f"{source}", ["field", "value"], info(frame).rows()))


@app.command("resample", help="Resample candles to a higher timeframe and write Parquet.")
def resample_cmd(
    source: Annotated[str, typer.Argument(help="File path or source.")],
    timeframe: Annotated[str, typer.Option(help="Target timeframe, e.g. 1h.")],
    out: Annotated[Path, typer.Option(help="Output Parquet file.")],
    set_: SetOption = None,
) -> None:
    from tradewind.data import load, resample, write_parquet_atomic

    settings = _settings(set_)
    frame = resample(load(source, tz=settings.tz, store_root=Path(settings.store)), timeframe)
    write_parquet_atomic(frame, out)
    console.print(f"{len(frame):,} {timeframe} bars → {out}")
