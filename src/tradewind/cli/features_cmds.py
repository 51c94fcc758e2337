"""``tradewind features ...``: list the feature sets, compute features to Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import SetOption, console, table

__all__ = ["app"]

app = typer.Typer(no_args_is_help=True)


@app.command("list", help="List every feature set and feature with a one-line description.")
def list_cmd(set_: SetOption = None) -> None:
    """``--set sets=[core15,smc]`` lists only those sets."""
    from tradewind.config import apply_overrides, parse_overrides, validate_section
    from tradewind.features import FeatureSpec, list_features

    chosen = None
    if set_:
        spec = validate_section(FeatureSpec, apply_overrides({}, parse_overrides(set_)), "--set")
        chosen = set(spec.sets)
    rows = [row for row in list_features() if chosen is None or row[0] in chosen]
    console.print(table("Feature sets", ["set", "feature", "description"], rows))


@app.command("compute", help="Compute the experiment's features (data + features sections) to Parquet.")
def compute_cmd(
    config: Annotated[Path, typer.Argument(help="Experiment YAML file.")],
    out: Annotated[Path, typer.Option(help="Output Parquet file.")] = Path("out/features.parquet"),
    data: Annotated[str | None, typer.Option(help="Data source overriding data.source.")] = None,
    set_: SetOption = None,
) -> None:
    from tradewind.config import load_experiment
    from tradewind.data import write_parquet_atomic
    from tradewind.features import compute
    from tradewind.pipeline.prepare import load_candles

    exp = load_experiment(config, set_ or [])
    candles = load_candles(exp, data)
    feats = compute(candles, exp.features)
    frame = feats.frame if feats.side is None else feats.frame.join(feats.side)
    write_parquet_atomic(frame, out)
    console.print(f"{len(frame):,} rows × {frame.shape[1]} features "
                  f"({feats.warmup_rows} warm-up rows dropped) → {out}")
