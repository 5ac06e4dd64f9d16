"""The epoch loop: train, evaluate, select the best epoch, checkpoint, resume (see :mod:`seqdrop.train`)."""
from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from ..data.cache import DataError
from ..io import RunLock, atomic_torch_save, atomic_write_json, claim_run_dir, remove_stale_temps
from ..errors import ParameterError
from ..utils import pick_device, seed_everything
from .checkpoint import load_checkpoint, module_generators, rng_state, save_checkpoint, set_rng_state
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
    def _train_epoch(self, bar: Any) -> dict[str, Any]:
        c, task = self.config, self.task
        self.model.train()
        gen = torch.Generator().manual_seed(c.seed * 1_000_003 + self.epoch + 1)
        guard = FiniteGuard(self.check_every)
        sums: Sums = {}
        carry: Any = None
        params = self._params()
        for i, batch in enumerate(task.train_batches(gen), start=1):
            if c.max_steps is not None and self.step >= c.max_steps:
                self.stopped = "max_steps"
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
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            n = self.task.n_train_batches()
            total = n if c.max_steps is None else min(n, c.max_steps - self.step)
            bar = tqdm(total=total, desc=f"epoch {e}/{c.epochs}", leave=False, dynamic_ncols=True)
        self._sync()
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"epoch": e, "lr": self.lr, "optimizer": "asgd" if self.asgd else c.optimizer}
        try:
            rec.update(self._train_epoch(bar))
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
        self.epoch = e = rec["epoch"]
        val = rec.get("val_loss")
        improved = val is not None and val < self.best_val - c.min_delta
        if val is not None:
            self._after_validation(val)
            self.best_val, self.bad_epochs = (val, 0) if improved else (self.best_val, self.bad_epochs + 1)
        if improved or c.select == "last":
            self.best_epoch = e
            if self.out_dir is not None:
                atomic_torch_save(self.model.state_dict(), self.out_dir / BEST)
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
        }

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(ckpt["model"])
        for k, v in ckpt["trainer"].items():
            setattr(self, k, list(v) if k == "val_losses" else v)
        self.asgd = bool(ckpt["asgd"])
        self.optimizer = make_optimizer(self._params(), self.config, self.lr, asgd=self.asgd)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.history = list(ckpt["history"])
        set_rng_state(self.model, ckpt["rng"])

    def save_checkpoint(self) -> None:
        if self.out_dir is None:
            return
        save_checkpoint(self.state_dict(), self.out_dir / CHECKPOINT)
        self.save_history()

    def save_history(self) -> None:
        if self.out_dir is None:
            return
        doc = {"config": self.config.to_dict(), "stopped": self.stopped, "history": self.history}
        atomic_write_json(self.out_dir / HISTORY, doc)

    def _try_resume(self) -> bool:
        path = None if self.out_dir is None else self.out_dir / CHECKPOINT
        if path is None or not path.is_file():
            self._say("resume: no checkpoint found, starting from scratch")
            return False
        ckpt = load_checkpoint(path)
        old = ckpt.get("config", {})
        diff = {k: (old.get(k), v) for k, v in self.config.to_dict().items() if k not in _RESUMABLE and old.get(k) != v}
        if diff:
            raise ParameterError(
                f"resume: the checkpoint {path} was made with a different config {diff} (old, new); resume with "
                "the same settings, or start again with --overwrite or in a new folder"
            )
        self.load_state_dict(ckpt)
        self._say(f"resumed from {path} after epoch {self.epoch} (step {self.step})")
        return True

    # ------------------------------------------------------------------ main loop
    def fit(self, *, resume: bool = False, overwrite: bool = False) -> TrainResult:
        """Train; with ``out_dir``, lock the folder and refuse one that holds a run unless
        ``resume`` (continue it) or ``overwrite`` (replace it)."""
        if self.out_dir is None:
            return self._fit(resume=False)
        with RunLock(self.out_dir):
            claim_run_dir(self.out_dir, resume=resume, overwrite=overwrite)
            remove_stale_temps(self.out_dir)
            return self._fit(resume=resume)

    def _fit(self, *, resume: bool) -> TrainResult:
        c = self.config
        if not (resume and self._try_resume()):
            seed_everything(c.seed, deterministic=c.deterministic)
            for g in module_generators(self.model):
                g.manual_seed(c.seed)
        if self.stopped in ("early_stopping", "callback"):
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
        return self._result()

    def _result(self) -> TrainResult:
        hist = pd.DataFrame(self.history)
        rows = [r for r in self.history if r["epoch"] == self.best_epoch]
        return TrainResult(hist, dict(rows[-1]) if rows else {}, self.model, self.out_dir, self.stopped or "completed", self.config)
