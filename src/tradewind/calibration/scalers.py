"""Post-hoc calibrators fitted on validation logits: temperature, vector scaling, identity.

A model emits logits; probabilities exist only after one of these has been fitted on
validation rows (never test rows) and applied. Each follows the estimator contract:
``__init__`` stores parameters, ``fit`` returns ``self``, learned state ends in ``_``,
``to_dict``/``from_dict`` give plain JSON for the model bundle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from tradewind.calibration._checks import as_labels, as_logits, check_fitted
from tradewind.calibration.functional import log_softmax, nll, softmax
from tradewind.calibration.outcome import (
    CalibrationOutcome,
    check_bootstrap_settings,
    nll_gain_interval,
    row_nll,
)
from tradewind.exceptions import BundleError, ConfigError, SchemaMismatchError

__all__ = ["IdentityCalibrator", "TemperatureScaler", "VectorScaler"]

MIN_TEMPERATURE = 0.05  # sharpening beyond 20x a trained model's logits is never calibration
MAX_TEMPERATURE = 20.0  # flattening beyond 1/20 means the confidence carries no information


def _fit_inputs(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = as_logits(logits)
    if z.shape[0] == 0:
        raise SchemaMismatchError("cannot fit a calibrator on 0 rows: pass the validation rows.")
    return z, as_labels(y, n_rows=z.shape[0], n_classes=z.shape[1])


def _check_width(obj: Any, z: np.ndarray) -> None:
    if z.shape[1] != obj.n_classes_:
        raise SchemaMismatchError(
            f"{type(obj).__name__} was fitted on {obj.n_classes_} classes but got logits with "
            f"{z.shape[1]} columns; use the calibrator saved with this model."
        )


class _GainTest:
    """Settings of the keep-or-identity decision shared by the scalers (see ``outcome``)."""

    def __init__(self, require_gain: bool, n_boot: int, block: int, level: float, seed: int) -> None:
        check_bootstrap_settings(n_boot, block, level)
        self.require_gain = bool(require_gain)
        self.n_boot, self.block, self.level, self.seed = int(n_boot), int(block), float(level), int(seed)

    def decide(
        self, z: np.ndarray, labels: np.ndarray, scaled: np.ndarray, *, at_bound: bool,
        fitted_value: float,
    ) -> CalibrationOutcome:
        gain, lower = nll_gain_interval(
            row_nll(z, labels) - row_nll(scaled, labels),
            block=self.block, n_boot=self.n_boot, level=self.level, seed=self.seed,
        )
        if self.require_gain and not lower > 0:
            status = "kept_identity"
        else:
            status = "bounded" if at_bound else "fitted"
        return CalibrationOutcome(
            status=status, fitted_value=float(fitted_value), nll_gain=gain, nll_gain_lower=lower,
            block=self.block, n_boot=self.n_boot, level=self.level,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"require_gain": self.require_gain, "n_boot": self.n_boot, "block": self.block,
                "level": self.level, "seed": self.seed}

    @staticmethod
    def kwargs_from(d: Mapping[str, Any]) -> dict[str, Any]:
        return {"require_gain": bool(d.get("require_gain", True)),
                "n_boot": int(d.get("n_boot", 1000)), "block": int(d.get("block", 24)),
                "level": float(d.get("level", 0.95)), "seed": int(d.get("seed", 0))}


def _outcome_from(d: Mapping[str, Any]) -> CalibrationOutcome | None:
    raw = d.get("outcome")
    if raw is None:
        return None
    try:
        return CalibrationOutcome.from_dict(dict(raw))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"calibrator dict has a malformed 'outcome' ({exc}); re-export the bundle.") from exc


def _require(d: Mapping[str, Any], method: str, keys: tuple[str, ...]) -> None:
    if d.get("method") != method:
        raise BundleError(f"calibrator dict has method {d.get('method')!r}, expected {method!r}.")
    missing = [k for k in keys if k not in d]
    if missing:
        raise BundleError(f"{method} calibrator dict lacks {missing}; re-export the bundle.")


class TemperatureScaler:
    """One scalar temperature ``T``: probabilities = softmax(logits / T).

    ``T`` minimises the negative log-likelihood of validation labels; it is searched as
    ``log T`` on ``[min_temperature, max_temperature]`` with Brent's method (NLL is convex
    in ``1 / T``, so the search is unimodal). ``T > 1`` softens an overconfident model,
    ``T < 1`` sharpens. The argmax (predicted class) never changes.

    The fit is kept only when it lowers the validation NLL by a margin its own block
    bootstrap supports (:mod:`tradewind.calibration.outcome`); otherwise ``T = 1``.
    ``outcome_.status`` says which happened: ``fitted``, ``bounded`` (optimum clipped to a
    bound) or ``kept_identity``.

    Parameters
    ----------
    min_temperature, max_temperature:
        Bounds for ``T``, default [0.05, 20]; they must contain 1. A model that needs
        more than that (raw logits of 40,000) is broken, and the diagnostics and the gate
        say so; calibration does not hide it.
    require_gain:
        Keep ``T = 1`` unless the bootstrap lower bound of the NLL gain is above zero.
    n_boot, block, level, seed:
        The bootstrap of the per-row NLL gain: resamples, block length in rows,
        two-sided interval level, random seed.
    """

    method: ClassVar[str] = "temperature"

    def __init__(
        self, *, min_temperature: float = MIN_TEMPERATURE, max_temperature: float = MAX_TEMPERATURE,
        require_gain: bool = True, n_boot: int = 1000, block: int = 24, level: float = 0.95,
        seed: int = 0,
    ) -> None:
        if not 0 < min_temperature <= 1.0 <= max_temperature or min_temperature == max_temperature:
            raise ConfigError(
                f"temperature bounds need 0 < min <= 1 <= max and min < max; got "
                f"({min_temperature}, {max_temperature})."
            )
        self.min_temperature = float(min_temperature)
        self.max_temperature = float(max_temperature)
        self._test = _GainTest(require_gain, n_boot, block, level, seed)
        self.temperature_: float | None = None
        self.n_classes_: int | None = None
        self.nll_before_: float | None = None
        self.nll_after_: float | None = None
        self.outcome_: CalibrationOutcome | None = None

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self:
        """Fit ``T`` on validation ``logits`` [N, C] and labels ``y`` [N] (0..C-1)."""
        z, labels = _fit_inputs(logits, y)
        lo, hi = math.log(self.min_temperature), math.log(self.max_temperature)
        result = minimize_scalar(
            lambda log_t: nll(z / math.exp(log_t), labels),
            bounds=(lo, hi),
            method="bounded",
            options={"xatol": 1e-6},
        )
        log_t = float(np.clip(result.x, lo, hi))
        at_low, at_high = log_t - lo < 1e-3, hi - log_t < 1e-3
        at_bound = at_low or at_high
        fitted = (self.min_temperature if at_low else self.max_temperature if at_high
                  else math.exp(log_t))
        self.outcome_ = self._test.decide(
            z, labels, z / fitted, at_bound=at_bound, fitted_value=fitted
        )
        self.temperature_ = 1.0 if self.outcome_.status == "kept_identity" else fitted
        self.n_classes_ = int(z.shape[1])
        self.nll_before_ = nll(z, labels)
        self.nll_after_ = nll(z / self.temperature_, labels)
        return self

    def scale_logits(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated logits ``logits / T`` [N, C] (what an exported model should emit)."""
        check_fitted(self, "temperature_")
        z = as_logits(logits, allow_nonfinite=True)
        _check_width(self, z)
        return z / self.temperature_

    def predict_proba(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities [N, C] for ``logits`` [N, C]."""
        return softmax(self.scale_logits(logits))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON state for the model bundle."""
        check_fitted(self, "temperature_")
        return {
            "method": self.method,
            "temperature": self.temperature_,
            "n_classes": self.n_classes_,
            "min_temperature": self.min_temperature,
            "max_temperature": self.max_temperature,
            "nll_before": self.nll_before_,
            "nll_after": self.nll_after_,
            **self._test.to_dict(),
            "outcome": None if self.outcome_ is None else self.outcome_.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemperatureScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output."""
        _require(d, cls.method, ("temperature", "n_classes"))
        try:
            obj = cls(
                min_temperature=float(d.get("min_temperature", 1e-3)),
                max_temperature=float(d.get("max_temperature", 1e6)),
                **_GainTest.kwargs_from(d),
            )
        except ConfigError as exc:
            raise BundleError(f"temperature calibrator dict is invalid: {exc}") from exc
        temperature = float(d["temperature"])
        if not (math.isfinite(temperature) and temperature > 0):
            raise BundleError(f"temperature must be a positive finite number; got {temperature}.")
        obj.temperature_ = temperature
        obj.n_classes_ = int(d["n_classes"])
        obj.nll_before_ = d.get("nll_before")
        obj.nll_after_ = d.get("nll_after")
        obj.outcome_ = _outcome_from(d)
        return obj


class VectorScaler:
    """Per-class scale and bias: probabilities = softmax(w * logits + b), fitted by NLL.

    ``w`` [C] is kept non-negative (calibration must not reverse a class's ranking) and
    ``b`` [C] is centred to mean zero (softmax ignores a common shift). ``l2`` shrinks
    ``(w - 1, b)`` towards the identity, which helps on small validation sets. Unlike
    temperature scaling it can move the argmax, i.e. correct a class bias.

    Each ``w`` is bounded like a temperature's inverse, to ``[1 / max_temperature,
    1 / min_temperature]`` (default [0.05, 20]), and the fit is kept only when the
    bootstrap lower bound of its validation NLL gain is above zero; otherwise ``w = 1``,
    ``b = 0``. ``outcome_.status`` says which happened (``fitted``, ``bounded`` when a
    weight sits at a bound, ``kept_identity``); its ``fitted_value`` is the mean weight.

    Parameters
    ----------
    l2:
        Ridge penalty on ``(w - 1)`` and ``b`` added to the mean NLL (0 = pure NLL).
    max_iter:
        L-BFGS-B iteration limit.
    min_temperature, max_temperature, require_gain, n_boot, block, level, seed:
        As for :class:`TemperatureScaler`.
    """

    method: ClassVar[str] = "vector"

    def __init__(
        self, *, l2: float = 0.0, max_iter: int = 500, min_temperature: float = MIN_TEMPERATURE,
        max_temperature: float = MAX_TEMPERATURE, require_gain: bool = True, n_boot: int = 1000,
        block: int = 24, level: float = 0.95, seed: int = 0,
    ) -> None:
        if l2 < 0 or max_iter < 1:
            raise ConfigError(
                f"VectorScaler needs l2 >= 0 and max_iter >= 1; got {l2}, {max_iter}."
            )
        if not 0 < min_temperature <= 1.0 <= max_temperature or min_temperature == max_temperature:
            raise ConfigError(
                f"VectorScaler bounds need 0 < min_temperature <= 1 <= max_temperature and "
                f"min < max; got ({min_temperature}, {max_temperature})."
            )
        self.l2 = float(l2)
        self.max_iter = int(max_iter)
        self.min_temperature = float(min_temperature)
        self.max_temperature = float(max_temperature)
        self._test = _GainTest(require_gain, n_boot, block, level, seed)
        self.weights_: np.ndarray | None = None
        self.bias_: np.ndarray | None = None
        self.n_classes_: int | None = None
        self.nll_before_: float | None = None
        self.nll_after_: float | None = None
        self.outcome_: CalibrationOutcome | None = None

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self:
        """Fit ``w`` and ``b`` on validation ``logits`` [N, C] and labels ``y`` [N]."""
        z, labels = _fit_inputs(logits, y)
        n, c = z.shape
        onehot = np.zeros_like(z)
        onehot[np.arange(n), labels] = 1.0

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[:c], theta[c:]
            lp = log_softmax(z * w + b)
            resid = (np.exp(lp) - onehot) / n
            loss = -float(lp[np.arange(n), labels].mean())
            grad = np.concatenate([(resid * z).sum(axis=0), resid.sum(axis=0)])
            if self.l2:
                loss += self.l2 * float(((w - 1.0) ** 2).sum() + (b**2).sum())
                grad += 2.0 * self.l2 * np.concatenate([w - 1.0, b])
            return loss, grad

        w_lo, w_hi = 1.0 / self.max_temperature, 1.0 / self.min_temperature
        theta0 = np.concatenate([np.ones(c), np.zeros(c)])
        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(w_lo, w_hi)] * c + [(None, None)] * c,
            options={"maxiter": self.max_iter},
        )
        weights = np.clip(np.asarray(result.x[:c], dtype=np.float64), w_lo, w_hi)
        at_low, at_high = weights <= w_lo * 1.001, weights >= w_hi * 0.999
        weights = np.where(at_low, w_lo, np.where(at_high, w_hi, weights))
        bias = np.asarray(result.x[c:] - result.x[c:].mean(), dtype=np.float64)
        at_bound = bool(np.any(at_low | at_high))
        self.outcome_ = self._test.decide(
            z, labels, z * weights + bias, at_bound=at_bound, fitted_value=float(weights.mean())
        )
        if self.outcome_.status == "kept_identity":
            weights, bias = np.ones(c), np.zeros(c)
        self.weights_, self.bias_ = weights, bias
        self.n_classes_ = int(c)
        self.nll_before_ = nll(z, labels)
        self.nll_after_ = nll(z * self.weights_ + self.bias_, labels)
        return self

    def scale_logits(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated logits ``w * logits + b`` [N, C]."""
        check_fitted(self, "weights_")
        z = as_logits(logits, allow_nonfinite=True)
        _check_width(self, z)
        return z * self.weights_ + self.bias_

    def predict_proba(self, logits: np.ndarray) -> np.ndarray:
        """Calibrated probabilities [N, C] for ``logits`` [N, C]."""
        return softmax(self.scale_logits(logits))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON state for the model bundle."""
        check_fitted(self, "weights_")
        return {
            "method": self.method,
            "weights": [float(v) for v in self.weights_],
            "bias": [float(v) for v in self.bias_],
            "n_classes": self.n_classes_,
            "l2": self.l2,
            "max_iter": self.max_iter,
            "min_temperature": self.min_temperature,
            "max_temperature": self.max_temperature,
            "nll_before": self.nll_before_,
            "nll_after": self.nll_after_,
            **self._test.to_dict(),
            "outcome": None if self.outcome_ is None else self.outcome_.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VectorScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output."""
        _require(d, cls.method, ("weights", "bias", "n_classes"))
        try:
            obj = cls(
                l2=float(d.get("l2", 0.0)), max_iter=int(d.get("max_iter", 500)),
                min_temperature=float(d.get("min_temperature", MIN_TEMPERATURE)),
                max_temperature=float(d.get("max_temperature", MAX_TEMPERATURE)),
                **_GainTest.kwargs_from(d),
            )
        except ConfigError as exc:
            raise BundleError(f"vector calibrator dict is invalid: {exc}") from exc
        weights = np.asarray(d["weights"], dtype=np.float64)
        bias = np.asarray(d["bias"], dtype=np.float64)
        n_classes = int(d["n_classes"])
        if weights.shape != (n_classes,) or bias.shape != (n_classes,):
            raise BundleError(
                f"vector calibrator needs {n_classes} weights and biases; got "
                f"{weights.shape} and {bias.shape}."
            )
        obj.weights_, obj.bias_, obj.n_classes_ = weights, bias, n_classes
        obj.nll_before_ = d.get("nll_before")
        obj.nll_after_ = d.get("nll_after")
        obj.outcome_ = _outcome_from(d)
        return obj


class IdentityCalibrator:
    """No calibration: probabilities = softmax(logits). Kept so ``method: none`` is explicit."""

    method: ClassVar[str] = "none"

    def __init__(self) -> None:
        self.n_classes_: int | None = None
        self.outcome_: CalibrationOutcome | None = None  # nothing is fitted, nothing decided

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self:
        """Record the number of classes; nothing else is learned."""
        z, _ = _fit_inputs(logits, y)
        self.n_classes_ = int(z.shape[1])
        return self

    def scale_logits(self, logits: np.ndarray) -> np.ndarray:
        """The logits unchanged [N, C]."""
        check_fitted(self, "n_classes_")
        z = as_logits(logits, allow_nonfinite=True)
        _check_width(self, z)
        return z

    def predict_proba(self, logits: np.ndarray) -> np.ndarray:
        """softmax(``logits``) [N, C]."""
        return softmax(self.scale_logits(logits))

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON state for the model bundle."""
        check_fitted(self, "n_classes_")
        return {"method": self.method, "n_classes": self.n_classes_}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IdentityCalibrator:
        """Rebuild from :meth:`to_dict` output."""
        _require(d, cls.method, ("n_classes",))
        obj = cls()
        obj.n_classes_ = int(d["n_classes"])
        return obj
