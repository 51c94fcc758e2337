"""Labels that only look forward: direction, ternary, triple barrier, forward return.

``make_labels(candles, LabelSpec)`` returns a :class:`LabelSet` aligned with the candles;
``ExitSpec`` is the one description of a trade's exits, shared with the backtester through
:func:`barrier_levels` and the numba :func:`first_touch`. The offline search of thresholds
over an experiment is :func:`tradewind.research.search_labels`.
"""

from tradewind.labels.balance import label_balance
from tradewind.labels.barriers import (
    OUTCOME_STOP,
    OUTCOME_TAKE_PROFIT,
    OUTCOME_TIME,
    atr,
    barrier_levels,
    first_touch,
)
from tradewind.labels.make import LabelSet, adaptive_threshold, forward_returns, make_labels
from tradewind.labels.spec import AdaptiveThreshold, ExitSpec, LabelKind, LabelSpec, class_names

__all__ = [
    "OUTCOME_STOP",
    "OUTCOME_TAKE_PROFIT",
    "OUTCOME_TIME",
    "AdaptiveThreshold",
    "ExitSpec",
    "LabelKind",
    "LabelSet",
    "LabelSpec",
    "adaptive_threshold",
    "atr",
    "barrier_levels",
    "class_names",
    "first_touch",
    "forward_returns",
    "label_balance",
    "make_labels",
]
