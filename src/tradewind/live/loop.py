"""The live loop: at each bar close, newest closed candles → signal → SQLite log → console.

Resumable by construction: on start the loop reads the newest logged bar of
``(symbol, timeframe)`` and handles every closed bar after it, oldest first (a bar that
closed while the loop was down is caught up, not skipped), and the log's
``UNIQUE(symbol, timeframe, bar_timestamp)`` makes a recomputed bar a no-op. Each bar's
signal is computed from the ``history`` closed bars ending at it, exactly what
``signal_from_bundle`` would be given by a caller holding those candles.

Around each signal (see :mod:`tradewind.live.ledger`, :mod:`tradewind.live.outcomes` and
:mod:`tradewind.live.retrain`): every closed candle is stored in the log before the bars
it closes are handled; the paper ledger trades the logged signals up to the bar with the
backtest engine; signals whose label horizon has passed get their realised outcome; and a
scheduled retrain is polled or started at the bar boundary, in its own process. When the
model was given as a registry ref, a retrain that ends well makes the loop resolve the ref
again and continue with a new champion from the next bar (a new log segment).

Several symbols of one timeframe run in one loop (:func:`run_live_many`): each symbol is a
*lane* with its own model, policy, ledger, stored candles and last handled bar (its own
rows in every table of the log), and the loop polls every lane, then waits once for the
next bar close. :func:`run_live` is the one-lane case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.digest import predictor_digest
from tradewind.artifacts.verdict import admit, bundle_verdict
from tradewind.backtest.engine import BacktestConfig
from tradewind.exceptions import ConfigError, FetchError
from tradewind.labels import LabelSpec
from tradewind.live.ledger import PaperLedger
from tradewind.live.log import SignalLog
from tradewind.live.model_ref import Predictor, resolve_model
from tradewind.live.outcomes import resolve_outcomes
from tradewind.live.references import ReferenceFeed, cross_of
from tradewind.live.retrain import Retrainer, RetrainSchedule
from tradewind.live.sources import CandleSource, ExchangeSource, ReplaySource
from tradewind.live.takeover import Follow, Takeover, retrain_tick, wait_for_retrain
from tradewind.policy import TradePolicy
from tradewind.signals.ensemble import Ensemble
from tradewind.signals.generate import signal_from_bundle
from tradewind.signals.model import Direction, Signal
from tradewind.signals.window import apply_bundle_gap_policy
from tradewind.timeframes import timeframe_seconds

__all__ = [
    "LiveLane",
    "LiveResult",
    "format_signal",
    "resolve_model",
    "run_live",
    "run_live_many",
]

MonitorHook = Callable[[SignalLog, "Predictor"], Sequence[str]]
"""Checks a log against its model and returns warnings in sentences (see ``tradewind.monitor``)."""

_logger = logging.getLogger("tradewind.live")


@dataclass
class LiveResult:
    """What one ``run_live`` call did."""

    logged: list[Signal] = field(default_factory=list)
    resumed_after: pd.Timestamp | None = None
    bars_seen: int = 0
    paper_trades: int = 0
    outcomes: int = 0
    retrains_started: int = 0
    retrains_failed: int = 0
    switched_to: list[str] = field(default_factory=list)
    monitor_warnings: list[str] = field(default_factory=list)


def format_signal(signal: Signal) -> str:
    """One console line (rich markup) for a signal."""
    colour = {Direction.LONG: "green", Direction.SHORT: "red", Direction.FLAT: "dim"}[signal.direction]
    probs = " ".join(f"{k}={v:.3f}" for k, v in signal.probabilities.items())
    line = (f"{signal.timestamp:%Y-%m-%d %H:%M} {signal.symbol} {signal.timeframe} "
            f"[{colour}]{signal.direction.value:<5}[/] conf={signal.confidence:.3f} {probs}")
    if signal.stop_loss is not None:
        targets = ", ".join(f"{t:.6g}" for t in signal.take_profits)
        line += f" stop={signal.stop_loss:.6g} tp=[{targets}]"
    if signal.agreement is not None:
        line += f" agree={signal.agreement:.2f}/{signal.members}"
    return line


@dataclass(frozen=True)
class LiveLane:
    """One symbol of a loop over several (:func:`run_live_many`): its model and its candles.

    ``model`` is a Bundle, an Ensemble or a bundle directory (for a universe bundle, the
    symbol's own: ``load_universe(path).bundle(symbol)``); ``policy`` replaces the model's
    trade policy; ``model_version`` and ``override_reason`` are its registry version and
    audited gate override, if any; ``monitor`` checks this symbol's rows of the log (see
    :func:`run_live`); ``references`` are the candle sources of the model's
    ``features.cross`` references by name (see :func:`run_live`).
    """

    symbol: str
    model: Bundle | Ensemble | str | Path
    source: CandleSource
    policy: TradePolicy | None = None
    model_version: str | None = None
    override_reason: str | None = None
    monitor: MonitorHook | None = None
    references: Mapping[str, CandleSource] | None = None


def run_live(
    bundle_or_ref: Bundle | Ensemble | str | Path,
    *,
    source: CandleSource,
    log: SignalLog,
    policy: TradePolicy | None = None,
    symbol: str,
    timeframe: str,
    max_bars: int | None = None,
    speed: float | None = None,
    history: int | None = None,
    model_version: str | None = None,
    show: bool = True,
    console: Console | None = None,
    allow_refused: bool = False,
    override_reason: str | None = None,
    new_segment: bool = False,
    costs: BacktestConfig | None = None,
    paper: bool = True,
    retrain: RetrainSchedule | None = None,
    follow_ref: str | None = None,
    policy_overrides: dict[str, object] | None = None,
    public_key: Path | None = None,
    monitor: MonitorHook | None = None,
    monitor_every: int = 100,
    references: Mapping[str, CandleSource] | None = None,
) -> LiveResult:
    """Emit, log and print a signal at every bar close until the source ends or ``max_bars``.

    Parameters
    ----------
    bundle_or_ref:
        A Bundle, an Ensemble, a bundle directory or a registry ref (see :func:`resolve_model`).
    source:
        Closed candles (:class:`ExchangeSource`, :class:`ReplaySource`).
    policy:
        The trade policy (default: the model's own, chosen on validation rows by its run).
    log:
        Where signals go; the loop resumes after its newest bar for ``symbol``/``timeframe``.
    max_bars:
        Stop after logging this many new signals (None: run until the source ends).
    speed:
        Overrides the speed of a replay source (bars are sped up ``speed`` times; 0 = no
        waiting); exchanges close bars in real time and ignore it.
    history:
        Closed bars handed to the model per signal (default ``max(1000, 4 × min_candles)``).
        Recursive features and the ATR depend on it: a batch run over the same candles
        matches the live signals when it sees the same history.
    show:
        Print each new signal on the console (rich).
    allow_refused, override_reason:
        Run a bundle the gate refused: with ``--allow-refused``, or under the audited
        registry override with this reason (:func:`tradewind.artifacts.verdict.admit`).
        Every logged signal carries the verdict.
    new_segment:
        Continue a log written by another model (see :meth:`SignalLog.begin`, which
        refuses that otherwise).
    costs:
        Fees, slippage, sizing and opposite-signal rule of the paper ledger (the
        ``backtest:`` settings ``tradewind backtest`` uses; default ``BacktestSpec()``'s).
    paper:
        Keep the paper ledger and the realised outcomes (default True).
    retrain:
        Start ``tradewind retrain`` in its own process at bar boundaries (see
        :mod:`tradewind.live.retrain`); a failed retrain is logged and the loop goes on.
    follow_ref:
        The registry ref (``"champion"``) the model came from: after a retrain that exits
        0 it is resolved again, and a different model takes over at the next bar with
        ``policy_overrides`` applied to its own policy (and, with ``public_key``, only
        when signed by that key).
    monitor, monitor_every:
        Every ``monitor_every`` new signals, ``monitor(log, model)`` checks the log (realised
        vs promised, drift, class shares); each sentence it returns is printed and logged
        as a warning. A failing check is a warning too: it never stops the loop.
    references:
        For a model with cross-asset features: each ``features.cross`` reference's candle
        source by name (:class:`ReplaySource` of its file, or :class:`ExchangeSource` of
        its symbol). Each bar's signal sees only the reference bars closed by that bar's
        close (:mod:`tradewind.live.references`). Refused at start when one is missing.
    """
    shared = _shared(log, timeframe, max_bars=max_bars, history=history, show=show,
                     console=console, allow_refused=allow_refused, new_segment=new_segment,
                     costs=costs, paper=paper, monitor_every=monitor_every,
                     follow=Follow(follow_ref, allow_refused, public_key),
                     policy_overrides=policy_overrides)
    spec = LiveLane(symbol=symbol, model=bundle_or_ref, source=source, policy=policy,
                    model_version=model_version, override_reason=override_reason,
                    monitor=monitor, references=references)
    lane = _Lane(spec, shared, speed=speed, what="live", retrain=retrain)
    _run_lanes([lane])
    return lane.result


def run_live_many(
    lanes: Sequence[LiveLane],
    *,
    log: SignalLog,
    timeframe: str,
    max_bars: int | None = None,
    speed: float | None = None,
    history: int | None = None,
    show: bool = True,
    console: Console | None = None,
    allow_refused: bool = False,
    new_segment: bool = False,
    costs: BacktestConfig | None = None,
    paper: bool = True,
    monitor_every: int = 100,
) -> dict[str, LiveResult]:
    """:func:`run_live` for several symbols of one timeframe in one loop; results by symbol.

    Each lane is what one ``run_live`` call would be: its own signals, segments, paper
    ledger, outcomes and monitor check in the shared ``log`` (every table is keyed by
    symbol), resumed after its own newest logged bar. At each poll every lane handles the
    bars that closed since its last poll, oldest first; then the loop waits once for the
    next bar close (exchange sources share the wall clock; replay sources each reveal their
    next bar, so replays advance bar by bar side by side, not aligned by time). A lane
    stops at its source's end or after ``max_bars`` new signals of its own; the loop ends
    when every lane has stopped. When a source fails (:class:`FetchError` after its
    retries) the other lanes still handle that poll's bars, then the error is raised; a
    restart resumes every symbol after its last logged bar.

    Every setting means what it means for :func:`run_live`. Scheduled retraining and
    following a registry ref are single-symbol features of :func:`run_live`.
    """
    if not lanes:
        raise ConfigError("live: no symbol to run; give at least one lane")
    symbols = [lane.symbol for lane in lanes]
    twice = sorted({s for s in symbols if symbols.count(s) > 1})
    if twice:
        raise ConfigError(f"live: symbol {', '.join(twice)} given twice; one lane per symbol")
    if len({id(lane.source) for lane in lanes}) < len(lanes):
        raise ConfigError("live: two symbols share one candle source object; give each symbol "
                          "its own source (the sources advance one bar each per poll)")
    clocked = [isinstance(lane.source, ExchangeSource) for lane in lanes]
    if any(clocked) and not all(clocked):
        raise ConfigError("live: some symbols read an exchange and others replay files; "
                          "use one kind of source for every symbol of a loop")
    shared = _shared(log, timeframe, max_bars=max_bars, history=history, show=show,
                     console=console, allow_refused=allow_refused, new_segment=new_segment,
                     costs=costs, paper=paper, monitor_every=monitor_every,
                     follow=Follow(None, allow_refused, None), policy_overrides=None)
    built = [_Lane(spec, shared, speed=speed, what=f"live {spec.symbol}") for spec in lanes]
    _run_lanes(built)
    return {lane.symbol: lane.result for lane in built}


@dataclass(frozen=True)
class _Shared:
    """What every lane of one loop shares."""

    log: SignalLog
    timeframe: str
    step: pd.Timedelta
    max_bars: int | None
    history: int | None
    show: bool
    out: Console
    allow_refused: bool
    new_segment: bool
    costs: BacktestConfig | None
    paper: bool
    monitor_every: int
    follow: Follow
    policy_overrides: dict[str, object] | None


def _shared(log: SignalLog, timeframe: str, *, max_bars: int | None, history: int | None,
            show: bool, console: Console | None, allow_refused: bool, new_segment: bool,
            costs: BacktestConfig | None, paper: bool, monitor_every: int, follow: Follow,
            policy_overrides: dict[str, object] | None) -> _Shared:
    """The shared settings, checked."""
    if monitor_every < 1:
        raise ConfigError(f"live: monitor_every must be >= 1, got {monitor_every}")
    if max_bars is not None and max_bars < 1:
        raise ConfigError(f"live: max_bars must be >= 1 or None, got {max_bars}")
    return _Shared(log=log, timeframe=timeframe,
                   step=pd.Timedelta(seconds=timeframe_seconds(timeframe)), max_bars=max_bars,
                   history=history, show=show, out=console or Console(),
                   allow_refused=allow_refused, new_segment=new_segment, costs=costs,
                   paper=paper, monitor_every=monitor_every, follow=follow,
                   policy_overrides=policy_overrides)


class _Lane:
    """One symbol's running state: model, policy, ledger, stored candle, last handled bar.

    Building one checks every setting and writes nothing; :meth:`start` begins its log
    segment and lets the ledger catch up with the newest logged bar; :meth:`poll` handles
    the bars closed since the last poll, oldest first.
    """

    def __init__(self, spec: LiveLane, shared: _Shared, *, speed: float | None, what: str,
                 retrain: RetrainSchedule | None = None) -> None:
        predictor, resolved_version = resolve_model(spec.model)
        self.verdict = admit(bundle_verdict(predictor, override_reason=spec.override_reason),
                             allow_refused=shared.allow_refused, what=what)
        predictor.check_timeframe(shared.timeframe, what)
        cross = cross_of(predictor, what)
        self.references = ReferenceFeed(
            cross, spec.references,
            predictor.feature_spec.params if isinstance(predictor, Bundle) else None, what)
        source = spec.source
        if timeframe_seconds(source.timeframe) != timeframe_seconds(shared.timeframe):
            raise ConfigError(
                f"{what}: the source delivers {source.timeframe} bars but "
                f"timeframe={shared.timeframe!r}; use the same bar length for both (the "
                "bundle's training timeframe)"
            )
        if speed is not None and hasattr(source, "speed"):
            if speed < 0:
                raise ConfigError(f"{what}: speed must be >= 0, got {speed}")
            source.speed = float(speed)
        need = predictor.min_candles
        self.window = int(shared.history) if shared.history is not None else max(1000, 4 * need)
        if self.window < need:
            raise ConfigError(f"{what}: history={self.window} is below the {need} candles a "
                              "prediction needs")
        self.symbol = spec.symbol
        self.source = source
        self.shared = shared
        self.predictor = predictor
        self.version = spec.model_version or resolved_version
        self.trading = spec.policy or predictor.policy
        self.policies: list[tuple[pd.Timestamp | None, TradePolicy]] = [(None, self.trading)]
        self.monitor = spec.monitor
        self.schedule = retrain
        self.retrainer: Retrainer | None = None
        self.ledger: PaperLedger | None = None
        self.result = LiveResult()
        self.stored: pd.Timestamp | None = None
        self.done: pd.Timestamp | None = None
        self.switch_to: Takeover | None = None

    def start(self) -> None:
        """Begin (or continue) the log segment and finish what a kill interrupted."""
        s, symbol, tf = self.shared, self.symbol, self.shared.timeframe
        if s.paper:
            self.ledger = PaperLedger(s.log, symbol, tf, s.costs or _default_costs(),
                                      trained_until=_trained_until(self.predictor))
        s.log.begin(symbol, tf, predictor_digest(self.predictor), new_segment=s.new_segment)
        last = s.log.last_timestamp(symbol, tf)
        self.result.resumed_after = last
        if s.show and last is not None:
            s.out.print(f"resuming {symbol} {tf} after {last:%Y-%m-%d %H:%M} (already logged)")
        if self.schedule is not None:
            self.retrainer = Retrainer(self.schedule, s.log, symbol, tf)
        self.stored = s.log.last_candle(symbol, tf)
        if last is not None:
            self.settle(last)  # finish what a kill interrupted before any new bar
        self.source.prepare(last, self.predictor.min_candles)
        self.done = last

    def settle(self, bar: pd.Timestamp) -> None:
        """Paper fills and realised outcomes up to ``bar`` (one transaction each)."""
        if self.ledger is None:
            return
        step_done = self.ledger.advance(bar, list(self.predictor.classes), self.policies)
        self.result.paper_trades += len(step_done.new_trades)
        self.result.outcomes += resolve_outcomes(self.shared.log, self.ledger,
                                                 _label_spec(self.predictor), bar,
                                                 step_done.candles)

    def poll(self) -> bool:
        """Store the newly closed candles and handle their bars; True once ``max_bars``
        new signals are logged (the lane is done)."""
        s, symbol, tf, done = self.shared, self.symbol, self.shared.timeframe, self.done
        candles = self.source.closed_candles(self.window)
        if done is not None and len(candles) and candles.index[0] > done + s.step:
            # The loop was down longer than the window: fetch back to the last handled bar.
            missed = int((candles.index[-1] - done) / s.step)
            candles = self.source.closed_candles(self.window + missed + 1)
        stored = self.stored
        fresh_candles = candles if stored is None else candles.loc[candles.index > stored]
        if len(fresh_candles):
            s.log.store_candles(symbol, tf, fresh_candles)
            self.stored = fresh_candles.index[-1]
        fresh = candles.index if done is None else candles.index[candles.index > done]
        if self.references and len(fresh):
            self.references.poll(candles.index[0], candles.index[-1] + s.step)
        for ts in fresh:
            self._bar(candles, ts)
            if s.max_bars is not None and len(self.result.logged) >= s.max_bars:
                return True
        return False

    def _bar(self, candles: pd.DataFrame, ts: pd.Timestamp) -> None:
        """Bar ``ts`` closed: a takeover, the signal, the ledger, the monitor, the retrain."""
        s, symbol, tf, result = self.shared, self.symbol, self.shared.timeframe, self.result
        if self.switch_to is not None:
            self.predictor, self.version, self.verdict = self.switch_to
            self.switch_to = None
            self.trading = self.predictor.policy.with_overrides(s.policy_overrides or {}, "--set")
            self.policies.append((ts, self.trading))
            s.log.begin(symbol, tf, predictor_digest(self.predictor), new_segment=True)
            if s.show:
                s.out.print(f"{ts:%Y-%m-%d %H:%M} switched to the new {s.follow.ref} "
                            f"({predictor_digest(self.predictor)[:16]})")
        predictor = self.predictor
        upto = candles.loc[:ts].iloc[-self.window:]
        self.done = ts
        result.bars_seen += 1
        if len(upto) >= predictor.min_candles:
            upto, warnings = apply_bundle_gap_policy(predictor, upto, tf,
                                                     where=f"live {symbol} {tf}")
            refs = self.references.upto(ts + s.step) if self.references else None
            sig = _signal(predictor, upto, self.trading, symbol, tf, self.version,
                          refs).model_copy(
                update={**self.verdict.signal_fields, "warnings": warnings})
            if s.log.append(sig):
                result.logged.append(sig)
                if s.show:
                    s.out.print(format_signal(sig), highlight=False)
            self.settle(ts)
            if self.monitor is not None and result.logged and \
                    ts == result.logged[-1].timestamp and len(result.logged) % s.monitor_every == 0:
                _monitor_tick(self.monitor, s.log, predictor, result, s.out)
        if self.retrainer is not None:
            self.switch_to = retrain_tick(self.retrainer, ts + s.step, result, s.out, s.follow,
                                           predictor) or self.switch_to

    def finish(self) -> None:
        """The lane ended: wait for a running retrain so its end is recorded."""
        wait_for_retrain(self.retrainer, self.result, self.shared.out)

    def stop(self) -> None:
        """The loop failed: stop a running retrain."""
        if self.retrainer is not None:
            self.retrainer.stop()


def _run_lanes(lanes: list[_Lane]) -> None:
    """Start every lane, then poll them all and wait for the next bar until all are done."""
    try:
        for lane in lanes:
            lane.start()
        active = list(lanes)
        while active:
            active = _poll_all(active)
            if active:
                alive = _wait_for_next_bar([lane.source for lane in active])
                active = [lane for lane, more in zip(active, alive, strict=True) if more]
    except BaseException:
        for lane in lanes:
            lane.stop()
        raise
    for lane in lanes:
        lane.finish()


def _poll_all(active: list[_Lane]) -> list[_Lane]:
    """Let every lane handle its new bars; the lanes still running.

    A source that fails (FetchError, after its own retries) does not cost the other
    symbols this poll's bars: they are handled first, then the failure is raised.
    """
    running: list[_Lane] = []
    failures: list[FetchError] = []
    for lane in active:
        try:
            if not lane.poll():
                running.append(lane)
        except FetchError as err:
            failures.append(err)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        raise FetchError("; ".join(str(err) for err in failures)) from failures[0]
    return running


def _wait_for_next_bar(sources: list[CandleSource]) -> list[bool]:
    """Wait once for the next bar close; per source, whether more bars will come.

    The first source that can still wait does (an exchange sleeps to the next close, a
    replay sleeps a bar at its speed and reveals it). After that, other exchange sources
    need nothing (same wall clock, same timeframe) and other replays reveal their next
    bar at once; any other source waits by itself.
    """
    alive: list[bool] = []
    waited = False
    for source in sources:
        if waited and isinstance(source, ExchangeSource):
            alive.append(True)
        elif waited and isinstance(source, ReplaySource):
            alive.append(source.advance())
        else:
            more = source.wait()
            alive.append(more)
            waited = waited or (more and isinstance(source, ExchangeSource | ReplaySource))
    return alive


def _default_costs() -> BacktestConfig:
    """``tradewind backtest``'s defaults (the ``backtest:`` section without --set)."""
    from tradewind.config import BacktestSpec

    return BacktestSpec().costs()


def _trained_until(predictor: Predictor) -> pd.Timestamp | None:
    """Last bar of the training data (the newest over an ensemble's members), if recorded."""
    members = predictor.bundles if isinstance(predictor, Ensemble) else [predictor]
    lasts = [b.manifest.data.get("last") for b in members]
    if any(v is None for v in lasts):
        return None
    return max(pd.Timestamp(v) for v in lasts)


def _label_spec(predictor: Predictor) -> LabelSpec:
    bundle = predictor.bundles[0] if isinstance(predictor, Ensemble) else predictor
    return bundle.label_spec


def _monitor_tick(monitor: MonitorHook, log: SignalLog, predictor: Predictor,
                  result: LiveResult, out: Console) -> None:
    """Run the monitor hook; print and log what it says, and never let it stop the loop."""
    try:
        warnings = list(monitor(log, predictor))
    except Exception as err:  # a monitoring failure must not stop signals
        warnings = [f"the monitor check failed ({type(err).__name__}: {err})"]
    for text in warnings:
        _logger.warning("monitor: %s", text)
        out.print(f"[yellow]monitor[/] {text}", highlight=False)
    result.monitor_warnings.extend(warnings)


def _signal(predictor: Predictor, candles: pd.DataFrame, policy: TradePolicy | None, symbol: str,
            timeframe: str, version: str | None,
            references: Mapping[str, pd.DataFrame] | None = None) -> Signal:
    if isinstance(predictor, Ensemble):
        return predictor.signal(candles, policy, symbol=symbol, timeframe=timeframe,
                                model_version=version)
    return signal_from_bundle(predictor, candles, policy, symbol=symbol, timeframe=timeframe,
                              model_version=version, references=references)
