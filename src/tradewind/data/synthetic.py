"""Synthetic markets with a known truth, so tests can tell an edge from an illusion.

Both kinds draw log-returns ``r[t] = mu[t] + sigma[t] * z[t]`` with ``z`` standard
normal and ``sigma`` following GARCH(1,1), so quiet and wild stretches alternate
(|r| is autocorrelated) as in real markets.

- ``random_walk``: ``mu = 0``. Nothing is predictable; ``oracle_up`` is 0.5.
- ``planted``: the next bar's drift reverts the last ``memory`` returns, standardised
  by the current volatility::

      z[t]    = (r[t-memory+1] + ... + r[t]) / (sqrt(memory) * sigma[t+1])
      mu[t+1] = -edge * sigma[t+1] * tanh(z[t])

  The edge is learnable from a window of ordinary features (recent returns and a
  volatility estimate) but persistence (the sign of the last return) does not recover
  it: its MCC against the next move is negative.

  With ``regime < 1`` the edge exists only part of the time: a two-state Markov chain
  is "on" for a share ``regime`` of the bars in spells of ``regime_bars`` bars on average,
  and the drift of bar ``t+1`` is planted only when the chain is on at bar ``t``. The
  regime shows in the candles: an "on" bar's volume is ``regime_volume`` times larger
  (so a trader who watches relative volume can tell when to act, and one who trades every
  bar pays costs on the bars without an edge). ``regime = 1`` (default) is the plain
  planted market, bar for bar.

  With ``edge_until < 1`` the edge switches off for good after that share of the bars
  (the volume regime goes on as before): a market whose model stops working half-way,
  for testing that monitoring and retraining notice the decay.

``oracle_up[t]`` is the exact probability, from the generator, that
``close[t+1] > close[t]``: ``Phi(mu[t+1] / sigma[t+1])``; NaN on the last bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tradewind.data.canonical import as_utc_index
from tradewind.exceptions import ConfigError
from tradewind.timeframes import timeframe_seconds, timeframe_to_offset

__all__ = ["SyntheticMarket", "SyntheticSpec", "parse_synthetic_source", "synthetic_market"]

Kind = Literal["random_walk", "planted"]
MAX_BARS = 10_000_000  # 19 years of 1-minute bars; the features of more do not fit in memory


class SyntheticSpec(BaseModel):
    """Parameters of a synthetic market (also the keys of a ``synthetic:`` query)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind = "random_walk"
    bars: int = Field(20000, ge=10, description=f"Number of bars (at most {MAX_BARS:,}).")
    seed: int = Field(0, ge=0, description="Seed of numpy's default_rng.")
    timeframe: str = Field("1h", description="Bar length; timestamps are bar open times.")
    start: str = Field("2020-01-01", description="Open time of the first bar (UTC).")
    price: float = Field(100.0, gt=0, description="Close before the first bar.")
    edge: float = Field(0.5, ge=0, le=5, description="planted: drift / volatility at saturation.")
    vol: float = Field(0.01, gt=0, lt=0.2, description="Long-run s.d. of one bar's log-return.")
    alpha: float = Field(0.1, ge=0, lt=1, description="GARCH reaction to the last shock.")
    beta: float = Field(0.85, ge=0, lt=1, description="GARCH persistence of variance.")
    memory: int = Field(3, ge=1, le=100, description="planted: returns summed into z.")
    volume: float = Field(1000.0, gt=0, description="Median volume of a calm bar.")
    regime: float = Field(1.0, gt=0, le=1, description="planted: share of bars with the edge on.")
    regime_bars: float = Field(8.0, ge=1, description="planted: mean length of an 'on' spell.")
    regime_volume: float = Field(4.0, ge=1, description="planted: volume multiple of 'on' bars.")
    edge_until: float = Field(
        1.0, gt=0, le=1, description="planted: share of the bars after which the edge is gone.")

    @field_validator("bars")
    @classmethod
    def _bounded(cls, bars: int) -> int:
        if bars > MAX_BARS:
            raise ValueError(
                f"{bars:,} bars exceed the maximum of {MAX_BARS:,} (a market that large and "
                "its features would not fit in memory); ask for fewer bars"
            )
        return bars

    @model_validator(mode="after")
    def _stationary(self) -> SyntheticSpec:
        if self.alpha + self.beta >= 1:
            raise ValueError(
                f"alpha + beta = {self.alpha + self.beta:g} must be < 1 for a stationary "
                "volatility; lower alpha or beta"
            )
        try:
            timeframe_seconds(self.timeframe)
            pd.Timestamp(self.start)
        except (ConfigError, ValueError) as err:
            raise ValueError(str(err)) from err
        return self


@dataclass(frozen=True)
class SyntheticMarket:
    """Candles plus the generator's truth about them.

    Attributes
    ----------
    candles:
        Canonical OHLCV frame (UTC bar open times).
    oracle_up:
        Series on the same index: P(close[t+1] > close[t]) given everything up to t;
        NaN on the last bar.
    description:
        One sentence saying how the market was made.
    spec:
        The parameters used.
    """

    candles: pd.DataFrame
    oracle_up: pd.Series
    description: str
    spec: SyntheticSpec


def synthetic_market(
    kind: Kind,
    *,
    bars: int = 20000,
    seed: int = 0,
    timeframe: str = "1h",
    start: str = "2020-01-01",
    price: float = 100.0,
    edge: float = 0.5,
    vol: float = 0.01,
    alpha: float = 0.1,
    beta: float = 0.85,
    memory: int = 3,
    volume: float = 1000.0,
    regime: float = 1.0,
    regime_bars: float = 8.0,
    regime_volume: float = 4.0,
    edge_until: float = 1.0,
) -> SyntheticMarket:
    """Generate a market of ``kind`` (see the module docstring); same seed, same market.

    Examples
    --------
    >>> m = synthetic_market("planted", bars=500, seed=1)
    >>> m.candles.shape, float(m.oracle_up.iloc[:-1].between(0, 1).mean())
    ((500, 5), 1.0)
    """
    try:
        spec = SyntheticSpec(
            kind=kind, bars=bars, seed=seed, timeframe=timeframe, start=start, price=price,
            edge=edge, vol=vol, alpha=alpha, beta=beta, memory=memory, volume=volume,
            regime=regime, regime_bars=regime_bars, regime_volume=regime_volume,
            edge_until=edge_until,
        )  # fmt: skip
    except ValidationError as err:
        raise ConfigError(_describe(err, "synthetic_market")) from None
    return _generate(spec)


def parse_synthetic_source(source: str) -> SyntheticMarket:
    """Build the market a ``synthetic:KIND?key=value&...`` source names.

    Keys are the fields of :class:`SyntheticSpec` (except ``kind``); an unknown or
    repeated key, or a bad value, is a ConfigError naming it.
    """
    body = source.removeprefix("synthetic:")
    kind, _, query = body.partition("?")
    kinds = list(Kind.__args__)
    if kind not in kinds:
        raise ConfigError(
            f"{source!r}: unknown synthetic market {kind!r}; valid kinds are {', '.join(kinds)} "
            "(e.g. 'synthetic:planted?bars=20000&seed=3&edge=0.5&timeframe=1h')"
        )
    keys = [k for k in SyntheticSpec.model_fields if k != "kind"]
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in keys:
            raise ConfigError(f"{source!r}: unknown key {key!r}; valid keys are {', '.join(keys)}")
        if key in params:
            raise ConfigError(f"{source!r}: key {key!r} is given twice")
        params[key] = value
    try:
        spec = SyntheticSpec.model_validate({"kind": kind, **params})
    except ValidationError as err:
        raise ConfigError(_describe(err, source)) from None
    return _generate(spec)


def _describe(err: ValidationError, where: str) -> str:
    parts = [
        f"{'.'.join(map(str, e['loc'])) or 'spec'}={e.get('input')!r}: {e['msg']}"
        for e in err.errors()
    ]
    return f"{where}: invalid synthetic market parameters: " + "; ".join(parts)


def _generate(spec: SyntheticSpec) -> SyntheticMarket:
    rng = np.random.default_rng(spec.seed)
    n = spec.bars
    shocks = rng.standard_normal(n)
    on = _regime_states(spec)
    sigma, mu = _returns_model(spec, shocks, on)
    returns = mu + sigma * shocks
    close = spec.price * np.exp(np.cumsum(returns))
    previous = np.concatenate([[spec.price], close[:-1]])
    open_ = previous * np.exp(0.05 * sigma * rng.standard_normal(n))
    high = np.maximum(open_, close) * np.exp(0.5 * sigma * rng.exponential(size=n))
    low = np.minimum(open_, close) * np.exp(-0.5 * sigma * rng.exponential(size=n))
    log_volume = np.log(spec.volume) + 0.5 * np.abs(returns) / spec.vol
    volume = np.exp(log_volume + 0.3 * rng.standard_normal(n))
    if on is not None:
        volume = np.where(on, volume * spec.regime_volume, volume)
    start = pd.Timestamp(spec.start)
    start = start.tz_localize("UTC") if start.tz is None else start.tz_convert("UTC")
    index = as_utc_index(pd.date_range(start, periods=n, freq=timeframe_to_offset(spec.timeframe)))
    candles = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )
    oracle = np.full(n, np.nan)
    ratio = mu[1:] / sigma[1:]
    oracle[:-1] = 0.5 * (1.0 + np.vectorize(math.erf)(ratio / math.sqrt(2.0)))
    source = f"synthetic:{spec.kind}?bars={n}&seed={spec.seed}&timeframe={spec.timeframe}"
    if on is not None:
        source += f"&regime={spec.regime:g}"
    if spec.edge_until < 1.0:
        source += f"&edge_until={spec.edge_until:g}"
    candles.attrs.update(source=source, naive_timezone=False, timeframe=spec.timeframe)
    description = (
        f"{spec.kind} synthetic market: {n} {spec.timeframe} bars from {start.isoformat()}, "
        f"seed {spec.seed}; GARCH(1,1) volatility (long-run {spec.vol:g} per bar, alpha "
        f"{spec.alpha:g}, beta {spec.beta:g})"
    )
    if spec.kind == "planted":
        description += (
            f"; next drift = -{spec.edge:g} * sigma * tanh(sum of the last {spec.memory} "
            "returns / (sqrt(memory) * sigma))"
        )
        if on is not None:
            description += (
                f", only in a regime on {spec.regime:.0%} of bars (spells of ~{spec.regime_bars:g} "
                f"bars, volume x{spec.regime_volume:g})"
            )
        if spec.edge_until < 1.0:
            description += f"; the edge is gone after the first {spec.edge_until:.0%} of the bars"
    else:
        description += "; no drift: nothing is predictable"
    return SyntheticMarket(
        candles=candles,
        oracle_up=pd.Series(oracle, index=index, name="oracle_up"),
        description=description,
        spec=spec,
    )


def _regime_states(spec: SyntheticSpec) -> np.ndarray | None:
    """Whether the edge is on at each bar (a two-state Markov chain), or None when always on.

    Drawn from its own generator, so ``regime=1`` markets stay identical to plain ones.
    """
    if spec.kind != "planted" or spec.regime >= 1.0:
        return None
    rng = np.random.default_rng([spec.seed, 7919])
    leave = 1.0 / spec.regime_bars
    enter = min(leave * spec.regime / (1.0 - spec.regime), 1.0)
    u = rng.random(spec.bars)
    on = np.empty(spec.bars, dtype=bool)
    state = bool(u[0] < spec.regime)
    for t in range(spec.bars):
        on[t] = state
        state = (u[t] >= leave) if state else (u[t] < enter)
    return on


def _returns_model(
    spec: SyntheticSpec, shocks: np.ndarray, on: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bar volatility ``sigma[t]`` and drift ``mu[t]``, both known at the close of t-1.

    With regime states ``on``, the drift of bar ``t`` is planted only when ``on[t-1]``.
    """
    n = len(shocks)
    sigma = np.empty(n)
    mu = np.zeros(n)
    omega = spec.vol**2 * (1.0 - spec.alpha - spec.beta)
    variance = spec.vol**2
    planted = spec.kind == "planted"
    edge_end = math.ceil(spec.edge_until * n)
    scale = math.sqrt(spec.memory)
    recent: list[float] = []
    window = 0.0
    for t in range(n):
        s = math.sqrt(variance)
        sigma[t] = s
        drift = 0.0
        if (planted and t < edge_end and len(recent) == spec.memory
                and (on is None or on[t - 1])):
            drift = -spec.edge * s * math.tanh(window / (scale * s))
        mu[t] = drift
        eps = s * float(shocks[t])
        r = drift + eps
        recent.append(r)
        window += r
        if len(recent) > spec.memory:
            window -= recent.pop(0)
        variance = omega + spec.alpha * eps * eps + spec.beta * variance
    return sigma, mu
