"""``tradewind sign``: Ed25519 key pairs and bundle signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tradewind.cli.common import console

__all__ = ["sign"]


def sign(
    bundle: Annotated[Path | None, typer.Argument(
        help="Bundle directory to sign; a run's bundle folder over several symbols (with "
             "universe.json) signs every symbol's bundle.")] = None,
    key: Annotated[Path | None, typer.Option(help="Ed25519 private key file (PEM) to sign with.")]
    = None,
    new_key: Annotated[Path | None, typer.Option(
        help="Write a new key pair instead: PATH (private, mode 0600) and PATH.pub.")] = None,
) -> None:
    """Sign a bundle (tradewind sign BUNDLE --key KEY), or make a key pair (--new-key PATH).

    serve and live given --require-signed PATH.pub then refuse a bundle that is unsigned
    or was changed after signing, even when its checksums were recomputed.
    """
    from tradewind.artifacts.signing import key_id, load_private_key, new_keypair, sign_bundles
    from tradewind.exceptions import ConfigError

    if new_key is not None:
        if bundle is not None or key is not None:
            raise ConfigError("sign: give either --new-key PATH, or BUNDLE --key KEY")
        private, public = new_keypair(new_key)
        console.print(f"private key: {private} (mode 0600: keep it secret)\n"
                      f"public key:  {public} (give it to serve/live --require-signed)",
                      highlight=False)
        return
    if bundle is None or key is None:
        raise ConfigError("sign: give BUNDLE --key PRIVATE_KEY to sign a bundle, or "
                          "--new-key PATH to make a key pair")
    signatures = sign_bundles(bundle, key)
    signer = key_id(load_private_key(key).public_key())[:16]
    for symbol, signature in signatures.items():
        what = f"{symbol} ({signature.parent})" if symbol else str(bundle)
        console.print(f"signed {what} with key {signer}: {signature}", highlight=False)
