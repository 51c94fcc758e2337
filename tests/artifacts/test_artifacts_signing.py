"""Signed bundles: an edit after signing is refused even when the checksums were redone."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pandas as pd
import pytest
from safetensors.torch import load_file, save_file

from bundle_factory import make_bundle
from tradewind import load_bundle
from tradewind.artifacts.bundle import CHECKSUMS, MANIFEST, WEIGHTS, save_bundle
from tradewind.artifacts.signing import SIGNATURE, new_keypair, sign_bundle, verify_signature
from tradewind.data import load
from tradewind.exceptions import BundleError, ConfigError, SignatureError


@pytest.fixture(scope="module")
def candles() -> pd.DataFrame:
    return load("synthetic:planted?bars=400&seed=2&timeframe=1h")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return new_keypair(tmp_path_factory.mktemp("keys") / "signing.key")


@pytest.fixture
def signed(candles: pd.DataFrame, keys: tuple[Path, Path], tmp_path: Path) -> Path:
    bundle = make_bundle(candles)
    path = save_bundle(tmp_path / "bundle", bundle.model, bundle.manifest)
    sign_bundle(path, keys[0])
    return path


def _redo_checksums(path: Path) -> None:
    """What someone altering a bundle does: recompute checksums.sha256 for the new files."""
    lines = [f"{hashlib.sha256((path / n).read_bytes()).hexdigest()}  {n}" for n in (WEIGHTS, MANIFEST)]
    (path / CHECKSUMS).write_text("\n".join(lines) + "\n")


def test_a_new_key_pair_is_private_to_its_owner_and_never_overwritten(tmp_path: Path) -> None:
    private, public = new_keypair(tmp_path / "k")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public == tmp_path / "k.pub" and b"PUBLIC KEY" in public.read_bytes()
    with pytest.raises(ConfigError, match="exists"):
        new_keypair(tmp_path / "k")


def test_a_signed_bundle_loads_with_its_public_key(signed: Path, keys: tuple[Path, Path]) -> None:
    bundle = load_bundle(signed, public_key=keys[1])
    assert bundle.manifest.name == "unit"
    assert json.loads((signed / SIGNATURE).read_text())["algorithm"] == "ed25519"


@pytest.mark.parametrize("edit", ["gate", "normalizer", "weights"])
def test_an_edit_with_recomputed_checksums_is_refused(signed: Path, keys: tuple[Path, Path],
                                                      edit: str) -> None:
    if edit == "weights":
        state = load_file(str(signed / WEIGHTS))
        name = sorted(state)[0]
        state[name] = state[name] + 0.5
        save_file({k: v.contiguous() for k, v in state.items()}, str(signed / WEIGHTS))
    else:
        manifest = json.loads((signed / MANIFEST).read_text())
        if edit == "gate":  # flip the verdict, whichever it was
            manifest["gate"] = {"passed": not manifest["gate"].get("passed", False),
                                "checks": []}
        else:
            manifest["normalizer"]["center"] = [0.0] * len(manifest["normalizer"]["center"])
        (signed / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    _redo_checksums(signed)
    load_bundle(signed)  # checksums alone no longer see the edit
    with pytest.raises(SignatureError, match="altered after it was signed"):
        load_bundle(signed, public_key=keys[1])


def test_unsigned_and_other_key_bundles_are_refused(signed: Path, keys: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    _, other_public = new_keypair(tmp_path / "other.key")
    with pytest.raises(SignatureError, match=r"signed by key .* not by the required key"):
        verify_signature(signed, other_public)
    (signed / SIGNATURE).unlink()
    with pytest.raises(SignatureError, match=r"is not signed.*tradewind sign"):
        load_bundle(signed, public_key=keys[1])
    assert SignatureError.exit_code == 10 and issubclass(SignatureError, BundleError)


def test_a_corrupted_bundle_is_never_signed(signed: Path, keys: tuple[Path, Path]) -> None:
    (signed / WEIGHTS).write_bytes((signed / WEIGHTS).read_bytes()[:-8])
    with pytest.raises(BundleError, match="checksum mismatch"):
        sign_bundle(signed, keys[0])


def test_key_files_are_checked(signed: Path, keys: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a PEM private key"):
        sign_bundle(signed, keys[1])
    with pytest.raises(ConfigError, match="this is a private key"):
        load_bundle(signed, public_key=keys[0])
    with pytest.raises(ConfigError, match="does not exist"):
        load_bundle(signed, public_key=tmp_path / "missing.pub")
