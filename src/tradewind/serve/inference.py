"""Request payloads → arrays the bundle accepts, and raw feature windows → probabilities.

Every check raises :class:`InputError` with the JSON location of the offending value,
so the server answers 422 naming the field instead of failing inside the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from tradewind.artifacts.bundle import Bundle
from tradewind.artifacts.verdict import bundle_verdict
from tradewind.dataset import Normalizer
from tradewind.exceptions import ConfigError, SchemaMismatchError
from tradewind.features import FeatureSpec
from tradewind.policy import TradePolicy
from tradewind.signals import (
    Signal,
    check_candles,
    resolve_timeframe,
    signals_from_proba,
)

__all__ = [
    "InputError",
    "feature_windows",
    "latest_signal",
    "predict_windows",
    "request_timeframe",
    "side_rows",
]

Loc = tuple[str | int, ...]



class InputError(ValueError):
    """A request value the server refuses; ``loc`` is its JSON path (FastAPI style)."""

    def __init__(self, loc: Loc, msg: str) -> None:
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {msg}")
        self.loc = loc
        self.msg = msg


def _numeric(value: Any, loc: Loc, what: str) -> np.ndarray:
    """``value`` as a float64 array; refuse ragged nesting, non-numbers and non-finite values."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(loc, f"{what} must be a rectangular nesting of numbers ({err})") from None
    if array.size and not np.isfinite(array).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError((*loc, *bad), f"{what} must be finite, got {array[bad]}")
    return array


def feature_windows(features: Any, bundle: Bundle, *, max_batch: int) -> tuple[np.ndarray, bool]:
    """Raw feature windows as float64 [B, lookback, F] and whether a batch was sent.

    ``features`` is one window ``[lookback][F]`` or a batch ``[B][lookback][F]`` of raw
    (un-normalised) values in the bundle's feature order.
    """
    loc: Loc = ("body", "features")
    array = _numeric(features, loc, "features")
    lookback, names = bundle.lookback, bundle.manifest.feature_names
    if array.ndim not in (2, 3):
        raise InputError(loc, f"expected one window [{lookback}][{len(names)}] or a batch "
                              f"[B][{lookback}][{len(names)}], got {array.ndim}-D shape {array.shape}")
    batched = array.ndim == 3
    windows = array if batched else array[None]
    if windows.shape[0] == 0:
        raise InputError(loc, "the batch is empty; send at least one window")
    if windows.shape[0] > max_batch:
        raise InputError(loc, f"{windows.shape[0]} windows exceed the limit of {max_batch} per call")
    if windows.shape[1] != lookback:
        raise InputError(loc, f"window length {windows.shape[1]} != the bundle's lookback "
                              f"{lookback}: send the last {lookback} feature rows, oldest first")
    if windows.shape[2] != len(names):
        raise InputError(loc, f"{windows.shape[2]} features per row, the bundle expects "
                              f"{len(names)} in this order: {names}")
    _refuse_far_outside(array, bundle.normalizer, names, loc)
    return windows, batched


FAR_OUTSIDE_SCALES = 1e6  # |value - centre| / scale beyond this cannot be a real feature value


def _refuse_far_outside(values: np.ndarray, norm: Normalizer, names: list[str], loc: Loc) -> None:
    """Refuse a value ``FAR_OUTSIDE_SCALES`` normaliser scales from its training centre.

    ``values`` [..., F] as the request nests them; the error's location follows that nesting.
    """
    hit = norm.far_outside(values.reshape(-1, values.shape[-1]), FAR_OUTSIDE_SCALES)
    if hit is None:
        return
    where = (*(int(i) for i in np.unravel_index(hit[0], values.shape[:-1])), hit[1])
    col = hit[1]
    raise InputError(
        (*loc, *where),
        f"feature {names[col]!r} = {values[where]:g} lies more than {FAR_OUTSIDE_SCALES:g} "
        f"scales ({norm.scale_[col]:g}) from its training centre ({norm.center_[col]:g}); no "
        "candle gives such a value: send raw features computed with the bundle's feature spec",
    )


def request_timeframe(bundle: Bundle, timeframe: str | None) -> None:
    """Refuse a request whose declared ``timeframe`` is not the bundle's (422 at body.timeframe)."""
    try:
        bundle.check_timeframe(timeframe, "the request")
    except (ConfigError, SchemaMismatchError) as err:
        raise InputError(("body", "timeframe"), str(err)) from None


def side_rows(side: Any, bundle: Bundle, n_windows: int, batched: bool) -> np.ndarray | None:
    """Raw side features [B, S] for bundles trained with them (None otherwise)."""
    names = bundle.manifest.side_names
    loc: Loc = ("body", "side")
    if not names:
        if side is not None:
            raise InputError(loc, "this bundle takes no side features; leave 'side' out")
        return None
    if side is None:
        raise InputError(loc, f"this bundle needs side features {names} for each window")
    array = _numeric(side, loc, "side")
    want = (n_windows, len(names)) if batched else (len(names),)
    if array.shape != want:
        raise InputError(loc, f"expected shape {list(want)} (side features {names}), "
                              f"got {list(array.shape)}")
    if bundle.side_normalizer is not None:
        _refuse_far_outside(array, bundle.side_normalizer, names, loc)
    return array.reshape(n_windows, len(names))


def predict_windows(bundle: Bundle, windows: np.ndarray, side: np.ndarray | None = None) -> np.ndarray:
    """Calibrated probabilities [B, C] for raw feature windows: :meth:`Bundle.predict_windows`."""
    return bundle.predict_windows(windows, side)


def latest_signal(
    bundle: Bundle,
    candles: pd.DataFrame,
    policy: TradePolicy,
    *,
    symbol: str,
    timeframe: str | None,
    model_version: str | None,
    fingerprint: str,
    feature_spec: FeatureSpec | None = None,
    references: Mapping[str, pd.DataFrame] | None = None,
) -> Signal:
    """The newest bar's signal: equal to :func:`tradewind.signals.signal_from_bundle`.

    The same path (candle checks, :meth:`Bundle.predict_proba` with ``last_only``, then
    :func:`~tradewind.signals.signals_from_proba`), with the per-call work a server does
    not need left out: ``fingerprint`` and ``feature_spec`` come in precomputed
    (``bundle_fingerprint(bundle)`` and ``bundle.feature_spec``). Equality with
    ``signal_from_bundle`` is tested.
    """
    check_candles(candles, f"signals for {symbol}")
    bundle.check_timeframe(candles, f"signals for {symbol}", declared=timeframe)
    proba = bundle.predict_proba(candles, last_only=True, feature_spec=feature_spec,
                                 references=references)
    return signals_from_proba(
        proba, candles, policy, symbol=symbol,
        timeframe=resolve_timeframe(timeframe, candles, bundle.manifest.data),
        model_name=bundle.manifest.name, model_version=model_version, fingerprint=fingerprint,
        gate_passed=bundle_verdict(bundle).gate_passed,
    )[0]
