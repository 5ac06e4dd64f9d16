"""Run the notebooks headlessly with papermill, one parameter profile at a time.

Each notebook runs in its own kernel; a failure is recorded (its executed copy, error and all,
is kept) and the batch goes on. Results recorded with :func:`seqdrop.course.record` are
collected into the summary table and ``summary.json`` (:mod:`seqdrop.course.summary`).

A run folder is safe to reuse: it is checked writable before any notebook starts, locked
against a second runner (:class:`seqdrop.io.RunLock`), its summary is merged rather than
replaced, and executed notebooks are written to a temporary file and moved into place, so a
full disk or a kill never leaves half a notebook. With ``resume=True`` notebooks that already
succeeded there with the same parameters and the same source (its SHA-256 is kept with each
entry) are skipped; one edited since is run again, and the runner says so.

Each kernel talks to the runner over IPC sockets in a private folder of its own (mode 0700,
removed afterwards), never over sockets named after the working directory: two runners started
side by side from one checkout cannot cross their connections, and the checkout need not be
writable.

Chapters: all.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import SeqdropError
from ..io import TEMP_SUFFIX, OutputError, RunFolderError, RunLock, check_writable, new_run_dir
from ..io import remove_stale_temps
from ..paths import runs_dir
from .profiles import find_notebooks, load_profile, resolve_parameters
from .records import read_records
from .summary import NotebookResult, RunSummary

__all__ = ["prepare_notebooks", "run_notebooks"]

# errno values that mean "the run folder cannot take the output": stop the batch.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG}
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # a write that names no file
_SUN_PATH = 100  # a Unix socket path must be shorter than 108 bytes (with the "-N" suffix)


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def prepare_notebooks(
    profile: str = "smoke",
    pattern: str = "*.ipynb",
    out: str | Path = "build/nbval",
    overrides: Mapping[str, Any] | None = None,
    *,
    notebooks_path: Path | None = None,
    params_path: Path | None = None,
) -> list[Path]:
    """Write copies of the notebooks with the profile's parameters injected, not executed
    (for nbval)."""
    import papermill

    notebooks = find_notebooks(pattern, notebooks_path)
    _refuse_sources(out, notebooks)
    params = resolve_parameters(
        notebooks, load_profile(profile, params_path), overrides, profile_name=profile
    )
    out_dir = check_writable(out)
    written = []
    for nb in notebooks:
        target = out_dir / nb.name
        papermill.execute_notebook(
            str(nb), str(target), parameters=params[nb], prepare_only=True,
            kernel_name="python3", progress_bar=False,
        )
        written.append(target)
    return written


def _publish(tmp: Path, target: Path) -> bool:
    """Move a complete executed notebook into place (True), or drop an unreadable one (False:
    the earlier ``target``, if any, stays). A folder that cannot take it raises OutputError."""
    import nbformat

    try:
        nbformat.read(str(tmp), as_version=4)
    except Exception:  # missing, empty or truncated
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False
    try:
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _output_error(target, exc) from exc
    return True


def _output_error(target: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write {target}: {exc.strerror or exc}; free space or choose another --out, "
        f"then rerun with --resume --out {target.parent}"
    )


def _refuse_sources(out: str | Path | None, notebooks: list[Path]) -> None:
    """``--out`` must not be the folder of the notebooks themselves (their copies would
    replace the sources)."""
    if out is None:
        return
    target = Path(out).expanduser().resolve()
    sources = {nb.parent.resolve() for nb in notebooks}
    if target in sources:
        raise OutputError(
            f"--out {out} is the notebooks folder: the executed copies would replace the sources; "
            "choose another folder (e.g. build/nbval or runs/<name>)"
        )


@contextlib.contextmanager
def _private_kernel_config() -> Iterator[Any]:
    """The kernel's connection: IPC sockets in a new private folder (0700), removed afterwards.

    IPC rather than TCP: ipykernel >= 7 warns on every start that a TCP kernel is unencrypted
    (and any local user could connect). A folder of its own rather than jupyter_client's default
    ``kernel-ipc-N`` in the working directory: two runners starting kernels in the same second
    picked the same N and signed each other's messages with the wrong key.
    """
    from traitlets.config import Config

    if os.name != "posix":
        yield Config()
        return
    folder = tempfile.mkdtemp(prefix="seqdrop-kernel-")
    if len(folder) > _SUN_PATH - len("/kernel-99"):  # a long TMPDIR: sockets need a short path
        os.rmdir(folder)
        folder = tempfile.mkdtemp(prefix="seqdrop-kernel-", dir="/tmp")
    try:
        yield Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _is_output_error(exc: OSError, run_dir: Path) -> bool:
    """Only an error on a file inside the run folder (or a full disk) is the run folder's fault;
    e.g. EACCES launching the kernel is the notebook's failure."""
    if exc.errno not in _OUTPUT_ERRNOS:
        return False
    names = [n for n in (exc.filename, getattr(exc, "filename2", None)) if n]
    if not names:
        return exc.errno in _DISK_ERRNOS
    root = run_dir.resolve()
    return any(Path(os.fsdecode(n)).resolve().is_relative_to(root) for n in names)


def source_digest(nb: Path) -> str:
    """SHA-256 of a notebook's file: a finished entry counts only for this exact source."""
    return hashlib.sha256(nb.read_bytes()).hexdigest()


def _execute(nb: Path, run_dir: Path, params: dict[str, Any], **options: Any) -> NotebookResult:
    """Execute one notebook into ``run_dir``; notebook errors are recorded, output errors raise."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    target = run_dir / nb.name
    result = NotebookResult(nb.stem, "failed", output=str(target), parameters=params,
                            source_sha256=source_digest(nb))
    figures = run_dir / nb.stem
    figures.mkdir(exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f"{nb.name}.{os.getpid()}.", suffix=TEMP_SUFFIX, dir=run_dir
    )
    os.close(fd)
    tmp = Path(name)
    start = time.perf_counter()
    try:
        with _env(SEQDROP_OUTPUT_DIR=str(figures.resolve()),
                  SEQDROP_RUN_DIR=str(run_dir.resolve())), warnings.catch_warnings(), \
                _private_kernel_config() as kernel_config:
            warnings.filterwarnings("ignore", message="The specified file")
            papermill.execute_notebook(
                str(nb), str(tmp), parameters=params, cwd=str(nb.parent),
                progress_bar=False, config=kernel_config, **options,
            )
        result.status = "ok"
    except PapermillExecutionError as exc:
        result.error = f"{exc.ename}: {exc.evalue}".strip()
    except KeyboardInterrupt:
        result.status, result.error = "interrupted", "KeyboardInterrupt"
        raise
    except OSError as exc:
        if _is_output_error(exc, run_dir):  # the folder cannot take it: keep no partial copy
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise _output_error(target, exc) from exc
        result.error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # kernel death, timeout, missing kernel...
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        result.seconds = round(time.perf_counter() - start, 2)
        if tmp.exists() and _publish(tmp, target):
            with contextlib.suppress(Exception):
                result.records = read_records(target)
    return result


def _refuse_finished(summary: RunSummary, notebooks: list[Path], run_dir: Path) -> None:
    finished = [nb.stem for nb in notebooks
                if summary.status(nb.stem) == "ok" and (run_dir / nb.name).exists()]
    if finished:
        raise RunFolderError(
            f"{run_dir} already holds finished runs of {', '.join(finished)}; pass --resume "
            "to skip them, --overwrite to run them again, or choose a new folder"
        )


def run_notebooks(
    profile: str = "course",
    pattern: str = "*.ipynb",
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    kernel_name: str = "python3",
    execution_timeout: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    log_output: bool = False,
    notebooks_path: Path | None = None,
    params_path: Path | None = None,
) -> tuple[Path, list[NotebookResult]]:
    """Execute the selected notebooks with a profile; return the run folder and one result each.

    Executed copies go to ``out`` (default a new ``runs/<profile>-<timestamp>/``), each
    notebook's figures to ``out/<stem>/``; ``summary.json`` keeps an entry for every notebook
    run into ``out``. A notebook already ``ok`` in ``out`` is skipped with ``resume=True``,
    rerun with ``overwrite=True``, and otherwise refused. A notebook that fails does not
    stop the others; a folder that cannot take the output stops the batch with
    :class:`seqdrop.io.OutputError`. Ctrl-C stops the batch after saving the summary (the
    interrupted notebook is rerun on resume).
    """
    from tqdm.auto import tqdm

    if execution_timeout is not None and execution_timeout <= 0:
        raise SeqdropError(f"execution timeout must be positive seconds, got {execution_timeout}")
    notebooks = find_notebooks(pattern, notebooks_path)
    _refuse_sources(out, notebooks)
    params = resolve_parameters(
        notebooks, load_profile(profile, params_path), overrides, profile_name=profile
    )
    run_dir = check_writable(out) if out else new_run_dir(runs_dir(), profile)
    options = {"kernel_name": kernel_name, "log_output": log_output,
               "execution_timeout": execution_timeout}
    results: list[NotebookResult] = []
    with RunLock(run_dir):
        remove_stale_temps(run_dir)
        summary = RunSummary(run_dir, profile)
        if not (resume or overwrite):
            _refuse_finished(summary, notebooks, run_dir)
        bar = tqdm(notebooks, desc=f"seqdrop run ({profile})", unit="nb", disable=not progress)
        try:
            for nb in bar:
                bar.set_postfix_str(nb.stem)
                previous = summary.done(nb.stem, params[nb]) if resume else None
                if previous is not None and (run_dir / nb.name).exists():
                    if previous.source_sha256 == source_digest(nb):
                        results.append(previous)
                        continue
                    why = ("changed since it ran" if previous.source_sha256
                           else "has no source fingerprint recorded (an older run)")
                    bar.write(f"{nb.stem} {why}: running it again", file=sys.stderr)
                try:
                    result = _execute(nb, run_dir, params[nb], **options)
                except KeyboardInterrupt:
                    summary.update(NotebookResult(nb.stem, "interrupted", parameters=params[nb],
                                                  error="KeyboardInterrupt"))
                    with contextlib.suppress(OSError):
                        summary.write()
                    raise
                results.append(result)
                summary.update(result)
                summary.write()
        finally:
            bar.close()
    return run_dir, results
