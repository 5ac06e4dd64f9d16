"""Running the paper presets for a reproduction: in full, or shortened to fit a course budget.

- :func:`course_overrides` shortens a preset (fewer epochs, a slice of PTB, narrower layers)
  and :func:`planned_schedule` describes that change before anything runs;
- :func:`reproduction_trial` is a sweep trial (one preset, one seed) that trains through
  :func:`seqdrop.presets.reproduce` into its own run folder, or reads a finished one back,
  and optionally scores the selected model with Monte-Carlo dropout;
- :func:`measure_throughput` times a preset at full size; :func:`full_schedule_hours` turns
  that into the hours its published schedule takes.

Chapters: 09.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._validation import check_bool, check_choice, check_float, check_int
from ..data import load_dataset
from ..io import atomic_write_json
from ..presets import PRESETS, RESULT, build_model, get_preset, reproduce, train_config
from ..sweep.spec import trial_function
from ..train.trainer import BEST, CHECKPOINT, HISTORY
from ..utils import pick_device
from .lm_scores import mc_and_ws_perplexity, unigram_perplexity
from .reproductions import MC_RESULT, PTB_TRAIN_TOKENS, describe_schedule, read_result

__all__ = ["course_overrides", "planned_schedule", "shortening_sentence", "unigram_baseline",
           "reproduction_trial", "measure_throughput", "full_schedule_hours"]


def course_overrides(name: str, *, width: float = 1.0, train_tokens: int | None = None,
                     epochs: int | None = None, eval_batches: int | None = None) -> dict[str, Any]:
    """Keyword arguments of :func:`~seqdrop.presets.reproduce` that shorten preset ``name``.

    ``width`` scales the embedding and hidden sizes (at least 8 units), ``train_tokens`` keeps
    the first words of each PTB split, ``epochs`` replaces the schedule's length and
    ``eval_batches`` caps the validation/test windows. The defaults change nothing.
    """
    preset = get_preset(name)
    kwargs: dict[str, Any] = {}
    if width != 1.0:
        kwargs["model_overrides"] = {k: max(8, round(preset.model[k] * width))
                                     for k in ("embedding_size", "hidden_size")}
    if train_tokens is not None:
        kwargs["data_overrides"] = {"max_tokens": train_tokens}
    if epochs is not None:
        kwargs["epochs"] = epochs
    if eval_batches is not None:
        kwargs["max_eval_batches"] = eval_batches
    return kwargs


def planned_schedule(name: str, **shortening: Any) -> dict[str, Any]:
    """:func:`describe_schedule` of the run that :func:`course_overrides` would make."""
    kw = course_overrides(name, **shortening)
    train = {k: kw[k] for k in ("epochs", "max_eval_batches") if k in kw}
    return describe_schedule({"preset": name, "overrides": {
        "train": train, "model": kw.get("model_overrides", {}),
        "data": kw.get("data_overrides", {})}})


def shortening_sentence(names: list[str], *, width: float = 1.0, train_tokens: int | None = None,
                        epochs: int | None = None, eval_batches: int | None = None) -> str:
    """One phrase saying how :func:`course_overrides` shortens the presets ``names``."""
    published = sorted({get_preset(n).train["epochs"] for n in names})
    span = f"{published[0]}" if len(published) == 1 else f"{published[0]}–{published[-1]}"
    parts = []
    if epochs is not None:
        parts.append(f"{epochs} epoch{'s' * (epochs != 1)} instead of the published {span}")
    if train_tokens is not None and train_tokens < PTB_TRAIN_TOKENS:
        parts.append(f"the first {train_tokens:,} words of each split instead of all "
                     f"{PTB_TRAIN_TOKENS:,} training words")
    if width != 1.0:
        parts.append(f"{width:.0%} of the published embedding and hidden units")
    if eval_batches is not None:
        parts.append(f"validation and test scored on {eval_batches} windows")
    return "; ".join(parts) if parts else "the published schedules"


def _run_folder(config: dict[str, Any]) -> Path:
    """A folder per (preset, schedule, seed), so a changed schedule never reuses a run."""
    root = Path(config["runs_root"]) if config["runs_root"] else Path("runs") / "train"
    keys = ("preset", "width", "train_tokens", "epochs", "eval_batches", "seed")
    digest = hashlib.sha1(json.dumps([config[k] for k in keys]).encode()).hexdigest()[:8]
    return root / f"{config['preset']}-seed{config['seed']}-{digest}"


def _throughput(folder: Path) -> float:
    """Training words per second of a run (its ``history.json``), NaN if not recorded."""
    try:
        history = json.loads((folder / HISTORY).read_text())["history"]
        seconds = sum(r["train_seconds"] for r in history)
        return sum(r["train_tokens"] for r in history) / seconds if seconds else math.nan
    except (OSError, ValueError, KeyError, TypeError):
        return math.nan


def measure_throughput(name: str, folder: str | Path, *, steps: int = 2,
                       device: str = "auto") -> float:
    """Training words per second of preset ``name`` at its full size, over ``steps`` optimizer
    steps of a capped run in ``folder`` (the first step's start-up cost included). A folder
    that already holds the timing run is read back; the run's weights are not kept."""
    folder = Path(folder)
    if not (folder / RESULT).exists():
        c = train_config(name)
        words = round(c.batch_size * c.bptt * 1.5) * (steps + 2)  # AWD: windows vary
        reproduce(name, folder, progress=False, verbose=False, device=device, max_steps=steps,
                  max_eval_batches=1,
                  data_overrides={"max_tokens": max(words, 4 * c.eval_batch_size * c.bptt)})
    for weights in (CHECKPOINT, BEST):
        (folder / weights).unlink(missing_ok=True)
    return _throughput(folder)


def full_schedule_hours(name: str, tokens_per_s: float) -> float:
    """Hours to train preset ``name``'s published schedule (its epochs × PTB's training words)
    at ``tokens_per_s``; evaluation, a few % more, is not counted."""
    return train_config(name).epochs * PTB_TRAIN_TOKENS / tokens_per_s / 3600


@trial_function(
    defaults=dict(preset="zaremba-small", width=1.0, train_tokens=None, epochs=None,
                  eval_batches=None, mc_samples=0, runs_root=None, device="auto",
                  keep_weights=True),
    checks=dict(
        preset=lambda k, v: check_choice(k, v, list(PRESETS)),
        width=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
        train_tokens=lambda k, v: v if v is None else check_int(k, v, 1_000, PTB_TRAIN_TOKENS),
        epochs=lambda k, v: v if v is None else check_int(k, v, 1, 10_000),
        eval_batches=lambda k, v: v if v is None else check_int(k, v, 1, 100_000),
        mc_samples=lambda k, v: check_int(k, v, 0, 100_000),
        keep_weights=check_bool,
    ),
)
def reproduction_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train preset ``config['preset']`` for one seed (or read its finished run back).

    Metrics: ``val_ppl``/``test_ppl`` at the best epoch, ``steps``, ``tokens_per_s`` and
    ``run_dir``; with ``mc_samples`` > 0 also ``mc_test_ppl`` and the weight-scaling
    ``ws_test_ppl`` on the same windows (kept in ``mc.json`` in the run folder). With
    ``keep_weights=False`` the finished run's ``checkpoint.pt`` and ``best.pt`` are deleted.
    """
    c = config
    folder = _run_folder(c)
    if (folder / RESULT).exists():
        result = read_result(folder / RESULT)
    else:
        kwargs = course_overrides(c["preset"], width=c["width"], train_tokens=c["train_tokens"],
                                  epochs=c["epochs"], eval_batches=c["eval_batches"])
        result = reproduce(c["preset"], folder, resume=(folder / CHECKPOINT).exists(),
                           progress=False, verbose=False, seed=c["seed"], device=c["device"],
                           **kwargs)
    out = {"val_ppl": result["measured"]["val_ppl"], "test_ppl": result["measured"]["test_ppl"],
           "steps": result["steps"], "tokens_per_s": _throughput(folder),
           "run_dir": str(folder)}
    if c["mc_samples"]:
        out |= _mc_evaluate(folder, result, c["mc_samples"], c["seed"], c["device"])
    if not c["keep_weights"]:  # a finished course run: its weights are not worth the disk
        for name in (CHECKPOINT, BEST):
            (folder / name).unlink(missing_ok=True)
    return out


def unigram_baseline(result: dict[str, Any]) -> float:
    """Perplexity of a context-free (unigram) model on the test windows a run was scored on,
    from the data and evaluation overrides recorded in its ``result.json``."""
    preset = get_preset(result["preset"])
    overrides = result.get("overrides") or {}
    corpus = load_dataset(preset.data, **(overrides.get("data") or {}))
    c = train_config(preset, **(overrides.get("train") or {}))
    return unigram_perplexity(corpus.train, corpus.test, corpus.vocab_size,
                              batch_size=c.eval_batch_size, bptt=c.bptt,
                              max_batches=c.max_eval_batches)


def _rebuild(folder: Path, result: dict[str, Any]) -> tuple[nn.Module, Any, Any]:
    """The run's selected model (``best.pt``), its corpus and its training config."""
    preset = get_preset(result["preset"])
    overrides = result.get("overrides") or {}
    corpus = load_dataset(preset.data, **(overrides.get("data") or {}))
    model = build_model(preset, corpus.vocab_size, **(overrides.get("model") or {}))
    model.load_state_dict(torch.load(folder / BEST, map_location="cpu", weights_only=True))
    return model, corpus, train_config(preset, **(overrides.get("train") or {}))


def _mc_evaluate(folder: Path, result: dict[str, Any], n_samples: int, seed: int,
                 device: str) -> dict[str, Any]:
    done = folder / MC_RESULT
    if done.exists():
        saved = json.loads(done.read_text())
        if saved.get("n_samples") == n_samples:
            return {k: saved[k] for k in ("ws_test_ppl", "mc_test_ppl", "mc_seconds")}
    if not (folder / BEST).exists():
        return {}  # the weights were not kept: nothing to score
    model, corpus, config = _rebuild(folder, result)
    model.to(pick_device(device))
    t0 = time.perf_counter()
    ws, mc = mc_and_ws_perplexity(model, corpus.test, n_samples=n_samples,
                           batch_size=config.eval_batch_size,
                           bptt=config.bptt, max_batches=config.max_eval_batches, seed=seed)
    out = {"ws_test_ppl": ws, "mc_test_ppl": mc, "mc_seconds": time.perf_counter() - t0}
    atomic_write_json(done, {**out, "n_samples": n_samples})
    return out
