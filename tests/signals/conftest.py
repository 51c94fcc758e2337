"""Fixtures: a small synthetic market and cheap untrained bundles built on it."""

from __future__ import annotations

from signal_bundles import market_fixtures

candles, make_bundle, bundle = market_fixtures(bars=260)
