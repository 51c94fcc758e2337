"""Options and printing helpers shared by the CLI commands.

Tables never fold identifiers: on a terminal the identifier columns are ``no_wrap``
(other columns fold); when stdout is not a terminal (a pipe, a file) a table is printed
as plain aligned text with nothing wrapped, so ``tradewind presets list | grep NAME``
finds whole names. ``--format json`` prints one JSON document on stdout and nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = [
    "AllowRefusedOption",
    "ExperimentArgument",
    "FormatOption",
    "OutputFormat",
    "QuietOption",
    "ReferenceOption",
    "SetOption",
    "console",
    "print_json",
    "print_table",
    "table",
    "to_jsonable",
]


class _Console(Console):
    """A Rich console that never wraps long lines when stdout is not a terminal."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if not self.is_terminal:
            kwargs.setdefault("soft_wrap", True)
        super().print(*objects, **kwargs)


console = _Console()

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a config value: dotted.key=value (YAML value). Repeatable.",
        show_default=False,
    ),
]

OutputFormat = Literal["table", "json"]

AllowRefusedOption = Annotated[
    bool,
    typer.Option(
        "--allow-refused",
        help="Run a bundle whose promotion gate refused it; every signal still says "
        "gate_passed=false.",
    ),
]


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        help="table (for reading) or json (one JSON document on stdout, for scripts).",
    ),
]

QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display.")
]

ExperimentArgument = Annotated[
    Path, typer.Argument(metavar="EXPERIMENT", help="Experiment YAML file.", show_default=False)
]


def table(title: str, columns: list[str], rows: Sequence[Sequence[Any]], *,
          no_wrap: Collection[str] = ()) -> Table:
    """A Rich table of plain rows (values are stringified); ``no_wrap`` columns never fold."""
    out = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                padding=(0, 1, 0, 0))
    for column in columns:
        if column in no_wrap:
            out.add_column(column, no_wrap=True, overflow="ellipsis")
        else:
            out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out


def print_table(title: str, columns: list[str], rows: Sequence[Sequence[Any]], *,
                no_wrap: Collection[str] | None = None) -> None:
    """Print a table: Rich on a terminal, plain aligned text otherwise.

    ``no_wrap`` names the identifier columns (default: the first column); on a terminal
    they are never folded, off a terminal nothing is.
    """
    keep = set(columns[:1] if no_wrap is None else no_wrap)
    if console.is_terminal:
        console.print(table(title, columns, rows, no_wrap=keep))
        return
    cells = [[_plain(c) for c in columns]] + [["" if v is None else _plain(v) for v in row]
                                              for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = [Text.from_markup(title).plain] if title else []
    for line in cells:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
                     .rstrip())
    typer.echo("\n".join(lines))


def _plain(value: object) -> str:
    return " ".join(str(value).split())


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: dataclasses and mappings become objects, timestamps ISO strings,
    durations seconds, paths strings, NaN/inf ``null``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if value.__class__.__name__ == "NaTType":  # pandas' missing timestamp
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, int | float):  # numpy scalars
        return to_jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    return str(value)


def print_json(value: Any) -> None:
    """Print ``value`` as one indented JSON document on stdout."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, allow_nan=False))


ReferenceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        metavar="NAME=SOURCE",
        help="NAME=SOURCE: candles of one of the bundle's features.cross references (a file, "
        "sample:, synthetic: or store:), covering the same bars as --data. Repeat for each; "
        "required for a bundle with cross-asset features.",
        show_default=False,
    ),
]


def symbol_sources(items: Sequence[str], known: Sequence[str], what: str) -> dict[str, str]:
    """``--data SYMBOL=SOURCE`` values → each symbol's source, in the order given. A value
    that is not ``SYMBOL=SOURCE`` for one of ``known`` (``what`` says whose symbols they
    are), or a symbol given twice, is a usage error naming it."""
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, source = item.partition("=")
        if not sep or name not in known or not source:
            raise typer.BadParameter(
                f"{item!r} is not SYMBOL=SOURCE for {what} ({', '.join(known)}); give e.g. "
                f"--data {known[0]}=candles.parquet", param_hint="'--data'")
        if name in pairs:
            raise typer.BadParameter(f"{name} has two sources ({pairs[name]!r}, {source!r}); "
                                     "give one --data per symbol", param_hint="'--data'")
        pairs[name] = source
    return pairs
