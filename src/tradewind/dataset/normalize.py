"""Per-feature normalisation fitted on training rows only, stored as plain JSON.

Seed 004 fed raw BTC prices (79,568) into a network and got logits of ±158,041; its
"fixed" retrain still shipped no scaler. Here the normaliser is an estimator with its
schema (feature names and order) recorded at fit time, travels inside every model bundle
as JSON, and refuses inputs whose columns do not match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tradewind.data.atomic import write_json_atomic
from tradewind.exceptions import ConfigError, DataError, NotFittedError, SchemaMismatchError

__all__ = ["Normalizer", "NormalizerSpec"]

NormalizerKind = Literal["standard", "robust", "none"]
_FORMAT = "tradewind.normalizer"
_VERSION = 1
_IQR_TO_STD = 1.349  # IQR of a standard normal distribution
_CHUNK_ROWS = 65_536


class NormalizerSpec(BaseModel):
    """The ``normalizer:`` section: which scaling and where to clip."""

    model_config = ConfigDict(extra="forbid")

    kind: NormalizerKind = Field(
        "standard", description="standard: mean/std; robust: median and IQR/1.349; none: identity."
    )
    clip: float | None = Field(5.0, gt=0, description="Clip scaled values to ±clip; None = no clip.")


def _finite_or_raise(X: np.ndarray, names: Sequence[str], where: str, offset: int = 0) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        rows, cols = np.nonzero(bad)
        columns = sorted({names[c] for c in cols[:1000]})
        raise DataError(
            f"Normalizer.{where}: {int(bad.sum())} non-finite value(s) (NaN/inf) in column(s) "
            f"{columns[:10]}; first at row {offset + int(rows[0])}, column {names[cols[0]]!r} = "
            f"{X[rows[0], cols[0]]!r}. Drop the features' warm-up rows or fix the feature"
        )


class Normalizer:
    """Scale each feature column with statistics learned from training rows.

    Parameters
    ----------
    kind:
        ``"standard"``: ``(x − mean) / std`` (ddof=0). ``"robust"``: ``(x − median) /
        (IQR / 1.349)``, which equals the std for normal data but ignores outliers; a
        column whose IQR is zero but which is not constant falls back to its std
        (reported in ``iqr_fallback_features_``). ``"none"``: identity (still checks the
        schema and clips).
    clip:
        Clip scaled values to ``[-clip, clip]``; ``None`` disables clipping.

    Attributes
    ----------
    center_, scale_ : float64 [F]
    feature_names_in_ : tuple of str, the column order seen in ``fit``
    n_features_in_ : int
    constant_features_ : tuple of str, columns constant in the training rows (scale set to 1)
    iqr_fallback_features_ : tuple of str, robust columns scaled by std (zero IQR)
    n_samples_seen_ : int
    """

    def __init__(self, kind: NormalizerKind = "standard", clip: float | None = 5.0) -> None:
        if kind not in ("standard", "robust", "none"):
            raise ConfigError(f"Normalizer: kind must be 'standard', 'robust' or 'none', got {kind!r}")
        if clip is not None and not clip > 0:
            raise ConfigError(f"Normalizer: clip must be > 0 or None, got {clip!r}")
        self.kind: NormalizerKind = kind
        self.clip = None if clip is None else float(clip)

    @classmethod
    def from_spec(cls, spec: NormalizerSpec) -> Normalizer:
        return cls(kind=spec.kind, clip=spec.clip)

    def __repr__(self) -> str:
        return f"Normalizer(kind={self.kind!r}, clip={self.clip!r})"

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X: np.ndarray, feature_names: Sequence[str]) -> Normalizer:
        """Learn centre and scale per column from training rows ``X`` [N, F]."""
        X = np.asarray(X, dtype=np.float64)
        names = tuple(str(n) for n in feature_names)
        if X.ndim != 2:
            raise DataError(f"Normalizer.fit: X must be 2-D [rows, features], got shape {X.shape}")
        if X.shape[0] < 1:
            raise DataError("Normalizer.fit: X has no rows; fit on the fold's training rows")
        if len(names) != X.shape[1]:
            raise SchemaMismatchError(
                f"Normalizer.fit: X has {X.shape[1]} features but {len(names)} feature names were given"
            )
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise SchemaMismatchError(f"Normalizer.fit: duplicate feature names {dupes}")
        _finite_or_raise(X, names, "fit")
        n_features = X.shape[1]
        fallback = np.zeros(n_features, dtype=bool)
        if self.kind == "standard":
            center, scale = X.mean(axis=0), X.std(axis=0)
        elif self.kind == "robust":
            q25, center, q75 = np.percentile(X, [25.0, 50.0, 75.0], axis=0)
            scale = (q75 - q25) / _IQR_TO_STD
            std = X.std(axis=0)
            fallback = (scale <= 0) & ~self._constant(X)
            scale = np.where(fallback, std, scale)
        else:
            center, scale = np.zeros(n_features), np.ones(n_features)
        constant = self._constant(X) if self.kind != "none" else np.zeros(n_features, dtype=bool)
        scale = np.where(constant | ~(scale > 0), 1.0, scale)
        self.center_ = np.asarray(center, dtype=np.float64)
        self.scale_ = np.asarray(scale, dtype=np.float64)
        self.feature_names_in_ = names
        self.n_features_in_ = n_features
        self.constant_features_ = tuple(n for n, c in zip(names, constant, strict=True) if c)
        self.iqr_fallback_features_ = tuple(n for n, f in zip(names, fallback, strict=True) if f)
        self.n_samples_seen_ = int(X.shape[0])
        return self

    @staticmethod
    def _constant(X: np.ndarray) -> np.ndarray:
        return np.ptp(X, axis=0) == 0

    # -- applying ------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "scale_"):
            raise NotFittedError(
                "This Normalizer is not fitted yet: call fit(X_train, feature_names) on the "
                "fold's training rows first, or load a fitted one with from_dict/load_json"
            )

    def check_features(self, feature_names: Sequence[str]) -> None:
        """Raise SchemaMismatchError unless ``feature_names`` equal the fitted names and order."""
        self._check_fitted()
        names = tuple(str(n) for n in feature_names)
        if names == self.feature_names_in_:
            return
        missing = [n for n in self.feature_names_in_ if n not in names]
        unexpected = [n for n in names if n not in self.feature_names_in_]
        parts = []
        if len(names) != self.n_features_in_:
            parts.append(f"X has {len(names)} features, but Normalizer is expecting {self.n_features_in_}")
        if missing:
            parts.append(f"missing: {missing}")
        if unexpected:
            parts.append(f"unexpected: {unexpected}")
        if not missing and not unexpected:
            parts.append(f"same names in another order: expected {list(self.feature_names_in_)}, got {list(names)}")
        raise SchemaMismatchError(
            "Normalizer: feature names do not match those seen in fit; "
            + "; ".join(parts)
            + ". Compute features with the same feature spec the normaliser was fitted on"
        )

    def transform(self, X: np.ndarray, feature_names: Sequence[str] | None = None) -> np.ndarray:
        """Scaled and clipped copy of ``X`` [N, F] as float32 (computed in float64)."""
        self._check_fitted()
        if feature_names is not None:
            self.check_features(feature_names)
        X = np.asarray(X)
        if X.ndim != 2:
            raise DataError(f"Normalizer.transform: X must be 2-D [rows, features], got shape {X.shape}")
        if X.shape[1] != self.n_features_in_:
            raise SchemaMismatchError(
                f"X has {X.shape[1]} features, but Normalizer is expecting {self.n_features_in_} "
                f"features as input (fitted on {list(self.feature_names_in_)})"
            )
        out = np.empty(X.shape, dtype=np.float32)
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            block = np.asarray(X[start : start + _CHUNK_ROWS], dtype=np.float64)
            _finite_or_raise(block, self.feature_names_in_, "transform", start)
            scaled = (block - self.center_) / self.scale_
            if self.clip is not None:
                np.clip(scaled, -self.clip, self.clip, out=scaled)
            out[start : start + _CHUNK_ROWS] = scaled
        return out

    def far_outside(self, X: np.ndarray, scales: float) -> tuple[int, int] | None:
        """``(row, column)`` of the first value of ``X`` [N, F] more than ``scales`` fitted
        scales from its column's centre (None when there is none).

        Clipping hides such values from the model (a feature of 1e300 becomes +clip), so
        callers that take raw features use this to refuse inputs that cannot be real.
        """
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            far = ~(np.abs(X - self.center_) <= scales * self.scale_)
        if not far.any():
            return None
        row = int(np.argmax(far.any(axis=1)))
        return row, int(np.argmax(far[row]))

    def fit_transform(self, X: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
        return self.fit(X, feature_names).transform(X)

    # -- persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON state (floats round-trip exactly through ``json``)."""
        self._check_fitted()
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "kind": self.kind,
            "clip": self.clip,
            "feature_names_in": list(self.feature_names_in_),
            "center": [float(v) for v in self.center_],
            "scale": [float(v) for v in self.scale_],
            "constant_features": list(self.constant_features_),
            "iqr_fallback_features": list(self.iqr_fallback_features_),
            "n_samples_seen": self.n_samples_seen_,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Normalizer:
        """Rebuild a fitted normaliser from :meth:`to_dict` output (validated)."""
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise SchemaMismatchError(
                f"Normalizer.from_dict: not a {_FORMAT!r} document (format="
                f"{state.get('format') if isinstance(state, dict) else type(state).__name__!r})"
            )
        if state.get("version") != _VERSION:
            raise SchemaMismatchError(
                f"Normalizer.from_dict: version {state.get('version')!r} is not supported "
                f"(this tradewind reads version {_VERSION}); re-export the bundle"
            )
        try:
            names = tuple(str(n) for n in state["feature_names_in"])
            center = np.asarray(state["center"], dtype=np.float64)
            scale = np.asarray(state["scale"], dtype=np.float64)
            norm = cls(kind=state["kind"], clip=state["clip"])
            constant = tuple(state.get("constant_features", ()))
            fallback = tuple(state.get("iqr_fallback_features", ()))
            seen = int(state.get("n_samples_seen", 0))
        except (KeyError, TypeError, ValueError) as err:
            raise SchemaMismatchError(f"Normalizer.from_dict: malformed state ({err!r})") from err
        if not (len(names) == center.shape[0] == scale.shape[0]) or center.ndim != 1:
            raise SchemaMismatchError(
                f"Normalizer.from_dict: {len(names)} names but {center.shape} centres and "
                f"{scale.shape} scales"
            )
        if not (np.isfinite(center).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise SchemaMismatchError("Normalizer.from_dict: centres must be finite and scales > 0")
        norm.center_, norm.scale_ = center, scale
        norm.feature_names_in_ = names
        norm.n_features_in_ = len(names)
        norm.constant_features_ = constant
        norm.iqr_fallback_features_ = fallback
        norm.n_samples_seen_ = seen
        return norm

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` to ``path`` atomically (``data.atomic``)."""
        return write_json_atomic(path, self.to_dict())

    @classmethod
    def load_json(cls, path: str | Path) -> Normalizer:
        """Read a normaliser written by :meth:`save_json`."""
        path = Path(path)
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise SchemaMismatchError(f"{path}: normaliser file not found") from err
        except json.JSONDecodeError as err:
            raise SchemaMismatchError(f"{path}: not valid JSON ({err})") from err
        return cls.from_dict(state)

