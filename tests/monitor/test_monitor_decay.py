"""The monitor on a real bundle replayed through the live loop over a market whose edge
switches off half-way: no breach while the edge lasts, the decay flagged after it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from monitor_helpers import SYMBOL, TIMEFRAME, Decayed

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.exceptions import ConfigError, LiveLogError
from tradewind.live import SignalLog
from tradewind.monitor import (
    MonitorResult,
    check,
    load_monitor,
    loop_check,
    monitor_spec,
    reference_of,
    write_monitor,
)
from tradewind.signals import Ensemble


def _check(d: Decayed, **kw) -> MonitorResult:
    return check(d.log, d.bundle, symbol=SYMBOL, timeframe=TIMEFRAME, **kw)


def _status(result: MonitorResult) -> dict[str, str]:
    return {c.name: c.status for c in result.checks}


def test_the_bundle_carries_training_bins_promises_and_settings(decayed: Decayed) -> None:
    ref, promises, why = reference_of(decayed.bundle.manifest)
    assert why is None and ref is not None
    assert set(ref.features) == set(decayed.bundle.manifest.feature_names)
    assert all(abs(sum(b.shares) - 1.0) < 1e-9 for b in ref.features.values())
    assert set(ref.train_shares) == {"DOWN", "UP"} and ref.share_rows > 100
    assert promises is not None and promises.source == "report"
    assert promises.mcc_ci[0] > 0 and promises.trades and promises.return_per_trade_bp_ci
    spec = monitor_spec(decayed.bundle)  # the experiment's monitor: section travels along
    assert (spec.window, spec.drift_bars) == (800, 400)
    assert monitor_spec(decayed.bundle, {"window": 50, "min_resolved": 20}).window == 50


def test_no_breach_while_the_edge_lasts(decayed: Decayed) -> None:
    first = _check(decayed, as_of=decayed.mid)
    assert first.resolved == 799 and first.current.labelled > 700
    status = _status(first)
    assert status["mcc"] == status["return_per_trade"] == status["accuracy"] == "ok"
    assert first.current.mcc.ci[0] > 0
    assert not [b for b in first.breaches if b.check in ("mcc", "return_per_trade", "accuracy")]


def test_the_decay_is_flagged_with_intervals_after_the_edge_is_gone(decayed: Decayed) -> None:
    second = _check(decayed)
    assert second.current.first > decayed.mid.isoformat()  # the window is the second half
    status = _status(second)
    assert status["mcc"] == status["return_per_trade"] == "breach"
    mcc = next(c for c in second.checks if c.name == "mcc")
    assert mcc.ci[1] < mcc.promised_ci[0]
    assert second.breached
    reasons = {b.check: b.reason for b in second.breaches if b.level == "breach"}
    assert "below the promised interval" in reasons["mcc"]
    assert "after-cost return per trade" in reasons["return_per_trade"]


def test_rolling_windows_move_from_the_promise_to_no_skill(decayed: Decayed) -> None:
    result = _check(decayed)
    assert len(result.rolling) >= 10
    mcc = [w.mcc.value for w in result.rolling]
    assert mcc[0] > 0.1 and mcc[-1] < mcc[0] - 0.1
    assert [w.last for w in result.rolling] == sorted(w.last for w in result.rolling)


def test_drift_is_measured_per_feature_from_the_stored_candles(decayed: Decayed) -> None:
    result = _check(decayed, rolling=False)
    drift = result.drift
    assert drift.available and drift.rows == 400
    assert {f.feature for f in drift.features} == set(decayed.bundle.manifest.feature_names)
    psis = [f.psi for f in drift.features]
    assert psis == sorted(psis, reverse=True) and all(np.isfinite(psis))


def test_written_json_and_html_round_trip(decayed: Decayed, tmp_path: Path) -> None:
    result = _check(decayed)
    _, html_path = write_monitor(result, tmp_path)
    assert load_monitor(tmp_path) == result
    page = html_path.read_text(encoding="utf-8")
    for section in ('id="summary"', 'id="reliability"', 'id="rolling"', 'id="drift"',
                    'id="shares"'):
        assert section in page
    assert page.count("data:image/png;base64,") >= 3
    assert "lies entirely below the promised interval" in page


def _relog(d: Decayed, path: Path, bundle: Bundle, **update) -> Path:
    """The decayed log's signals and outcomes again, as if ``bundle`` had written them."""
    digest = bundle_digest(bundle)
    with SignalLog(d.log) as src, SignalLog(path) as dst:
        dst._conn.execute("PRAGMA synchronous=OFF")  # a throw-away copy: no fsync per row
        dst.begin(SYMBOL, TIMEFRAME, digest)
        for sig in src.signals(SYMBOL, TIMEFRAME):
            dst.append(sig.model_copy(update={"bundle_fingerprint": digest, **update}))
        dst.store_candles(SYMBOL, TIMEFRAME, src.candles(SYMBOL, TIMEFRAME))
        for ts, row in src.outcomes(SYMBOL, TIMEFRAME).iterrows():
            dst.record_outcome(SYMBOL, TIMEFRAME, ts, label=row["label"],
                               forward_return=row["forward_return"],
                               trade_return=None if np.isnan(row["trade_return"])
                               else row["trade_return"])
    return path


def test_a_collapse_to_one_class_is_flagged(decayed: Decayed, tmp_path: Path) -> None:
    log = _relog(decayed, tmp_path / "collapsed.sqlite", decayed.bundle,
                 probabilities={"DOWN": 0.03, "UP": 0.97}, confidence=0.97)
    result = check(log, decayed.bundle, rolling=False)
    assert result.shares.recent["UP"] == 1.0 and result.shares.status == "breach"
    collapse = [b for b in result.breaches if b.check == "class_share"]
    assert collapse and collapse[0].level == "breach" and collapse[0].subject == "UP"


def test_an_old_bundle_without_quantiles_reports_drift_unavailable(
    decayed: Decayed, tmp_path: Path
) -> None:
    manifest = decayed.bundle.manifest.model_copy(update={"monitoring": None})
    old = Bundle(manifest=manifest, model=decayed.bundle.model,
                 normalizer=decayed.bundle.normalizer, side_normalizer=None,
                 calibrator=decayed.bundle.calibrator)
    log = _relog(decayed, tmp_path / "old.sqlite", old)
    result = check(log, old, rolling=False)
    assert not result.drift.available
    assert "no training distribution" in result.drift.reason
    assert result.promises.source == "manifest.metrics" and result.promises.mcc_ci
    assert _status(result)["mcc"] == "breach"  # realised vs promised still works
    assert result.shares.training is None and result.shares.recent


def test_a_log_of_another_model_is_refused_by_digest(decayed: Decayed, tmp_path: Path) -> None:
    manifest = decayed.bundle.manifest.model_copy(update={"name": "other"})
    other = Bundle(manifest=manifest, model=decayed.bundle.model,
                   normalizer=decayed.bundle.normalizer, side_normalizer=None,
                   calibrator=decayed.bundle.calibrator)
    with pytest.raises(LiveLogError, match="none of this bundle"):
        check(decayed.log, other)
    with pytest.raises(ConfigError, match="no signal log"):
        check(tmp_path / "missing.sqlite", decayed.bundle)
    with pytest.raises(ConfigError, match="not a timestamp"):
        check(decayed.log, decayed.bundle, as_of="soon")


def test_the_loop_call_needs_no_charts_and_reads_an_open_log(decayed: Decayed) -> None:
    with SignalLog(decayed.log) as log:
        result = loop_check(log, decayed.bundle, symbol=SYMBOL, timeframe=TIMEFRAME)
        assert log.last_timestamp(SYMBOL, TIMEFRAME) is not None  # still open afterwards
        ensemble = Ensemble([decayed.bundle, decayed.bundle], [1.0, 1.0])
        assert loop_check(log, ensemble, symbol=SYMBOL, timeframe=TIMEFRAME) is None
    assert result.rolling == [] and result.current is not None
    assert {b.check for b in result.breaches if b.level == "breach"} >= {"mcc"}
