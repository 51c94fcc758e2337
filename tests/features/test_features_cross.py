"""Cross-asset features: the as-of join by close time, the missing rules, coverage, causality.

The property test perturbs a reference's candles from some time ``s`` on (changed values,
deleted bars) and the instrument's after a cut, and checks that no cross feature of an
instrument bar that closes before the first perturbed reference bar closes has moved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from features_helpers import SHORT, make_candles
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tradewind.config import load_experiment
from tradewind.exceptions import ConfigError, DataError, SchemaMismatchError
from tradewind.features import CrossSpec, FeatureSpec, compute, warmup_bars
from tradewind.features.cross import asof_rows, reference_warmup

NS = 1_000_000_000
_FREQ = {"5m": "5min", "15m": "15min", "1h": "1h", "1d": "1D"}
_SECONDS = {"5m": 300, "15m": 900, "1h": 3600, "1d": 86400}


def _spec(missing: str = "nan", max_gap: int | None = None, timeframe: str | None = None,
          **take: list) -> FeatureSpec:
    take = take or {"returns": [1, 3], "features": ["rsi", "atr_norm", "volume_z"],
                    "correlation": [10], "beta": [10]}
    ref = CrossSpec(source="synthetic:random_walk", name="btc", timeframe=timeframe,
                    missing=missing, max_gap=max_gap, **take)
    return FeatureSpec(sets=["core15"], cross=[ref], params=SHORT)


def _reference(inst: pd.DataFrame, base: str, tf: str, history: int, seed: int) -> pd.DataFrame:
    """Reference candles of timeframe ``tf`` from ``history`` bars before the instrument
    to past its last close."""
    length = pd.Timedelta(seconds=_SECONDS[tf])
    start = inst.index[0].floor(length) - history * length
    end = inst.index[-1] + pd.Timedelta(seconds=_SECONDS[base])
    n = int((end - start) / length) + 1
    return make_candles(n, seed, freq=_FREQ[tf], start=str(start.tz_convert(None)))


def _counting(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Candles whose close is ``j + 1`` at row ``j``: ``logret_1`` names the row seen."""
    close = np.arange(1.0, len(index) + 1.0)
    return pd.DataFrame({"open": close, "high": close, "low": close, "close": close,
                         "volume": np.ones(len(index))}, index=index)


def _seen_rows(frame: pd.DataFrame) -> np.ndarray:
    """Reference row behind each ``btc_logret_1`` of counting candles: log((j+1)/j)."""
    ratio = np.exp(frame["btc_logret_1"].to_numpy())
    return np.rint(1.0 / (ratio - 1.0)).astype(int)  # (j + 1) / j = ratio -> j = 1/(r-1)


# -- the as-of rule --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("base", "ref", "bar", "seen"),
    [
        ("5m", "5m", "00:20", "00:20"),   # equal: the reference bar opening with it
        ("5m", "1h", "00:55", "00:00"),   # the hour closes with the 00:55 bar's close
        ("5m", "1h", "00:50", None),      # ... and not one bar earlier
        ("15m", "5m", "00:15", "00:25"),  # shorter: the 5m bar closing at 00:30
        ("1h", "1d", "23:00", "00:00"),   # a day is visible from its last hour on
    ],
)
def test_asof_rows_by_close_time(base: str, ref: str, bar: str, seen: str | None) -> None:
    day = pd.Timestamp("2024-01-02", tz="UTC")
    base_ns = np.array([(day + pd.Timedelta(bar + ":00")).value])
    ref_index = pd.date_range(day, day + pd.Timedelta("1D"), freq=_FREQ[ref], tz="UTC")
    rows, missing = asof_rows(base_ns, _SECONDS[base], ref_index.as_unit("ns").asi8,
                              _SECONDS[ref])
    if seen is None:
        assert rows[0] == -1 and missing[0] == -1
    else:
        assert ref_index[rows[0]] == day + pd.Timedelta(seen + ":00")
        assert missing[0] == 0


@pytest.mark.parametrize(("base", "ref"), [("5m", "5m"), ("5m", "1h"), ("15m", "5m")])
def test_compute_takes_the_newest_closed_reference_bar(base: str, ref: str) -> None:
    inst = make_candles(300, 1, freq=_FREQ[base], start="2024-01-02 00:00")
    ref_index = _reference(inst, base, ref, 40, 2).index
    spec = _spec(timeframe=ref, returns=[1])
    feats = compute(inst, spec, references={"btc": _counting(ref_index)})
    base_close = feats.frame.index + pd.Timedelta(seconds=_SECONDS[base])
    length = pd.Timedelta(seconds=_SECONDS[ref])
    expected = np.searchsorted(ref_index + length, base_close, side="right") - 1
    np.testing.assert_array_equal(_seen_rows(feats.frame), expected)
    # the reference bar seen closed at or before the bar's close, the next one after it
    assert (ref_index[expected] + length <= base_close).all()
    assert (ref_index[expected + 1] + length > base_close).all()


def test_warmup_bars_counts_a_longer_reference_in_instrument_bars() -> None:
    spec = _spec(timeframe="1h")
    need = warmup_bars(spec, "5m")
    inst = make_candles(need + 60, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "1h", 0, 2)  # the reference starts with the instrument
    feats = compute(inst, spec, references={"btc": ref})
    assert need >= feats.warmup_rows > warmup_bars(FeatureSpec(sets=["core15"], params=SHORT))
    assert need - feats.warmup_rows < 12  # within one reference bar


# -- missing reference bars ------------------------------------------------------------

def _gap_case(missing: str, max_gap: int | None, drop: list[int]) -> tuple[pd.DataFrame, ...]:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref_index = _reference(inst, "5m", "5m", 30, 2).index
    counting = _counting(ref_index)
    gone = inst.index[drop]
    spec = _spec(missing, max_gap, timeframe="5m", returns=[1])
    full = compute(inst, spec, references={"btc": counting})
    feats = compute(inst, spec, references={"btc": counting.drop(gone)})
    return full.frame, feats.frame, gone, feats


def test_missing_nan_drops_the_rows_whose_reference_bars_are_missing() -> None:
    full, frame, gone, feats = _gap_case("nan", None, [150, 151, 160])
    # 152 and 161: their 1-bar return starts at a missing bar
    dropped = gone.union(full.index[full.index.get_indexer(gone[[1, 2]]) + 1])
    assert feats.missing_rows == 5
    assert frame.index.equals(full.index.drop(dropped))
    np.testing.assert_array_equal(frame.to_numpy(), full.drop(dropped).to_numpy())


def test_missing_ffill_carries_at_most_max_gap_bars() -> None:
    full, frame, gone, feats = _gap_case("ffill", 1, [150, 151, 160])
    # 150 and 160 take the bar before them; 151 would be the second missing bar, and
    # 152's return would start two missing bars back: both dropped
    at = full.index.get_loc
    dropped = full.index[[at(gone[1]), at(gone[1]) + 1]]
    assert feats.missing_rows == 2
    assert frame.index.equals(full.index.drop(dropped))
    ret = "btc_logret_1"
    for stamp in (gone[0], gone[2]):
        assert frame.loc[stamp, ret] == full[ret].iloc[at(stamp) - 1]
    after_gap = full.index[at(gone[2]) + 1]  # its return starts at the carried bar 159
    assert frame.loc[after_gap, ret] == pytest.approx(
        full.loc[after_gap, ret] + full.loc[gone[2], ret], abs=1e-12)
    untouched = frame.index.difference(gone.union([after_gap]))
    assert frame.loc[untouched].equals(full.loc[untouched])


def test_missing_ffill_correlation_uses_the_carried_bar() -> None:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "5m", 30, 2)
    spec = _spec("ffill", 2, timeframe="5m", correlation=[10])
    feats = compute(inst, spec, references={"btc": ref.drop(inst.index[[150, 151]])})
    assert feats.missing_rows == 0 and len(feats.frame) == 200 - feats.warmup_rows
    assert np.isfinite(feats.frame["btc_corr_10"]).all()


# -- coverage --------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["start", "end"])
def test_reference_not_covering_the_instrument_is_refused(where: str) -> None:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "5m", 30, 2)
    cut = ref.loc["2024-01-02 01:00":] if where == "start" else ref.loc[:"2024-01-02 15:00"]
    with pytest.raises(DataError) as err:
        compute(inst, _spec(), references={"btc": cut})
    message = str(err.value)
    assert "features.cross 'btc' (synthetic:random_walk) does not cover" in message
    first_uncovered = "2024-01-02 00:00:00+00:00" if where == "start" else "2024-01-02 15:05:00+00:00"
    assert f"bar open times {first_uncovered}" in message, message


def test_a_shorter_reference_closing_inside_the_first_bar_covers_it() -> None:
    inst = make_candles(200, 1, freq="15min", start="2024-01-02 00:00")
    ref = _reference(inst, "15m", "5m", 0, 2).iloc[1:]  # from 00:05: closes inside 00:00-00:15
    feats = compute(inst, _spec(timeframe="5m", returns=[1]), references={"btc": ref})
    assert feats.warmup_rows > 0  # the first bar is warm-up (no 1-bar return yet), not refused


def test_a_reference_with_no_closed_bar_yet_is_warm_up() -> None:
    inst = make_candles(11, 1, freq="5min", start="2024-01-02 00:00")  # inside one hour
    ref = _reference(inst, "5m", "1h", 0, 2)
    with pytest.raises(DataError, match=r"candles are too few.*features\.cross references"):
        compute(inst, _spec(timeframe="1h", returns=[1]), references={"btc": ref})


def test_a_declared_timeframe_the_candles_do_not_have_is_refused() -> None:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "1h", 30, 2)
    with pytest.raises(DataError, match="timeframe is 5m but the reference's candles are 1h"):
        compute(inst, _spec(timeframe="5m"), references={"btc": ref})


def test_ffill_tolerates_a_reference_ending_max_gap_bars_early() -> None:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "5m", 30, 2).loc[: inst.index[-3]]
    feats = compute(inst, _spec("ffill", 2), references={"btc": ref})
    assert feats.frame.index[-1] == inst.index[-1]
    with pytest.raises(DataError, match="does not cover"):
        compute(inst, _spec("ffill", 1), references={"btc": ref})


def test_references_must_match_the_spec_and_be_timezone_aware() -> None:
    inst = make_candles(200, 1, freq="5min", start="2024-01-02 00:00")
    ref = _reference(inst, "5m", "5m", 30, 2)
    with pytest.raises(SchemaMismatchError, match=r"missing \['btc \(synthetic:random_walk\)'\]"):
        compute(inst, _spec(), references={"eth": ref})
    naive = ref.copy()
    naive.index = naive.index.tz_localize(None)
    with pytest.raises(DataError, match=r"'btc'.*timezone-naive"):
        compute(inst, _spec(), references={"btc": naive})
    bad = ref.copy()
    bad.iloc[5, bad.columns.get_loc("close")] = -1.0
    with pytest.raises(DataError, match=r"features\.cross 'btc'.*'close' must be finite and > 0"):
        compute(inst, _spec(), references={"btc": bad})


# -- causality -------------------------------------------------------------------------

@st.composite
def _scenarios(draw: st.DrawFn) -> dict:
    return {
        "seed": draw(st.integers(0, 2**31 - 1)),
        "pair": draw(st.sampled_from([("5m", "5m"), ("5m", "1h"), ("15m", "5m"), ("1h", "1d")])),
        "at": draw(st.floats(0.0, 1.0)),
        "mode": draw(st.sampled_from(["replace", "delete"])),
        "rule": draw(st.sampled_from([("nan", None), ("ffill", 2)])),
        "cut": draw(st.floats(0.0, 1.0)),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=_scenarios())
@example(scenario={"seed": 0, "pair": ("5m", "1h"), "at": 0.0, "mode": "delete",
                   "rule": ("nan", None), "cut": 0.0})  # the cut leaves no row after warm-up
def test_no_lookahead_from_the_reference(scenario: dict) -> None:
    """Perturbing reference bars from open time ``s`` on (and the instrument after a cut)
    leaves the cross features of every instrument bar closing before ``s + ref length``."""
    base, tf = scenario["pair"]
    seed = scenario["seed"]
    spec = _spec(*scenario["rule"], timeframe=tf)
    n = 240 if tf != "1d" else 24 * 12
    inst = make_candles(n, seed, freq=_FREQ[base], start="2024-01-02 00:00")
    ref = _reference(inst, base, tf, reference_warmup(spec.cross[0], SHORT) + 5, seed + 1)
    before = compute(inst, spec, references={"btc": ref})

    first = max(1, int(ref.index.searchsorted(before.frame.index[0])) - 3)
    s_row = first + int(scenario["at"] * (len(ref) - 1 - first))
    s = ref.index[s_row]
    changed = ref.copy()
    rng = np.random.default_rng(seed + 2)
    if scenario["mode"] == "replace":
        tail = make_candles(len(ref) - s_row, seed + 3, freq=_FREQ[tf],
                            start=str(s.tz_convert(None)), price=float(ref["close"].iloc[s_row - 1]))
        changed.iloc[s_row:] = tail.to_numpy()
    else:  # delete a few bars from s on (at most two in a row, so ffill may carry them)
        rows = np.arange(s_row, len(ref), 3)
        changed = changed.drop(ref.index[rng.choice(rows, size=min(3, len(rows)), replace=False)])
    assert changed.loc[: s - pd.Timedelta(1, "ns")].equals(ref.loc[: s - pd.Timedelta(1, "ns")])
    cut = before.frame.index[int(scenario["cut"] * (len(before.frame) - 1))]
    try:
        after = compute(inst.loc[:cut], spec, references={"btc": changed})
    except DataError as err:  # deleting the last bars may uncover the instrument's end
        if "are too few" in str(err):  # cut inside the warm-up plus deleted bars: no rows
            assert cut <= before.frame.index[0] + 24 * pd.Timedelta(seconds=_SECONDS[tf])
            return
        assert "does not cover" in str(err)
        assert s + pd.Timedelta(seconds=_SECONDS[tf]) <= cut + pd.Timedelta(seconds=_SECONDS[base])
        return
    limit = s + pd.Timedelta(seconds=_SECONDS[tf]) - pd.Timedelta(seconds=_SECONDS[base])
    keep = before.frame.index[(before.frame.index < limit) & (before.frame.index <= cut)]
    x = before.frame.loc[keep]
    y = after.frame.loc[after.frame.index.isin(keep)]
    assert y.index.equals(x.index)
    assert after.warmup_rows == before.warmup_rows or len(keep) == 0
    np.testing.assert_allclose(y.to_numpy(), x.to_numpy(), rtol=0.0, atol=1e-12)


# -- config ----------------------------------------------------------------------------

HEAD = "data:\n  source: synthetic:random_walk?bars=400&seed=1\nlookback: 4\n"
REF = "    - {source: 'synthetic:random_walk?seed=2', name: btc, returns: [1]"


@pytest.mark.parametrize(
    ("cross", "key", "words"),
    [
        (REF + ", lag: 3}\n", "features.cross.0.lag", "unknown key"),
        (REF + "}\n" + REF + "}\n", "features", "reference name(s) ['btc'] used more than once"),
        (REF + ", missing: ffill}\n", "features.cross.0", "missing: ffill needs max_gap"),
        (REF + ", max_gap: 2}\n", "features.cross.0", "only used with missing: ffill"),
        (REF + ", features: [nope]}\n", "features.cross.0.features", "unknown feature 'nope'"),
        ("    - {source: x, name: BTC, returns: [1]}\n", "features.cross.0.name",
         "lower-case identifier"),
        ("    - {source: x, name: btc}\n", "features.cross.0", "takes nothing"),
        ("    - {source: x, name: btc, returns: [0]}\n", "features.cross.0.returns",
         "must be >= 1"),
        (REF + ", correlation: [2]}\n", "features.cross.0.correlation", "must be >= 3"),
        (REF + ", missing: last}\n", "features.cross.0.missing", "'nan' or 'ffill'"),
    ],
    ids=["unknown-key", "duplicate", "ffill-no-gap", "gap-without-ffill", "feature", "name",
         "nothing", "lag", "window", "rule"],
)
def test_cross_spec_errors_name_the_file_and_key(
    tmp_path: Path, cross: str, key: str, words: str
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(HEAD + "features:\n  cross:\n" + cross)
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert f"{path}: {key}: " in message, message
    assert words in message, message


def test_cross_column_clashing_with_an_indicator_is_refused() -> None:
    with pytest.raises(ValueError, match=r"would add column\(s\) \['btc_logret_1'\]"):
        FeatureSpec.model_validate({
            "indicators": [{"name": "RSI", "alias": "btc_logret_1"}],
            "cross": [{"source": "x", "name": "btc", "returns": [1]}],
        })
