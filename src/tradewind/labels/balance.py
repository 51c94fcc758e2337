"""Class balance per calendar year and overall (what ``tradewind labels inspect`` prints).

Seed 001 reported SELL 28 % / HOLD 34 % / BUY 38 % for its whole data set while its model
said BUY 95 % of the time; the balance per year shows whether a "balanced" total hides
years that are one-sided.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from tradewind.exceptions import ConfigError
from tradewind.labels.make import LabelSet

__all__ = ["label_balance"]


def _row(labels: LabelSet, mask: np.ndarray) -> dict[str, float | int]:
    known = labels.known & mask
    row: dict[str, float | int] = {
        "labelled": int(known.sum()),
        "unlabelled": int((mask & ~labels.known).sum()),
    }
    if labels.classes:
        y = labels.y[known]
        counts = np.bincount(y, minlength=len(labels.classes)) if y.size else np.zeros(
            len(labels.classes), dtype=np.int64
        )
        for name, count in zip(labels.classes, counts, strict=True):
            row[name] = int(count)
        for name, count in zip(labels.classes, counts, strict=True):
            row[f"{name}_share"] = float(count / y.size) if y.size else float("nan")
    else:
        fwd = labels.forward_return[known]
        row["mean"] = float(fwd.mean()) if fwd.size else float("nan")
        row["std"] = float(fwd.std(ddof=1)) if fwd.size > 1 else float("nan")
        row["positive_share"] = float((fwd > 0).mean()) if fwd.size else float("nan")
    return row


def label_balance(labels: LabelSet, by: Literal["year", "all"] = "year") -> pd.DataFrame:
    """Counts and shares of each class, per calendar year (UTC) and overall.

    Returns
    -------
    DataFrame indexed by ``period`` ("2021", "2022", …, then "all"; only "all" with
    ``by="all"``). Columns: ``labelled`` (rows with a label), ``unlabelled`` (-1 rows), one
    count column per class, then ``<class>_share`` (share among labelled rows). For
    ``forward_return`` labels the class columns are replaced by ``mean``, ``std`` and
    ``positive_share`` of the forward return.
    """
    if by not in ("year", "all"):
        raise ConfigError(f"label_balance: by must be 'year' or 'all', got {by!r}")
    rows: dict[str, dict[str, float | int]] = {}
    if by == "year" and len(labels):
        years = np.asarray(labels.index.year)
        for year in np.unique(years):
            rows[str(int(year))] = _row(labels, years == year)
    rows["all"] = _row(labels, np.ones(len(labels), dtype=bool))
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "period"
    return frame
