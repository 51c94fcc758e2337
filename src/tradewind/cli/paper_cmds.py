"""``tradewind paper``: the paper trades the live loop recorded in its signal log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import FormatOption, console, print_table

__all__ = ["paper"]


def paper(
    log: Annotated[Path, typer.Argument(help="The SQLite signal log of `tradewind live`.")],
    symbol: Annotated[str | None, typer.Option(help="Only this symbol.")] = None,
    timeframe: Annotated[str | None, typer.Option(help="Only this timeframe.")] = None,
    format_: FormatOption = "table",
) -> None:
    """List the closed paper trades of a live log (after costs, as `tradewind backtest`)."""
    from tradewind.live.ledger import paper_trades

    trades = paper_trades(log, symbol, timeframe)
    if format_ == "json":
        rows = json.loads(trades.to_json(orient="records", date_format="iso"))
        typer.echo(json.dumps({"log": str(log), "trades": rows}, indent=2))
        return
    columns = ["symbol", "timeframe", "entry_time", "exit_time", "direction", "entry_price",
               "exit_price", "return", "exit_reason"]
    print_table(f"Paper trades in {log}", columns,
                [[_fmt(v) for v in row] for row in trades[columns].itertuples(index=False)])
    console.print(f"{len(trades)} closed trade(s)")


def _fmt(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
