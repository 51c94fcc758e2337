"""Input-scale audit: does every feature reach the model normalised?

Seed 004 fed raw BTC prices (79,568) into a network and got logits of 40,000; this audit
looks at the matrix the model actually receives and names every feature whose mean or
spread is far from what a fitted normaliser produces.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradewind.evaluation._json import json_safe
from tradewind.exceptions import SchemaMismatchError

__all__ = ["FeatureScaleIssue", "InputStats", "input_scale_audit", "readable_number"]


def readable_number(x: float) -> str:
    """79,568 rather than 7.957e+04; four significant digits for small numbers."""
    return f"{x:,.0f}" if abs(x) >= 1_000 else f"{x:.4g}"


@dataclass(frozen=True)
class FeatureScaleIssue:
    """One feature reaching the model outside the normalised range."""

    name: str
    mean: float
    std: float
    max_abs: float
    n_nonfinite: int
    reason: str


@dataclass(frozen=True)
class InputStats:
    """Per-feature mean, std and max |value| of the model's input, and the features flagged."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    max_abs: tuple[float, ...]
    n_rows: int
    max_abs_mean: float
    max_std: float
    issues: tuple[FeatureScaleIssue, ...]
    constant_features: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no feature is flagged."""
        return not self.issues

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "issues"}
        d["issues"] = [vars(i) for i in self.issues]
        d["ok"] = self.ok
        return json_safe(d)


def input_scale_audit(
    X_model_input: np.ndarray,
    feature_names: Sequence[str],
    *,
    max_abs_mean: float = 3.0,
    max_std: float = 10.0,
) -> InputStats:
    """Flag features that reach the model un-normalised (|mean| or std far from 0 and 1).

    Parameters
    ----------
    X_model_input:
        What the model receives, [N, F] or windows [B, L, F], after the normaliser.
    feature_names:
        F names, in column order.
    max_abs_mean, max_std:
        A feature is flagged when ``|mean| > max_abs_mean`` or ``std > max_std``, or when it
        holds NaN/inf. A BTC close of 79,568 fed raw fails both by four orders of magnitude.
    """
    x = np.asarray(X_model_input, dtype=np.float64)
    names = tuple(str(n) for n in feature_names)
    if x.ndim == 3:
        x = x.reshape(-1, x.shape[-1])
    if x.ndim != 2 or x.shape[1] != len(names):
        raise SchemaMismatchError(
            f"X_model_input must be [N, F] or [B, L, F] with F = {len(names)} feature names; "
            f"got shape {np.asarray(X_model_input).shape}."
        )
    finite = np.isfinite(x)
    n_bad = (~finite).sum(axis=0)
    clean = np.where(finite, x, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mean = np.nanmean(clean, axis=0)
        std = np.nanstd(clean, axis=0)
        max_abs = np.nanmax(np.abs(clean), axis=0)
    issues = []
    for j, name in enumerate(names):
        reasons = []
        if n_bad[j]:
            reasons.append(f"{int(n_bad[j])} NaN/inf value(s)")
        if np.isfinite(mean[j]) and abs(mean[j]) > max_abs_mean:
            reasons.append(f"|mean| {readable_number(abs(mean[j]))} > {max_abs_mean:g}")
        if np.isfinite(std[j]) and std[j] > max_std:
            reasons.append(f"std {readable_number(std[j])} > {max_std:g}")
        if reasons:
            issues.append(
                FeatureScaleIssue(
                    name=name,
                    mean=float(mean[j]),
                    std=float(std[j]),
                    max_abs=float(max_abs[j]),
                    n_nonfinite=int(n_bad[j]),
                    reason="; ".join(reasons),
                )
            )
    constant = tuple(n for j, n in enumerate(names) if np.isfinite(std[j]) and std[j] == 0.0)
    return InputStats(
        feature_names=names,
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
        max_abs=tuple(float(v) for v in max_abs),
        n_rows=int(x.shape[0]),
        max_abs_mean=float(max_abs_mean),
        max_std=float(max_std),
        issues=tuple(issues),
        constant_features=constant,
    )
