"""Champion/challenger retraining: train on the newest data, judge both models on the same
newest rows neither trained on, promote only what is not shown worse (``tradewind retrain``).

``split`` cuts the candles (training window | purge | holdout), ``champion`` loads the
registry's champion and refuses one trained on the holdout, ``holdout`` scores a bundle
(predictions and its own trade policy after costs), ``compare`` makes the paired intervals,
``decide`` applies the rule, ``record`` writes the decision file and registry tags, and
``run`` is the recipe; ``universe`` runs it for each symbol of a per-symbol universe.
"""

from tradewind.retrain.champion import Champion, check_champion_before_holdout, load_champion
from tradewind.retrain.compare import MetricComparison, compare_on_holdout
from tradewind.retrain.decide import Decision, decide
from tradewind.retrain.holdout import HoldoutScore, holdout_labels, score_on_holdout
from tradewind.retrain.record import DECISION_FILE, decision_tags, record_decision
from tradewind.retrain.run import RetrainResult, retrain_experiment
from tradewind.retrain.split import RetrainSplit, split_candles
from tradewind.retrain.universe import SUMMARY_FILE, retrain_universe

__all__ = [
    "DECISION_FILE",
    "SUMMARY_FILE",
    "Champion",
    "Decision",
    "HoldoutScore",
    "MetricComparison",
    "RetrainResult",
    "RetrainSplit",
    "check_champion_before_holdout",
    "compare_on_holdout",
    "decide",
    "decision_tags",
    "holdout_labels",
    "load_champion",
    "record_decision",
    "retrain_experiment",
    "retrain_universe",
    "score_on_holdout",
    "split_candles",
]
