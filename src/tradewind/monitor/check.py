"""``check``: one look at a signal log against the bundle that wrote it.

Reads the log's signals of one symbol/timeframe computed by the bundle (its digest), joins
them with their recorded outcomes, and measures: realised metrics of the newest window
with intervals beside the run's promises (plus rolling windows for charts), drift of the
features of the newest signal bars (recomputed from the log's stored candles with the
bundle's own feature spec) against the training bins in the bundle, and the
predicted-class shares of the newest signals against training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.config import MonitorSpec
from tradewind.exceptions import ConfigError, LiveLogError
from tradewind.live.log import SignalLog
from tradewind.monitor.checks import judge_drift, judge_realised, judge_shares
from tradewind.monitor.drift import feature_drift, psi
from tradewind.monitor.realised import Resolved, resolve, rolling_metrics, window_metrics
from tradewind.monitor.reference import TrainingReference, reference_of
from tradewind.monitor.result import DriftSection, ModelInfo, MonitorResult, SharesSection
from tradewind.signals.model import Signal

__all__ = ["check", "loop_check", "monitor_spec", "open_log", "pick_series", "series_of"]

MIN_DRIFT_ROWS = 20
"""Fewer live feature rows than this: drift is reported as unavailable."""


def open_log(log: SignalLog | str | Path) -> SignalLog:
    """The log itself, or the one at a path, which must exist (never creates one)."""
    if isinstance(log, SignalLog):
        return log
    path = Path(log)
    if not path.is_file():
        raise ConfigError(f"no signal log at {path}: give the --log file `tradewind live` wrote")
    return SignalLog(path)


def series_of(log: SignalLog) -> list[tuple[str, str]]:
    """Every (symbol, timeframe) with signals in ``log``."""
    return sorted({(s.symbol, s.timeframe) for s in log.signals()})


def monitor_spec(bundle: Bundle, overrides: dict[str, Any] | None = None) -> MonitorSpec:
    """The bundle's stored ``monitor:`` settings (defaults for older bundles) with overrides."""
    ref, _, _ = reference_of(bundle.manifest)
    base = dict(ref.settings) if ref is not None else {}
    return MonitorSpec.model_validate({**base, **(overrides or {})})


def pick_series(log: SignalLog, symbol: str | None, timeframe: str | None) -> tuple[str, str]:
    """The one (symbol, timeframe) of ``log`` matching the given parts; refused if not one."""
    if symbol is not None and timeframe is not None:
        return symbol, timeframe
    found = [(s, t) for s, t in series_of(log)
             if (symbol is None or s == symbol) and (timeframe is None or t == timeframe)]
    if len(found) != 1:
        listed = ", ".join(f"{s} {t}" for s, t in found) or "none"
        raise ConfigError(f"signal log {log.path}: {len(found)} symbol/timeframe series match "
                          f"({listed}); name one with --symbol and --timeframe")
    return found[0]


def _own_signals(log: SignalLog, symbol: str, timeframe: str, digest: str,
                 as_of: pd.Timestamp | None) -> list[Signal]:
    signals = log.signals(symbol, timeframe)
    if as_of is not None:
        signals = [s for s in signals if pd.Timestamp(s.timestamp) <= as_of]
    own = [s for s in signals if s.bundle_fingerprint == digest]
    if signals and not own:
        others = sorted({s.bundle_fingerprint[:16] for s in signals})
        raise LiveLogError(
            f"signal log {log.path} holds {len(signals)} {symbol} {timeframe} signals, none of "
            f"this bundle (digest {digest[:16]}); they were computed by {', '.join(others)}: "
            "give the bundle that wrote them (--model)")
    return own


def _drift(log: SignalLog, bundle: Bundle, ref: TrainingReference | None, why: str | None,
           res: Resolved, spec: MonitorSpec, symbol: str, timeframe: str,
           candles: pd.DataFrame | None) -> DriftSection:
    if ref is None:
        return DriftSection(available=False, reason=why)
    if not len(res):
        return DriftSection(available=False, reason="no signals yet")
    bars = res.timestamps[-spec.drift_bars:]
    stored = log.candles(symbol, timeframe) if candles is None else candles
    stored = stored.loc[:bars[-1]]
    if stored.empty:
        return DriftSection(available=False, reason=(
            f"the log holds no candles of {symbol} {timeframe} (a loop that did not store them "
            "wrote it); pass the candles with --data"))
    history = max(1000, 4 * bundle.min_candles)
    start = max(int(stored.index.searchsorted(bars[0])) - history, 0)
    feats = bundle.features(stored.iloc[start:])
    frame = feats.frame if feats.side is None else pd.concat([feats.frame, feats.side], axis=1)
    live = frame.reindex(bars).dropna(how="all")
    if len(live) < MIN_DRIFT_ROWS:
        return DriftSection(available=False, rows=len(live), reason=(
            f"features of only {len(live)} signal bars could be computed from the stored "
            f"candles (need {MIN_DRIFT_ROWS})"))
    judged, _ = judge_drift(feature_drift(ref.features, live), spec)
    return DriftSection(available=True, rows=len(live), first=live.index[0].isoformat(),
                        last=live.index[-1].isoformat(), features=judged)


def _shares(res: Resolved, ref: TrainingReference | None, promised: dict[str, float] | None,
            spec: MonitorSpec) -> SharesSection:
    probs = res.probs[-spec.window:]
    if not len(probs):
        return SharesSection(signals=0)
    pred = probs.argmax(axis=1)
    k = len(res.classes)
    counts = np.bincount(pred, minlength=k) / len(pred)
    recent = {c: float(counts[i]) for i, c in enumerate(res.classes)}
    training = None if ref is None else ref.train_shares
    base = training or promised
    index = None if not base else psi([base.get(c, 0.0) for c in res.classes], counts)
    return SharesSection(signals=len(pred), recent=recent, training=training,
                         validation=None if ref is None else ref.val_shares,
                         promised=promised or None, psi=index, status="ok")


def _as_of(value: pd.Timestamp | str | None) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        cut = pd.Timestamp(value)
    except ValueError:
        raise ConfigError(f"as_of {value!r} is not a timestamp; give a bar open time such as "
                          "2024-05-01T13:00:00Z") from None
    return cut.tz_localize("UTC") if cut.tz is None else cut.tz_convert("UTC")


def check(
    log: SignalLog | str | Path,
    bundle: Bundle,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    spec: MonitorSpec | None = None,
    as_of: pd.Timestamp | str | None = None,
    rolling: bool = True,
    candles: pd.DataFrame | None = None,
    source: str | None = None,
) -> MonitorResult:
    """Check the signals ``bundle`` logged in ``log`` against what its run promised.

    Parameters
    ----------
    log:
        A :class:`SignalLog` or the path of one (which must exist).
    bundle:
        The bundle that computed the signals; only signals carrying its digest are judged.
    symbol, timeframe:
        The series; optional when the log holds only one (that matches).
    spec:
        Thresholds and windows (default: :func:`monitor_spec` of the bundle).
    as_of:
        Judge only signals of bars up to this open time (default: all).
    rolling:
        Compute the rolling windows for charts (the live loop does not need them).
    candles:
        Candles to recompute features from instead of the log's stored ones.
    """
    spec = spec or monitor_spec(bundle)
    owned = not isinstance(log, SignalLog)
    opened = open_log(log)
    try:
        symbol, timeframe = pick_series(opened, symbol, timeframe)
        cut = _as_of(as_of)
        digest = bundle_digest(bundle)
        signals = _own_signals(opened, symbol, timeframe, digest, cut)
        res = resolve(signals, opened.outcomes(symbol, timeframe), bundle.classes)
        ref, promises, why = reference_of(bundle.manifest)
        level = spec.level or (promises.level if promises and promises.level else 0.95)
        horizon = int(bundle.label_spec.horizon)
        done = np.flatnonzero(res.resolved)
        current = None
        if done.size:
            current = window_metrics(res, done[-spec.window:], spec, horizon=horizon, level=level)
        checks, breaches = judge_realised(current, promises, spec)
        drift = _drift(opened, bundle, ref, why, res, spec, symbol, timeframe, candles)
        breaches += [b for f in drift.features for b in judge_drift([f], spec)[1]]
        shares, share_breaches = judge_shares(
            _shares(res, ref, None if promises is None else promises.pred_shares, spec), spec)
        breaches += share_breaches
        manifest = bundle.manifest
        passed = manifest.gate.get("passed")
        return MonitorResult(
            log=str(opened.path), symbol=symbol, timeframe=timeframe,
            as_of=res.timestamps[-1].isoformat() if len(res) else None,
            model=ModelInfo(name=manifest.name, digest=digest,
                            source=source or (None if bundle.path is None else str(bundle.path)),
                            gate_passed=None if passed is None else bool(passed),
                            created_at=manifest.created_at, classes=bundle.classes,
                            horizon=horizon),
            settings=spec, promises=promises, signals=len(res), resolved=int(done.size),
            other_labels=list(res.other_labels), current=current, checks=checks,
            rolling=rolling_metrics(res, spec, horizon=horizon, level=level) if rolling else [],
            drift=drift, shares=shares,
            breaches=sorted(breaches, key=lambda b: b.level != "breach"))
    finally:
        if owned:
            opened.close()


def loop_check(log: SignalLog, predictor: Any, *, symbol: str, timeframe: str,
               overrides: dict[str, Any] | None = None) -> MonitorResult | None:
    """The live loop's check every N bars: :func:`check` on its own open log without the
    rolling windows (about 0.1 s plus 20 µs per logged signal on one core). Log each of
    ``result.breaches`` (``level`` breach or warning, ``reason`` a sentence). None for an
    ensemble, which carries no single training distribution or promise."""
    if not isinstance(predictor, Bundle):
        return None
    return check(log, predictor, symbol=symbol, timeframe=timeframe,
                 spec=monitor_spec(predictor, overrides), rolling=False)
