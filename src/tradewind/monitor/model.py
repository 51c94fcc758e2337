"""Which bundle wrote a log: a path (a universe folder: the symbol's bundle) or registry
reference, or the registry version whose digest the log's signals record."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.artifacts.digest import bundle_digest
from tradewind.artifacts.universe import bundle_for, is_universe
from tradewind.exceptions import BundleError, ConfigError
from tradewind.live.log import SignalLog
from tradewind.live.model_ref import resolve_model

__all__ = ["bundle_for_log", "load_monitored", "monitored_bundle"]


def monitored_bundle(log: SignalLog, model: str | Path | None, symbol: str | None,
                     timeframe: str | None, *, tracking_uri: str | None = None,
                     registry_root: Path = Path("runs")) -> Bundle:
    """The bundle to judge ``log``'s ``symbol`` by: ``model`` (a bundle folder, a universe
    folder whose bundle of the log's symbol is taken, or a registry reference), or without
    it the registry version whose digest the log's newest signal of the series records."""
    from tradewind.monitor.check import pick_series

    if model is not None and not is_universe(model):
        return load_monitored(model, tracking_uri=tracking_uri, registry_root=registry_root)
    sym, tf = pick_series(log, symbol, timeframe)
    if model is not None:
        return bundle_for(model, sym)
    return bundle_for_log(log, sym, tf, tracking_uri=tracking_uri, registry_root=registry_root)


def load_monitored(ref: str | Path, *, tracking_uri: str | None = None,
                   registry_root: Path = Path("runs")) -> Bundle:
    """A single bundle from a directory or a registry version / alias / run id."""
    loaded, _ = resolve_model(ref, tracking_uri=tracking_uri, registry_root=registry_root)
    if not isinstance(loaded, Bundle):
        raise ConfigError(f"--model {ref}: an ensemble cannot be monitored yet; give one bundle")
    return loaded


def bundle_for_log(log: SignalLog, symbol: str, timeframe: str, *,
                   tracking_uri: str | None = None, registry_root: Path = Path("runs")) -> Bundle:
    """The registry version whose digest the newest signal of ``symbol``/``timeframe`` records.

    The version named in the signal (``model_version``) is tried first, then every version
    newest first; each is downloaded into a temporary folder, removed once loaded.
    """
    from tradewind.artifacts import Registry

    signals = log.signals(symbol, timeframe)
    if not signals:
        raise ConfigError(f"signal log {log.path} has no {symbol} {timeframe} signals")
    digest = signals[-1].bundle_fingerprint
    registry = Registry(tracking_uri, root=Path(registry_root))
    named = signals[-1].model_version
    versions = [row.version for row in reversed(registry.list_versions())]
    order = ([named] if named in versions else []) + [v for v in versions if v != named]
    staging = Path(tempfile.mkdtemp(prefix="tradewind-monitor-"))
    try:
        for version in order:
            bundle = load_bundle(registry.download_bundle(version, staging / f"v{version}"))
            if bundle_digest(bundle) == digest:
                bundle.path = None
                return bundle
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    raise BundleError(
        f"no version of {registry.model_name!r} in {registry.tracking_uri} has digest "
        f"{digest[:16]}, the model that wrote the newest {symbol} {timeframe} signal of "
        f"{log.path}: give the bundle with --model")
