"""Every error tradewind raises on purpose, one class per thing the caller must do.

Each class carries its exit code; ``EXIT_CODES`` lists every code the ``tradewind``
command can end with (the contract that README and ``tradewind --help`` document). The
CLI maps exceptions to those codes in one place (``tradewind.cli``) and the server maps
them to HTTP statuses in one place; nothing else catches them broadly.
"""

from __future__ import annotations

__all__ = [
    "EXIT_CODES",
    "USAGE_EXIT_CODE",
    "BundleError",
    "ConfigError",
    "DataError",
    "FetchError",
    "GateRefused",
    "LeakageError",
    "LiveLogError",
    "MissingExtraError",
    "MonitorBreach",
    "NotFittedError",
    "OutputDirError",
    "RegistryError",
    "SchemaMismatchError",
    "SignatureError",
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


class RegistryError(BundleError):
    """The model registry's store is unusable: follow the message (upgrade or move it aside)."""


class OutputDirError(ConfigError):
    """A run's output folder holds files it may not replace: move them, choose another
    folder, or pass ``--overwrite`` for a previous run."""


class LiveLogError(ConfigError):
    """The live signal log belongs to another model: start a new segment or use another log."""


class SignatureError(BundleError):
    """A bundle lacks the required signature, or was altered after signing: do not use it;
    sign it again from a trusted copy."""

    exit_code = 10


class MonitorBreach(TradewindError):
    """A deployed model breached a monitoring check (``monitor --strict``): read the
    breaches, then retrain, roll back or retire it."""

    exit_code = 11


USAGE_EXIT_CODE = ConfigError.exit_code
"""A command line the parser refused (unknown command or option, missing or bad value):
like a configuration error, the caller must fix what it asked for."""

EXIT_CODES: dict[int, str] = {
    0: "success (also `run` whose gate refused the model, unless --strict)",
    1: "unexpected internal error: a bug, the traceback says where",
    USAGE_EXIT_CODE: "usage or config: unknown command or option, missing argument, bad "
                     "option value, or a wrong key/value in the named file or --set",
    DataError.exit_code: "data: the candles break a rule; fix the named file/row/column",
    FetchError.exit_code: "fetch: the exchange failed mid-way; re-run to resume",
    LeakageError.exit_code: "leakage: the splits would leak the future; change purge/embargo/folds "
                            "(`retrain`: the champion trained on the holdout)",
    SchemaMismatchError.exit_code: "schema: inputs do not match what a fitted object expects",
    NotFittedError.exit_code: "not fitted: an estimator was used before fit",
    BundleError.exit_code: "bundle/registry: a bundle or registry entry is missing or corrupt",
    GateRefused.exit_code: "gate refused: `promote` without --override, `run --strict`",
    SignatureError.exit_code: "signature: a bundle is unsigned or was altered after signing "
                              "(serve/live --require-signed)",
    MonitorBreach.exit_code: "monitor breach: `monitor --strict` found a breached check "
                             "(realised metrics below the promise, drift, collapse)",
    130: "interrupted (Ctrl-C)",
}
"""Every exit code of the ``tradewind`` command and what it means, in one place."""
