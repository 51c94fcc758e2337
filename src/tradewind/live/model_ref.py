"""Where the live loop's model comes from: a bundle, a bundle folder or a registry ref."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tradewind.artifacts.bundle import Bundle, load_bundle
from tradewind.signals.ensemble import Ensemble

__all__ = ["Predictor", "resolve_model"]

Predictor = Bundle | Ensemble


def resolve_model(
    ref: Bundle | Ensemble | str | Path, *, tracking_uri: str | None = None,
    registry_root: Path = Path("runs"), download_dir: Path | None = None,
    public_key: Path | None = None,
) -> tuple[Predictor, str | None]:
    """A bundle/ensemble and its registry version from a bundle, a directory or a registry ref.

    A string that is not an existing directory is a registry version, alias
    (``"champion"``) or run id, downloaded with ``Registry.download_bundle`` into
    ``download_dir``; without one, into a temporary folder removed as soon as the bundle is
    loaded (the model lives in memory), so no start leaves a bundle copy behind.
    With ``public_key`` a bundle loaded from files must carry a valid signature by it.
    """
    if isinstance(ref, Bundle | Ensemble):
        return ref, None
    path = Path(ref)
    if path.is_dir():
        return load_bundle(path, public_key=public_key), None
    from tradewind.artifacts import Registry

    registry = Registry(tracking_uri, root=Path(registry_root))
    if download_dir is not None:
        loaded = load_bundle(registry.download_bundle(str(ref), Path(download_dir)),
                             public_key=public_key)
    else:
        staging = Path(tempfile.mkdtemp(prefix="tradewind-live-"))
        try:
            loaded = load_bundle(registry.download_bundle(str(ref), staging / "bundle"),
                                 public_key=public_key)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        loaded.path = None
    version = str(ref)
    for row in registry.list_versions():
        if str(ref) in row.aliases or str(ref) in (str(row.version), row.run_id):
            version = str(row.version)
            break
    return loaded, version
