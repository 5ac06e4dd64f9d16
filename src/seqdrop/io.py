"""Safe output: atomic writes, stale-temp cleanup, writable checks, run folders and their lock.

Every file seqdrop writes goes through one of the ``atomic_write_*`` functions: the content is
written to a temporary file in the *same* folder (``<name>.<pid>.<random>.seqdrop-tmp``),
flushed and fsync'ed, then moved over the target with :func:`os.replace`. A reader therefore
sees either the old file or the new one, never half of one; on any failure (full disk,
Ctrl-C) the temporary file is removed and the old file is untouched. A process killed with
``kill -9`` can still strand a temporary file: :func:`remove_stale_temps` deletes those whose
writer is dead, and the trainer and runner call it when they start in a folder.

Run folders: :func:`new_run_dir` creates a unique folder exclusively (two runs started in the
same second never share one); :func:`claim_run_dir` refuses a folder that already holds a run
unless asked to resume or overwrite it; :class:`RunLock` keeps a second process out of a folder
while a run is writing it (an advisory ``flock`` on ``seqdrop.lock``, which records the PID and
host; the kernel drops it when its holder dies, so a stale lock is detected and taken over).
"""
from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Callable

from .errors import SeqdropError

__all__ = [
    "OutputError", "RunFolderError", "atomic_write_text", "atomic_write_json", "atomic_write_bytes",
    "atomic_torch_save", "remove_stale_temps", "check_writable", "new_run_dir", "claim_run_dir", "run_files",
    "RunLock", "RUN_MARKERS", "LOCK_FILE", "TEMP_SUFFIX", "removed_if_left_empty",
]

TEMP_SUFFIX = ".seqdrop-tmp"
LOCK_FILE = "seqdrop.lock"
# Files whose presence means "this folder holds a run" (trainer and notebook runner outputs).
RUN_MARKERS = ("checkpoint.pt", "best.pt", "history.json", "result.json", "summary.json")
# <target>.<pid>.<mkstemp random>.seqdrop-tmp; and the unmarked ``*.pt.<random>.tmp`` that
# seqdrop <= 0.1 left behind after a kill during a checkpoint or cache write.
_TEMP_RE = re.compile(r"^(?P<target>.+)\.(?P<pid>\d+)\.[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")
_LEGACY_TEMP_RE = re.compile(r"^.+\.pt\.[a-z0-9_]{8}\.tmp$")
_UMASK = os.umask(0)
os.umask(_UMASK)


class OutputError(SeqdropError, OSError):
    """An output file or folder cannot be written (a file in the way, read-only, disk full)."""


class RunFolderError(SeqdropError):
    """A run folder already holds a run, or another live process is writing it."""


def _explain(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return "the disk is full; free some space or choose another folder"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "it is read-only or not writable by you; choose another folder"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way of the folder; choose another folder"
    return f"{exc.strerror or exc}; choose another folder"


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (best effort: not every file system lets a folder be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {_explain(exc)}") from exc
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, SeqdropError):
            raise OutputError(f"cannot write {path}: {_explain(exc)}") from exc
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    return _atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode(encoding))


def _json_default(o: Any) -> Any:
    if hasattr(o, "item") and callable(o.item):  # NumPy and 0-d torch scalars
        return o.item()
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 1) -> Path:
    """Write ``obj`` as JSON atomically (NumPy scalars and paths are converted)."""
    text = json.dumps(obj, indent=indent, default=_json_default)
    return atomic_write_text(path, text + "\n")


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> Path:
    """``torch.save(obj)`` to ``path`` atomically."""
    import torch

    buf = io.BytesIO()  # serialise first: torch.save reports a full disk as a RuntimeError
    torch.save(obj, buf)
    return _atomic_write(path, lambda fh: fh.write(buf.getbuffer()))


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that a killed writer left in ``folder``; return them.

    Only seqdrop's own pattern is touched (``<name>.<pid>.<random>.seqdrop-tmp`` whose PID is
    not a live process, and the ``*.pt.<random>.tmp`` of older versions); a write in progress
    by a live process, and every other file, is left alone.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        m = _TEMP_RE.match(entry.name)
        stale = (m is not None and not _pid_alive(int(m["pid"]))) or _LEGACY_TEMP_RE.match(entry.name)
        if stale and entry.is_file():
            try:
                entry.unlink()
                removed.append(entry)
            except FileNotFoundError:
                pass
    return removed


def check_writable(folder: str | os.PathLike[str], *, min_free_bytes: int = 1 << 20) -> Path:
    """Create ``folder`` if needed and prove it can take files, before any work starts.

    Raises :class:`OutputError` naming the folder when a file is in the way, the folder is
    read-only, or fewer than ``min_free_bytes`` are free (a probe file is written and synced).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"output folder {folder} is a file, not a folder; choose another folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".write-probe.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=folder)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        raise OutputError(f"output folder {folder} is not writable: {_explain(exc)}") from exc
    if free < min_free_bytes:
        raise OutputError(
            f"output folder {folder} has only {free:,} bytes free (need {min_free_bytes:,}); "
            "free some space or choose another folder"
        )
    return folder


def new_run_dir(parent: str | os.PathLike[str], stem: str) -> Path:
    """Create and return a new, unique folder ``parent/<stem>-<YYYYmmdd-HHMMSS>[-N]``.

    The folder is created with :func:`os.mkdir`, which fails if it exists, so two runs started
    in the same second get ``…-HHMMSS`` and ``…-HHMMSS-2``, never one shared folder.
    """
    parent = Path(parent)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {parent}: {_explain(exc)}") from exc
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 10_000):
        path = parent / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot create {path}: {_explain(exc)}") from exc
    raise OutputError(f"cannot find a free folder name {base}-N under {parent}")


def run_files(folder: str | os.PathLike[str], markers: Iterable[str] = RUN_MARKERS) -> list[str]:
    """The run-marker files present in ``folder`` (empty when it holds no run)."""
    folder = Path(folder)
    return [m for m in markers if (folder / m).exists()]


def claim_run_dir(
    folder: str | os.PathLike[str],
    *,
    resume: bool = False,
    overwrite: bool = False,
    markers: Iterable[str] = RUN_MARKERS,
) -> Path:
    """Make ``folder`` ready for a run; refuse one that already holds a run.

    A folder that holds a run (any of ``markers``) is continued with ``resume=True``, or
    emptied of those files with ``overwrite=True``; otherwise :class:`RunFolderError` offers
    ``--resume``, ``--overwrite`` or a new folder. Hold a :class:`RunLock` on the folder first
    so that no other process claims it in between. The folder is created and checked writable.
    """
    if resume and overwrite:
        raise RunFolderError("choose one of --resume and --overwrite, not both")
    folder = check_writable(folder)
    found = run_files(folder, markers)
    if found and not (resume or overwrite):
        raise RunFolderError(
            f"{folder} already holds a run ({', '.join(found)}); pass --resume to continue it, "
            "--overwrite to replace it, or choose a new folder"
        )
    if found and overwrite:
        for name in found:
            (folder / name).unlink()
    return folder


@contextlib.contextmanager
def removed_if_left_empty(folder: str | os.PathLike[str], *, created: bool) -> Iterator[Path]:
    """On an exception in the block, remove ``folder`` if this run ``created`` it and it holds
    nothing (a lock file aside): a refused or failed run leaves no empty run folder behind."""
    folder = Path(folder)
    try:
        yield folder
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                if {p.name for p in folder.iterdir()} <= {LOCK_FILE}:
                    (folder / LOCK_FILE).unlink(missing_ok=True)
                    folder.rmdir()
        raise


class RunLock:
    """Exclusive lock on a run folder: ``with RunLock(folder): ...``.

    Writes ``seqdrop.lock`` (PID, host, start time) and holds an advisory ``flock`` on it. A
    second process gets :class:`RunFolderError` naming the live PID; a lock left by a dead
    process (``kill -9``) holds no ``flock`` any more and is taken over (``took_over`` then
    holds its old contents). The file is removed on release. Re-entrant within one thread:
    a function that locks a folder may call another that locks it again (``nested`` is then
    true and the inner lock does nothing).
    """

    _held: dict[tuple[str, int], "RunLock"] = {}

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.took_over: dict[str, Any] | None = None
        self.nested = False
        self._fd: int | None = None
        self._key: tuple[str, int] | None = None

    def acquire(self) -> "RunLock":
        if self._key is not None:
            raise RunFolderError(f"{self.path} is already held by this RunLock")
        check_writable(self.folder, min_free_bytes=0)
        key = (os.path.realpath(self.folder), threading.get_ident())
        self.nested = key in RunLock._held
        if not self.nested:
            self._lock_file()
            RunLock._held[key] = self
        self._key = key
        return self

    def _lock_file(self) -> None:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~_UMASK)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_lock(fd)
                os.close(fd)
                raise RunFolderError(
                    f"{self.folder} is in use by another run (PID {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')}, lock {self.path}); wait for it or choose another folder"
                ) from None
            try:  # the holder we waited for may have unlinked the file: lock the current one
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read_lock(fd)
        self.took_over = previous or None
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._key is None:
            return
        if not self.nested:
            del RunLock._held[self._key]
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            os.close(self._fd)  # closing drops the flock
            self._fd = None
        self._key = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_lock(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0)
        doc = json.loads(raw.decode()) if raw.strip() else {}
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}
