"""Options and printing helpers shared by the CLI commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["AllowRefusedOption", "SetOption", "console", "table"]

console = Console()

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a config value: dotted.key=value (YAML value). Repeatable.",
        show_default=False,
    ),
]


AllowRefusedOption = Annotated[
    bool,
    typer.Option(
        "--allow-refused",
        help="Run a bundle whose promotion gate refused it; every signal still says "
        "gate_passed=false.",
    ),
]


def table(title: str, columns: list[str], rows: list[tuple]) -> Table:
    """A Rich table of plain rows (values are stringified)."""
    out = Table(title=title, title_justify="left")
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    return out
