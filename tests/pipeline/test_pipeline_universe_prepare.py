"""Several series stacked at the core: windows inside one series, per-series normalisers,
the universe's data errors (each naming the symbol or source)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.config import Experiment, validate_section
from tradewind.dataset import Normalizer, SeriesNormalizer
from tradewind.exceptions import ConfigError
from tradewind.pipeline.prepare import load_universe, prepare, prepare_universe


def _exp(sources: list[dict], **extra) -> Experiment:
    raw = {"data": {"sources": sources}, "features": {"sets": ["core15"]},
           "labels": {"kind": "direction", "horizon": 2}, "lookback": 8, **extra}
    return validate_section(Experiment, raw, "test")


def _src(bars: int, seed: int, kind: str = "planted", timeframe: str = "1h") -> str:
    return f"synthetic:{kind}?bars={bars}&seed={seed}&timeframe={timeframe}"


@settings(max_examples=12, deadline=None)
@given(
    bars=st.lists(st.integers(200, 400), min_size=2, max_size=3),  # > warm-up + 60 + horizon
    lookback=st.integers(1, 60),
)
def test_windows_never_cross_a_series_boundary(bars, lookback):
    sources = [{"source": _src(n, seed), "symbol": f"S{seed}"} for seed, n in enumerate(bars)]
    exp = _exp(sources, lookback=lookback)
    prep = prepare_universe(exp, load_universe(exp))
    assert prep.n_series == len(bars)
    starts = prep.samples - lookback + 1
    assert (starts >= 0).all()
    # the first and last row of every window belong to the same series
    np.testing.assert_array_equal(prep.series[starts], prep.series[prep.samples])
    assert np.all(np.diff(prep.samples) > 0)
    # each series' samples are exactly those of the series prepared on its own
    for s, (item, candles) in enumerate(load_universe(exp)):
        alone = prepare(exp, candles)
        np.testing.assert_array_equal(prep.series_rows(prep.samples, s), alone.samples)
        np.testing.assert_array_equal(prep.view(s).X, alone.X)
        assert prep.symbols[s] == item.name


def test_one_source_in_sources_is_the_single_series_case():
    one = _exp([{"source": _src(300, 1), "symbol": "ONE"}])
    prep = prepare_universe(one, load_universe(one))
    plain = validate_section(Experiment, {"data": {"source": _src(300, 1)}, "features":
                             {"sets": ["core15"]}, "labels": {"kind": "direction", "horizon": 2},
                             "lookback": 8}, "test")
    alone = prepare(plain, load_universe(plain)[0][1])
    assert prep.n_series == 1 and prep.symbols == ("ONE",)
    np.testing.assert_array_equal(prep.samples, alone.samples)
    assert prep.fingerprint == alone.fingerprint


def test_each_series_is_normalised_by_its_own_training_rows_only():
    rng = np.random.default_rng(0)
    a = rng.normal(0.0, 1.0, size=(100, 3))
    b = rng.normal(50.0, 10.0, size=(80, 3))
    X, offsets = np.vstack([a, b]), np.array([0, 100, 180])
    train = np.concatenate([np.arange(20, 60), np.arange(100 + 30, 100 + 50)])
    norm = SeriesNormalizer(kind="standard", clip=None).fit(X, offsets, train, 5, ["x", "y", "z"])
    own_a = Normalizer(kind="standard", clip=None).fit(a[16:60], ["x", "y", "z"])
    own_b = Normalizer(kind="standard", clip=None).fit(b[26:50], ["x", "y", "z"])
    np.testing.assert_allclose(norm.normalizers_[0].center_, own_a.center_)
    np.testing.assert_allclose(norm.normalizers_[1].center_, own_b.center_)
    out = norm.transform(X)
    np.testing.assert_allclose(out[100:], own_b.transform(b), rtol=1e-6)
    # changing the other series' rows (or this series' test rows) changes nothing
    X2 = X.copy()
    X2[:100] += 1e3
    X2[100 + 60:] *= 7
    again = SeriesNormalizer(kind="standard", clip=None).fit(X2, offsets, train, 5,
                                                            ["x", "y", "z"])
    np.testing.assert_allclose(again.normalizers_[1].center_, own_b.center_)
    # a window's first rows before the series' start are never used
    edge = SeriesNormalizer(kind="standard", clip=None).fit(X, offsets, np.array([50, 102, 103]),
                                                           10, ["x", "y", "z"])
    np.testing.assert_allclose(edge.normalizers_[1].center_, b[:4].mean(axis=0))


def test_a_series_without_training_rows_is_refused_by_name():
    X, offsets = np.zeros((20, 1)), np.array([0, 10, 20])
    with pytest.raises(ConfigError, match="'ETH/USD' has no training rows"):
        SeriesNormalizer().fit(X, offsets, np.arange(2, 8), 1, ["x"], ("BTC/USD", "ETH/USD"))


def test_series_of_different_timeframes_are_refused_naming_them():
    exp = _exp([{"source": _src(300, 1, timeframe="1h"), "symbol": "HOURLY"},
                {"source": _src(300, 2, timeframe="4h"), "symbol": "FOURLY"}])
    with pytest.raises(ConfigError, match=r"'HOURLY': 1h, 'FOURLY': 4h.*data.timeframe"):
        load_universe(exp)


def test_data_timeframe_resamples_the_finer_series():
    exp = _exp([{"source": _src(1200, 1, timeframe="1h"), "symbol": "HOURLY"},
                {"source": _src(300, 2, timeframe="4h"), "symbol": "FOURLY"}],
               )
    exp = exp.model_copy(update={"data": exp.data.model_copy(update={"timeframe": "4h"})})
    universe = load_universe(exp)
    assert [c.attrs["timeframe"] for _, c in universe] == ["4h", "4h"]
    assert len(universe[0][1]) == 300
    coarse = exp.model_copy(update={"data": exp.data.model_copy(update={"timeframe": "1h"})})
    with pytest.raises(ConfigError, match=r"'FOURLY'.*4h bars, longer than data.timeframe 1h"):
        load_universe(coarse)


@pytest.mark.parametrize(("sources", "named"), [
    ([{"source": "synthetic:planted?seed=1", "symbol": "X"},
      {"source": "synthetic:planted?seed=2", "symbol": "X"}], "symbol 'X' is listed twice"),
    ([{"source": "synthetic:planted?seed=1"}, {"source": "synthetic:planted?seed=1"}],
     "'synthetic:planted\\?seed=1' is listed twice"),
])
def test_a_series_listed_twice_is_refused(sources, named):
    with pytest.raises(ConfigError, match=named):
        _exp(sources)


def test_source_and_sources_together_are_refused():
    with pytest.raises(ConfigError, match=r"data\.source/data\.symbol and data\.sources"):
        validate_section(Experiment, {"data": {"source": "sample:eurusd-1h", "sources": [
            {"source": "synthetic:planted?seed=1"}, {"source": "synthetic:planted?seed=2"}]}},
            "test")


def test_one_series_sections_are_refused_with_several_series():
    with pytest.raises(ConfigError, match=r"export\.format: measured for one series only"):
        _exp([{"source": _src(300, 1)}, {"source": _src(300, 2)}], export={"format": "json"})


def test_each_series_view_shares_the_stacked_arrays():
    exp = _exp([{"source": _src(300, 1), "symbol": "A"}, {"source": _src(250, 2), "symbol": "B"}])
    prep = prepare_universe(exp, load_universe(exp))
    for s in range(prep.n_series):
        view = prep.view(s)
        lo, hi = prep.offsets[s], prep.offsets[s + 1]
        for name in ("X", "y", "forward_return", "last_return"):
            assert np.shares_memory(getattr(view, name), getattr(prep, name)), name
            np.testing.assert_array_equal(getattr(view, name), getattr(prep, name)[lo:hi])
        assert len(view.features.frame) == 0 and view.features.names == prep.features.names
