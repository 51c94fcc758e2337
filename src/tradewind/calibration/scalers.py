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
from tradewind.exceptions import BundleError, ConfigError, SchemaMismatchError

__all__ = ["IdentityCalibrator", "TemperatureScaler", "VectorScaler"]


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


def _require(d: Mapping[str, Any], method: str, keys: tuple[str, ...]) -> None:
    if d.get("method") != method:
        raise BundleError(f"calibrator dict has method {d.get('method')!r}, expected {method!r}.")
    missing = [k for k in keys if k not in d]
    if missing:
        raise BundleError(f"{method} calibrator dict lacks {missing}; re-export the bundle.")


class TemperatureScaler:
    """One scalar temperature ``T``: probabilities = softmax(logits / T).

    ``T`` minimises the negative log-likelihood of validation labels; it is searched as
    ``log T`` on a bounded interval with Brent's method (NLL is convex in ``1 / T``, so
    the search is unimodal). ``T > 1`` softens an overconfident model, ``T < 1`` sharpens.
    The argmax (predicted class) never changes.

    Parameters
    ----------
    min_temperature, max_temperature:
        Search bounds for ``T``. The wide default upper bound lets a model with raw
        logits of 40,000 still be tamed, while diagnostics flag such logits anyway.
    """

    method: ClassVar[str] = "temperature"

    def __init__(self, *, min_temperature: float = 1e-3, max_temperature: float = 1e6) -> None:
        if not 0 < min_temperature < max_temperature:
            raise ConfigError(
                f"temperature bounds need 0 < min < max; got ({min_temperature}, {max_temperature})."
            )
        self.min_temperature = float(min_temperature)
        self.max_temperature = float(max_temperature)
        self.temperature_: float | None = None
        self.n_classes_: int | None = None
        self.nll_before_: float | None = None
        self.nll_after_: float | None = None

    def fit(self, logits: np.ndarray, y: np.ndarray) -> Self:
        """Fit ``T`` on validation ``logits`` [N, C] and labels ``y`` [N] (0..C-1)."""
        z, labels = _fit_inputs(logits, y)
        result = minimize_scalar(
            lambda log_t: nll(z / math.exp(log_t), labels),
            bounds=(math.log(self.min_temperature), math.log(self.max_temperature)),
            method="bounded",
            options={"xatol": 1e-6},
        )
        self.temperature_ = float(math.exp(result.x))
        self.n_classes_ = int(z.shape[1])
        self.nll_before_ = nll(z, labels)
        self.nll_after_ = float(result.fun)
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
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TemperatureScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output."""
        _require(d, cls.method, ("temperature", "n_classes"))
        obj = cls(
            min_temperature=float(d.get("min_temperature", 1e-3)),
            max_temperature=float(d.get("max_temperature", 1e6)),
        )
        temperature = float(d["temperature"])
        if not (math.isfinite(temperature) and temperature > 0):
            raise BundleError(f"temperature must be a positive finite number; got {temperature}.")
        obj.temperature_ = temperature
        obj.n_classes_ = int(d["n_classes"])
        obj.nll_before_ = d.get("nll_before")
        obj.nll_after_ = d.get("nll_after")
        return obj


class VectorScaler:
    """Per-class scale and bias: probabilities = softmax(w * logits + b), fitted by NLL.

    ``w`` [C] is kept non-negative (calibration must not reverse a class's ranking) and
    ``b`` [C] is centred to mean zero (softmax ignores a common shift). ``l2`` shrinks
    ``(w - 1, b)`` towards the identity, which helps on small validation sets. Unlike
    temperature scaling it can move the argmax, i.e. correct a class bias.

    Parameters
    ----------
    l2:
        Ridge penalty on ``(w - 1)`` and ``b`` added to the mean NLL (0 = pure NLL).
    max_iter:
        L-BFGS-B iteration limit.
    """

    method: ClassVar[str] = "vector"

    def __init__(self, *, l2: float = 0.0, max_iter: int = 500) -> None:
        if l2 < 0 or max_iter < 1:
            raise ConfigError(
                f"VectorScaler needs l2 >= 0 and max_iter >= 1; got {l2}, {max_iter}."
            )
        self.l2 = float(l2)
        self.max_iter = int(max_iter)
        self.weights_: np.ndarray | None = None
        self.bias_: np.ndarray | None = None
        self.n_classes_: int | None = None
        self.nll_before_: float | None = None
        self.nll_after_: float | None = None

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

        theta0 = np.concatenate([np.ones(c), np.zeros(c)])
        result = minimize(
            objective,
            theta0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, None)] * c + [(None, None)] * c,
            options={"maxiter": self.max_iter},
        )
        self.weights_ = np.asarray(result.x[:c], dtype=np.float64)
        self.bias_ = np.asarray(result.x[c:] - result.x[c:].mean(), dtype=np.float64)
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
            "nll_before": self.nll_before_,
            "nll_after": self.nll_after_,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VectorScaler:
        """Rebuild a fitted scaler from :meth:`to_dict` output."""
        _require(d, cls.method, ("weights", "bias", "n_classes"))
        obj = cls(l2=float(d.get("l2", 0.0)), max_iter=int(d.get("max_iter", 500)))
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
        return obj


class IdentityCalibrator:
    """No calibration: probabilities = softmax(logits). Kept so ``method: none`` is explicit."""

    method: ClassVar[str] = "none"

    def __init__(self) -> None:
        self.n_classes_: int | None = None

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
