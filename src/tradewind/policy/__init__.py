"""Trade policies: calibrated probabilities → positions, one typed object for every caller.

:class:`TradePolicy` is the fitted policy (stored in the bundle); :class:`PolicySpec` is the
experiment's ``policy:`` section, the space each fold chooses from on its validation rows
(:func:`tradewind.backtest.fit_policy`).
"""

from tradewind.policy.meta import META_FEATURES, MetaFilter, state_features
from tradewind.policy.model import (
    Decision,
    TradePolicy,
    class_sides,
    decide,
    default_exits,
    kelly_fraction,
)
from tradewind.policy.spec import MetaSpec, PolicyExit, PolicySpec

__all__ = [
    "META_FEATURES",
    "Decision",
    "MetaFilter",
    "MetaSpec",
    "PolicyExit",
    "PolicySpec",
    "TradePolicy",
    "class_sides",
    "decide",
    "default_exits",
    "kelly_fraction",
    "state_features",
]
