"""The live loop: at each bar close, newest closed candles → signal → SQLite log → console.

Resumable by construction: on start the loop reads the newest logged bar of
``(symbol, timeframe)`` and handles every closed bar after it, oldest first (a bar that
closed while the loop was down is caught up, not skipped), and the log's
``UNIQUE(symbol, timeframe, bar_timestamp)`` makes a recomputed bar a no-op. Each bar's
signal is computed from the ``history`` closed bars ending at it, exactly what
``signal_from_bundle`` would be given by a caller holding those candles.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.artifacts.digest import predictor_digest
from tradewind.artifacts.verdict import admit, bundle_verdict
from tradewind.exceptions import ConfigError
from tradewind.live.log import SignalLog
from tradewind.live.sources import CandleSource
from tradewind.policy import TradePolicy
from tradewind.signals.ensemble import Ensemble
from tradewind.signals.generate import signal_from_bundle
from tradewind.signals.model import Direction, Signal
from tradewind.signals.window import apply_bundle_gap_policy
from tradewind.timeframes import timeframe_seconds

__all__ = ["LiveResult", "format_signal", "resolve_model", "run_live"]

Predictor = Bundle | Ensemble


@dataclass
class LiveResult:
    """What one ``run_live`` call did."""

    logged: list[Signal] = field(default_factory=list)
    resumed_after: pd.Timestamp | None = None
    bars_seen: int = 0


def resolve_model(
    ref: Bundle | Ensemble | str | Path, *, tracking_uri: str | None = None,
    registry_root: Path = Path("runs"), download_dir: Path | None = None,
    public_key: Path | None = None,
) -> tuple[Predictor, str | None]:
    """A bundle/ensemble and its registry version from a bundle, a directory or a registry ref.

    A string that is not an existing directory is a registry version, alias
    (``"champion"``) or run id, downloaded with ``Registry.download_bundle`` into
    ``download_dir``; without one, into a temporary folder removed as soon as the bundle is
    loaded (the model lives in memory), so no start leaves a bundle copy behind.
    With ``public_key`` a bundle loaded from files must carry a valid signature by it.
    """
    if isinstance(ref, Bundle | Ensemble):
        return ref, None
    path = Path(ref)
    if path.is_dir():
        return load_bundle(path, public_key=public_key), None
    from tradewind.artifacts import Registry

    registry = Registry(tracking_uri, root=Path(registry_root))
    if download_dir is not None:
        loaded = load_bundle(registry.download_bundle(str(ref), Path(download_dir)),
                             public_key=public_key)
    else:
        staging = Path(tempfile.mkdtemp(prefix="tradewind-live-"))
        try:
            loaded = load_bundle(registry.download_bundle(str(ref), staging / "bundle"),
                                 public_key=public_key)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        loaded.path = None
    version = str(ref)
    for row in registry.list_versions():
        if str(ref) in row.aliases or str(ref) in (str(row.version), row.run_id):
            version = str(row.version)
            break
    return loaded, version


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
    """
    predictor, resolved_version = resolve_model(bundle_or_ref)
    verdict = admit(bundle_verdict(predictor, override_reason=override_reason),
                    allow_refused=allow_refused, what="live")
    predictor.check_timeframe(timeframe, "live")
    version = model_version or resolved_version
    if timeframe_seconds(source.timeframe) != timeframe_seconds(timeframe):
        raise ConfigError(
            f"live: the source delivers {source.timeframe} bars but timeframe={timeframe!r}; "
            "use the same bar length for both (the bundle's training timeframe)"
        )
    if max_bars is not None and max_bars < 1:
        raise ConfigError(f"live: max_bars must be >= 1 or None, got {max_bars}")
    if speed is not None and hasattr(source, "speed"):
        if speed < 0:
            raise ConfigError(f"live: speed must be >= 0, got {speed}")
        source.speed = float(speed)
    need = predictor.min_candles
    window = int(history) if history is not None else max(1000, 4 * need)
    if window < need:
        raise ConfigError(f"live: history={window} is below the {need} candles a prediction needs")
    out = console or Console()
    step = pd.Timedelta(seconds=timeframe_seconds(timeframe))
    log.begin(symbol, timeframe, predictor_digest(predictor), new_segment=new_segment)
    last = log.last_timestamp(symbol, timeframe)
    result = LiveResult(resumed_after=last)
    if show and last is not None:
        out.print(f"resuming {symbol} {timeframe} after {last:%Y-%m-%d %H:%M} (already logged)")
    source.prepare(last, need)
    done = last
    while True:
        candles = source.closed_candles(window)
        if done is not None and len(candles) and candles.index[0] > done + step:
            # The loop was down longer than the window: fetch back to the last handled bar.
            missed = int((candles.index[-1] - done) / step)
            candles = source.closed_candles(window + missed + 1)
        fresh = candles.index if done is None else candles.index[candles.index > done]
        for ts in fresh:
            upto = candles.loc[:ts].iloc[-window:]
            done = ts
            result.bars_seen += 1
            if len(upto) < need:
                continue
            upto, warnings = apply_bundle_gap_policy(predictor, upto, timeframe,
                                                     where=f"live {symbol} {timeframe}")
            sig = _signal(predictor, upto, policy, symbol, timeframe, version).model_copy(
                update={**verdict.signal_fields, "warnings": warnings})
            if log.append(sig):
                result.logged.append(sig)
                if show:
                    out.print(format_signal(sig), highlight=False)
            if max_bars is not None and len(result.logged) >= max_bars:
                return result
        if not source.wait():
            return result


def _signal(predictor: Predictor, candles: pd.DataFrame, policy: TradePolicy | None, symbol: str,
            timeframe: str, version: str | None) -> Signal:
    if isinstance(predictor, Ensemble):
        return predictor.signal(candles, policy, symbol=symbol, timeframe=timeframe,
                                model_version=version)
    return signal_from_bundle(predictor, candles, policy, symbol=symbol, timeframe=timeframe,
                              model_version=version)
