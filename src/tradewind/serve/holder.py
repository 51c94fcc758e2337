"""The bundle a server answers with, and the poller that swaps it when the alias moves.

Requests take :meth:`ModelHolder.current` (or :meth:`ModelHolder.for_symbol`) once and use
that :class:`LoadedModel` to the end, so a swap (a reference assignment under a lock) never
changes a bundle under a request in flight: old requests finish on the old bundle, new
ones get the new one.

A universe folder (the bundles of a run over several symbols, ``bundle/universe.json``)
is served by symbol: each symbol's bundle is a :class:`LoadedModel` of its own, loaded
once at start and never swapped (registry references are single bundles).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.artifacts.registry import Registry
from tradewind.artifacts.universe import is_universe, load_universe
from tradewind.artifacts.verdict import BundleVerdict, admit, bundle_verdict
from tradewind.features import FeatureSpec
from tradewind.policy import TradePolicy
from tradewind.serve.settings import ServeSettings
from tradewind.signals import bundle_fingerprint

__all__ = ["LoadedModel", "ModelHolder"]

log = logging.getLogger("tradewind.serve")


@dataclass(frozen=True)
class LoadedModel:
    """One loaded bundle and where it came from.

    ``version`` is the registry version (the run id when served by run id, None for a
    bundle served from a path);
    ``download_dir`` is the folder of ``cache_dir`` the server downloaded it into, removed
    when replaced (None without a ``cache_dir``: the download is removed once loaded).
    """

    bundle: Bundle
    source: str
    version: str | None
    fingerprint: str
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    download_dir: Path | None = None
    verdict: BundleVerdict = field(default_factory=lambda: BundleVerdict(gate_passed=False))
    _policies: dict[int, TradePolicy] = field(default_factory=dict, repr=False, compare=False)

    def policy(self, overrides: dict[str, Any]) -> TradePolicy:
        """The bundle's trade policy with the server's overrides, validated once per bundle."""
        cached = self._policies.get(id(overrides))
        if cached is None:
            cached = self.bundle.policy.with_overrides(overrides, "serve policy")
            self._policies[id(overrides)] = cached
        return cached

    @cached_property
    def feature_spec(self) -> FeatureSpec:
        """The bundle's feature spec, validated once rather than once per request."""
        return self.bundle.feature_spec


class ModelHolder:
    """Holds the served bundle; loads it from a path or the registry and follows an alias.

    Parameters
    ----------
    settings
        ``model``, ``registry``, ``cache_dir`` and ``poll_seconds`` are used.
    on_reload
        Called with ``"ok"`` or ``"error"`` after each reload attempt (metrics).
    """

    def __init__(self, settings: ServeSettings,
                 on_reload: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self._on_reload = on_reload
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.registry: Registry | None = None
        self.last_error: str | None = None
        self._symbols: dict[str, LoadedModel] = {}
        self.refused_symbols: list[str] = []
        """Symbols of a served universe whose gate refused them (not served)."""
        if settings.is_path and is_universe(Path(settings.model).expanduser()):
            self._current = self._from_universe(Path(settings.model).expanduser())
        elif settings.is_path:
            self._current = self._from_path(Path(settings.model).expanduser())
        else:
            spec = settings.registry
            self.registry = Registry(spec.tracking_uri, root=Path(spec.root),
                                     model_name=spec.model_name)
            self._current = self._from_registry(self._ref_version())

    # ------------------------------------------------------------------ loading
    def _ref_version(self) -> str:
        assert self.registry is not None
        ref = self.settings.model.strip()
        if ref.isdigit():
            return ref
        version = self.registry.alias_version(ref)
        return version if version is not None else ref  # run id: download_bundle resolves it

    def _from_path(self, path: Path, bundle: Bundle | None = None, *,
                   what: str | None = None) -> LoadedModel:
        if bundle is None:
            bundle = load_bundle(path, public_key=self.settings.require_signed)
        verdict = admit(bundle_verdict(bundle), allow_refused=self.settings.allow_refused,
                        what=what or f"serve: bundle {path}")
        loaded = LoadedModel(bundle=bundle, source=str(path.resolve()), version=None,
                             fingerprint=bundle_fingerprint(bundle), verdict=verdict)
        loaded.policy(self.settings.policy)  # a bad policy override fails the load, not a request
        return loaded

    def _from_universe(self, path: Path) -> LoadedModel:
        """Load every symbol's bundle; serve those the gate admits (each on its own
        verdict), refuse the start when it admits none. Returns the first one served."""
        universe = load_universe(path, public_key=self.settings.require_signed)
        allow = self.settings.allow_refused
        for symbol, bundle in universe.bundles.items():
            verdict = bundle_verdict(bundle)
            if verdict.gate_passed or allow:
                where = bundle.path if bundle.path is not None else path
                self._symbols[symbol] = self._from_path(where, bundle)
            else:
                self.refused_symbols.append(symbol)
        if not self._symbols:
            first = universe.symbols[0]
            admit(bundle_verdict(universe.bundle(first)), allow_refused=False,
                  what=f"serve: none of the {len(universe.symbols)} symbols of {path} may be "
                       f"served; {first}'s bundle")
        if self.refused_symbols:
            log.warning("serving %s; not serving %s: the gate refused them (--allow-refused "
                        "serves them too)", ", ".join(self._symbols),
                        ", ".join(self.refused_symbols))
        return next(iter(self._symbols.values()))

    def _from_registry(self, version: str) -> LoadedModel:
        """Download ``version`` and load it. Without a ``cache_dir`` the download goes to a
        temporary folder removed as soon as the bundle is in memory, so no start, swap or
        kill leaves a bundle copy behind; with one, it stays there until replaced."""
        assert self.registry is not None
        name = f"{self.registry.model_name}-v{version}-{uuid.uuid4().hex[:8]}"
        if self.settings.cache_dir is None:
            staging = Path(tempfile.mkdtemp(prefix="tradewind-serve-"))
            try:
                bundle = load_bundle(self.registry.download_bundle(version, staging / name),
                                     public_key=self.settings.require_signed)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            bundle.path = None
            dst = None
        else:
            dst = Path(self.settings.cache_dir) / name
            try:
                self.registry.download_bundle(version, dst)
                bundle = load_bundle(dst, public_key=self.settings.require_signed)
            except BaseException:
                shutil.rmtree(dst, ignore_errors=True)
                raise
        verdict = admit(
            bundle_verdict(bundle, override_reason=self.registry.override_reason(version)),
            allow_refused=self.settings.allow_refused,
            what=f"serve: version {version} of {self.registry.model_name!r}")
        loaded = LoadedModel(
            bundle=bundle, source=f"{self.registry.tracking_uri}#{self.registry.model_name}/"
            f"{self.settings.model}", version=version, fingerprint=bundle_fingerprint(bundle),
            download_dir=dst, verdict=verdict)
        loaded.policy(self.settings.policy)  # a bad policy override fails the load, not a request
        return loaded

    # ------------------------------------------------------------------ access
    def current(self) -> LoadedModel:
        """The bundle to answer one request with (take it once per request); serving a
        universe, the first symbol's."""
        with self._lock:
            return self._current

    @property
    def symbols(self) -> list[str]:
        """The symbols of a served universe, in its order; empty when one bundle answers
        for every symbol."""
        return list(self._symbols)

    def for_symbol(self, symbol: str) -> LoadedModel | None:
        """The bundle that answers for ``symbol``: that symbol's in a universe (None when it
        is not served), else :meth:`current` whatever the symbol."""
        if not self._symbols:
            return self.current()
        return self._symbols.get(symbol)

    def swap(self, new: LoadedModel) -> LoadedModel:
        """Make ``new`` the served bundle; returns the one it replaced."""
        with self._lock:
            old, self._current = self._current, new
        return old

    def check_once(self) -> bool:
        """Reload if the alias points to another version now; True when it swapped."""
        if self.registry is None:
            return False
        try:
            version = self.registry.alias_version(self.settings.model.strip())
            if version is None or version == self.current().version:
                return False
            new = self._from_registry(version)
        except Exception as err:  # the server keeps answering with the old bundle
            self.last_error = f"{type(err).__name__}: {err}"
            log.warning("model reload failed, still serving the old bundle: %s", self.last_error)
            self._report("error")
            return False
        old = self.swap(new)
        self.last_error = None
        log.info("model %s: version %s -> %s", self.settings.model, old.version, new.version)
        self._report("ok")
        if old.download_dir is not None:  # the old bundle lives on in memory until released
            shutil.rmtree(old.download_dir, ignore_errors=True)
        return True

    def _report(self, result: str) -> None:
        if self._on_reload is not None:
            self._on_reload(result)

    # ------------------------------------------------------------------ polling
    def start(self) -> None:
        """Start the background poller (only for an alias and ``poll_seconds > 0``)."""
        if self._thread is not None or self.settings.poll_seconds <= 0:
            return
        if self.registry is None or self.settings.model.strip().isdigit():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, name="tradewind-serve-poller",
                                        daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(self.settings.poll_seconds):
            self.check_once()

    def stop(self) -> None:
        """Stop the poller."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
