"""The run folder (``tradewind run --out DIR``): a run writes only its own files, all at once.

A run never writes into ``DIR`` directly. It writes into a staging folder beside it
(``.DIR.run-<pid>-<random>``) and, once bundle and reports are complete, swaps that folder
into place with two renames: a reader sees the previous run or the new one, never a mix,
and a run killed half-way leaves ``DIR`` as it was. The new folder carries a manifest,
``.tradewind-run.json``, listing every file the run wrote, so that the next run can tell
its own files from anyone else's.

``DIR`` is refused before any work starts when it holds files tradewind did not write
(each is named; nothing is deleted), and when it holds a previous run unless
``overwrite`` is given.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tradewind.exceptions import OutputDirError

__all__ = ["RUN_MANIFEST", "RunFolder", "open_run_folder", "own_files"]

RUN_MANIFEST = ".tradewind-run.json"
# Written into a run folder after the run by tradewind itself (`tradewind report`,
# `tradewind sign`), so never a stranger's file there.
_LATER_OUTPUTS = frozenset({"report.json", "report.html", "bundle/signature.ed25519"})
# What a run folder of a release without the manifest held.
_LEGACY_OUTPUTS = frozenset({"report.json", "report.html", "bundle/weights.safetensors",
                             "bundle/manifest.json", "bundle/checksums.sha256"})
_SHOWN = 10


def _files(folder: Path) -> list[str]:
    """Every file (or link) under ``folder``, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() or p.is_symlink())


def _legacy_outputs(folder: Path) -> set[str]:
    """The files an older run wrote: bundle, reports and the export its report names."""
    own = set(_LEGACY_OUTPUTS)
    try:
        export = json.loads((folder / "report.json").read_text(encoding="utf-8")).get("export")
    except (OSError, ValueError, AttributeError):
        return own
    if isinstance(export, dict) and export.get("dir") and isinstance(export.get("files"), list):
        sub = Path(str(export["dir"])).name
        own |= {f"{sub}/{name}" for name in export["files"]}
    return own


def own_files(folder: Path) -> tuple[bool, set[str]]:
    """(holds a previous run, the files of ``folder`` that tradewind runs wrote).

    A previous run is recognised by its manifest, or, for runs written before the
    manifest existed, by ``report.json`` beside ``bundle/manifest.json``.
    """
    manifest = folder / RUN_MANIFEST
    if manifest.is_file():
        try:
            listed = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise OutputDirError(
                f"{manifest} is not a readable run manifest ({err}): move the folder aside "
                "or choose another --out") from None
        return True, {str(name) for name in listed} | _LATER_OUTPUTS | {RUN_MANIFEST}
    if (folder / "report.json").is_file() and (folder / "bundle" / "manifest.json").is_file():
        return True, _legacy_outputs(folder)
    return False, set()


def check_out_dir(out_dir: Path, *, overwrite: bool) -> bool:
    """Refuse ``out_dir`` unless a run may write there; True when it holds a previous run.

    Raises
    ------
    OutputDirError
        ``out_dir`` is a file; holds files no tradewind run wrote (named); or holds a
        previous run and ``overwrite`` is False.
    """
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return False
    if not out_dir.is_dir():
        raise OutputDirError(f"--out {out_dir} is a file, not a folder: choose another --out")
    previous, own = own_files(out_dir)
    foreign = [name for name in _files(out_dir) if name not in own]
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (
            f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else "")
        raise OutputDirError(
            f"--out {out_dir} holds {len(foreign)} file(s) no tradewind run wrote: {shown}. "
            "A run replaces its folder whole and never deletes what it did not write: move "
            "them out, or choose an empty or new --out")
    if previous and not overwrite:
        raise OutputDirError(
            f"--out {out_dir} holds a previous run (bundle and report): pass --overwrite to "
            "replace it (the new run is swapped in whole when it finishes), or choose "
            "another --out")
    return previous


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_staging(final: Path) -> None:
    """Delete staging folders of runs into ``final`` whose process is gone (killed runs)."""
    for stale in final.parent.glob(f".{final.name}.run-*"):
        pid = stale.name.removeprefix(f".{final.name}.run-").split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


@dataclass
class RunFolder:
    """Where a run writes (:attr:`staging`) and where its files appear (:attr:`final`)."""

    final: Path
    staging: Path
    overwrite: bool = False
    committed: bool = field(default=False, init=False)

    def final_path(self, path: str | Path) -> Path:
        """``path`` under the staging folder, as it will be named once the run is in place."""
        path = Path(path)
        try:
            return self.final / path.relative_to(self.staging)
        except ValueError:
            return path

    def commit(self) -> Path:
        """Write the run manifest and swap the staging folder into place; return it.

        Raises
        ------
        OutputDirError
            Something appeared in :attr:`final` during the run that the run may not
            replace; the finished run stays in :attr:`staging`, named in the message.
        """
        from tradewind import __version__

        files = _files(self.staging)
        manifest = {"tradewind_version": __version__,
                    "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "files": files}
        (self.staging / RUN_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n",
                                                 encoding="utf-8")
        try:
            check_out_dir(self.final, overwrite=self.overwrite)
        except OutputDirError as err:
            self.committed = True  # keep the finished run where it is
            raise OutputDirError(f"{err}. This run's files are complete in {self.staging}") from None
        old = None
        if self.final.exists():
            if any(self.final.iterdir()):
                old = self.final.with_name(f".{self.final.name}.old-{os.getpid()}")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(self.final, old)
            else:
                self.final.rmdir()
        os.replace(self.staging, self.final)
        self.committed = True
        _fsync_dir(self.final.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.final

    def discard(self) -> None:
        """Remove the staging folder of a run that did not finish."""
        if not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)


def open_run_folder(out_dir: str | Path, *, overwrite: bool = False) -> RunFolder:
    """Check ``out_dir`` (see :func:`check_out_dir`) and make the run's staging folder.

    Call this before any work, so that a refused folder costs nothing. The staging folder
    is removed at interpreter exit unless :meth:`RunFolder.commit` moved it into place;
    one left by a killed run is removed by the next run into the same folder.
    """
    final = Path(out_dir)
    if not final.name:  # "." or "/": name the folder itself
        final = final.resolve()
    check_out_dir(final, overwrite=overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_dead_staging(final)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.run-{os.getpid()}-"))
    os.chmod(staging, 0o755)  # mkdtemp makes 0700; a run folder is meant to be read
    folder = RunFolder(final=final, staging=staging, overwrite=overwrite)
    atexit.register(folder.discard)
    return folder
