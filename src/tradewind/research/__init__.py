"""Research tools that run over whole experiments: the offline search of label thresholds.

They sit above :mod:`tradewind.config` and :mod:`tradewind.pipeline` (they take an
``Experiment`` and read its training period), so the packages below never import them.
:func:`search_labels` needs Optuna, from the ``sweep`` extra.
"""

from tradewind.research.label_search import (
    OBJECTIVES,
    LabelSearchResult,
    LabelTrial,
    load_label_spec,
    search_labels,
    write_label_spec,
)

__all__ = [
    "OBJECTIVES",
    "LabelSearchResult",
    "LabelTrial",
    "load_label_spec",
    "search_labels",
    "write_label_spec",
]
