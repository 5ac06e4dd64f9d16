"""Resuming is honest: a capped run stays capped or finishes its work, a finished run is never
restarted by ``--resume``, a checkpoint resumes only the model it was made for, every saved
weight file is verified, and a refused run is one line that leaves no empty folder behind.

(Issue 20, items 2, 3, 6, 8 and 10; the process-level twins are rows of ``benchmarks/faults.py``.)
"""
from __future__ import annotations

import hashlib
import io
import json
import time

import pytest
import torch

from seqdrop import presets
from seqdrop.cli import main as seqdrop_main
from seqdrop.data import load_ptb
from seqdrop.errors import ParameterError, SeqdropError
from seqdrop.io import RunFolderError
from seqdrop.models import RNNLanguageModel
from seqdrop.presets import reproduce
from seqdrop import train as sdtrain
from seqdrop.train import CheckpointError, TrainConfig, fit, load_checkpoint
from seqdrop.train.checkpoint import FORMAT, VERSION
from seqdrop.utils import seed_everything

TIMING = ("seconds", "train_seconds", "tokens_per_s")
TINY = dict(
    device="cpu", progress=False, verbose=False,
    model_overrides=dict(embedding_size=8, hidden_size=8), data_overrides=dict(max_tokens=3000),
)
PER_EPOCH = 8  # training windows of the tiny zaremba-small run (3000 words, batch 20, bptt 20)


def _tiny(out, **kw):
    return reproduce("zaremba-small", out, **{**TINY, **kw})


def _history(out) -> list[dict]:
    rows = json.loads((out / "history.json").read_text())["history"]
    return [{k: v for k, v in r.items() if k not in TIMING} for r in rows]


def _files(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _cli(argv: list[str]) -> int:
    return seqdrop_main(["train", *argv, "--no-progress"])


# item 2: caps are part of the run's state ---------------------------------------------------
def test_resuming_a_capped_run_finishes_the_work_to_the_same_numbers(tmp_path):
    full = _tiny(tmp_path / "full", epochs=2)
    assert full["steps"] == 2 * PER_EPOCH and full["stopped"] == "completed" and not full["capped"]
    out = tmp_path / "capped"
    capped = _tiny(out, epochs=2, max_steps=PER_EPOCH + 3)  # cut inside epoch 2
    assert capped["stopped"] == "max_steps" and capped["capped"] and capped["steps"] == PER_EPOCH + 3
    resumed = _tiny(out, epochs=2, resume=True)  # the cap lifted: epoch 2 is finished
    assert resumed["stopped"] == "completed" and not resumed["capped"]
    assert resumed["steps"] == 2 * PER_EPOCH
    assert _history(out) == _history(tmp_path / "full")  # as if never cut
    assert resumed["measured"] == full["measured"]
    doc = json.loads((out / "result.json").read_text())
    runs = doc["invocations"]
    assert [r["overrides"]["train"].get("max_steps") for r in runs] == [PER_EPOCH + 3, None]
    assert doc["wall_seconds"] == pytest.approx(sum(r["wall_seconds"] for r in runs))
    assert runs[0]["wall_seconds"] > 0 and runs[1]["wall_seconds"] > 0


def test_resuming_a_capped_run_under_the_same_cap_stays_capped(tmp_path):
    out = tmp_path / "capped"
    first = _tiny(out, epochs=2, max_steps=PER_EPOCH + 3)
    again = _tiny(out, epochs=2, max_steps=PER_EPOCH + 3, resume=True)
    assert again["stopped"] == "max_steps" and again["capped"] and again["steps"] == PER_EPOCH + 3
    assert again["measured"] == first["measured"]
    # a cap that ends inside the first epoch: the cut epoch is not counted as done
    out2 = tmp_path / "short"
    _tiny(out2, epochs=1, max_steps=3)
    done = _tiny(out2, epochs=1, resume=True)
    assert done["stopped"] == "completed" and done["steps"] == PER_EPOCH and not done["capped"]


def test_capped_resume_cannot_shrink_below_the_cut_epoch(tmp_path, capsys):
    out = tmp_path / "capped"
    _tiny(out, epochs=2, max_steps=PER_EPOCH + 3)
    before = _files(out)
    with pytest.raises(ParameterError, match="inside epoch 2"):
        _tiny(out, epochs=1, resume=True)
    assert _files(out) == before


# item 3: every saved weight file is verified -------------------------------------------------
def test_best_weights_carry_a_digest_and_a_damaged_file_is_refused(tmp_path):
    out = tmp_path / "run"
    _tiny(out, max_steps=2)
    best = out / "best.pt"
    weights = sdtrain.load_weights(best)
    assert set(weights) == set(load_checkpoint(out / "checkpoint.pt")["model"])
    data = bytearray(best.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(b ^ 0xFF for b in data[mid:mid + 64])
    best.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=rf"{best}.*SHA-256"):
        sdtrain.load_weights(best)


def test_the_course_loads_best_weights_through_the_verifying_loader(tmp_path):
    from seqdrop.course import reproduction_runs

    out = tmp_path / "run"
    result = _tiny(out, max_steps=2)
    model, _, _ = reproduction_runs._rebuild(out, result)  # notebook 09's MC evaluation
    assert all(torch.equal(v, sdtrain.load_weights(out / "best.pt")[k]) for k, v in model.state_dict().items())
    torch.save(model.state_dict(), out / "best.pt")  # a bare state_dict: not verified
    with pytest.raises(CheckpointError, match="best.pt"):
        reproduction_runs._rebuild(out, result)


# item 6: --resume without a checkpoint never restarts a finished run ------------------------
def test_resume_without_a_checkpoint_refuses_a_finished_run(tmp_path, capsys):
    out = tmp_path / "run"
    _tiny(out, max_steps=2)
    (out / "checkpoint.pt").unlink()  # keep_weights=False, a user freeing disk, the error's "delete it"
    before = _files(out)
    with pytest.raises(RunFolderError, match=r"no checkpoint\.pt.*--overwrite"):
        _tiny(out, max_steps=2, resume=True)
    assert _files(out) == before
    assert _cli(["--out", str(out), "--resume", "--device", "cpu", "--max-steps", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "--overwrite" in err and "\n" not in err
    assert _files(out) == before
    assert _tiny(out, max_steps=2, overwrite=True)["steps"] == 2  # asked for: replaced


# item 8: a checkpoint resumes only its own model --------------------------------------------
def test_resume_as_another_model_is_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    _tiny(out, max_steps=2)
    before = _files(out)
    with pytest.raises(SeqdropError, match=r"zaremba-small.*zaremba-small-gru"):
        reproduce("zaremba-small-gru", out, resume=True, max_steps=4, **{k: v for k, v in TINY.items()})
    with pytest.raises(SeqdropError, match="hidden_size"):
        _tiny(out, resume=True, max_steps=4, model_overrides=dict(embedding_size=8, hidden_size=12))
    assert _files(out) == before
    # fit() on its own: another architecture is refused before load_state_dict
    corpus = load_ptb("char", max_tokens=3000)
    cfg = TrainConfig(epochs=1, batch_size=8, eval_batch_size=8, bptt=10, max_eval_batches=2)
    seed_everything(0)
    fit(RNNLanguageModel(50, 8, 8, 1), corpus, cfg, out_dir=tmp_path / "fit", progress=False)
    with pytest.raises(CheckpointError, match="another model"):
        fit(RNNLanguageModel(50, 8, 8, 1, cell="gru"), corpus, cfg, out_dir=tmp_path / "fit", resume=True,
            epochs=2, progress=False)


def test_resume_without_out_never_picks_a_twin_presets_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(presets, "runs_dir", lambda: tmp_path)
    gru = reproduce("zaremba-small-gru", None, max_steps=2, **TINY)
    assert "zaremba-small-gru-" in gru["out"]
    with pytest.raises(RunFolderError, match="no earlier run of zaremba-small "):
        _tiny(None, resume=True, max_steps=4)
    mine = _tiny(None, max_steps=2)
    time.sleep(0.01)
    again = _tiny(None, resume=True, max_steps=3)
    assert again["out"] == mine["out"] and again["steps"] == 3


# item 10: tracebacks become one line, and a refused run leaves no empty folder ---------------
@pytest.mark.parametrize("argv, needle", [
    (["--seed", str(2**64)], "seed"),
    (["--device", "meta"], "meta"),
    (["--device", "mps"], "mps"),
])
def test_cli_refuses_bad_runs_in_one_line_before_making_a_folder(tmp_path, capsys, argv, needle):
    out = tmp_path / "run"
    assert _cli(["--out", str(out), "--max-steps", "1", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and needle in err and "\n" not in err
    assert not out.exists()


def test_a_seed_beyond_the_epoch_generator_range_trains(tmp_path):
    result = _tiny(tmp_path / "run", max_steps=1, seed=2**62)  # seed · 1_000_003 > 2**64
    assert result["steps"] == 1 and result["seed"] == 2**62


def test_a_digest_valid_but_unloadable_checkpoint_is_one_error(tmp_path):
    from seqdrop.io import atomic_torch_save

    payload = b"not a torch file at all" * 10
    wrapped = {"format": FORMAT, "version": VERSION, "sha256": hashlib.sha256(payload).hexdigest(),
               "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}
    path = atomic_torch_save(wrapped, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError, match=rf"{path}.*cannot be read"):
        load_checkpoint(path)
    buf = io.BytesIO()
    torch.save({"model": {"w": torch.zeros(1)}}, buf)  # loads, but is not a training state
    payload = buf.getvalue()
    wrapped["sha256"], wrapped["payload"] = (hashlib.sha256(payload).hexdigest(),
                                             torch.frombuffer(bytearray(payload), dtype=torch.uint8))
    atomic_torch_save(wrapped, path)
    corpus = load_ptb("char", max_tokens=3000)
    cfg = TrainConfig(epochs=1, batch_size=8, eval_batch_size=8, bptt=10, max_eval_batches=2)
    with pytest.raises(CheckpointError, match=str(path)):
        fit(RNNLanguageModel(50, 8, 8, 1), corpus, cfg, out_dir=tmp_path, resume=True, progress=False)


@pytest.mark.parametrize("kwargs, needle", [
    (dict(model_overrides=dict(hiden_size=8)), "hiden_size"),
    (dict(data_overrides=dict(max_tokenz=3000)), "max_tokenz"),
    (dict(epochz=2), "epochz"),
])
def test_reproduce_override_typos_are_refused_before_a_folder_exists(tmp_path, kwargs, needle):
    out = tmp_path / "run"
    with pytest.raises(ParameterError, match=needle):
        reproduce("zaremba-small", out, max_steps=1, device="cpu", progress=False, verbose=False, **kwargs)
    assert not out.exists()


def test_a_run_refused_after_its_folder_was_made_removes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "runs_dir", lambda: tmp_path)

    def broken(*a, **k):
        raise presets.SeqdropError("the data cannot be read")

    monkeypatch.setattr(presets, "load_dataset", broken)
    for out in (None, tmp_path / "mine"):
        with pytest.raises(SeqdropError, match="cannot be read"):
            _tiny(out, max_steps=1)
    assert not (tmp_path / "mine").exists()
    assert list((tmp_path / "train").iterdir()) == []


def test_cli_max_tokens_trains_on_a_slice_and_says_it_is_not_comparable(tmp_path, capsys):
    out = tmp_path / "run"
    assert _cli(["--out", str(out), "--max-tokens", "3000", "--epochs", "1", "--device", "cpu"]) == 0
    doc = json.loads((out / "result.json").read_text())
    assert doc["overrides"]["data"] == {"max_tokens": 3000} and doc["steps"] == 8 and not doc["capped"]
    assert "shortened data: not comparable" in capsys.readouterr().out
