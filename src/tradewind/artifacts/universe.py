"""A universe bundle: the bundles of one run over several symbols, served by symbol name.

A run over several series writes one complete bundle per symbol under
``bundle/<folder>/`` and, beside them, the index ``bundle/universe.json``::

    {"schema_version": 1, "mode": "pooled", "timeframe": "5m",
     "symbols": {"ETH/BTC": "ETH-BTC", "LTC/BTC": "LTC-BTC", ...}}

:func:`load_universe` reads the index and loads every symbol's bundle (its checksums,
and its manifest's own symbol must equal the index's name), so a caller asks
:meth:`UniverseBundle.bundle` for a symbol and gets the bundle with that symbol's
normaliser, calibrator and trade policy; a symbol the run did not train on is refused by
name with the list of those it did. In ``pooled`` mode the bundles share the model
weights; in ``per_symbol`` mode each holds its own model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.data.atomic import write_json_atomic
from tradewind.exceptions import BundleError, ConfigError

__all__ = [
    "UNIVERSE_INDEX",
    "UniverseBundle",
    "UniverseIndex",
    "bundle_for",
    "is_universe",
    "load_universe",
    "read_universe_index",
    "universe_folders",
    "write_universe_index",
]

UNIVERSE_INDEX = "universe.json"
UNIVERSE_SCHEMA_VERSION = 1


@dataclass
class UniverseBundle:
    """Every symbol's bundle of one run, by symbol name (in the run's order)."""

    path: Path
    mode: str
    timeframe: str | None
    bundles: dict[str, Bundle]

    @property
    def symbols(self) -> list[str]:
        return list(self.bundles)

    def bundle(self, symbol: str) -> Bundle:
        """The bundle of ``symbol``; BundleError naming it and the symbols there are."""
        try:
            return self.bundles[symbol]
        except KeyError:
            raise _unknown_symbol(self.path, self.mode, self.symbols, symbol) from None


def _unknown_symbol(path: Path, mode: str, symbols: list[str], symbol: str) -> BundleError:
    return BundleError(f"{path}: this {mode} bundle was trained on {', '.join(symbols)}, "
                       f"not {symbol!r}; ask for one of those (spelled as listed)")


def is_universe(path: str | Path) -> bool:
    """Whether ``path`` is a folder holding a universe index."""
    return (Path(path) / UNIVERSE_INDEX).is_file()


def write_universe_index(bundle_dir: str | Path, mode: str, timeframe: str | None,
                         folders: Mapping[str, str]) -> Path:
    """Write ``bundle_dir/universe.json`` (atomically) for the symbol → folder map."""
    return write_json_atomic(Path(bundle_dir) / UNIVERSE_INDEX, {
        "schema_version": UNIVERSE_SCHEMA_VERSION, "mode": mode, "timeframe": timeframe,
        "symbols": dict(folders),
    })


@dataclass(frozen=True)
class UniverseIndex:
    """``universe.json`` read and checked: the run's mode, its timeframe and each symbol's
    bundle folder name (in the run's order). Nothing is loaded."""

    path: Path
    mode: str
    timeframe: str | None
    folders: dict[str, str]

    @property
    def symbols(self) -> list[str]:
        return list(self.folders)

    def folder(self, symbol: str) -> Path:
        """The bundle folder of ``symbol``, verified to lie inside the universe folder;
        BundleError naming ``symbol`` and the known ones when it was not trained on."""
        if symbol not in self.folders:
            raise _unknown_symbol(self.path, self.mode, self.symbols, symbol)
        sub = (self.path / self.folders[symbol]).resolve()
        if self.path.resolve() not in sub.parents:
            raise BundleError(f"{self.path / UNIVERSE_INDEX}: folder {self.folders[symbol]!r} "
                              f"of {symbol} is not inside the universe bundle")
        return sub


def read_universe_index(path: str | Path) -> UniverseIndex:
    """The index at ``path/universe.json``; BundleError when it is unreadable or malformed."""
    path = Path(path)
    index_path = path / UNIVERSE_INDEX
    try:
        raw = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise BundleError(f"{index_path}: not a readable universe index ({err})") from None
    symbols = raw.get("symbols") if isinstance(raw, dict) else None
    if not isinstance(symbols, dict) or not symbols or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in symbols.items()):
        raise BundleError(f"{index_path}: 'symbols' must map each symbol to its bundle folder")
    if raw.get("schema_version") != UNIVERSE_SCHEMA_VERSION:
        raise BundleError(f"{index_path}: universe index schema {raw.get('schema_version')}, "
                          f"this tradewind reads {UNIVERSE_SCHEMA_VERSION}")
    timeframe = raw.get("timeframe")
    return UniverseIndex(path=path, mode=str(raw.get("mode", "per_symbol")),
                         timeframe=None if timeframe is None else str(timeframe),
                         folders=dict(symbols))


def universe_folders(path: str | Path) -> dict[str, Path]:
    """Each symbol's bundle folder as the index at ``path`` names it (in the run's order),
    each verified to lie inside ``path``; nothing is loaded."""
    index = read_universe_index(path)
    return {symbol: index.folder(symbol) for symbol in index.folders}


def _symbol_bundle(index: UniverseIndex, symbol: str,
                   public_key: str | Path | None) -> Bundle:
    """The bundle the index files ``symbol`` under, verified to be inside the universe
    folder and trained on ``symbol``."""
    sub = index.folder(symbol)
    loaded = load_bundle(sub, public_key=public_key)
    own = loaded.manifest.data.get("symbol")
    if own is not None and own != symbol:
        raise BundleError(f"{sub}: the index names it {symbol!r} but the bundle was trained "
                          f"on {own!r}; the universe folder was edited by hand")
    return loaded


def load_universe(path: str | Path, *, public_key: str | Path | None = None) -> UniverseBundle:
    """Load every symbol's bundle named by ``path/universe.json`` (each verified as
    :func:`~tradewind.artifacts.bundle.load_bundle` does, with ``public_key`` if given)."""
    index = read_universe_index(path)
    bundles = {symbol: _symbol_bundle(index, symbol, public_key) for symbol in index.folders}
    return UniverseBundle(path=index.path, mode=index.mode, timeframe=index.timeframe,
                          bundles=bundles)


def bundle_for(path: str | Path, symbol: str | None = None, *,
               public_key: str | Path | None = None) -> Bundle:
    """The bundle that answers for ``symbol`` at ``path``: one command-line rule for
    ``signal``, ``backtest`` and ``live``.

    A universe folder (:func:`is_universe`) gives the bundle of ``symbol``, loading only
    that one; ``symbol`` may be left out when the universe holds a single symbol, and is
    otherwise required (:class:`ConfigError` listing the symbols). A symbol the universe
    was not trained on is a :class:`BundleError` naming it and the known ones. A plain
    bundle folder is loaded as it is, whatever ``symbol`` says (the symbol then only
    names the signals).
    """
    if not is_universe(path):
        return load_bundle(Path(path), public_key=public_key)
    index = read_universe_index(path)
    if symbol is None:
        if len(index.folders) > 1:
            raise ConfigError(f"{index.path} is a bundle of {len(index.folders)} symbols "
                              f"({', '.join(index.symbols)}); choose one with --symbol, e.g. "
                              f"--symbol {index.symbols[0]}")
        symbol = index.symbols[0]
    return _symbol_bundle(index, symbol, public_key)
