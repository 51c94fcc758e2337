"""``tradewind features ...``: list the feature sets, compute features to Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import (
    ExperimentArgument,
    FormatOption,
    SetOption,
    console,
    print_json,
    print_table,
)

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("list", help="List every feature set and feature with a one-line description.")
def list_cmd(
    sets: Annotated[str | None, typer.Option(
        help="Only these sets, comma-separated, e.g. core15,smc.", show_default=False)] = None,
    format_: FormatOption = "table",
    set_: Annotated[list[str] | None, typer.Option("--set", hidden=True)] = None,
) -> None:
    """``--sets core15,smc`` lists only those sets (the older ``--set sets=[...]`` too)."""
    from tradewind.features import FeatureSpec, list_features

    chosen = None
    if set_ or sets is not None:
        from tradewind.config import apply_overrides, parse_overrides, validate_section

        raw = apply_overrides({}, parse_overrides(set_ or []))
        if sets is not None:
            raw["sets"] = [name.strip() for name in sets.split(",") if name.strip()]
        chosen = set(validate_section(FeatureSpec, raw, "--sets").sets)
    rows = [row for row in list_features() if chosen is None or row[0] in chosen]
    if format_ == "json":
        print_json([{"set": s, "feature": f, "description": d} for s, f, d in rows])
    else:
        print_table("Feature sets", ["set", "feature", "description"], rows,
                    no_wrap=("set", "feature"))


@app.command("compute", help="Compute the experiment's features (data + features sections) to Parquet.")
def compute_cmd(
    experiment: ExperimentArgument,
    out: Annotated[Path, typer.Option(help="Output Parquet file.")] = Path("out/features.parquet"),
    data: Annotated[str | None, typer.Option(help="Data source overriding data.source.")] = None,
    set_: SetOption = None,
) -> None:
    from tradewind.config import load_experiment
    from tradewind.data import write_parquet_atomic
    from tradewind.features import compute
    from tradewind.pipeline.prepare import load_candles

    exp = load_experiment(experiment, set_ or [])
    candles = load_candles(exp, data)
    feats = compute(candles, exp.features)
    frame = feats.frame if feats.side is None else feats.frame.join(feats.side)
    write_parquet_atomic(frame, out)
    dropped = f"{feats.warmup_rows} warm-up rows dropped"
    if feats.missing_rows:
        dropped += f", {feats.missing_rows} without reference bars (features.cross)"
    console.print(f"{len(frame):,} rows × {frame.shape[1]} features ({dropped}) → {out}")
