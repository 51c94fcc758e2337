"""The public surface of tradewind.backtest is what was meant."""

from __future__ import annotations

import tradewind.backtest as bt


def test_all_is_sorted_and_importable():
    # isort style, as ruff keeps it: CONSTANTS, then Classes, then functions, each sorted
    def group(name: str) -> int:
        return 0 if name.isupper() else (1 if name[0].isupper() else 2)

    assert list(bt.__all__) == sorted(bt.__all__, key=lambda n: (group(n), n))
    for name in bt.__all__:
        assert hasattr(bt, name), name
    assert {"run_backtest", "compute_stats", "signals_from_probabilities"} <= set(bt.__all__)
    assert bt.EXIT_REASONS == ("stop", "take_profit", "time", "signal", "end")
