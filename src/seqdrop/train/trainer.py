"""The epoch loop: train, evaluate, select the best epoch, checkpoint, resume (see :mod:`seqdrop.train`).

A cap (``max_steps``) is part of the run's state. An epoch the cap cuts short is evaluated and
recorded with ``partial=True``, but it is not counted as done: the checkpoint keeps the position
inside the epoch (batches done, running sums, the carried hidden state), so a resumption with
the cap lifted finishes that epoch and ends with the numbers of a run that was never cut, and a
resumption under the same cap stays ``stopped="max_steps"``. A partial epoch makes no epoch-level
decision (no plateau decay, no NT-ASGD switch, no early-stopping count) and is selected as the
best epoch only when no complete epoch is (or with ``select="last"``). Each call of
:meth:`Trainer.fit` on the run is kept in ``invocations`` (its caps, steps and wall time).
"""
from __future__ import annotations

import itertools
import math
import os
import time
from datetime import datetime, timezone
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from ..data.cache import DataError
from ..io import RunFolderError, RunLock, atomic_write_json, claim_run_dir, remove_stale_temps, run_files
from ..errors import ParameterError
from ..utils import pick_device, seed_everything
from .checkpoint import (
    CheckpointError, load_checkpoint, module_generators, rng_state, save_checkpoint, save_weights, set_rng_state,
)
from .config import TrainConfig, TrainResult
from .optim import FiniteGuard, averaged_weights, make_optimizer, ntasgd_should_switch, penalty, plateau_decay, step_lr
from .tasks import Sums, Task, add_sums, make_task

__all__ = ["Trainer", "CHECKPOINT", "HISTORY", "BEST"]

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
BEST = "best.pt"
Callback = Callable[["Trainer", dict[str, Any]], "bool | None"]
# may change between the interrupted run and its resumption
_RESUMABLE = {"epochs", "max_steps", "device", "max_eval_batches", "log_interval", "check_finite_every"}
CAPS = ("epochs", "max_steps", "max_eval_batches")  # what an invocation may ask for differently


def model_signature(model: nn.Module) -> dict[str, Any]:
    """The model's class and parameter/buffer shapes: a checkpoint resumes only this model."""
    cls = type(model)
    return {"class": f"{cls.__module__}.{cls.__qualname__}",
            "shapes": {k: list(v.shape) for k, v in model.state_dict().items()}}


def _signature_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("class") != new.get("class"):
        return f"a {old.get('class')}, not a {new.get('class')}"
    o, n = old.get("shapes", {}), new.get("shapes", {})
    diff = sorted(k for k in o.keys() | n.keys() if o.get(k) != n.get(k))
    shown = ", ".join(f"{k} {o.get(k)} vs {n.get(k)}" for k in diff[:3])
    return f"other parameters ({shown}{', ...' if len(diff) > 3 else ''})"


def _seed_of_epoch(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch``'s data order, in the range torch.Generator takes (any seed ≥ 0)."""
    return (seed * 1_000_003 + epoch) % 2**64


class Trainer:
    """Runs the epoch loop; see :func:`seqdrop.train.fit`. Attributes are public for callbacks."""

    def __init__(
        self,
        model: nn.Module,
        data: Any,
        config: TrainConfig | None = None,
        *,
        out_dir: str | os.PathLike[str] | None = None,
        progress: bool = True,
        callbacks: Iterable[Callback] = (),
        verbose: bool | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.config = cfg = config or TrainConfig()
        self.device = pick_device(cfg.device)
        self.data = data
        self.task: Task = make_task(data, cfg, self.device)
        self._check_selection()
        self.model = model.to(self.device)
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.progress = progress
        self.verbose = progress if verbose is None else verbose
        self.callbacks = list(callbacks)
        self.lr = cfg.lr
        self.asgd = False
        self.optimizer = make_optimizer(self._params(), cfg, self.lr, asgd=False)
        self.epoch = 0  # completed epochs
        self.step = 0  # optimizer steps so far
        self.history: list[dict[str, Any]] = []
        self.best_val = math.inf
        self.best_epoch = 0
        self.bad_epochs = 0
        self.plateau_bad = 0
        self.val_losses: list[float] = []
        self.stopped = ""
        self.partial: dict[str, Any] | None = None  # position inside an epoch a cap cut short
        self.invocations: list[dict[str, Any]] = []
        self.meta = dict(meta or {})  # what the run is of (e.g. preset and model arguments); checked on resume
        self._cut: dict[str, Any] | None = None
        check = cfg.check_finite_every
        self.check_every = check if check else (25 if self.device.type == "cuda" else 1)

    # ------------------------------------------------------------------ setup
    def _check_selection(self) -> None:
        """Without validation data nothing can pick a "best" epoch: refuse unless told to keep the last."""
        if self.task.has("valid"):
            return
        c = self.config
        needs = [name for name, on in (
            ("select='val'", c.select == "val"), ("early stopping (patience)", c.patience is not None),
            ("lr_schedule='plateau'", c.lr_schedule == "plateau"), ("optimizer='ntasgd'", c.optimizer == "ntasgd"),
        ) if on]
        if needs:
            raise DataError(
                f"the validation split is empty, but {', '.join(needs)} needs validation data; give the data a "
                "validation split, or train with select='last' (keep the last epoch) and none of the others"
            )

    def _params(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def _say(self, msg: str) -> None:
        if self.verbose:
            from tqdm.auto import tqdm

            tqdm.write(msg)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _after_validation(self, val_loss: float) -> None:
        """Plateau decay and the NT-ASGD switch, from this epoch's validation loss."""
        c = self.config
        improved = val_loss < self.best_val - c.min_delta
        self.lr, self.plateau_bad = plateau_decay(c, self.lr, self.plateau_bad, improved)
        if c.optimizer == "ntasgd" and not self.asgd and ntasgd_should_switch(self.val_losses, val_loss, c.nonmono):
            self.asgd = True
            self.optimizer = make_optimizer(self._params(), c, self.lr, asgd=True)
            self._say(f"epoch {self.epoch}: switching to ASGD (NT-ASGD, nonmono={c.nonmono})")
        self.val_losses.append(val_loss)

    # ------------------------------------------------------------------ one epoch
    def _train_epoch(self, bar: Any, start: dict[str, Any] | None = None) -> dict[str, Any]:
        """Train one epoch; ``start``: continue a cut epoch from its saved position."""
        c, task = self.config, self.task
        self.model.train()
        gen = torch.Generator().manual_seed(_seed_of_epoch(c.seed, self.epoch + 1))
        guard = FiniteGuard(self.check_every)
        sums: Sums = dict(start["sums"]) if start else {}
        carry: Any = start["carry"] if start else None
        skip = start["batches"] if start else 0
        params = self._params()
        self._cut = None
        for i, batch in enumerate(task.train_batches(gen), start=1):
            if i <= skip:  # done before the cut; drawing the batches keeps the generator in step
                continue
            if c.max_steps is not None and self.step >= c.max_steps:
                self.stopped = "max_steps"
                self._cut = {"batches": i - 1, "sums": _detached(sums), "carry": _detached(carry)}
                break
            for g in self.optimizer.param_groups:
                g["lr"] = self.lr * getattr(batch, "lr_scale", 1.0)
            self.optimizer.zero_grad(set_to_none=True)
            loss, carry, step_sums = task.step(self.model, batch, carry, train=True)
            loss = loss + penalty(self.model, c.l1, c.l2)
            add_sums(sums, step_sums)
            self.step += 1
            guard.add(i, loss)
            guard.check(epoch=self.epoch + 1, global_step=self.step, lr=self.lr, clip=c.clip)
            loss.backward()
            if c.clip:
                nn.utils.clip_grad_norm_(params, c.clip)
            self.optimizer.step()
            if bar is not None:
                bar.update(1)
                if i % c.log_interval == 0:
                    bar.set_postfix(task.postfix(task.metrics("train", sums)) | {"lr": f"{self.lr:.3g}"})
        guard.check(epoch=self.epoch + 1, global_step=self.step, lr=self.lr, clip=c.clip, force=True)
        out: dict[str, Any] = task.metrics("train", sums)
        out["train_tokens"], out["train_items"] = int(sums["tokens"]), int(sums["n"])
        out["partial"] = self._cut is not None
        return out

    @torch.no_grad()
    def evaluate(self, split: str = "valid", *, max_batches: int | None = None) -> dict[str, float]:
        """The task's metrics on ``split`` with dropout off (averaged weights under ASGD).

        Raises :class:`~seqdrop.train.EmptySplitError` when nothing would be evaluated.
        """
        model, was_training = self.model, self.model.training
        limit = max_batches if max_batches is not None else self.config.max_eval_batches
        sums: Sums = {}
        carry: Any = None
        model.eval()
        try:
            with averaged_weights(self.optimizer, self.asgd):
                batches = self.task.eval_batches(split) if self.task.has(split) else ()
                for batch in itertools.islice(batches, limit):
                    _, carry, step_sums = self.task.step(model, batch, carry, train=False)
                    add_sums(sums, step_sums)
        finally:
            model.train(was_training)
        return self.task.metrics(split, sums)

    def _run_epoch(self) -> dict[str, Any]:
        c, e = self.config, self.epoch + 1
        self.lr = step_lr(c, e, self.lr)
        start, self.partial = self.partial, None
        if start is not None:  # finish the epoch a cap cut short: its partial record goes
            self.history = [r for r in self.history if not (r["epoch"] == e and r.get("partial"))]
            self.best_epoch = start["best_epoch"]
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            n = self.task.n_train_batches() - (start["batches"] if start else 0)
            total = n if c.max_steps is None else min(n, c.max_steps - self.step)
            bar = tqdm(total=total, desc=f"epoch {e}/{c.epochs}", leave=False, dynamic_ncols=True)
        self._sync()
        t0 = time.perf_counter() - (start["train_seconds"] if start else 0.0)
        rec: dict[str, Any] = {"epoch": e, "lr": self.lr, "optimizer": "asgd" if self.asgd else c.optimizer}
        try:
            rec.update(self._train_epoch(bar, start))
        finally:
            if bar is not None:
                bar.close()
        self._sync()
        t_train = time.perf_counter() - t0
        for split in ("valid", "test"):
            if self.task.has(split):
                rec.update(self.evaluate(split))
        self._sync()
        rec["steps"] = self.step
        rec["train_seconds"] = t_train
        rec["seconds"] = time.perf_counter() - t0
        rec["tokens_per_s"] = rec["train_tokens"] / max(t_train, 1e-9)
        return rec

    def _end_epoch(self, rec: dict[str, Any]) -> bool:
        """Select, checkpoint, run callbacks; return whether to stop."""
        c = self.config
        e = rec["epoch"]
        if rec["partial"]:  # cut by the cap: recorded and resumable, but not a finished epoch
            self.partial = {**self._cut, "epoch": e, "train_seconds": rec["train_seconds"],
                            "best_epoch": self.best_epoch}
            selected = c.select == "last" or self.best_epoch == 0
        else:
            self.epoch = e
            val = rec.get("val_loss")
            improved = val is not None and val < self.best_val - c.min_delta
            if val is not None:
                self._after_validation(val)
                self.best_val, self.bad_epochs = (val, 0) if improved else (self.best_val, self.bad_epochs + 1)
            selected = improved or c.select == "last"
        if selected:
            self.best_epoch = e
            if self.out_dir is not None:
                save_weights(self.model.state_dict(), self.out_dir / BEST)
        self.history.append(rec)
        self._say(f"epoch {e:3d} | lr {rec['lr']:.4g} | {self.task.summary(rec)} | {rec['seconds']:6.1f} s | "
                  f"{rec['tokens_per_s']:,.0f} tok/s")
        if c.patience is not None and self.bad_epochs >= c.patience:
            self.stopped = "early_stopping"
            self._say(f"early stopping after epoch {e}: no val improvement for {c.patience} epochs")
        if self.stopped == "max_steps" and c.max_steps is not None and self.step < c.max_steps:
            self.stopped = ""
        self.save_checkpoint()  # before callbacks: an exception in a callback loses nothing
        if any([bool(cb(self, rec)) for cb in self.callbacks]) and not self.stopped:
            self.stopped = "callback"
            self.save_checkpoint()
        return bool(self.stopped)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue the run: tensors and plain values only."""
        keys = ("epoch", "step", "lr", "best_val", "best_epoch", "bad_epochs", "plateau_bad", "stopped")
        trainer = {k: getattr(self, k) for k in keys} | {"val_losses": list(self.val_losses)}
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "asgd": self.asgd,
            "trainer": trainer,
            "history": list(self.history),
            "rng": rng_state(self.model),
            "config": self.config.to_dict(),
            "partial": self.partial,
            "invocations": [dict(i) for i in self.invocations],
            "model_signature": model_signature(self.model),
            "meta": self.meta,
        }

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(ckpt["model"])
        for k, v in ckpt["trainer"].items():
            setattr(self, k, list(v) if k == "val_losses" else v)
        self.asgd = bool(ckpt["asgd"])
        self.optimizer = make_optimizer(self._params(), self.config, self.lr, asgd=self.asgd)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.history = list(ckpt["history"])
        self.partial = ckpt.get("partial")
        if self.partial is not None:
            self.partial["carry"] = _to_device(self.partial["carry"], self.device)
            self.partial["sums"] = _to_device(self.partial["sums"], self.device)
        self.invocations = [dict(i) for i in ckpt.get("invocations", [])]
        set_rng_state(self.model, ckpt["rng"])

    def save_checkpoint(self) -> None:
        if self.out_dir is None:
            return
        self._clock()
        save_checkpoint(self.state_dict(), self.out_dir / CHECKPOINT)
        self.save_history()

    def save_history(self) -> None:
        if self.out_dir is None:
            return
        self._clock()
        doc = {"config": self.config.to_dict(), "stopped": self.stopped, "history": self.history,
               "invocations": self.invocations}
        atomic_write_json(self.out_dir / HISTORY, doc)

    def _clock(self) -> None:
        """Bring this invocation's record (steps, wall time, how it stopped) up to date."""
        if self.invocations and "_t0" in self.__dict__:
            self.invocations[-1].update(wall_seconds=time.perf_counter() - self._t0, end_step=self.step,
                                        stopped=self.stopped or "running")

    def _check_same_run(self, path: Path, ckpt: dict[str, Any]) -> None:
        """Refuse, in one line, a checkpoint of another model, preset or config."""
        fix = "resume with the same settings, or start again with --overwrite or in a new folder"
        old_meta = ckpt.get("meta") or {}
        changed = sorted(k for k in old_meta.keys() & self.meta.keys() if old_meta[k] != self.meta[k])
        if changed:
            what = "; ".join(f"{k} {old_meta[k]!r}, not {self.meta[k]!r}" for k in changed)
            raise CheckpointError(f"resume: the checkpoint {path} is of another run ({what}); {fix}")
        old_sig = ckpt.get("model_signature")
        if old_sig is not None and old_sig != model_signature(self.model):
            raise CheckpointError(
                f"resume: the checkpoint {path} holds another model: "
                f"{_signature_change(old_sig, model_signature(self.model))}; {fix}"
            )
        old = ckpt.get("config", {})
        diff = {k: (old.get(k), v) for k, v in self.config.to_dict().items() if k not in _RESUMABLE and old.get(k) != v}
        if diff:
            raise ParameterError(
                f"resume: the checkpoint {path} was made with a different config {diff} (old, new); {fix}"
            )
        partial = ckpt.get("partial")
        if partial is not None and self.config.epochs < partial["epoch"]:
            raise ParameterError(
                f"resume: the run in {path.parent} stopped inside epoch {partial['epoch']} (cut by max_steps); "
                f"epochs = {self.config.epochs} would leave that epoch half done: give epochs >= {partial['epoch']}"
            )

    def _try_resume(self) -> bool:
        path = None if self.out_dir is None else self.out_dir / CHECKPOINT
        if path is None or not path.is_file():
            found = [] if self.out_dir is None else run_files(self.out_dir, (HISTORY, "result.json"))
            if found:  # a run was made here (finished, or its checkpoint deleted): never restart it silently
                raise RunFolderError(
                    f"{self.out_dir} holds a run ({', '.join(found)}) but no {CHECKPOINT} to continue it from; "
                    "pass --overwrite to start it again, or choose a new folder"
                )
            self._say("resume: no checkpoint found, starting from scratch")
            return False
        ckpt = load_checkpoint(path)
        self._check_same_run(path, ckpt)
        try:
            self.load_state_dict(ckpt)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"checkpoint {path} passed its SHA-256 check but does not fit this run "
                f"({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); start again with --overwrite "
                "or in a new folder"
            ) from None
        where = f"inside epoch {self.partial['epoch']}" if self.partial else f"after epoch {self.epoch}"
        self._say(f"resumed from {path} {where} (step {self.step})")
        return True

    # ------------------------------------------------------------------ main loop
    def fit(self, *, resume: bool = False, overwrite: bool = False, note: dict[str, Any] | None = None) -> TrainResult:
        """Train; with ``out_dir``, lock the folder and refuse one that holds a run unless
        ``resume`` (continue it) or ``overwrite`` (replace it). ``note`` (JSON values) is kept
        with this invocation's record in ``invocations``."""
        if self.out_dir is None:
            return self._fit(resume=False, note=note)
        with RunLock(self.out_dir):
            claim_run_dir(self.out_dir, resume=resume, overwrite=overwrite)
            remove_stale_temps(self.out_dir)
            return self._fit(resume=resume, note=note)

    def _fit(self, *, resume: bool, note: dict[str, Any] | None = None) -> TrainResult:
        c = self.config
        t0 = time.perf_counter()
        if not (resume and self._try_resume()):
            seed_everything(c.seed, deterministic=c.deterministic)
            for g in module_generators(self.model):
                g.manual_seed(c.seed)
            self.invocations = []
        self._t0 = t0
        self.invocations.append({
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "caps": {k: getattr(c, k) for k in CAPS}, "start_step": self.step, "end_step": self.step,
            "wall_seconds": 0.0, "stopped": "running", **(note or {}),
        })
        if self.stopped in ("early_stopping", "callback"):
            self._clock()
            return self._result()
        self.stopped = ""
        while self.epoch < c.epochs:
            if c.max_steps is not None and self.step >= c.max_steps:
                self.stopped = "max_steps"
                break
            if self._end_epoch(self._run_epoch()):
                break
        self.stopped = self.stopped or "completed"
        self.save_history()
        self._clock()
        return self._result()

    def _result(self) -> TrainResult:
        hist = pd.DataFrame(self.history)
        rows = [r for r in self.history if r["epoch"] == self.best_epoch]
        return TrainResult(hist, dict(rows[-1]) if rows else {}, self.model, self.out_dir, self.stopped or "completed",
                           self.config, invocations=[dict(i) for i in self.invocations])


def _map_tensors(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``value`` with ``fn`` applied to every tensor in it (nested lists, tuples, dicts)."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(v, fn) for v in value)
    return value


def _detached(value: Any) -> Any:
    """A copy for the checkpoint: every tensor detached and cloned."""
    return _map_tensors(value, lambda t: t.detach().clone())


def _to_device(value: Any, device: torch.device) -> Any:
    return _map_tensors(value, lambda t: t.to(device))
