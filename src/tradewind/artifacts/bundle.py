"""Model bundles: a model never travels without its normaliser, specs and temperature.

A bundle is a directory::

    weights.safetensors   model weights (no pickle)
    manifest.json         model/feature/label specs, lookback, classes, feature order,
                          normaliser and calibrator parameters, metrics, gate verdict,
                          sha256 fingerprint of the training data, package version
    checksums.sha256      sha256 of the two files above

``save_bundle`` writes it atomically (temp directory + rename); ``load_bundle`` checks
the checksums and the manifest schema before building anything, and
``Bundle.predict_proba`` is the one prediction path shared by ``signal``, ``backtest``,
the server and the live loop, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from tradewind.calibration import calibrator_from_dict
from tradewind.data.atomic import file_sha256
from tradewind.dataset import Normalizer, Windows
from tradewind.exceptions import BundleError, DataError, SchemaMismatchError
from tradewind.features import Features, FeatureSpec, compute
from tradewind.labels import LabelSpec
from tradewind.models import build, parse_model_spec
from tradewind.models.specs import SymbolEmbeddingSpec
from tradewind.policy import TradePolicy
from tradewind.timeframes import check_timeframe
from tradewind.training import predict_logits

__all__ = [
    "BUNDLE_SCHEMA_VERSION",
    "Bundle",
    "BundleManifest",
    "data_fingerprint",
    "load_bundle",
    "save_bundle",
]

BUNDLE_SCHEMA_VERSION = 1
WEIGHTS = "weights.safetensors"
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
_BATCH = 4096  # windows per forward pass, as predict_logits batches them


class BundleManifest(BaseModel):
    """Everything needed to turn raw candles into calibrated probabilities again."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = BUNDLE_SCHEMA_VERSION
    tradewind_version: str
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    name: str
    model: dict[str, Any]
    features: dict[str, Any]
    labels: dict[str, Any]
    lookback: int
    warmup_bars: int
    classes: list[str]
    feature_names: list[str]
    side_names: list[str] = Field(default_factory=list)
    normalizer: dict[str, Any]
    side_normalizer: dict[str, Any] | None = None
    calibration: dict[str, Any]
    tta: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    gate: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)
    policy: dict[str, Any] | None = Field(
        None, description="The trade policy chosen on the refit's validation slice "
        "(tradewind.policy.TradePolicy); None in bundles saved before policies existed.",
    )
    monitoring: dict[str, Any] | None = Field(
        None, description="Training distribution (per-feature quantile bins, predicted-class "
        "shares) and the run's out-of-sample promises that `tradewind monitor` holds live "
        "signals to (tradewind.monitor.TrainingReference); None in bundles saved before it.",
    )
    symbol_embedding: dict[str, Any] | None = Field(
        None, description="A pooled model's learned symbol embedding "
        "(tradewind.models.specs.SymbolEmbeddingSpec: dim, symbols, the index of the symbol this "
        "bundle serves); None when the model has none.",
    )


def data_fingerprint(candles: pd.DataFrame) -> str:
    """sha256 of the canonical candles (timestamps and OHLCV bytes), order-sensitive."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(pd.DatetimeIndex(candles.index).as_unit("ns").asi8).tobytes())
    digest.update(np.ascontiguousarray(candles.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


@dataclass
class Bundle:
    """A loaded bundle: model in eval mode plus everything that must travel with it."""

    manifest: BundleManifest
    model: torch.nn.Module
    normalizer: Normalizer
    side_normalizer: Normalizer | None
    calibrator: Any
    path: Path | None = None

    @property
    def classes(self) -> list[str]:
        return list(self.manifest.classes)

    @property
    def lookback(self) -> int:
        return self.manifest.lookback

    @property
    def fingerprint(self) -> str:
        return str(self.manifest.data.get("fingerprint", ""))

    @property
    def policy(self) -> TradePolicy:
        """The trade policy the run chose (every-signal trading for bundles without one)."""
        if self.manifest.policy is None:
            return TradePolicy.every_signal(self.label_spec)
        return TradePolicy.model_validate(self.manifest.policy)

    @property
    def feature_spec(self) -> FeatureSpec:
        return FeatureSpec.model_validate(self.manifest.features)

    @property
    def label_spec(self) -> LabelSpec:
        return LabelSpec.model_validate(self.manifest.labels)

    @property
    def min_candles(self) -> int:
        """Candles a caller must supply to get one prediction (warm-up + lookback)."""
        return self.manifest.warmup_bars + self.manifest.lookback

    def check_features(self, names: list[str], side_names: list[str] | None = None) -> None:
        """Refuse inputs whose feature names or order differ from training."""
        for got, want, what in (
            (list(names), self.manifest.feature_names, "features"),
            (list(side_names or []), self.manifest.side_names, "side features"),
        ):
            if got == want:
                continue
            missing = [n for n in want if n not in got]
            extra = [n for n in got if n not in want]
            detail = f"missing {missing}, unexpected {extra}" if missing or extra else (
                "same names in a different order"
            )
            raise SchemaMismatchError(
                f"input {what} do not match the bundle ({len(got)} given, {len(want)} "
                f"expected): {detail}. Compute features with the bundle's own feature spec."
            )

    def check_timeframe(
        self, candles_or_timeframe: pd.DataFrame | str | None, where: str,
        *, declared: str | None = None,
    ) -> str | None:
        """Refuse candles (by their spacing) or a timeframe that differ from training's.

        ``declared`` is a timeframe a caller stated for ``candles``. Returns the timeframe
        to compute with (annualisation, signal validity): the bundle's, else, for a bundle
        that does not record one and so accepts anything, the declared or inferred one.
        """
        return check_timeframe(self.manifest.data.get("timeframe"), candles_or_timeframe,
                               where, declared=declared)

    def features(
        self, candles: pd.DataFrame, *, references: Mapping[str, pd.DataFrame] | None = None
    ) -> Features:
        """Features of ``candles`` computed with the bundle's own feature spec.

        ``references``: candles of each ``features.cross`` reference by name, required when
        the spec has any (see :meth:`check_references`).
        """
        spec = self.feature_spec
        self.check_references(spec, references)
        return compute(candles, spec, references=references)

    def check_references(
        self, spec: FeatureSpec, references: Mapping[str, pd.DataFrame] | None
    ) -> None:
        """Refuse to compute cross-asset features without the reference candles.

        A bundle never reads the training run's reference sources (they may be files on
        another machine, or stale): the caller passes candles for the same bars.
        """
        if not spec.cross or references is not None:
            return
        wanted = ", ".join(f"{c.name!r} (trained on {c.source})" for c in spec.cross)
        raise SchemaMismatchError(
            f"this bundle's features use reference instruments (features.cross: {wanted}) "
            "but no reference candles were given. From Python pass references={name: "
            "candles} covering the same bars (Bundle.predict_proba(..., references=...)); "
            "`tradewind signal`, `backtest` and `live` take --reference NAME=SOURCE; "
            "/v1/signal takes them as 'references'"
        )

    def predict_logits(self, feats: Features, ends: np.ndarray | None = None) -> np.ndarray:
        """Uncalibrated logits [N, C] for windows ending at ``ends`` (rows of ``feats.frame``)."""
        self.check_features(feats.names, feats.side_names)
        matrix = self.normalizer.transform(feats.frame.to_numpy(dtype=np.float64))
        windows = Windows(matrix, self.lookback)
        if ends is None:
            ends = windows.valid_ends()
        side = None
        if self.side_normalizer is not None and feats.side is not None:
            side = torch.from_numpy(
                self.side_normalizer.transform(feats.side.to_numpy(dtype=np.float64))
            )
        return predict_logits(
            self.model, windows, np.asarray(ends, dtype=np.int64), side=side,
            tta=tuple(self.manifest.tta),
        )

    def predict_proba(
        self, candles: pd.DataFrame, *, last_only: bool = False,
        feature_spec: FeatureSpec | None = None,
        references: Mapping[str, pd.DataFrame] | None = None,
    ) -> pd.DataFrame:
        """Calibrated probabilities by bar open time: **the** prediction path.

        Every bar with a full window, or only the newest with ``last_only`` (what ``signal``,
        the server and the live loop need: one window normalised instead of all). ``backtest``,
        ``signal``, ``serve`` and ``live`` all call this; ``feature_spec`` lets a server pass
        the bundle's spec validated once. ``references`` are the candles of the spec's
        ``features.cross`` references by name; a bundle with cross features refuses to
        predict without them.
        """
        spec = feature_spec or self.feature_spec
        self.check_references(spec, references)
        feats = compute(candles, spec, references=references)
        self.check_features(feats.names, feats.side_names)
        rows = len(feats.frame)
        if last_only and rows and feats.frame.index[-1] != candles.index[-1]:
            raise DataError(
                f"the newest bar {candles.index[-1]} has no features: a features.cross "
                "reference misses bars at or shortly before it (its missing rule drops the "
                "row); supply the reference's bars up to that bar's close"
            )
        if rows < self.lookback:
            raise BundleError(
                f"need at least {self.min_candles} candles (warm-up {self.manifest.warmup_bars} "
                f"+ lookback {self.lookback}); got {len(candles)}"
            )
        if last_only:
            window = feats.frame.to_numpy(dtype=np.float64)[rows - self.lookback:][None]
            side = None
            if feats.side is not None and self.side_normalizer is not None:
                side = feats.side.to_numpy(dtype=np.float64)[rows - 1:]
            probs = self.predict_windows(window, side)
            index = feats.frame.index[rows - 1:]
        else:
            ends = np.arange(self.lookback - 1, rows, dtype=np.int64)
            probs = self.calibrator.predict_proba(self.predict_logits(feats, ends))
            index = feats.frame.index[ends]
        # object-dtype labels: pandas looks them up faster than in its arrow string index
        return pd.DataFrame(probs, index=index, columns=pd.Index(self.classes, dtype=object))

    def predict_windows(self, windows: np.ndarray, side: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities [B, C] for raw feature windows [B, lookback, F].

        The same steps as the batch path after the features: the normaliser, the model
        (with its TTA) and the calibrator. Without TTA, on the CPU in eval mode (every
        loaded bundle) the model is called directly under ``inference_mode`` in the same
        batches as :func:`~tradewind.training.predict_logits`: the same numbers without its
        per-call set-up (a server answers in milliseconds).
        """
        b, lookback, n_feat = windows.shape
        matrix = self.normalizer.transform(windows.reshape(b * lookback, n_feat))
        side_n = None
        if self.side_normalizer is not None and side is not None:
            side_n = self.side_normalizer.transform(side)
        model = self.model
        first = next(model.parameters(), None)
        on_cpu = first is None or first.device.type == "cpu"
        if self.manifest.tta or model.training or not on_cpu:
            ends = np.arange(1, b + 1, dtype=np.int64) * lookback - 1
            side_t = None
            if side_n is not None:
                full = np.zeros((b * lookback, side_n.shape[1]), dtype=np.float32)
                full[ends] = side_n
                side_t = torch.from_numpy(full)
            logits = predict_logits(model, Windows(matrix, lookback), ends, side=side_t,
                                    tta=tuple(self.manifest.tta), batch_size=_BATCH)
            return self.calibrator.predict_proba(logits)
        x = torch.from_numpy(matrix).view(b, lookback, n_feat)
        s = None if side_n is None else torch.from_numpy(np.ascontiguousarray(side_n, np.float32))
        with torch.inference_mode():
            parts = [(model(x[i:i + _BATCH]) if s is None else model(x[i:i + _BATCH], s[i:i + _BATCH]))
                     .float() for i in range(0, b, _BATCH)]
        logits = (parts[0] if len(parts) == 1 else torch.cat(parts)).numpy()
        return self.calibrator.predict_proba(logits)


def _state_dict_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}


def save_bundle(path: str | Path, model: torch.nn.Module, manifest: BundleManifest) -> Path:
    """Write a bundle directory atomically; an existing bundle at ``path`` is replaced whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        save_file(_state_dict_tensors(model), str(tmp / WEIGHTS))
        (tmp / MANIFEST).write_text(
            json.dumps(manifest.model_dump(mode="json"), indent=2, sort_keys=True),
            encoding="utf-8",
        )
        lines = [f"{file_sha256(tmp / name)}  {name}" for name in (WEIGHTS, MANIFEST)]
        (tmp / CHECKSUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")
        old = None
        if path.exists():
            old = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _verify_checksums(path: Path) -> None:
    sums = path / CHECKSUMS
    if not sums.is_file():
        raise BundleError(f"{path}: {CHECKSUMS} is missing; this is not a complete bundle")
    expected: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition("  ")
        if name:
            expected[name] = digest
    for name in (WEIGHTS, MANIFEST):
        file = path / name
        if name not in expected:
            raise BundleError(f"{path}: {CHECKSUMS} has no entry for {name}")
        if not file.is_file():
            raise BundleError(f"{path}: {name} is missing")
        actual = file_sha256(file)
        if actual != expected[name]:
            raise BundleError(
                f"{file}: checksum mismatch (expected {expected[name][:12]}…, got "
                f"{actual[:12]}…): the file was changed or truncated; re-export the bundle"
            )


def _symbol_embedding(manifest: BundleManifest, path: Path) -> SymbolEmbeddingSpec | None:
    """The manifest's symbol embedding, which must name the one symbol the bundle serves."""
    if manifest.symbol_embedding is None:
        return None
    try:
        spec = SymbolEmbeddingSpec.model_validate(manifest.symbol_embedding)
    except ValidationError as err:
        raise BundleError(f"{path / MANIFEST}: invalid symbol_embedding: {err}") from None
    if spec.index is None:
        raise BundleError(
            f"{path / MANIFEST}: symbol_embedding names no symbol (index is null), so the "
            "model cannot tell which row of the embedding to use; re-save the bundle with "
            "the index of its symbol"
        )
    return spec


def load_bundle(path: str | Path, *, public_key: str | Path | None = None) -> Bundle:
    """Load and verify a bundle directory; the model comes back in eval mode on the CPU.

    With ``public_key`` (an Ed25519 public key file) the bundle must also carry a valid
    signature by that key (:mod:`tradewind.artifacts.signing`), else ``SignatureError``.
    """
    path = Path(path)
    if not path.is_dir():
        raise BundleError(f"{path}: no bundle directory here")
    _verify_checksums(path)
    if public_key is not None:
        from tradewind.artifacts.signing import verify_signature

        verify_signature(path, public_key)
    try:
        raw = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        manifest = BundleManifest.model_validate(raw)
    except (json.JSONDecodeError, ValidationError) as err:
        raise BundleError(f"{path / MANIFEST}: invalid manifest: {err}") from None
    if manifest.policy is not None:
        try:
            TradePolicy.model_validate(manifest.policy)
        except ValidationError as err:
            raise BundleError(f"{path / MANIFEST}: invalid trade policy: {err}") from None
    if manifest.schema_version != BUNDLE_SCHEMA_VERSION:
        raise BundleError(
            f"{path}: bundle schema {manifest.schema_version}, this tradewind reads "
            f"{BUNDLE_SCHEMA_VERSION}; re-export it with a matching version"
        )
    model = build(
        parse_model_spec(manifest.model),
        len(manifest.feature_names),
        len(manifest.classes),
        side_dim=len(manifest.side_names),
        symbol_embedding=_symbol_embedding(manifest, path),
        verbose=False,
    )
    try:
        state = load_file(str(path / WEIGHTS))
    except SafetensorError as err:
        raise BundleError(
            f"{path / WEIGHTS}: not a readable safetensors file ({err}); it was replaced or "
            "truncated after its checksum was written: re-export the bundle"
        ) from None
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise BundleError(f"{path / WEIGHTS}: weights do not fit the model spec: {err}") from None
    model.eval()
    side_norm = (
        Normalizer.from_dict(manifest.side_normalizer) if manifest.side_normalizer else None
    )
    return Bundle(
        manifest=manifest,
        model=model,
        normalizer=Normalizer.from_dict(manifest.normalizer),
        side_normalizer=side_norm,
        calibrator=calibrator_from_dict(manifest.calibration),
        path=path,
    )
