"""``tradewind labels inspect`` (class balance per year) and ``labels search`` (thresholds)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import (
    ExperimentArgument,
    FormatOption,
    QuietOption,
    SetOption,
    console,
    print_json,
    print_table,
)
from tradewind.exceptions import ConfigError

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("inspect", help="Print the label balance per year and overall for an experiment file.")
def inspect_cmd(
    experiment: ExperimentArgument,
    data: Annotated[str | None, typer.Option(help="Data source overriding data.source.")] = None,
    set_: SetOption = None,
    format_: FormatOption = "table",
) -> None:
    from tradewind.config import load_experiment
    from tradewind.labels import label_balance, make_labels
    from tradewind.pipeline.prepare import load_candles

    exp = load_experiment(experiment, set_ or [])
    candles = load_candles(exp, data)
    balance = label_balance(make_labels(candles, exp.labels), by="year")
    frame = balance.reset_index()
    if format_ == "json":
        print_json({"kind": exp.labels.kind, "horizon": exp.labels.horizon,
                    "balance": frame.to_dict(orient="records")})
        return
    rows = [tuple(_fmt(v) for v in row) for row in frame.itertuples(index=False)]
    print_table(
        f"Label balance ({exp.labels.kind}, horizon {exp.labels.horizon})",
        [str(c) for c in frame.columns],
        rows,
    )


@app.command(
    "search",
    help="Search label thresholds (Optuna TPE) on the training period only "
    "and write the best labels section as YAML.",
)
def search_cmd(
    experiment: ExperimentArgument,
    out: Annotated[Path, typer.Option(help="Where to write the best labels section (YAML).")],
    objective: Annotated[
        str,
        typer.Option(
            help="balance (class shares near --target, plus "
            "entropy) or val_mcc (validation MCC of a cheap model)."
        ),
    ] = "balance",
    target: Annotated[
        str | None,
        typer.Option(
            help="Target class shares in class order, e.g. "
            "0.33,0.34,0.33 (balance only; default uniform)."
        ),
    ] = None,
    trials: Annotated[int, typer.Option(help="Number of label specs to evaluate.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the TPE sampler.")] = 0,
    horizons: Annotated[
        str | None,
        typer.Option(help="Horizon choices to search, e.g. 1,3,6; default: keep labels.horizon."),
    ] = None,
    bounds: Annotated[
        list[str] | None,
        typer.Option(
            "--bounds",
            help="name=low,high replacing a default range, e.g. threshold=0.001,0.02. Repeatable.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[str, typer.Option(help="val_mcc's model: logistic or lightgbm.")] = "logistic",
    min_share: Annotated[
        float, typer.Option(help="Reject trials with a class below this share.")
    ] = 0.05,
    entropy_weight: Annotated[
        float, typer.Option(help="Weight of (1 - entropy) in balance.")
    ] = 0.1,
    top: Annotated[int, typer.Option(help="Trials to list.")] = 10,
    data: Annotated[str | None, typer.Option(help="Data source overriding data.source.")] = None,
    quiet: QuietOption = False,
    no_progress: Annotated[bool, typer.Option("--no-progress", hidden=True)] = False,
    set_: SetOption = None,
) -> None:
    from tradewind.config import load_experiment
    from tradewind.pipeline.prepare import load_candles
    from tradewind.research import search_labels, write_label_spec

    exp = load_experiment(experiment, set_ or [])
    result = search_labels(
        exp,
        objective=objective,
        n_trials=trials,
        seed=seed,
        progress=not (quiet or no_progress),
        target=None if target is None else _floats("--target", target),
        horizons=None if horizons is None else _ints("--horizons", horizons),
        bounds=_bounds(bounds or []),
        entropy_weight=entropy_weight,
        min_share=min_share,
        model=model,
        candles=load_candles(exp, data),
    )
    path = write_label_spec(result, out)
    params = list(result.bounds)
    classes = list(result.best.shares)
    rows = [
        (
            str(rank),
            str(t.number),
            *(_fmt(t.params[p]) for p in params),
            *(_fmt(t.shares[c]) for c in classes),
            _fmt(t.value),
        )
        for rank, t in enumerate(result.top(top), start=1)
    ]
    rejected = sum(t.value is None for t in result.trials)
    print_table(
        f"Best {len(rows)} of {len(result.trials)} trials ({result.objective}, "
        f"{'lower' if result.direction == 'minimize' else 'higher'} is better; "
        f"{rejected} rejected), "
        f"training rows before {result.train_end}",
        ["rank", "trial", *params, *(f"{c} share" for c in classes), result.objective],
        rows,
    )
    own = result.current
    if own is not None:
        shares = ", ".join(f"{c} {_fmt(s)}" for c, s in own.shares.items())
        console.print(
            f"the experiment's own labels (trial 0): {result.objective} "
            f"{_fmt(own.value)}{f' ({own.note})' if own.note else ''}; {shares}"
        )
    console.print(f"[bold]chosen labels[/] → {path}")
    console.print(result.to_yaml(), highlight=False, markup=False, soft_wrap=True)


def _floats(option: str, text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise ConfigError(
            f"{option} {text!r}: expected comma-separated numbers, e.g. 0.3,0.4,0.3"
        ) from err


def _ints(option: str, text: str) -> list[int]:
    values = _floats(option, text)
    if any(v != int(v) for v in values):
        raise ConfigError(f"{option} {text!r}: expected comma-separated whole numbers, e.g. 1,3,6")
    return [int(v) for v in values]


def _bounds(pairs: list[str]) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for pair in pairs:
        name, _, span = pair.partition("=")
        values = _floats(f"--bounds {name}", span) if span else []
        if not name.strip() or len(values) != 2:
            raise ConfigError(
                f"--bounds {pair!r}: expected name=low,high, e.g. threshold=0.001,0.02"
            )
        out[name.strip()] = (values[0], values[1])
    return out


def _fmt(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
