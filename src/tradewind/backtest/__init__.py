"""Cost-aware backtesting: a numba engine over signal arrays, and its statistics.

``signals_from_probabilities`` turns calibrated probabilities and a
:class:`~tradewind.policy.TradePolicy` into :class:`SignalArrays`; ``fit_policy`` chooses
that policy on validation rows; ``run_backtest`` simulates
them over candles (entries at the next open, stop first when a bar touches both levels);
``compute_stats`` summarises the result (Sharpe with a block-bootstrap interval, deflated
Sharpe). See :mod:`tradewind.backtest.engine` for the exact rules and the backtesting.py
parity settings.
"""

from tradewind.backtest.engine import EXIT_REASONS, BacktestConfig, BacktestResult, run_backtest
from tradewind.backtest.from_probabilities import backtest_probabilities
from tradewind.backtest.policy_fit import PolicyFit, fit_policy, round_trip_cost, trade_sizes
from tradewind.backtest.signals_arrays import SignalArrays, signals_from_probabilities
from tradewind.backtest.stats import BacktestStats, compute_stats, deflated_sharpe_ratio

__all__ = [
    "EXIT_REASONS",
    "BacktestConfig",
    "BacktestResult",
    "BacktestStats",
    "PolicyFit",
    "SignalArrays",
    "backtest_probabilities",
    "compute_stats",
    "deflated_sharpe_ratio",
    "fit_policy",
    "round_trip_cost",
    "run_backtest",
    "signals_from_probabilities",
    "trade_sizes",
]
