"""Registry against a real MLflow SQLite store (one per module: the first migration is slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tradewind.artifacts import ENV_TRACKING_URI, Registry
from tradewind.artifacts.registry_records import (
    epoch_metric_rows,
    flatten,
    oos_metric_rows,
    refusal_message,
)
from tradewind.exceptions import BundleError, ConfigError, GateRefused


def _gate(passed: bool) -> dict[str, Any]:
    return {"passed": passed, "checks": [
        {"name": "mcc_ci_low", "value": 0.031 if passed else -0.0123, "threshold": 0.0,
         "passed": passed, "detail": "lower end of the MCC interval above 0"},
        {"name": "beats_baselines", "value": 0.02 if passed else -0.0456, "threshold": 0.0,
         "passed": passed, "detail": "model − best baseline MCC interval above 0"},
        {"name": "ece", "value": 0.021, "threshold": 0.05, "passed": True, "detail": ""},
    ]}


def _bundle(path: Path, tag: str) -> Path:
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"name": tag}))
    (path / "model.safetensors").write_bytes(b"\x00\x01weights-" + tag.encode())
    return path


def _log(reg: Registry, tmp: Path, tag: str, passed: bool) -> Any:
    report = tmp / f"report-{tag}"
    report.mkdir()
    (report / "report.json").write_text("{}")
    (report / "report.html").write_text("<html></html>")
    (report / "secrets.env").write_text("API_KEY=never-uploaded")  # not a report file
    (report / "bundle").mkdir()  # the runner keeps the bundle beside the report: not a report file
    (report / "bundle" / "model.safetensors").write_bytes(b"not part of the report")
    return reg.log_run(
        experiment="exp-test",
        params={"model": {"kind": "lstm", "hidden": 64}, "lookback": 48, "features": ["rsi", "ret"]},
        epoch_metrics=[{"fold": f, "epoch": e, "train_loss": 0.7 - 0.01 * e, "val_mcc": 0.01 * e,
                        "pred_shares": {"DOWN": 0.5, "UP": 0.5}}
                       for f in range(2) for e in range(3)],
        oos_metrics={"mcc": 0.05 if passed else -0.01, "mcc_ci": (0.01, 0.09) if passed else (-0.05, 0.03),
                     "accuracy": 0.53, "ece": 0.02},
        report_dir=report, bundle_dir=_bundle(tmp / f"bundle-{tag}", tag), gate=_gate(passed),
        tags={"symbol": "BTC/USDT"},
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite store, migrated once for the whole module."""
    root = tmp_path_factory.mktemp("runs")
    assert Registry(root=root, model_name="warmup").list_versions() == []
    return root


@pytest.fixture
def reg(store: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry on the shared store with a model name of its own, so tests stay independent."""
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    return Registry(root=store, model_name=f"tw-{request.node.name}")


@pytest.fixture
def two_runs(reg: Registry, tmp_path: Path) -> tuple[Registry, Any, Any]:
    """One version whose gate passed (v1), then one whose gate failed (v2)."""
    return reg, _log(reg, tmp_path, "good", True), _log(reg, tmp_path, "bad", False)


def test_tracking_uri_default_env_and_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_TRACKING_URI, raising=False)
    default = Registry(root=tmp_path / "r")
    assert default.tracking_uri == f"sqlite:///{(tmp_path / 'r').resolve()}/mlflow.db"
    assert default.embedded
    monkeypatch.setenv(ENV_TRACKING_URI, "sqlite:////elsewhere/db.sqlite")
    assert Registry(root=tmp_path / "r").tracking_uri == "sqlite:////elsewhere/db.sqlite"
    assert Registry("http://mlflow:5000").tracking_uri == "http://mlflow:5000"
    with pytest.raises(ConfigError, match="model_name"):
        Registry(model_name="")


def test_importing_registry_does_not_import_mlflow() -> None:
    code = "import sys, tradewind.artifacts.registry; print('mlflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_log_run_records_params_metrics_tags_and_artifacts(two_runs) -> None:
    reg, good, bad = two_runs
    client = reg.client
    run = client.get_run(good.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.hidden"] == "64"
    assert json.loads(run.data.params["features"]) == ["rsi", "ret"]
    assert run.data.metrics["oos.mcc"] == pytest.approx(0.05)
    assert run.data.metrics["oos.mcc_ci_low"] == pytest.approx(0.01)
    history = client.get_metric_history(good.run_id, "fold1.val_mcc")
    assert sorted((m.step, round(m.value, 6)) for m in history) == [(0, 0.0), (1, 0.01), (2, 0.02)]
    assert [m.value for m in client.get_metric_history(good.run_id, "fold0.pred_shares.UP")] == [0.5] * 3
    assert run.data.tags["gate_passed"] == "true" and run.data.tags["gate_failing"] == ""
    assert run.data.tags["symbol"] == "BTC/USDT"
    bad_tags = client.get_run(bad.run_id).data.tags
    assert bad_tags["gate_passed"] == "false"
    assert bad_tags["gate_failing"] == "mcc_ci_low,beats_baselines"
    top = {a.path for a in client.list_artifacts(good.run_id)}
    assert top == {"bundle", "report", "gate.json"}
    assert {a.path for a in client.list_artifacts(good.run_id, "bundle")} == {
        "bundle/manifest.json", "bundle/model.safetensors"}
    assert {a.path for a in client.list_artifacts(good.run_id, "report")} == {
        "report/report.json", "report/report.html"}
    assert good.artifact_uri.endswith("/bundle")
    assert good.artifact_uri.startswith((reg.root / "artifacts").resolve().as_uri())


def test_versions_registered_with_candidate_on_newest(two_runs) -> None:
    reg, good, bad = two_runs
    assert (good.version, bad.version) == ("1", "2")
    assert good.model_name == reg.model_name
    assert reg.alias_version("candidate") == "2"
    assert reg.alias_version("champion") is None
    tags = reg.client.get_model_version(reg.model_name, "2").tags
    assert tags["gate_passed"] == "false"
    assert tags["gate_failing"] == "mcc_ci_low,beats_baselines"
    assert [c["name"] for c in json.loads(tags["gate_checks"])] == [
        "mcc_ci_low", "beats_baselines", "ece"]


def test_promote_refuses_failed_gate_and_names_checks(two_runs) -> None:
    reg, _good, bad = two_runs
    with pytest.raises(GateRefused) as info:
        reg.promote(bad.version)
    message = str(info.value)
    assert "mcc_ci_low: value -0.0123, threshold 0" in message
    assert "beats_baselines: value -0.0456, threshold 0" in message
    assert "ece" not in message.split("Failing checks:")[1].split("To promote")[0]
    assert "override_reason=" in message and f"tradewind promote {bad.version} --override" in message
    assert reg.alias_version("champion") is None
    with pytest.raises(GateRefused):
        reg.promote(bad.run_id, override_reason="   ")  # a blank reason is no reason


def test_promote_passed_version_by_run_id(two_runs) -> None:
    reg, good, _bad = two_runs
    record = reg.promote(good.run_id, user="bob")
    assert (record.version, record.gate_passed, record.overridden) == ("1", True, False)
    assert record.previous_champion is None and record.override_reason is None
    assert reg.alias_version("champion") == "1"
    tags = reg.client.get_model_version(reg.model_name, "1").tags
    assert tags["promoted_by"] == "bob" and "override_reason" not in tags


def test_promote_override_records_reason_user_and_time(two_runs) -> None:
    reg, good, bad = two_runs
    reg.promote(good.version)
    record = reg.promote(bad.version, override_reason="shadow test on paper trading", user="alice")
    assert record.overridden and record.previous_champion == "1"
    assert reg.alias_version("champion") == "2"
    tags = reg.client.get_model_version(reg.model_name, "2").tags
    assert tags["override_reason"] == "shadow test on paper trading"
    assert tags["override_by"] == "alice"
    stamp = datetime.fromisoformat(tags["override_at"])
    assert stamp.utcoffset() is not None and stamp.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 600
    champion = reg.champion()
    assert champion is not None and champion.version == "2" and champion.overridden
    assert set(champion.aliases) == {"candidate", "champion"}


def test_list_versions_rows(two_runs) -> None:
    reg, good, bad = two_runs
    reg.promote("1")
    rows = reg.list_versions()
    assert [r.version for r in rows] == ["1", "2"]
    first, second = rows
    assert (first.run_id, first.aliases, first.gate_passed, first.gate_failing) == (
        good.run_id, ("champion",), True, ())
    assert (second.run_id, second.aliases, second.gate_passed) == (bad.run_id, ("candidate",), False)
    assert second.gate_failing == ("mcc_ci_low", "beats_baselines")
    assert first.mcc == pytest.approx(0.05) and first.mcc_ci_low == pytest.approx(0.01)
    assert (first.accuracy, first.ece) == (pytest.approx(0.53), pytest.approx(0.02))
    assert first.created.tzinfo is not None and first.created <= second.created


def test_download_bundle_by_version_and_alias(two_runs, tmp_path: Path) -> None:
    reg, _good, _bad = two_runs
    reg.promote("1")
    for ref, tag in (("champion", b"good"), ("candidate", b"bad"), ("1", b"good")):
        dst = reg.download_bundle(ref, tmp_path / f"dl-{ref}")
        assert sorted(p.name for p in dst.iterdir()) == ["manifest.json", "model.safetensors"]
        assert (dst / "model.safetensors").read_bytes() == b"\x00\x01weights-" + tag
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # staging cleaned up
    with pytest.raises(BundleError, match="not empty"):
        reg.download_bundle("1", tmp_path / "dl-1")


def test_unknown_reference_lists_known_versions(two_runs) -> None:
    reg, _good, _bad = two_runs
    with pytest.raises(BundleError, match=r"versions: 1, 2"):
        reg.promote("7")
    with pytest.raises(BundleError, match="no version, alias or run 'not-a-run'"):
        reg.download_bundle("not-a-run", Path("unused"))


def test_empty_registry(reg: Registry) -> None:
    assert reg.list_versions() == []
    assert reg.champion() is None
    assert reg.alias_version("candidate") is None


def test_log_run_rejects_gate_that_contradicts_its_checks(reg: Registry, tmp_path: Path) -> None:
    gate = _gate(False) | {"passed": True}
    with pytest.raises(ConfigError, match="mcc_ci_low, beats_baselines"):
        reg.log_run(experiment="exp-test", params={}, epoch_metrics=[], oos_metrics={},
                    report_dir=None, bundle_dir=_bundle(tmp_path / "b", "x"), gate=gate)
    with pytest.raises(BundleError, match="save the bundle first"):
        reg.log_run(experiment="exp-test", params={}, epoch_metrics=[], oos_metrics={},
                    report_dir=None, bundle_dir=tmp_path / "missing", gate=_gate(True))
    assert reg.list_versions() == []


def test_failed_upload_marks_run_failed_and_registers_nothing(
    reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(reg.client, "log_artifacts", broken)
    with pytest.raises(OSError, match="disk full"):
        _log(reg, tmp_path, "x", True)
    exp = reg.client.get_experiment_by_name("exp-test")
    runs = reg.client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"],
                                   max_results=1)
    assert runs[0].info.status == "FAILED"
    assert reg.list_versions() == []


def test_metric_rows_and_flattening() -> None:
    assert flatten({"a": {"b": 1, "c": {"d": "x"}}, "e": [1, 2]}) == {"a.b": 1, "a.c.d": "x", "e": [1, 2]}
    rows = epoch_metric_rows([{"fold": 1, "epoch": 4, "loss": 0.5, "shares": [0.25, 0.75],
                               "note": "text", "flag": True}])
    assert rows == [("fold1.loss", 0.5, 4), ("fold1.shares.0", 0.25, 4), ("fold1.shares.1", 0.75, 4)]
    assert epoch_metric_rows([{"loss": 1.0}, {"loss": 0.9}]) == [("loss", 1.0, 0), ("loss", 0.9, 1)]
    assert oos_metric_rows({"mcc": 0.1, "mcc_ci": [0.0, 0.2]}) == [
        ("oos.mcc", 0.1), ("oos.mcc_ci_low", 0.0), ("oos.mcc_ci_high", 0.2)]
    with pytest.raises(TypeError, match=r"'oos\.classes'"):
        oos_metric_rows({"classes": "DOWN,UP"})


def test_refusal_message_without_recorded_gate() -> None:
    message = refusal_message("tw", "3", "abc", {})
    assert "no recorded gate verdict" in message and "override_reason" in message
