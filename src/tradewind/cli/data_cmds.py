"""``tradewind data ...``: fetch, import, validate, inspect and resample candles.

The candles are always ``--data SOURCE`` (a file, ``sample:``, ``synthetic:`` or
``store:``); the store folder is ``--store`` (default ``$TRADEWIND_STORE`` or
``data-store``). These commands read no configuration, so they take plain options; the
older ``--set key=value`` spelling of those options still works but is not shown.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict, Field
from rich.markup import escape

from tradewind.cli.common import FormatOption, console, print_json, print_table

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


class DataSettings(BaseModel):
    """Settings of the data commands (options, or the hidden ``--set`` spelling)."""

    model_config = ConfigDict(extra="forbid")

    store: str = Field(default_factory=lambda: os.environ.get("TRADEWIND_STORE", "data-store"))
    tz: str = "UTC"
    timeframe: str | None = None
    limit: int = Field(1000, ge=1)


DataOption = Annotated[str, typer.Option(
    "--data", help="Candles: a file, sample:NAME, synthetic:KIND?... or store:EX/SYM/TF.",
    show_default=False)]
StoreOption = Annotated[str | None, typer.Option(
    "--store", help="Store folder (default: $TRADEWIND_STORE, else data-store).", show_default=False)]
TzOption = Annotated[str | None, typer.Option(
    "--tz", help="Zone of naive timestamps in a file (default: UTC).", show_default=False)]
LegacySet = Annotated[list[str] | None, typer.Option("--set", hidden=True)]


def _settings(pairs: list[str] | None, **given: object) -> DataSettings:
    """``--set`` pairs, then the options actually given (which win).

    ``tradewind.config`` is imported only for ``--set`` or an error: it pulls in every
    stage, and these commands need none of them.
    """
    from pydantic import ValidationError

    raw: dict[str, object] = {}
    if pairs:
        from tradewind.config import apply_overrides, parse_overrides

        raw = apply_overrides({}, parse_overrides(pairs))
    raw.update({key: value for key, value in given.items() if value is not None})
    try:
        return DataSettings.model_validate(raw)
    except ValidationError as err:
        from tradewind.config import format_validation_error
        from tradewind.exceptions import ConfigError

        raise ConfigError(format_validation_error(err, "data options")) from None


@app.command("fetch", help="Fetch OHLCV through ccxt into the store (paginated, resumable).")
def fetch_cmd(
    exchange: Annotated[str, typer.Option(help="ccxt exchange id, e.g. binance.")],
    symbol: Annotated[str, typer.Option(help="Market symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1m, 1h.")] = "1m",
    since: Annotated[str, typer.Option(help="Start date (ISO); ignored when the store already has data.")] = "2024-01-01",
    until: Annotated[str | None, typer.Option(help="End date (ISO, exclusive).")] = None,
    limit: Annotated[int | None, typer.Option(
        help="Candles per request (default: 1000).", show_default=False)] = None,
    store: StoreOption = None,
    set_: LegacySet = None,
) -> None:
    from tradewind.data import Store, fetch, make_exchange

    settings = _settings(set_, store=store, limit=limit)
    result = fetch(make_exchange(exchange), symbol, timeframe, since, Store(Path(settings.store)),
                   until=until, limit=settings.limit)
    console.print(result)


@app.command("import", help="Copy a CSV/Parquet file into the store after validating it.")
def import_cmd(
    exchange: Annotated[str, typer.Option(help="Exchange name for the store path.")],
    symbol: Annotated[str, typer.Option(help="Symbol, e.g. BTC/USDT.")],
    timeframe: Annotated[str, typer.Option(help="Bar length, e.g. 1m.")],
    data: Annotated[Path, typer.Option(
        "--data", help="CSV or Parquet candles file.", show_default=False)],
    tz: TzOption = None,
    store: StoreOption = None,
    set_: LegacySet = None,
) -> None:
    from tradewind.data import Store, import_file

    settings = _settings(set_, store=store, tz=tz)
    path = import_file(data, Store(Path(settings.store)), exchange, symbol, timeframe,
                       tz=settings.tz)
    console.print(f"imported {data} → {path}")


@app.command("validate", help="Check candles for unsorted/duplicate bars, gaps, NaN, bad OHLC; "
             "exit 3 when a hard rule is broken.")
def validate_cmd(
    data: DataOption,
    timeframe: Annotated[str | None, typer.Option(
        help="Declared bar length (default: the source's own or inferred).")] = None,
    tz: TzOption = None,
    store: StoreOption = None,
    format_: FormatOption = "table",
    set_: LegacySet = None,
) -> None:
    from tradewind.data import read_source, validate

    settings = _settings(set_, store=store, tz=tz, timeframe=timeframe)
    frame = read_source(data, tz=settings.tz, store_root=Path(settings.store))
    report = validate(frame, timeframe=settings.timeframe)
    if format_ == "json":
        print_json({"source": data, "ok": report.ok, "rows": report.n_rows,
                    "timeframe": report.timeframe, "findings": report.to_dicts()})
    else:
        columns = ["severity", "rule", "count", "first timestamp", "column"]
        print_table(f"Validation of {escape(data)}", columns,
                    [row[:len(columns)] for row in report.rows()], no_wrap=columns)
        for finding in report.findings:
            console.print(f"{finding.rule}: {finding.message}. Fix: {finding.fix}",
                          highlight=False, markup=False)
        if report.ok:
            console.print("[green]no hard errors[/]")
    if not report.ok:
        from tradewind.exceptions import DataError

        raise typer.Exit(DataError.exit_code)


@app.command("info", help="Summarise rows, date range, timeframe and gaps.")
def info_cmd(
    data: DataOption,
    tz: TzOption = None,
    store: StoreOption = None,
    format_: FormatOption = "table",
    set_: LegacySet = None,
) -> None:
    from tradewind.data import info, read_source

    settings = _settings(set_, store=store, tz=tz)
    summary = info(read_source(data, tz=settings.tz, store_root=Path(settings.store)))
    if format_ == "json":
        print_json({"source": data, **_info_dict(summary)})
    else:
        print_table(escape(data), ["field", "value"], summary.rows())


def _info_dict(summary: object) -> dict[str, object]:
    """DataInfo as JSON fields; durations in seconds, named so."""
    from tradewind.cli.common import to_jsonable

    out = to_jsonable(summary)
    out["largest_gap_seconds"] = out.pop("largest_gap")
    return out


@app.command("resample", help="Resample candles to a higher timeframe and write Parquet.")
def resample_cmd(
    data: DataOption,
    timeframe: Annotated[str, typer.Option(help="Target timeframe, e.g. 1h.")],
    out: Annotated[Path, typer.Option(help="Output Parquet file.")],
    tz: TzOption = None,
    store: StoreOption = None,
    set_: LegacySet = None,
) -> None:
    from tradewind.data import load, resample, write_parquet_atomic

    settings = _settings(set_, store=store, tz=tz)
    frame = resample(load(data, tz=settings.tz, store_root=Path(settings.store)), timeframe)
    write_parquet_atomic(frame, out)
    console.print(f"{len(frame):,} {timeframe} bars → {out}")
