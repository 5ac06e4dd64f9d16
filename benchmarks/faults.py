"""Fault injection, end to end: interrupt, damage and race real seqdrop processes; check nothing is lost.

Each scenario starts real commands as separate processes on small data — ``seqdrop train
--preset zaremba-small --max-tokens 6000`` (the first 6000 PTB words of each split), or
``seqdrop run`` on three toy notebooks with real kernels — injects one fault — ``kill -9``
during training or during a checkpoint write, a damaged checkpoint, a full disk (a 40 MiB
tmpfs, room for one epoch's files; skipped where it cannot be mounted), two runs into one
folder, a capped run resumed, a finished run whose checkpoint is gone, two runners side by
side — and checks that nothing is lost: a
resumed run ends with exactly the numbers of an uninterrupted one, a refused run leaves the
other run's files byte for byte, and an error is one line. Faults that need a hook (a slow
step, a stalled checkpoint write) are patched into the training child before it calls the
command's own ``main``. Prints a table ``scenario | outcome | nothing lost``::

    python benchmarks/faults.py              # all scenarios (about a minute on 2 cores)
    python benchmarks/faults.py --markdown   # the table for the README
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TIMING = ("seconds", "train_seconds", "tokens_per_s")
# ``seqdrop train`` arguments of every training scenario: 15 steps an epoch on 2 x 200 units
TRAIN = ["--preset", "zaremba-small", "--max-tokens", "6000", "--epochs", "4", "--device", "cpu", "--no-progress"]
STEPS_PER_EPOCH = 15
SCENARIOS: dict[str, Callable[[Path], tuple[str, bool | None]]] = {}
# Scenarios no unit test can stage (the others have in-process twins in tests/test_reliability.py)
PROCESS_ONLY = {"kill -9 during training, then --resume", "kill -9 during a checkpoint write, then --resume",
                "two runs into one folder at the same time"}
# (the side-by-side runners' twin is tests/test_runner_side_by_side.py, with real kernels too)


def scenario(name: str) -> Callable:
    def register(fn: Callable) -> Callable:
        SCENARIOS[name] = fn
        return fn

    return register


# --------------------------------------------------------------------------- child process
def child(args: argparse.Namespace) -> int:
    """One ``seqdrop train`` (the command's own ``main``), with an optional injected fault."""
    from seqdrop.cli import main as seqdrop_main

    if args.slow_steps:  # make an epoch last long enough to be interrupted
        import seqdrop.train.trainer as trainer

        pen = trainer.penalty
        trainer.penalty = lambda *a: (time.sleep(args.slow_steps), pen(*a))[1]
    if args.stall_checkpoint:
        _stall_nth_checkpoint_write(args.stall_checkpoint, Path(args.out) / "STALLED")
    while time.time() < args.start_at:
        time.sleep(0.001)
    argv = ["train", *TRAIN, "--seed", str(args.seed)] + (["--out", args.out] if args.out else [])
    argv += ["--resume"] * args.resume + (["--max-steps", str(args.max_steps)] if args.max_steps else [])
    return seqdrop_main(argv)


def _stall_nth_checkpoint_write(n: int, marker: Path) -> None:
    """Block forever inside the fsync of the n-th checkpoint write (so a kill lands mid-write)."""
    real, seen = os.fsync, [0]

    def fsync(fd: int) -> None:
        if "checkpoint.pt." in os.readlink(f"/proc/self/fd/{fd}"):
            seen[0] += 1
            if seen[0] == n:
                marker.write_text("in the middle of a checkpoint write")
                time.sleep(3600)
        real(fd)

    os.fsync = fsync


def start(out: Path | None, *extra: str, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "child", "--out", str(out) if out else ""] + list(extra)
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def run(out: Path | None, *extra: str, env: dict | None = None) -> tuple[int, str]:
    proc = start(out, *extra, env=env)
    _, err = proc.communicate(timeout=600)
    return proc.returncode, err.strip()


def result(out: Path) -> dict:
    return json.loads((out / "result.json").read_text())


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 900) -> None:
    t0 = time.time()
    while not path.exists():
        if proc.poll() is not None or time.time() - t0 > timeout:
            raise RuntimeError(f"{path} never appeared (process exit {proc.returncode})")
        time.sleep(0.05)


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def history(out: Path) -> list[dict]:
    rows = json.loads((out / "history.json").read_text())["history"]
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and p.name != "seqdrop.lock"}


def temps(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.endswith((".seqdrop-tmp", ".tmp"))]


def brief(err: str, root: Path, width: int = 64) -> str:
    """The error line without the temporary folder, shortened."""
    text = err.replace(str(root), "…").removeprefix("error: ")
    return f"'{text[:width]}…'" if len(text) > width else f"'{text}'"


def one_line_error(code: int, err: str, *needles: str) -> bool:
    line = err.splitlines()[-1] if err else ""
    return (
        code == 2
        and len(err.splitlines()) == 1
        and line.startswith("error: ")
        and all(n in line for n in needles)
    )


# --------------------------------------------------------------------------- training scenarios
_REFERENCE: dict[str, list[dict]] = {}


def reference(root: Path) -> list[dict]:
    """History of an uninterrupted run (computed once)."""
    if "h" not in _REFERENCE:
        code, err = run(root / "reference")
        assert code == 0, err
        _REFERENCE["h"] = history(root / "reference")
    return _REFERENCE["h"]


@scenario("kill -9 during training, then --resume")
def kill_during_training(root: Path) -> tuple[str, bool]:
    out = root / "killed"
    proc = start(out, "--slow-steps", "0.03")
    wait_for(out / "checkpoint.pt", proc)  # epoch 1 saved; epoch 2 is running
    time.sleep(0.3)
    kill9(proc)
    code, err = run(out, "--resume")
    same = code == 0 and history(out) == reference(root)
    return (
        f"resumed (exit {code}); history {'identical to' if same else 'DIFFERS from'} an uninterrupted run",
        same,
    )


@scenario("kill -9 during a checkpoint write, then --resume")
def kill_during_checkpoint_write(root: Path) -> tuple[str, bool]:
    out = root / "killed-write"
    proc = start(out, "--stall-checkpoint", "2")
    wait_for(out / "STALLED", proc)
    kill9(proc)
    stranded = temps(out)
    from seqdrop.train import load_checkpoint

    epoch = load_checkpoint(out / "checkpoint.pt")["trainer"]["epoch"]  # the previous one, intact
    (out / "STALLED").unlink()
    code, err = run(out, "--resume")
    ok = code == 0 and history(out) == reference(root) and not temps(out) and len(stranded) == 1
    same = "identical to" if ok else "DIFFERS from"
    return f"old checkpoint intact (epoch {epoch}); stranded temp removed on resume; history {same} reference", ok


def _damaged_resume(
    root: Path, name: str, damage: Callable[[bytearray], bytearray], needle: str
) -> tuple[str, bool]:
    out = root / name
    reference(root)
    shutil.copytree(root / "reference", out)
    ckpt = out / "checkpoint.pt"
    ckpt.write_bytes(bytes(damage(bytearray(ckpt.read_bytes()))))
    before = snapshot(out)
    code, err = run(out, "--resume")
    ok = one_line_error(code, err, str(ckpt), needle) and snapshot(out) == before
    return f"exit {code}, one line: {brief(err, root)}", ok


@scenario("checkpoint with 64 flipped bytes, --resume")
def flipped_checkpoint(root: Path) -> tuple[str, bool]:
    def flip(b: bytearray) -> bytearray:
        mid = len(b) // 2
        b[mid : mid + 64] = bytes(x ^ 0xFF for x in b[mid : mid + 64])
        return b

    return _damaged_resume(root, "flipped", flip, "SHA-256")


@scenario("truncated checkpoint, --resume")
def truncated_checkpoint(root: Path) -> tuple[str, bool]:
    return _damaged_resume(root, "truncated", lambda b: b[: len(b) // 3], "cannot be read")


@scenario("full disk (40 MiB tmpfs) during training")
def full_disk(root: Path) -> tuple[str, bool | None]:
    mnt = root / "tmpfs"
    mnt.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        != 0
    ):
        return "skipped: cannot mount a tmpfs here (needs root)", None
    try:
        out = mnt / "run"
        code, err = run(out)
        valid = _all_files_valid(out)
        _fill(mnt)
        code2, err2 = run(mnt / "second")
        ok = one_line_error(code, err, "disk is full") and not temps(out) and valid
        ok = ok and one_line_error(code2, err2, "second") and not (mnt / "second" / "history.json").exists()
        return f"exit {code}: {brief(err, root)}; no temp left, files valid; next run refused", ok
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def _all_files_valid(out: Path) -> bool:
    """Every file in ``out`` is complete: checkpoints verify, JSON parses."""
    from seqdrop.train import load_checkpoint, load_weights

    for p in out.iterdir():
        if p.name == "checkpoint.pt":
            load_checkpoint(p)
        elif p.suffix == ".pt":
            load_weights(p)
        elif p.suffix == ".json":
            json.loads(p.read_text())
    return True


@scenario("two runs into one folder at the same time")
def concurrent_runs(root: Path) -> tuple[str, bool]:
    out = root / "shared"
    a = start(out, "--slow-steps", "0.02")
    wait_for(out / "seqdrop.lock", a)
    code_b, err_b = run(out, "--seed", "2")
    _, err_a = a.communicate(timeout=600)
    ok = a.returncode == 0 and one_line_error(code_b, err_b, f"PID {a.pid}") and history(out) == reference(root)
    return f"second refused: {brief(err_b, root, 48)}; first run complete, same numbers", ok


@scenario("rerun into a finished run (no --resume)")
def rerun_finished(root: Path) -> tuple[str, bool]:
    out = root / "reference"
    reference(root)
    before = snapshot(out)
    code, err = run(out, "--seed", "1")
    ok = one_line_error(code, err, "--resume", "--overwrite") and snapshot(out) == before
    return f"exit {code}: refused, offers --resume / --overwrite / a new folder", ok


@scenario("capped run (--max-steps inside epoch 2), then --resume without the cap")
def capped_then_resumed(root: Path) -> tuple[str, bool]:
    out = root / "capped"
    cap = STEPS_PER_EPOCH + 5
    code, err = run(out, "--max-steps", str(cap))
    first = result(out)
    code2, err2 = run(out, "--resume")
    last = result(out)
    steps = [i["overrides"]["train"].get("max_steps") for i in last["invocations"]]
    walls = sum(i["wall_seconds"] for i in last["invocations"])
    ok = (code, code2) == (0, 0) and first["capped"] and first["stopped"] == "max_steps"
    ok = ok and not last["capped"] and last["stopped"] == "completed" and history(out) == reference(root)
    ok = ok and steps == [cap, None] and math.isclose(last["wall_seconds"], walls)
    return (f"capped at step {first['steps']} ({first['stopped']}, capped); resumed to {last['steps']} steps, "
            f"{last['stopped']}, history {'identical to' if ok else 'DIFFERS from'} reference; both invocations kept"), ok


@scenario("finished run without its checkpoint, --resume")
def finished_without_checkpoint(root: Path) -> tuple[str, bool]:
    out = root / "no-checkpoint"
    reference(root)
    shutil.copytree(root / "reference", out)
    (out / "checkpoint.pt").unlink()  # keep_weights=False, a user freeing disk
    before = snapshot(out)
    code, err = run(out, "--resume")
    ok = one_line_error(code, err, "no checkpoint.pt", "--overwrite") and snapshot(out) == before
    return f"exit {code}, refused: {brief(err, root, 56)}; result, history and best.pt untouched", ok


@scenario("two runs started in the same second (default folders)")
def same_second(root: Path) -> tuple[str, bool]:
    home = root / "home"
    home.mkdir()
    from seqdrop.paths import data_dir

    env = {"SEQDROP_HOME": str(home), "SEQDROP_DATA": str(data_dir())}
    start_at = str(math.ceil(time.time()) + 10)  # both begin in the same second, after their imports
    procs = [start(None, "--seed", str(s), "--start-at", start_at, env=env) for s in (1, 2)]
    codes = [p.wait(timeout=600) for p in procs]
    results = sorted((home / "runs" / "train").glob("*/result.json"))
    seeds = sorted(json.loads(p.read_text())["seed"] for p in results)
    ok = codes == [0, 0] and seeds == [1, 2]
    return f"{len(results)} folders: {', '.join(p.parent.name for p in results)}", ok


# --------------------------------------------------------------------------- notebook runner
sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults_runner import fresh_run_computes_its_sweep, runner_kill, runner_partial, runners_side_by_side  # noqa: E402

scenario("notebook runner: kill -9 mid-batch, then --resume")(runner_kill)
scenario("notebook runner: --resume after a partial batch (one failed)")(runner_partial)
scenario("two seqdrop run side by side (one checkout, real kernels)")(runners_side_by_side)
scenario("a notebook's sweep records altered, then a fresh seqdrop run")(fresh_run_computes_its_sweep)


# --------------------------------------------------------------------------- table
def table(rows: list[tuple[str, str, bool | None]], markdown: bool) -> str:
    mark = {True: "yes", False: "NO", None: "skipped"}
    if markdown:
        lines = ["| scenario | outcome | nothing lost |", "|---|---|---|"]
        return "\n".join(lines + [f"| {s} | {o} | {mark[ok]} |" for s, o, ok in rows])
    w = max(len(s) for s, _, _ in rows)
    return "\n".join(f"{s:<{w}}  {mark[ok]:<7}  {o}" for s, o, ok in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd")
    c = sub.add_parser("child")
    c.add_argument("--out", default="")
    c.add_argument("--resume", action="store_true")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--max-steps", type=int, default=0)
    c.add_argument("--slow-steps", type=float, default=0.0)
    c.add_argument("--stall-checkpoint", type=int, default=0)
    c.add_argument("--start-at", type=float, default=0.0, help="wait until this time.time()")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    parser.add_argument("--skip", default="\0", help="skip the scenarios whose name contains this")
    parser.add_argument("--processes-only", action="store_true",
                        help="only the scenarios that need real processes (kill -9, concurrent runs); the CI test")
    args = parser.parse_args(argv)
    if args.cmd == "child":
        args.out = args.out or None
        return child(args)
    rows = []
    with tempfile.TemporaryDirectory(prefix="seqdrop-faults-") as tmp:
        for name, fn in SCENARIOS.items():
            if args.only in name and args.skip not in name and (name in PROCESS_ONLY or not args.processes_only):
                t0 = time.time()
                try:
                    outcome, ok = fn(Path(tmp))
                except Exception as exc:  # a crash of the scenario itself is a failure to report
                    outcome, ok = (f"scenario crashed: {type(exc).__name__}: {exc}", False)
                rows.append((name, outcome, ok))
                print(
                    f"[{time.time() - t0:5.1f} s] {name}: {'ok' if ok is not False else 'LOST'}",
                    file=sys.stderr,
                )
    print(table(rows, args.markdown))
    return 0 if all(ok is not False for _, _, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
