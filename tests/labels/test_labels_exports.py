"""The public surface of tradewind.labels is what was meant."""

from __future__ import annotations

import tradewind.labels as labels
import tradewind.research as research
from public_surface import surface_problems


def test_public_surface():
    assert set(labels.__all__) == {
        "OUTCOME_STOP", "OUTCOME_TAKE_PROFIT", "OUTCOME_TIME", "AdaptiveThreshold", "ExitSpec",
        "LabelKind", "LabelSet", "LabelSpec", "adaptive_threshold", "atr", "barrier_levels",
        "class_names", "first_touch", "forward_returns", "label_balance", "make_labels",
    }
    assert surface_problems(labels) == []


def test_label_search_lives_in_research():
    assert set(research.__all__) == {
        "OBJECTIVES", "LabelSearchResult", "LabelTrial", "load_label_spec", "search_labels",
        "write_label_spec",
    }
    assert surface_problems(research) == []
    assert not hasattr(labels, "search_labels")
