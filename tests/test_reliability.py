"""Nothing lost, nothing silently wrong: run folders, checkpoints, honest metrics, clean errors.

One test per failure mode found by trying seqdrop as a careful user would (interrupted runs,
reused folders, empty splits, damaged checkpoints, bad arguments). End-to-end scenarios with
real processes (kill -9, a full tmpfs) are in ``benchmarks/faults.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from seqdrop import presets
from seqdrop.cli import main as seqdrop_main
from seqdrop.data import load_digits_rows, load_ptb
from seqdrop.io import OutputError, RunFolderError
from seqdrop.models import RNNLanguageModel, SequenceClassifier
from seqdrop.errors import ParameterError
from seqdrop.presets import reproduce
from seqdrop.train import CheckpointError, EmptySplitError, TrainConfig, Trainer, fit
from seqdrop.utils import seed_everything

TINY = dict(
    max_steps=2, max_eval_batches=2, device="cpu", progress=False, verbose=False,
    model_overrides=dict(embedding_size=8, hidden_size=8), data_overrides=dict(max_tokens=3000),
)
CFG = TrainConfig(epochs=1, batch_size=8, eval_batch_size=8, bptt=10, max_eval_batches=2, seed=0)


def _tiny(out, **kw):
    return reproduce("zaremba-small", out, **{**TINY, **kw})


@pytest.fixture(scope="module")
def corpus():
    return load_ptb("char", max_tokens=3000)


def _lm() -> RNNLanguageModel:
    seed_everything(0)
    return RNNLanguageModel(50, 8, 8, 1, init_range=0.1)


def _cli(argv: list[str]) -> int:
    return seqdrop_main(["train", *argv, "--no-progress", "--device", "cpu"])


# 1. re-running into a folder that holds a run -------------------------------------------------
def test_rerun_into_a_finished_run_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    _tiny(out, max_steps=3)
    before = {n: (out / n).read_bytes() for n in ("checkpoint.pt", "best.pt", "history.json", "result.json")}
    with pytest.raises(RunFolderError, match=r"already holds a run.*--resume.*--overwrite.*new folder"):
        _tiny(out)
    assert _cli(["--out", str(out), "--max-steps", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "--overwrite" in err and "\n" not in err
    assert {n: (out / n).read_bytes() for n in before} == before  # nothing was touched
    with pytest.raises(RunFolderError):
        fit(_lm(), load_ptb("char", max_tokens=3000), CFG, out_dir=out, progress=False)
    assert _tiny(out, overwrite=True)["steps"] == 2  # explicit: replaced


# 2. two runs started in the same second ------------------------------------------------------
def test_default_run_folders_are_unique(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "runs_dir", lambda: tmp_path)
    monkeypatch.setattr(time, "strftime", lambda fmt: "20261128-120000")
    a, b = _tiny(None, seed=1), _tiny(None, seed=2)
    assert a["out"] != b["out"]
    for r, seed in ((a, 1), (b, 2)):
        assert json.loads((tmp_path / "train" / os.path.basename(r["out"]) / "result.json").read_text())["seed"] == seed


# 4. output problems are found before the work ------------------------------------------------
def test_unwritable_output_fails_before_any_work(tmp_path, monkeypatch, corpus):
    afile = tmp_path / "afile"
    afile.write_text("x")

    def no_data(*a, **k):
        raise AssertionError("data was loaded before the output folder was checked")

    monkeypatch.setattr(presets, "load_dataset", no_data)
    with pytest.raises(OutputError, match="afile is a file"):
        _tiny(afile)
    with pytest.raises(ParameterError, match="max_steps"):  # bad arguments: also before the data
        _tiny(tmp_path / "ok", max_steps=0)
    model = _lm()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(OutputError, match="afile"):
        fit(model, corpus, CFG, out_dir=afile / "sub", progress=False)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # no epoch was run


# 5. orphaned temporary files ------------------------------------------------------------------
def test_stale_temps_are_removed_on_the_next_run(tmp_path):
    out = tmp_path / "run"
    _tiny(out, max_steps=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [out / f"checkpoint.pt.{dead.pid}.abcd1234.seqdrop-tmp", out / "best.pt.k2j4h5g6.tmp"]
    for p in stale:
        p.write_bytes(b"\0" * (1 << 20))
    (out / "mine.tmp").write_text("not ours")
    _tiny(out, max_steps=2, resume=True)
    assert not any(p.exists() for p in stale) and (out / "mine.tmp").exists()


# 6. zero evaluated tokens / samples is an error, never a metric -----------------------------
@pytest.mark.parametrize("bad", [0, -1])
def test_max_eval_batches_below_one_is_rejected(bad):
    with pytest.raises(ParameterError, match="max_eval_batches"):
        TrainConfig(max_eval_batches=bad)


def test_empty_validation_split_refuses_best_model_selection():
    data = load_digits_rows(fractions=(0.75, 0.0, 0.25))
    seed_everything(0)
    cfg = TrainConfig(epochs=2, batch_size=64, optimizer="adam", lr=1e-2)
    with pytest.raises(Exception, match=r"validation split is empty.*select='last'") as info:
        fit(SequenceClassifier(8, 8, 10), data, cfg, progress=False)
    assert info.type.__name__ == "DataError"
    res = fit(SequenceClassifier(8, 8, 10), data, cfg, select="last", progress=False)
    assert not any(c.startswith("val_") for c in res.history.columns)
    assert res.best["epoch"] == 2 and 0.0 < res.best["test_acc"] <= 1.0
    with pytest.raises(KeyError, match="val_ppl"):
        res.val_ppl


def test_evaluating_nothing_raises(corpus):
    t = Trainer(_lm(), corpus, CFG, progress=False)
    assert t.evaluate("valid")["val_ppl"] > 1.0
    with pytest.raises(EmptySplitError, match="no tokens were evaluated on the valid split"):
        t.evaluate("valid", max_batches=0)
    short = load_ptb("char", max_tokens=3000)
    short.valid = short.valid[:5]  # too short for one batch of 8 columns
    with pytest.raises(Exception, match="validation split is empty"):
        Trainer(_lm(), short, CFG, progress=False)


# 7. checkpoints are verified -----------------------------------------------------------------
def _damage(path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "flipped":
        mid = len(data) // 2
        data[mid : mid + 64] = bytes(b ^ 0xFF for b in data[mid : mid + 64])
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "random":
        data = bytearray(os.urandom(len(data)))
    elif how == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["flipped", "truncated", "random", "empty"])
def test_damaged_checkpoint_is_one_clear_error(tmp_path, corpus, capsys, how):
    out = tmp_path / "run"
    fit(_lm(), corpus, CFG, out_dir=out, progress=False)
    ckpt = out / "checkpoint.pt"
    assert torch.load(ckpt, weights_only=True)["format"] == "seqdrop.checkpoint"
    _damage(ckpt, how)
    with pytest.raises(CheckpointError, match=rf"{ckpt}.*(SHA-256|cannot be read|empty).*--overwrite"):
        fit(_lm(), corpus, CFG, out_dir=out, resume=True, epochs=2, progress=False)


def test_crafted_checkpoint_cannot_run_code(tmp_path, corpus):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    out = tmp_path / "run"
    out.mkdir()
    torch.save({"format": "seqdrop.checkpoint", "version": 1, "payload": Evil()}, out / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="cannot be read"):
        fit(_lm(), corpus, CFG, out_dir=out, resume=True, progress=False)
    assert not marker.exists()


def test_cli_resume_from_damaged_checkpoint_prints_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    _tiny(out, max_steps=1)
    _damage(out / "checkpoint.pt", "flipped")
    assert _cli(["--out", str(out), "--max-steps", "2", "--resume"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: checkpoint {out / 'checkpoint.pt'} failed its SHA-256 check") and "\n" not in err


# 8. one validation path ----------------------------------------------------------------------
def test_config_names_every_bad_field_with_its_range():
    with pytest.raises(ParameterError) as info:
        TrainConfig(clip=-1.0, max_steps=0, lr=0.0, epochs=0, batch_size=-2, bptt=0, patience=0, optimizer="sgdd")
    msg = str(info.value)
    for name in ("clip", "max_steps", "lr", "epochs", "batch_size", "bptt", "patience", "optimizer"):
        assert f"'{name}'" in msg, name
    assert "[0, inf)" in msg and "(0, inf)" in msg
    with pytest.raises(ParameterError, match="'epochs' = 2.5"):
        TrainConfig(epochs=2.5)
    with pytest.raises(ParameterError, match="unknown TrainConfig fields"):
        fit(_lm(), load_ptb("char", max_tokens=3000), CFG, learning_rate=0.1)
    assert TrainConfig(clip=None).clip is None and TrainConfig(clip=0).clip == 0.0


def test_cli_max_steps_zero_is_refused(tmp_path, capsys):
    assert _cli(["--out", str(tmp_path / "r"), "--max-steps", "0"]) == 2
    err = capsys.readouterr().err
    assert ("max_steps" in err or "--max-steps" in err) and not (tmp_path / "r").exists()


def test_a_dropout_of_one_is_refused_whatever_else_is_set():
    from seqdrop.nn import RecurrentDropout

    for extra in ({}, {"recurrent_dropout": 0.2}):
        for site in ("model_output_dropout", "dropout"):
            with pytest.raises(ParameterError, match=rf"'{site}' = 1.0"):
                RNNLanguageModel(10, 4, 4, 2, dropouts=RecurrentDropout(**{site: 1.0, **extra}))


@pytest.mark.slow
def test_fault_scenarios_end_to_end():
    """benchmarks/faults.py, the scenarios that need real processes: kill -9 in training and in a
    checkpoint write, two runs at once (the other rows have in-process twins above)."""
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "faults.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, str(script), "--processes-only"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1200, env=env)
    assert proc.returncode == 0 and " NO " not in proc.stdout, proc.stdout + proc.stderr[-3000:]
    assert proc.stdout.count(" yes ") == 3, proc.stdout
