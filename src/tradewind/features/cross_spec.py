"""``features.cross``: features taken from reference instruments (e.g. BTC for an altcoin).

Each entry names a reference's candles (any source ``tradewind.data.load`` reads), a
column prefix, and what to take from it: log returns over a few reference bars, named
features of the built-in sets computed on the reference's own candles, and the rolling
correlation and beta of the instrument's returns with the reference's. How a reference
bar is matched to an instrument bar (as-of by close time) and what a missing reference
bar does (``missing``) is in :mod:`tradewind.features.cross`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tradewind.exceptions import ConfigError
from tradewind.features.registry import FEATURE_SETS
from tradewind.timeframes import timeframe_seconds

__all__ = ["CrossSpec", "cross_feature_set"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def cross_feature_set(feature: str) -> str:
    """The scale-free built-in set that computes ``feature`` (first in registry order)."""
    for set_name, feature_set in FEATURE_SETS.items():
        if feature_set.scale_free and feature in feature_set.names:
            return set_name
    valid = sorted({f for s in FEATURE_SETS.values() if s.scale_free for f in s.names})
    raise ValueError(
        f"unknown feature {feature!r}; name a feature of a scale-free built-in set "
        f"(`tradewind features list`), e.g. {valid[:8]}"
    )


def _unique_positive(values: list[int], field: str, least: int) -> list[int]:
    for value in values:
        if value < least:
            raise ValueError(f"{field} values must be >= {least}; got {value}")
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"{field} lists {duplicates} more than once")
    return values


class CrossSpec(BaseModel):
    """One reference instrument and what to take from it.

    Parameters
    ----------
    source:
        The reference's candles: a file, ``store:``, ``sample:`` or ``synthetic:`` source.
    name:
        Column prefix (lower-case identifier), e.g. ``btc`` gives ``btc_logret_1``.
    timeframe:
        The reference's bar length; inferred from its candles when omitted. Give it for a
        reference of another bar length than the instrument so that the bundle's minimum
        history (``warmup_bars``) counts the reference's warm-up in instrument bars.
    returns:
        Lags ``k`` in reference bars: ``<name>_logret_<k>`` = log(close / close k bars ago)
        of the newest reference bar visible on the instrument's bar.
    features:
        Feature names of the scale-free built-in sets (e.g. ``rsi``, ``atr_norm``,
        ``volume_z``) computed on the reference's candles with ``features.params``:
        ``<name>_<feature>``.
    correlation, beta:
        Windows ``N`` in instrument bars: rolling correlation ``<name>_corr_<N>`` and beta
        ``<name>_beta_<N>`` (cov / var of the reference) of the instrument's log returns
        with the reference's log returns over the same bars (0 where either is flat).
    missing:
        What an instrument bar gets when the reference bar(s) closing by its close are
        missing: ``nan`` drops the row (like warm-up); ``ffill`` takes the newest visible
        reference bar if at most ``max_gap`` reference bars are missing, else drops the row.
    max_gap:
        Required with ``ffill`` (reference bars, >= 1); refused with ``nan``.
    """

    model_config = ConfigDict(extra="forbid")

    source: str
    name: str
    timeframe: str | None = None
    returns: list[int] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)
    correlation: list[int] = Field(default_factory=list)
    beta: list[int] = Field(default_factory=list)
    missing: Literal["nan", "ffill"] = "nan"
    max_gap: int | None = Field(None, ge=1)

    @field_validator("source")
    @classmethod
    def _source_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("source is empty; give a file, store:, sample: or synthetic: source")
        return value.strip()

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"name {value!r} must be a lower-case identifier (letters, digits, "
                "underscore; starting with a letter), e.g. 'btc'"
            )
        return value

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            timeframe_seconds(value)
        except ConfigError as err:
            raise ValueError(str(err)) from None
        return value.strip()

    @field_validator("returns")
    @classmethod
    def _lags(cls, value: list[int]) -> list[int]:
        return _unique_positive(value, "returns", 1)

    @field_validator("correlation", "beta")
    @classmethod
    def _windows(cls, value: list[int], info: ValidationInfo) -> list[int]:
        return _unique_positive(value, str(info.field_name), 3)

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[str]) -> list[str]:
        for feature in value:
            cross_feature_set(feature)
        duplicates = sorted({f for f in value if value.count(f) > 1})
        if duplicates:
            raise ValueError(f"features lists {duplicates} more than once")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CrossSpec:
        if not (self.returns or self.features or self.correlation or self.beta):
            raise ValueError(
                f"reference {self.name!r} takes nothing; give returns, features, "
                "correlation or beta"
            )
        if self.missing == "ffill" and self.max_gap is None:
            raise ValueError(
                "missing: ffill needs max_gap (the most reference bars to carry the last "
                "one over, e.g. max_gap: 2); an unlimited forward-fill is not offered"
            )
        if self.missing == "nan" and self.max_gap is not None:
            raise ValueError("max_gap is only used with missing: ffill; remove it or set that")
        return self

    @property
    def allowed_gap(self) -> int:
        """Missing reference bars an instrument bar may have and keep its features."""
        return self.max_gap if self.missing == "ffill" and self.max_gap is not None else 0

    @property
    def names(self) -> list[str]:
        """The columns this reference adds, in order."""
        out = [f"{self.name}_logret_{k}" for k in self.returns]
        out += [f"{self.name}_{f}" for f in self.features]
        out += [f"{self.name}_corr_{n}" for n in self.correlation]
        out += [f"{self.name}_beta_{n}" for n in self.beta]
        return out
