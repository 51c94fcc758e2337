"""A command whose optional packages are missing names the pip extra and exits cleanly.

The subprocess tests put a directory first on PYTHONPATH whose ``optuna`` / ``ray`` /
``ccxt`` raise ``ModuleNotFoundError`` on import, as they do where the extra is not
installed; the in-process tests set ``sys.modules[name] = None``, which makes Python
refuse the import the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tradewind.exceptions import MissingExtraError
from tradewind.extras import EXTRAS, require

TRADEWIND = Path(sys.executable).parent / "tradewind"
REPO = Path(__file__).resolve().parents[2]


def _without(tmp_path: Path, *packages: str) -> dict[str, str]:
    """Environment in which importing each of ``packages`` fails as if it were absent."""
    shadow = tmp_path / "shadow"
    for name in packages:
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name={name!r})\n"
        )
    return {**os.environ, "PYTHONPATH": str(shadow), "NO_COLOR": "1", "COLUMNS": "200"}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TRADEWIND), *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize(
    ("args", "missing", "extra"),
    [
        (["labels", "search", str(REPO / "examples/quickstart.yaml"), "--trials", "1",
          "--out", "labels.yaml"],
         "optuna", "sweep"),
        (["sweep", str(REPO / "examples/sweep_quickstart.yaml")], "ray", "sweep"),
        (["data", "fetch", "--exchange", "binance", "--symbol", "BTC/USDT"], "ccxt", "exchange"),
    ],
)
def test_missing_extra_is_named_without_a_traceback(
    args: list[str], missing: str, extra: str, tmp_path: Path
) -> None:
    done = _run(args, _without(tmp_path, missing), tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == MissingExtraError.exit_code != 0, output
    assert f"pip install 'tradewind[{extra}]'" in " ".join(output.split()), output
    assert "Traceback" not in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shadow"]  # nothing written


def test_core_commands_work_without_any_extra(tmp_path: Path) -> None:
    env = _without(tmp_path, "ray", "optuna", "ccxt", "onnx", "onnxruntime", "onnxscript",
                   "imblearn", "backtesting")
    assert _run(["--help"], env, tmp_path).returncode == 0
    info = _run(["data", "info", "--data", "sample:goog-1d"], env, tmp_path)
    assert info.returncode == 0, info.stdout + info.stderr
    assert "2,148" in info.stdout or "2148" in info.stdout


def test_require_names_the_extra_of_every_optional_package(monkeypatch) -> None:
    for extra, packages in EXTRAS.items():
        for module, dist in packages.items():
            monkeypatch.setitem(sys.modules, module, None)
            with pytest.raises(MissingExtraError) as err:
                require(module, "this feature")
            assert f"pip install 'tradewind[{extra}]'" in str(err.value)
            assert repr(dist) in str(err.value) and "this feature" in str(err.value)
    with pytest.raises(KeyError, match="not an optional dependency"):
        require("numpy", "anything")


def test_smote_and_onnx_export_name_their_extras(monkeypatch) -> None:
    from tradewind.training.smote import chunked_smote

    monkeypatch.setitem(sys.modules, "imblearn", None)
    monkeypatch.setitem(sys.modules, "imblearn.over_sampling", None)
    with pytest.raises(MissingExtraError, match=r"tradewind\[smote\]"):
        chunked_smote(np.zeros((10, 2)), np.array([0] * 7 + [1] * 3), chunk_size=10)

    from tradewind.config import Experiment, validate_section
    from tradewind.pipeline.requirements import check_optional_packages

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    exp = validate_section(Experiment, {"name": "x", "export": {"format": "onnx"}}, "test")
    with pytest.raises(MissingExtraError, match=r"tradewind\[onnx\]"):
        check_optional_packages(exp)
    check_optional_packages(validate_section(Experiment, {"name": "x"}, "test"))
