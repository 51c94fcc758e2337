"""One torch module from raw features to calibrated probabilities, for export.

:class:`CalibratedModel` folds everything a bundle applies around its network into a
single ``forward``: the normaliser (centre, scale, clip), the side normaliser, test-time
augmentation, the calibrator (temperature, vector scaling or none) and the softmax. An
exported graph therefore takes the *raw* feature window, exactly what
``Bundle.features(candles)`` produces, and a client cannot forget a step.

Normalisation and calibration run in float64 inside the graph, as they do in
:meth:`Normalizer.transform` and the numpy calibrators, so the only float32 rounding a
client adds is that of its raw inputs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tradewind.artifacts.bundle import Bundle
from tradewind.dataset import Normalizer
from tradewind.exceptions import BundleError
from tradewind.training.tta import tta_log_probs

__all__ = ["CalibratedModel"]


def _normalizer_buffers(norm: Normalizer) -> tuple[Tensor, Tensor]:
    center = torch.as_tensor(norm.center_, dtype=torch.float64)
    scale = torch.as_tensor(norm.scale_, dtype=torch.float64)
    return center, scale


class CalibratedModel(nn.Module):
    """``forward(features [B, L, F], side [B, S] | None) -> (probabilities [B, C], logits [B, C])``.

    ``features`` are raw (un-normalised) feature rows of the window, oldest first, in the
    bundle's ``feature_names`` order; ``side`` is the raw side-feature row of the window's
    last bar. ``logits`` are the model's uncalibrated outputs (after TTA, if the bundle
    uses it), identical to :meth:`Bundle.predict_logits`; ``probabilities`` are
    ``softmax(calibrate(logits))``, identical to :meth:`Bundle.predict_proba`.
    """

    def __init__(self, bundle: Bundle) -> None:
        super().__init__()
        manifest = bundle.manifest
        self.family = str(manifest.model.get("name", "?"))
        self.lookback = int(manifest.lookback)
        self.n_features = len(manifest.feature_names)
        self.side_dim = len(manifest.side_names)
        self.tta = tuple(manifest.tta)
        if self.side_dim and bundle.side_normalizer is None:
            raise BundleError(
                f"bundle {bundle.path}: it lists {self.side_dim} side features but has no side "
                "normaliser, so its side input cannot be normalised; re-save the bundle with "
                "its side_normalizer"
            )
        self.model = bundle.model.eval()
        center, scale = _normalizer_buffers(bundle.normalizer)
        self.register_buffer("center", center)
        self.register_buffer("scale", scale)
        self.clip = bundle.normalizer.clip
        self.side_clip: float | None = None
        if self.side_dim and bundle.side_normalizer is not None:
            side_center, side_scale = _normalizer_buffers(bundle.side_normalizer)
            self.register_buffer("side_center", side_center)
            self.register_buffer("side_scale", side_scale)
            self.side_clip = bundle.side_normalizer.clip
        state = bundle.calibrator.to_dict()
        self.method = str(state["method"])
        if self.method == "temperature":
            self.register_buffer("temperature", torch.tensor(float(state["temperature"]),
                                                             dtype=torch.float64))
        elif self.method == "vector":
            self.register_buffer("cal_weights", torch.tensor(state["weights"], dtype=torch.float64))
            self.register_buffer("cal_bias", torch.tensor(state["bias"], dtype=torch.float64))
        elif self.method != "none":
            raise BundleError(
                f"bundle {bundle.path}: calibration method {self.method!r} cannot be exported; "
                "supported methods are 'temperature', 'vector' and 'none'"
            )
        self.eval()

    @staticmethod
    def _normalise(x: Tensor, center: Tensor, scale: Tensor, clip: float | None) -> Tensor:
        scaled = (x.to(torch.float64) - center) / scale
        if clip is not None:
            scaled = torch.clamp(scaled, -clip, clip)
        return scaled.to(torch.float32)

    def calibrate(self, logits: Tensor) -> Tensor:
        """Calibrated logits (float64) [B, C] from model logits [B, C]."""
        z = logits.to(torch.float64)
        if self.method == "temperature":
            return z / self.temperature
        if self.method == "vector":
            return z * self.cal_weights + self.cal_bias
        return z

    def forward(self, features: Tensor, side: Tensor | None = None) -> tuple[Tensor, Tensor]:
        x = self._normalise(features, self.center, self.scale, self.clip)
        s = None
        if self.side_dim and side is not None:
            s = self._normalise(side, self.side_center, self.side_scale, self.side_clip)

        def run(inputs: Tensor) -> Tensor:
            return self.model(inputs) if s is None else self.model(inputs, s)

        logits = tta_log_probs(run, x, self.tta) if self.tta else run(x).float()
        probabilities = torch.softmax(self.calibrate(logits), dim=-1).to(torch.float32)
        return probabilities, logits
