"""``serve --monitor-log``: the monitor's gauges on a real server's /metrics."""

from __future__ import annotations

import re

import httpx
import pytest
from monitor_helpers import Decayed

from tradewind.serve import ServerThread, ServeSettings


def _gauge(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" (\S+)"
    found = re.search(r"^" + pattern + r"$", text, re.MULTILINE)
    assert found, f"{name}{{{labels}}} not on /metrics"
    return float(found.group(1))


def test_metrics_export_the_monitor_gauges(decayed: Decayed) -> None:
    settings = ServeSettings(model=str(decayed.bundle_path), port=0, poll_seconds=0,
                             allow_refused=True, monitor_log=decayed.log,
                             monitor_seconds=3600, monitor={"drift_bars": 300})
    with ServerThread(settings) as server:
        poller = server.app.state.monitor
        result = poller.check_once()  # the background check may still be running: do one now
        assert result is not None, poller.last_error
        text = httpx.get(server.url + "/metrics", timeout=30).text
    assert _gauge(text, "tradewind_monitor_up") == 1.0
    assert _gauge(text, "tradewind_monitor_breach", 'check="mcc"') == 1.0
    assert _gauge(text, "tradewind_monitor_realised_mcc") == pytest.approx(
        next(c.value for c in result.checks if c.name == "mcc"))
    top = result.drift.features[0]
    assert _gauge(text, "tradewind_monitor_psi", f'feature="{top.feature}"') == pytest.approx(
        top.psi)
    up = _gauge(text, "tradewind_monitor_class_share", 'class="UP"')
    down = _gauge(text, "tradewind_monitor_class_share", 'class="DOWN"')
    assert up + down == pytest.approx(1.0)
    assert _gauge(text, "tradewind_monitor_breach", 'check="class_share"') == 0.0


def test_a_bad_monitor_threshold_fails_at_start(decayed: Decayed) -> None:
    with pytest.raises(ValueError, match="psi_warn"):
        ServeSettings(model=str(decayed.bundle_path), monitor_log=decayed.log,
                      monitor={"psi_warn": 0.5, "psi_breach": 0.2})
