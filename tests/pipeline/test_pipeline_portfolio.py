"""The equal-risk portfolio of the symbols' out-of-sample backtests."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from tradewind.backtest.stats import sharpe_interval
from tradewind.block_bootstrap import BlockBootstrap
from tradewind.config import Experiment
from tradewind.exceptions import DataError
from tradewind.pipeline.portfolio import portfolio_backtest, risk_of
from tradewind.timeframes import bars_per_year


def _traded(returns: np.ndarray, start: str, n_trades: int = 3) -> SimpleNamespace:
    equity = 1000.0 * np.cumprod(1.0 + returns)
    index = pd.date_range(start, periods=len(returns), freq="1h", tz="UTC")
    result = SimpleNamespace(equity=equity, initial_equity=1000.0, index=index,
                             trades=pd.DataFrame({"return": np.zeros(n_trades)}))
    stats = SimpleNamespace(sharpe=1.0, total_return=float(equity[-1] / 1000 - 1),
                            sharpe_ci_block=24)
    return SimpleNamespace(result=result, stats=stats)


def test_equal_risk_weights_and_a_joint_sharpe_interval():
    rng = np.random.default_rng(0)
    a = rng.normal(2e-4, 1e-2, 500)
    exp = Experiment(bootstrap={"n_boot": 200})
    same = portfolio_backtest(exp, ["A", "B"], [_traded(a, "2024-01-01"), _traded(a, "2024-01-01")],
                              [1.0, 3.0], "1h")
    assert same["weights"] == pytest.approx({"A": 0.75, "B": 0.25})
    assert same["n_trades"] == 6
    # two identical symbols at equal times are one symbol: same Sharpe and interval
    sharpe, lo, hi = sharpe_interval(a, BlockBootstrap(n_boot=200), 24, exp.seed)
    scale = math.sqrt(bars_per_year("1h"))
    assert same["sharpe"] == pytest.approx(sharpe * scale)
    assert (same["sharpe_ci_low"], same["sharpe_ci_high"]) == pytest.approx((lo * scale, hi * scale))
    assert same["total_return"] == pytest.approx(float(np.prod(1 + a) - 1))


def test_a_symbol_without_a_bar_at_some_time_contributes_nothing_then():
    a = np.full(10, 0.01)
    exp = Experiment(bootstrap={"n_boot": 100})
    out = portfolio_backtest(exp, ["A", "B"], [_traded(a, "2024-01-01"),
                                               _traded(a, "2024-01-01 05:00")], [1.0, 1.0], "1h")
    assert out["n_bars"] == 15
    values = np.array(out["equity"]["value"])
    np.testing.assert_allclose(values[:5], 10_000 * 1.005 ** np.arange(1, 6))


def test_a_symbol_without_price_variation_is_refused_by_name():
    with pytest.raises(DataError, match="'FLAT/USD' has no price variation"):
        risk_of(np.zeros(50), np.arange(10, 40), "FLAT/USD")
