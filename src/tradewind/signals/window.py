"""The bundle's data policy applied to a window of candles a caller hands in.

Training loads candles under ``data.policy`` (gaps refused, filled or allowed); the
bundle records that policy (``manifest.data["policy"]``), and the server and the live
loop apply its ``gaps`` mode to each window before predicting, so a window with missing
bars is refused, filled or flagged exactly as the training data would have been. A bundle
that records no policy gets the default (``allow``), still with a warning per gap.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tradewind.data.gaps import GapMode, apply_gap_policy
from tradewind.signals.generate import resolve_timeframe
from tradewind.timeframes import timeframe_seconds

__all__ = ["apply_bundle_gap_policy", "bundle_gap_mode"]

_STRICTNESS: dict[str, int] = {"allow": 0, "fill": 1, "error": 2}


def bundle_gap_mode(predictor: Any) -> GapMode:
    """The ``gaps`` mode of a bundle's recorded data policy (an ensemble: the strictest)."""
    members = getattr(predictor, "bundles", None) or [predictor]
    modes = [str(((b.manifest.data or {}).get("policy") or {}).get("gaps", "allow"))
             for b in members]
    return max((m if m in _STRICTNESS else "allow" for m in modes),  # type: ignore[return-value]
               key=_STRICTNESS.__getitem__)


def apply_bundle_gap_policy(
    predictor: Any, candles: pd.DataFrame, timeframe: str | None, *, where: str
) -> tuple[pd.DataFrame, list[str]]:
    """``candles`` after the bundle's gap policy, and warnings for the response.

    Raises :class:`~tradewind.exceptions.DataError` naming the first missing bar when the
    policy refuses gaps; ``timeframe`` defaults as in :func:`resolve_timeframe`.
    """
    members = getattr(predictor, "bundles", None) or [predictor]
    tf = resolve_timeframe(timeframe, candles, members[0].manifest.data)
    return apply_gap_policy(candles, timeframe_seconds(tf), bundle_gap_mode(predictor),
                            where=where)
