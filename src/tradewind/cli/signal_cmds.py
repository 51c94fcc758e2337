"""``tradewind signal BUNDLE --data SOURCE``: the latest bar's signal as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradewind.cli.common import AllowRefusedOption, ReferenceOption, SetOption

if TYPE_CHECKING:
    from tradewind.policy import TradePolicy

__all__ = ["policy_from_pairs", "signal"]


def policy_from_pairs(base: TradePolicy, pairs: list[str] | None) -> TradePolicy:
    """``base`` (a bundle's own policy) with ``--set key=value`` overrides of its keys
    (``threshold=0.6``, ``policy.sides=long``, ``exits.stop_loss=1.5``)."""
    from tradewind.config import parse_overrides

    return base.with_overrides(parse_overrides(pairs or []), "--set")


def signal(
    bundle: Annotated[Path, typer.Argument(
        help="Bundle directory (from `tradewind run`; a run over several symbols: its "
        "bundle folder, with --symbol).")],
    data: Annotated[str, typer.Option(
        "--data", help="Candles: a file, sample:NAME, synthetic:KIND?... or store:EX/SYM/TF.")],
    symbol: Annotated[str | None, typer.Option(
        help="Symbol: picks its bundle from a bundle of several symbols, and names the "
        "signal (default: the bundle's, else the data source).")] = None,
    timeframe: Annotated[str | None, typer.Option(
        help="Declared bar length of the data (default: the source's own or inferred).")] = None,
    allow_refused: AllowRefusedOption = False,
    set_: SetOption = None,
    reference: ReferenceOption = None,
) -> None:
    """Print the newest bar's signal (direction, calibrated probabilities, levels) as JSON.

    The bundle's own trade policy decides it (the one its run judged out of sample);
    ``--set`` overrides its keys, e.g. ``--set threshold=0.6``.
    A bundle the gate refused is refused here too unless ``--allow-refused`` is given.
    A run over several symbols serves each with its own bundle: give its bundle folder and
    ``--symbol``.
    """
    from tradewind.artifacts.universe import bundle_for
    from tradewind.artifacts.verdict import admit, bundle_verdict
    from tradewind.data import load
    from tradewind.features.cross import references_from_pairs
    from tradewind.signals import signal_from_bundle

    loaded = bundle_for(bundle, symbol)
    admit(bundle_verdict(loaded), allow_refused=allow_refused,
          what=f"signal: bundle {loaded.path or bundle}")
    policy = policy_from_pairs(loaded.policy, set_)
    candles = load(data, timeframe=timeframe)
    references = references_from_pairs(loaded.feature_spec.cross, reference)
    name = symbol or loaded.manifest.data.get("symbol") or str(candles.attrs.get("source", data))
    result = signal_from_bundle(loaded, candles, policy, symbol=str(name),
                                timeframe=timeframe or candles.attrs.get("timeframe"),
                                references=references)
    typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
