"""Every error tradewind raises on purpose, one class per thing the caller must do.

The CLI maps these classes to exit codes in one place (``tradewind.cli``) and the
server maps them to HTTP statuses in one place; nothing else catches them broadly.
"""

from __future__ import annotations

__all__ = [
    "BundleError",
    "ConfigError",
    "DataError",
    "FetchError",
    "GateRefused",
    "LeakageError",
    "MissingExtraError",
    "NotFittedError",
    "SchemaMismatchError",
    "TradewindError",
]


class TradewindError(Exception):
    """Base class: something the operator must act on; the message says what."""

    exit_code: int = 1


class ConfigError(TradewindError):
    """The configuration is wrong: fix the named key in the named file."""

    exit_code = 2


class MissingExtraError(ConfigError):
    """An optional feature's packages are not installed: install the named pip extra."""


class DataError(TradewindError):
    """The candles are wrong: fix the file at the named row/timestamp/column."""

    exit_code = 3


class FetchError(TradewindError):
    """The exchange failed mid-way; what was fetched is kept. Re-run to resume."""

    exit_code = 4


class LeakageError(TradewindError):
    """A split would let future information into training: change purge/embargo/folds."""

    exit_code = 5


class SchemaMismatchError(TradewindError):
    """Inputs do not match what a fitted object expects: the message lists missing/extra."""

    exit_code = 6


class NotFittedError(TradewindError):
    """An estimator was used before ``fit``: call ``fit`` on training rows first."""

    exit_code = 7


class BundleError(TradewindError):
    """A model bundle is missing, corrupt or incompatible: re-export or retrain it."""

    exit_code = 8


class GateRefused(TradewindError):
    """The promotion gate refused a model: read the failing checks, or override with a reason."""

    exit_code = 9
