"""seqdrop.io: atomic writes, stale temps, writable checks, unique run folders, the run lock."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from seqdrop.errors import SeqdropError
from seqdrop.io import (
    LOCK_FILE,
    OutputError,
    RunFolderError,
    RunLock,
    atomic_torch_save,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    check_writable,
    claim_run_dir,
    new_run_dir,
    remove_stale_temps,
)


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "tmp" in p.name)


def test_atomic_writers_round_trip(tmp_path):
    import numpy as np

    atomic_write_text(tmp_path / "a.txt", "héllo")
    atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    atomic_write_json(tmp_path / "sub" / "c.json", {"x": np.float32(0.5), "p": tmp_path})
    atomic_torch_save({"w": torch.arange(3)}, tmp_path / "d.pt")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert json.loads((tmp_path / "sub" / "c.json").read_text()) == {"x": 0.5, "p": str(tmp_path)}
    assert torch.equal(torch.load(tmp_path / "d.pt", weights_only=True)["w"], torch.arange(3))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask
    assert _temps(tmp_path) == []


def test_failed_write_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "ckpt.pt"
    atomic_torch_save({"v": 1}, target)
    before = target.read_bytes()
    with pytest.raises(Exception):
        atomic_torch_save({"f": lambda: 0}, target)  # lambdas cannot be pickled
    assert target.read_bytes() == before and _temps(tmp_path) == []


def test_full_disk_is_one_clear_error(tmp_path, monkeypatch):
    target = tmp_path / "history.json"
    atomic_write_text(target, "old")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match=r"history\.json.*disk is full") as info:
        atomic_write_text(target, "new")
    assert isinstance(info.value, SeqdropError) and isinstance(info.value, OSError)
    assert target.read_text() == "old" and _temps(tmp_path) == []


def test_remove_stale_temps_only_touches_dead_writers(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = {
        f"checkpoint.pt.{dead.pid}.abcd_123.seqdrop-tmp": True,  # writer is dead
        f"history.json.{os.getpid()}.abcd_123.seqdrop-tmp": False,  # our own write in progress
        "checkpoint.pt.k2j4h5g6.tmp": True,  # left by seqdrop <= 0.1
        "notes.tmp": False,
        "user.pt.k2j4h5g6.tmp.bak": False,
        "result.json": False,
    }
    for n in names:
        (tmp_path / n).write_text("x")
    removed = {p.name for p in remove_stale_temps(tmp_path)}
    assert removed == {n for n, stale in names.items() if stale}
    assert {p.name for p in tmp_path.iterdir()} == {n for n, stale in names.items() if not stale}
    assert remove_stale_temps(tmp_path / "missing") == []


def test_check_writable_names_the_folder(tmp_path, monkeypatch):
    assert check_writable(tmp_path / "new" / "deep").is_dir()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(OutputError, match=r"afile is a file, not a folder"):
        check_writable(tmp_path / "afile")
    with pytest.raises(OutputError, match=r"afile.*file is in the way"):
        check_writable(tmp_path / "afile" / "sub")
    with pytest.raises(OutputError, match=r"bytes free \(need"):
        check_writable(tmp_path, min_free_bytes=1 << 62)
    for code, words in ((errno.EROFS, "read-only"), (errno.ENOSPC, "disk is full")):
        def fail(fd, data, code=code):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(os, "write", fail)
        with pytest.raises(OutputError, match=rf"{tmp_path.name} is not writable: .*{words}"):
            check_writable(tmp_path)
        monkeypatch.undo()
    assert _temps(tmp_path) == [] and not list(tmp_path.glob(".write-probe*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_check_writable_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    with pytest.raises(OutputError, match="read-only"):
        check_writable(ro)


def test_new_run_dir_is_unique_within_one_second(tmp_path, monkeypatch):
    monkeypatch.setattr(time, "strftime", lambda fmt: "20261128-120000")
    a, b = new_run_dir(tmp_path, "zaremba-small"), new_run_dir(tmp_path, "zaremba-small")
    assert a.name == "zaremba-small-20261128-120000" and b.name == "zaremba-small-20261128-120000-2"
    monkeypatch.undo()
    code = "import sys; from seqdrop.io import new_run_dir; print(new_run_dir(sys.argv[1], 'run'))"
    procs = [  # separate processes racing for names
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "race")], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    made = [p.communicate()[0].strip() for p in procs]
    assert len(set(made)) == 3 and all(Path(p).is_dir() for p in made)


def test_claim_run_dir_refuses_a_finished_run(tmp_path):
    run = tmp_path / "run"
    assert claim_run_dir(run) == run and run.is_dir()  # empty folder: fine
    (run / "checkpoint.pt").write_bytes(b"2 epochs")
    (run / "history.json").write_text("{}")
    (run / "notes.txt").write_text("mine")
    with pytest.raises(RunFolderError, match=r"already holds a run \(checkpoint\.pt, history\.json\).*--resume.*--overwrite.*new folder"):
        claim_run_dir(run)
    assert (run / "checkpoint.pt").read_bytes() == b"2 epochs"
    assert claim_run_dir(run, resume=True) == run and (run / "checkpoint.pt").exists()
    with pytest.raises(RunFolderError, match="not both"):
        claim_run_dir(run, resume=True, overwrite=True)
    claim_run_dir(run, overwrite=True)
    assert sorted(p.name for p in run.iterdir()) == ["notes.txt"]


HOLDER = """
import sys, time
from seqdrop.io import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def test_run_lock_refuses_live_holder_and_takes_over_dead_one(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderError, match=rf"in use by another run \(PID {proc.pid} on"):
            RunLock(tmp_path).acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert (tmp_path / LOCK_FILE).exists()  # kill -9 leaves the file behind ...
    with RunLock(tmp_path) as lock:  # ... but not the flock: a stale lock is taken over
        assert lock.took_over is not None and lock.took_over["pid"] == proc.pid
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
        with RunLock(tmp_path) as inner:  # re-entrant in one thread ...
            assert inner.nested
        assert (tmp_path / LOCK_FILE).exists()
        errors = []

        def other_thread():
            try:
                RunLock(tmp_path).acquire()
            except RunFolderError as exc:
                errors.append(str(exc))

        t = threading.Thread(target=other_thread)  # ... but not across threads
        t.start()
        t.join()
        assert len(errors) == 1 and f"PID {os.getpid()}" in errors[0]
    assert not (tmp_path / LOCK_FILE).exists()
    with RunLock(tmp_path) as again:
        assert again.took_over is None
