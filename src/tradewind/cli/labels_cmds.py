"""``tradewind labels inspect``: class balance per year and overall."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import SetOption, console, table

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("inspect", help="Print the label balance per year and overall for an experiment file.")
def inspect_cmd(
    config: Annotated[Path, typer.Argument(help="Experiment YAML file.")],
    data: Annotated[str | None, typer.Option(help="Data source overriding data.source.")] = None,
    set_: SetOption = None,
) -> None:
    from tradewind.config import load_experiment
    from tradewind.labels import label_balance, make_labels
    from tradewind.pipeline.prepare import load_candles

    exp = load_experiment(config, set_ or [])
    candles = load_candles(exp, data)
    balance = label_balance(make_labels(candles, exp.labels), by="year")
    frame = balance.reset_index()
    rows = [tuple(_fmt(v) for v in row) for row in frame.itertuples(index=False)]
    console.print(table(f"Label balance ({exp.labels.kind}, horizon {exp.labels.horizon})",
                        [str(c) for c in frame.columns], rows))


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
