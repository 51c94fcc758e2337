"""Ed25519 signatures over a bundle, so a bundle altered after training is refused.

Checksums catch a truncated or corrupted file, not a deliberate edit: whoever changes the
weights, the normaliser or ``gate.passed`` can recompute ``checksums.sha256`` too. A
signature cannot be recomputed without the private key. ``tradewind sign`` writes
``signature.ed25519`` into the bundle: a small JSON document holding the Ed25519
signature over ``manifest.json`` and ``checksums.sha256`` (which pins the weights), and
the sha256 of the public key that verifies it. ``load_bundle(path, public_key=...)``,
``tradewind serve --require-signed`` and ``tradewind live --require-signed`` verify it
after the checksums and refuse an unsigned or altered bundle with :class:`SignatureError`.

Keys are PEM files: PKCS#8 for the private key (written with mode 0600), SubjectPublicKeyInfo
for the public one (an OpenSSH ``ssh-ed25519`` public key is read too).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tradewind.artifacts.bundle import CHECKSUMS, MANIFEST
from tradewind.artifacts.bundle import _verify_checksums as verify_checksums
from tradewind.data.atomic import write_text_atomic
from tradewind.exceptions import ConfigError, SignatureError

__all__ = ["SIGNATURE", "key_id", "new_keypair", "sign_bundle", "sign_bundles",
           "verify_signature"]

SIGNATURE = "signature.ed25519"
_DOMAIN = b"tradewind bundle signature v1\n"  # never valid for any other kind of document
_SIGNED = (MANIFEST, CHECKSUMS)


def _payload(bundle_dir: Path) -> bytes:
    parts = [_DOMAIN]
    for name in _SIGNED:
        data = (bundle_dir / name).read_bytes()
        parts.append(f"{name} {len(data)}\n".encode())
        parts.append(data)
    return b"".join(parts)


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public: Ed25519PublicKey) -> str:
    """sha256 of the raw public key: names the key in signatures and messages."""
    return hashlib.sha256(_raw(public)).hexdigest()


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist: give the key file "
                          "(`tradewind sign --new-key PATH` makes a pair)") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {path} is a folder: give the key file") from None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path`` (unencrypted PKCS#8)."""
    data = _read_key_file(Path(path), "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise ConfigError(f"private key {path} is encrypted: give an unencrypted key "
                          "(keep it in a file only you can read, mode 0600)") from None
    except ValueError as err:
        raise ConfigError(f"{path} is not a PEM private key ({err}); is it the public "
                          "key? Sign with the private one") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"private key {path} is a {type(key).__name__}, not Ed25519: make "
                          "one with `tradewind sign --new-key PATH`")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path`` (PEM, or an OpenSSH ``ssh-ed25519`` line)."""
    data = _read_key_file(Path(path), "public key")
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as err:
        hint = " (this is a private key: give the .pub file)" if b"PRIVATE" in data else ""
        raise ConfigError(f"{path} is not a PEM public key{hint}: {err}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {path} is a {type(key).__name__}, not Ed25519")
    return key


def new_keypair(path: str | Path) -> tuple[Path, Path]:
    """Write a new private key to ``path`` (mode 0600) and its public key to ``path.pub``.

    Refuses to replace an existing file: a lost private key cannot be recovered and every
    bundle it signed would need signing again.
    """
    private_path = Path(path)
    public_path = private_path.with_name(private_path.name + ".pub")
    for existing in (private_path, public_path):
        if existing.exists():
            raise ConfigError(f"{existing} exists: choose another path (a key is never "
                              "overwritten)")
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(private_path, 0o600)  # whatever the umask
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    write_text_atomic(public_path, public.decode("ascii"))
    return private_path, public_path


def sign_bundle(bundle_dir: str | Path, private_key: str | Path) -> Path:
    """Sign the bundle at ``bundle_dir`` with the key file ``private_key``; return the
    signature file. The checksums are verified first: an altered bundle is never signed."""
    bundle_dir = Path(bundle_dir)
    key = load_private_key(private_key)
    verify_checksums(bundle_dir)
    return _write_signature(bundle_dir, key)


def _write_signature(bundle_dir: Path, key: Ed25519PrivateKey) -> Path:
    """Write ``signature.ed25519`` for a bundle whose checksums were just verified."""
    document = {
        "algorithm": "ed25519",
        "key_sha256": key_id(key.public_key()),
        "signed_files": list(_SIGNED),
        "signed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "signature": base64.b64encode(key.sign(_payload(bundle_dir))).decode("ascii"),
    }
    return write_text_atomic(bundle_dir / SIGNATURE, json.dumps(document, indent=2) + "\n")


def sign_bundles(path: str | Path, private_key: str | Path) -> dict[str, Path]:
    """Sign the bundle at ``path``, or every symbol's bundle of a universe folder (the run
    of several symbols that ``bundle/universe.json`` indexes); return symbol → signature
    file (the key ``""`` for a plain bundle).

    Every symbol's checksums are verified before the first signature is written, so a
    damaged universe is refused whole rather than left half-signed. The index itself needs
    no signature: each bundle's signed manifest names its own symbol, which loading checks
    against the index, and an unsigned folder added to the index is refused as unsigned.
    """
    from tradewind.artifacts.universe import is_universe, universe_folders

    path = Path(path)
    if not is_universe(path):
        return {"": sign_bundle(path, private_key)}
    folders = universe_folders(path)
    key = load_private_key(private_key)  # a bad key fails before anything is checked or written
    for folder in folders.values():
        verify_checksums(folder)
    return {symbol: _write_signature(folder, key) for symbol, folder in folders.items()}


def verify_signature(bundle_dir: str | Path, public_key: str | Path | Ed25519PublicKey) -> None:
    """Check that the bundle is exactly what the holder of ``public_key`` signed.

    Raises
    ------
    SignatureError
        No signature file, a signature by another key, or a bundle changed since signing
        (weights, manifest or checksums), each said as such.
    """
    bundle_dir = Path(bundle_dir)
    public = public_key if isinstance(public_key, Ed25519PublicKey) else load_public_key(
        Path(public_key))
    verify_checksums(bundle_dir)
    sig_path = bundle_dir / SIGNATURE
    if not sig_path.is_file():
        raise SignatureError(f"{bundle_dir} is not signed ({SIGNATURE} is missing) and a "
                             "signature is required: sign it with `tradewind sign "
                             f"{bundle_dir} --key PRIVATE_KEY`, or drop --require-signed")
    try:
        document = json.loads(sig_path.read_text(encoding="utf-8"))
        signature = base64.b64decode(document["signature"], validate=True)
        signer = str(document.get("key_sha256", ""))
    except (ValueError, KeyError, TypeError) as err:
        raise SignatureError(f"{sig_path} is not a readable signature ({err}): sign the "
                             "bundle again") from None
    expected = key_id(public)
    if signer != expected:
        raise SignatureError(f"{bundle_dir} was signed by key {signer[:16]}, not by the "
                             f"required key {expected[:16]}: sign it with the matching "
                             "private key, or require the signer's public key")
    try:
        public.verify(signature, _payload(bundle_dir))
    except InvalidSignature:
        raise SignatureError(f"{bundle_dir}: the signature does not match its manifest and "
                             "checksums: the bundle was altered after it was signed; do not "
                             "serve it, re-export and sign it again") from None
