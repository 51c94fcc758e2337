"""What a retrain leaves behind: ``retrain_decision.json``, tags on the challenger's registry
version, the same file stored with its MLflow run, and (only when promoting, not in a dry
run) the ``champion`` alias.

Tags are strings; numbers are written with six significant digits, intervals as JSON
``[lower, upper]``. ``docs/RETRAIN.md`` lists every tag.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tradewind.artifacts.registry import Registry
from tradewind.data.atomic import write_json_atomic

__all__ = ["DECISION_FILE", "decision_tags", "record_decision"]

DECISION_FILE = "retrain_decision.json"
ARTIFACT_DIR = "retrain"


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(f"{value:.6g}")


def _num(value: float | None) -> str:
    rounded = _rounded(value)
    return "nan" if rounded is None else f"{rounded:.6g}"


def _ci(interval: dict[str, Any]) -> str:
    return json.dumps([_rounded(interval["lower"]), _rounded(interval["upper"])])


def decision_tags(document: dict[str, Any]) -> dict[str, str]:
    """The ``retrain.*`` version tags of a decision document (see ``record_decision``)."""
    split, metrics = document["split"], document["metrics"]
    tags = {
        "retrain.decision": document["decision"],
        "retrain.promoted": str(document["promoted"]).lower(),
        "retrain.dry_run": str(document["dry_run"]).lower(),
        "retrain.require": document["require"],
        "retrain.decide_on": ",".join(document["decide_on"]),
        "retrain.champion_version": document["champion"]["version"] or "none",
        "retrain.reason": " ".join(document["reasons"]),
        "retrain.train_span": f"{split['train_start']}/{split['train_end']}",
        "retrain.holdout_span": f"{split['holdout_start']}/{split['holdout_end']}",
        "retrain.holdout_bars": str(split["holdout_bars"]),
    }
    for metric in ("mcc", "return"):
        section = metrics[metric]
        for who in ("challenger", "champion"):
            interval = section["models"].get(who)
            if interval is not None:
                tags[f"retrain.{metric}_{who}"] = _num(interval["point"])
                tags[f"retrain.{metric}_{who}_ci"] = _ci(interval)
        if section["difference"] is not None:
            tags[f"retrain.{metric}_diff"] = _num(section["difference"]["point"])
            tags[f"retrain.{metric}_diff_ci"] = _ci(section["difference"])
    return tags


def record_decision(registry: Registry, version: str, document: dict[str, Any],
                    out_dir: Path) -> Path:
    """Write ``out_dir/retrain_decision.json`` atomically, tag ``version`` with it and store
    the file with the version's run (artifact ``retrain/retrain_decision.json``)."""
    path = write_json_atomic(Path(out_dir) / DECISION_FILE, document)
    registry.set_version_tags(version, decision_tags(document))
    registry.log_version_artifact(version, path, ARTIFACT_DIR)
    return path
