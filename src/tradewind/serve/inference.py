"""Request payloads → arrays the bundle accepts, and raw feature windows → probabilities.

Every check raises :class:`InputError` with the JSON location of the offending value,
so the server answers 422 naming the field instead of failing inside the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from tradewind.artifacts.bundle import Bundle
from tradewind.dataset import Normalizer, Windows
from tradewind.exceptions import BundleError, ConfigError, SchemaMismatchError
from tradewind.features import FeatureSpec, compute
from tradewind.signals import (
    Signal,
    SignalSpec,
    check_candles,
    resolve_timeframe,
    signals_from_proba,
)
from tradewind.training import predict_logits

__all__ = [
    "InputError",
    "feature_windows",
    "latest_signal",
    "predict_windows",
    "request_timeframe",
    "side_rows",
]

Loc = tuple[str | int, ...]

_BATCH = 4096  # windows per forward pass, as predict_logits batches them


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
    """Calibrated probabilities [B, C] for raw feature windows [B, lookback, F].

    The same steps as :meth:`Bundle.predict_proba` after the features: the bundle's
    normaliser, its model (with its TTA) and its calibrator. A bundle without TTA whose
    model is on the CPU in eval mode (every loaded bundle) is called directly under
    ``inference_mode`` in the same batches as :func:`~tradewind.training.predict_logits`,
    so the logits are the same numbers without its per-call set-up.
    """
    b, lookback, n_feat = windows.shape
    matrix = bundle.normalizer.transform(windows.reshape(b * lookback, n_feat))
    side_n = None
    if bundle.side_normalizer is not None and side is not None:
        side_n = bundle.side_normalizer.transform(side)
    model = bundle.model
    first = next(model.parameters(), None)
    on_cpu = first is None or first.device.type == "cpu"
    if bundle.manifest.tta or model.training or not on_cpu:
        ends = np.arange(1, b + 1, dtype=np.int64) * lookback - 1
        side_t = None
        if side_n is not None:
            full = np.zeros((b * lookback, side_n.shape[1]), dtype=np.float32)
            full[ends] = side_n
            side_t = torch.from_numpy(full)
        logits = predict_logits(model, Windows(matrix, lookback), ends, side=side_t,
                                tta=tuple(bundle.manifest.tta), batch_size=_BATCH)
        return bundle.calibrator.predict_proba(logits)
    x = torch.from_numpy(matrix).view(b, lookback, n_feat)
    s = None if side_n is None else torch.from_numpy(np.ascontiguousarray(side_n, np.float32))
    with torch.inference_mode():
        parts = [(model(x[i:i + _BATCH]) if s is None else model(x[i:i + _BATCH], s[i:i + _BATCH]))
                 .float() for i in range(0, b, _BATCH)]
    logits = (parts[0] if len(parts) == 1 else torch.cat(parts)).numpy()
    return bundle.calibrator.predict_proba(logits)


def latest_signal(
    bundle: Bundle,
    candles: pd.DataFrame,
    spec: SignalSpec,
    *,
    symbol: str,
    timeframe: str | None,
    model_version: str | None,
    fingerprint: str,
    feature_spec: FeatureSpec | None = None,
) -> Signal:
    """The newest bar's signal: equal to :func:`tradewind.signals.signal_from_bundle`.

    The same steps on the same rows (candle checks, features on all of ``candles``, the
    bundle's normaliser, model with its TTA and calibrator, then
    :func:`~tradewind.signals.signals_from_proba`), with the per-call work a server does
    not need left out: only the newest window is normalised, and ``fingerprint`` and
    ``feature_spec`` come in precomputed (``bundle_fingerprint(bundle)`` and
    ``bundle.feature_spec``). Equality with ``signal_from_bundle`` is tested.
    """
    check_candles(candles, f"signals for {symbol}")
    bundle.check_timeframe(candles, f"signals for {symbol}", declared=timeframe)
    feats = compute(candles, feature_spec or bundle.feature_spec)
    bundle.check_features(feats.names, feats.side_names)
    rows, lookback = len(feats.frame), bundle.lookback
    if rows < lookback:
        raise BundleError(
            f"need at least {bundle.min_candles} candles (warm-up {bundle.manifest.warmup_bars} "
            f"+ lookback {lookback}); got {len(candles)}"
        )
    window = feats.frame.to_numpy(dtype=np.float64)[rows - lookback:][None]
    side = None
    if feats.side is not None and bundle.side_normalizer is not None:
        side = feats.side.to_numpy(dtype=np.float64)[rows - 1:]
    probs = predict_windows(bundle, window, side)
    proba = pd.DataFrame(probs, index=feats.frame.index[rows - 1:],
                         columns=pd.Index(bundle.classes, dtype=object))
    return signals_from_proba(
        proba, candles, spec, symbol=symbol,
        timeframe=resolve_timeframe(timeframe, candles, bundle.manifest.data),
        model_name=bundle.manifest.name, model_version=model_version, fingerprint=fingerprint,
    )[0]
