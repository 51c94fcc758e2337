"""Fixtures of the features tests (helpers live in ``features_helpers``)."""

from __future__ import annotations

import pytest
from features_helpers import contract_specs

from tradewind.features import FeatureSpec


@pytest.fixture(params=sorted(contract_specs()))
def contract_case(request: pytest.FixtureRequest) -> tuple[str, FeatureSpec, str]:
    """``(name, spec, base timeframe)`` for each contract spec."""
    spec, timeframe = contract_specs()[request.param]
    return request.param, spec, timeframe
