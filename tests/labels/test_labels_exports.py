"""The public surface of tradewind.labels is what was meant."""

from __future__ import annotations

import tradewind.labels as labels


def test_public_surface():
    assert set(labels.__all__) == {
        "OUTCOME_STOP", "OUTCOME_TAKE_PROFIT", "OUTCOME_TIME", "AdaptiveThreshold", "ExitSpec",
        "LabelKind", "LabelSet", "LabelSpec", "adaptive_threshold", "atr", "barrier_levels",
        "class_names", "first_touch", "forward_returns", "label_balance", "make_labels",
        "OBJECTIVES", "LabelSearchResult", "LabelTrial", "load_label_spec", "search_labels",
        "write_label_spec",
    }
    for name in labels.__all__:
        assert getattr(labels, name) is not None
