"""Training tasks: what a batch is, which loss is differentiated, which metrics are reported.

A task wraps the caller's data without changing it (tensors are copied to the device into the
task's own splits) and gives the trainer batches, a loss and per-split sums from which
:meth:`Task.metrics` computes the reported numbers. A split with nothing in it is absent
(``has(split)`` is false): zero evaluated tokens or samples raise :class:`EmptySplitError`,
they never become a perplexity of 1 or an accuracy of 0.

- :class:`LanguageModelling`: BPTT windows of a token stream with the hidden state carried
  across windows (Zaremba et al. 2014); perplexity = exp(total NLL / total tokens).
- :class:`Classification`: padded sequences → class logits; cross-entropy and accuracy.
- :class:`Regression`: padded sequences → real targets (forecasting); MSE loss, MSE and MAE.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.batching import SequenceDataset, SequenceSplit, batchify, bptt_lengths, classification_batches, lm_batches
from ..data.cache import DataError
from ..data.ptb import LMCorpus
from ..models import detach_state
from ..errors import ParameterError
from .config import TrainConfig

__all__ = ["Task", "LanguageModelling", "Classification", "Regression", "EmptySplitError", "lm_loss", "make_task"]

SPLITS = ("train", "valid", "test")
Sums = dict[str, Any]


class EmptySplitError(DataError):
    """Nothing was evaluated on a split: there is no metric to report."""


def lm_loss(logits: Tensor, targets: Tensor, reduction: Literal["sum", "mean"] = "sum") -> tuple[Tensor, Tensor]:
    """(loss to differentiate, summed NLL) for ``logits (T, B, V)`` and ``targets (T, B)``.

    ``"sum"``: Σ_t mean_b NLL (Zaremba et al. 2014's convention); ``"mean"``: mean over all tokens.
    """
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), reduction="sum")
    denom = targets.size(1) if reduction == "sum" else targets.numel()
    return nll / denom, nll


def add_sums(total: Sums, step: Sums) -> None:
    """Accumulate one step's sums (tensors stay on the device: no synchronisation per step)."""
    for k, v in step.items():
        v = v.detach().double() if isinstance(v, Tensor) and v.is_floating_point() else v
        total[k] = total[k] + v if k in total else v


def _value(v: Any) -> float:
    return float(v.item()) if isinstance(v, Tensor) else float(v)


def prefix(split: str) -> str:
    return {"valid": "val"}.get(split, split)


class Task:
    """Base class: ``splits`` maps a split name to its device copy, or ``None`` when empty."""

    name = ""
    unit = "item"  # what "n" counts in the sums: tokens, samples, values

    def __init__(self, config: TrainConfig, device: torch.device) -> None:
        self.config, self.device = config, device
        self.splits: dict[str, Any] = {}

    def has(self, split: str) -> bool:
        return self.splits.get(split) is not None

    def n_train_batches(self) -> int:
        raise NotImplementedError

    def train_batches(self, generator: torch.Generator) -> Iterable[Any]:
        raise NotImplementedError

    def eval_batches(self, split: str) -> Iterable[Any]:
        raise NotImplementedError

    def step(self, model: nn.Module, batch: Any, carry: Any, *, train: bool) -> tuple[Tensor, Any, Sums]:
        """Forward one batch: (loss to differentiate, state carried to the next batch, sums)."""
        raise NotImplementedError

    def metrics(self, split: str, sums: Sums) -> dict[str, float]:
        """Reported numbers for ``split`` from its sums; raises when nothing was evaluated."""
        n = int(_value(sums.get("n", 0)))
        if n == 0:
            raise EmptySplitError(
                f"no {self.unit}s were evaluated on the {split} split, so it has no {self.name} metric; "
                "give the data a non-empty split (and max_eval_batches ≥ 1 or None)"
            )
        return self._metrics(prefix(split), sums, n)

    def _metrics(self, p: str, sums: Sums, n: int) -> dict[str, float]:
        raise NotImplementedError

    def postfix(self, m: dict[str, float]) -> dict[str, str]:
        """Progress-bar fields from the running train metrics."""
        return {"loss": f"{m['train_loss']:.3f}"}

    def summary(self, rec: dict[str, Any]) -> str:
        """One log line of an epoch record (``n/a`` for an empty split)."""
        raise NotImplementedError


def _fmt(rec: dict[str, Any], key: str, spec: str) -> str:
    v = rec.get(key)
    return "n/a" if v is None else format(v, spec)


class LanguageModelling(Task):
    """Next-token prediction on an :class:`~seqdrop.data.LMCorpus` (truncated BPTT)."""

    name, unit = "perplexity", "token"

    def __init__(self, data: LMCorpus, config: TrainConfig, device: torch.device) -> None:
        super().__init__(config, device)
        sizes = {"train": config.batch_size, "valid": config.eval_batch_size, "test": config.eval_batch_size}
        for split, bs in sizes.items():
            stream = getattr(data, split)
            enough = stream is not None and stream.numel() // bs >= 2
            self.splits[split] = batchify(stream, bs).to(self.device) if enough else None
        self.need_hidden = config.ar_alpha > 0 or config.tar_beta > 0

    def n_train_batches(self) -> int:
        return math.ceil((self.splits["train"].size(0) - 1) / self.config.bptt)

    def train_batches(self, generator: torch.Generator) -> Iterable[Any]:
        c, source = self.config, self.splits["train"]
        lengths = bptt_lengths(source.size(0), c.bptt, variable=c.variable_bptt, generator=generator)
        return lm_batches(source, c.bptt, lengths=lengths)

    def eval_batches(self, split: str) -> Iterable[Any]:
        return lm_batches(self.splits[split], self.config.bptt)

    def step(self, model: nn.Module, batch: Any, carry: Any, *, train: bool) -> tuple[Tensor, Any, Sums]:
        c = self.config
        hidden = train and self.need_hidden
        state_in = detach_state(carry) if train else carry  # truncated BPTT
        out = model(batch.x, state_in, return_hidden=True) if hidden else model(batch.x, state_in)
        logits, state = out[0], out[1]
        loss, nll = lm_loss(logits, batch.y, c.lm_loss if train else "sum")
        if hidden:
            raw, dropped = out[2]
            if c.ar_alpha:  # Merity et al. 2017 §4.6: activation regularisation
                loss = loss + c.ar_alpha * dropped.pow(2).mean()
            if c.tar_beta:  # temporal activation regularisation
                loss = loss + c.tar_beta * (raw[1:] - raw[:-1]).pow(2).mean()
        n = batch.y.numel()
        return loss, state, {"nll": nll, "n": n, "tokens": n}

    def _metrics(self, p: str, sums: Sums, n: int) -> dict[str, float]:
        loss = _value(sums["nll"]) / n
        out = {f"{p}_loss": loss, f"{p}_ppl": math.exp(min(loss, 700))}
        if self.config.bpc:
            out[f"{p}_bpc"] = loss / math.log(2)
        return out

    def postfix(self, m: dict[str, float]) -> dict[str, str]:
        return {"loss": f"{m['train_loss']:.3f}", "ppl": f"{math.exp(min(m['train_loss'], 50)):.1f}"}

    def summary(self, rec: dict[str, Any]) -> str:
        line = " | ".join(f"{s} ppl {_fmt(rec, f'{s}_ppl', '8.2f')}" for s in ("train", "val", "test"))
        if self.config.bpc:
            line += f" | val bpc {_fmt(rec, 'val_bpc', '.3f')}"
        return line


class _Sequences(Task):
    """Shared by classification and regression: padded ``(N, T, F)`` sequences, ``model(x, lengths)``."""

    def __init__(self, data: SequenceDataset, config: TrainConfig, device: torch.device) -> None:
        super().__init__(config, device)
        for split in SPLITS:
            s: SequenceSplit | None = getattr(data, split)
            self.splits[split] = None if s is None or len(s) == 0 else SequenceSplit(
                s.x.to(device), s.y.to(device), s.lengths.to(device)
            )  # new split objects: the caller's data set is not touched
        if config.ar_alpha or config.tar_beta:
            raise ParameterError(f"ar_alpha and tar_beta apply to language models only, not to {self.name} tasks")

    def n_train_batches(self) -> int:
        return math.ceil(len(self.splits["train"]) / self.config.batch_size)

    def train_batches(self, generator: torch.Generator) -> Iterable[Any]:
        return classification_batches(self.splits["train"], self.config.batch_size, shuffle=True, generator=generator)

    def eval_batches(self, split: str) -> Iterator[Any]:
        return classification_batches(self.splits[split], self.config.eval_batch_size * 25)


class Classification(_Sequences):
    """Sequence classification on a :class:`~seqdrop.data.SequenceDataset` with integer labels."""

    name, unit = "accuracy", "sample"

    def step(self, model: nn.Module, batch: Any, carry: Any, *, train: bool) -> tuple[Tensor, Any, Sums]:
        x, y, lengths = batch
        logits = model(x, lengths)
        loss = F.cross_entropy(logits, y)
        n = y.numel()
        sums = {"ce": loss.detach() * n, "correct": (logits.argmax(-1) == y).sum(), "n": n, "tokens": int(lengths.sum())}
        return loss, None, sums

    def _metrics(self, p: str, sums: Sums, n: int) -> dict[str, float]:
        return {f"{p}_loss": _value(sums["ce"]) / n, f"{p}_acc": _value(sums["correct"]) / n}

    def postfix(self, m: dict[str, float]) -> dict[str, str]:
        return {"loss": f"{m['train_loss']:.3f}", "acc": f"{m['train_acc']:.3f}"}

    def summary(self, rec: dict[str, Any]) -> str:
        return " | ".join(f"{s} acc {_fmt(rec, f'{s}_acc', '.4f')}" for s in ("train", "val", "test"))


class Regression(_Sequences):
    """Sequence regression and forecasting: real targets ``y (N,)`` or ``(N, H)``; MSE loss.

    The model's output is compared with ``y`` element-wise (reshaped when only a trailing
    dimension of size 1 differs); the reported metrics are MSE and MAE over all target values.
    """

    name, unit = "MSE", "target value"

    def step(self, model: nn.Module, batch: Any, carry: Any, *, train: bool) -> tuple[Tensor, Any, Sums]:
        x, y, lengths = batch
        pred = model(x, lengths)
        if pred.shape != y.shape:
            if pred.numel() != y.numel():
                raise ParameterError(
                    f"regression: the model returned shape {tuple(pred.shape)} for targets of shape {tuple(y.shape)}"
                )
            pred = pred.reshape(y.shape)
        err = pred - y.to(pred.dtype)
        loss = err.pow(2).mean()
        sums = {"se": err.detach().pow(2).sum(), "ae": err.detach().abs().sum(), "n": y.numel(), "tokens": int(lengths.sum())}
        return loss, None, sums

    def _metrics(self, p: str, sums: Sums, n: int) -> dict[str, float]:
        mse = _value(sums["se"]) / n
        return {f"{p}_loss": mse, f"{p}_mse": mse, f"{p}_mae": _value(sums["ae"]) / n}

    def summary(self, rec: dict[str, Any]) -> str:
        return " | ".join(
            f"{s} mse {_fmt(rec, f'{s}_mse', '.4g')} mae {_fmt(rec, f'{s}_mae', '.4g')}" for s in ("train", "val", "test")
        )


def make_task(data: Any, config: TrainConfig, device: torch.device) -> Task:
    """The task for ``data``: ``config.task``, or from the data type (``"auto"``)."""
    kind = config.task
    if kind == "auto":
        if isinstance(data, LMCorpus):
            kind = "lm"
        elif isinstance(data, SequenceDataset):
            kind = "classification" if not data.train.y.is_floating_point() else "regression"
        else:
            raise ParameterError(f"data must be an LMCorpus or a SequenceDataset, got {type(data).__name__}")
    cls = {"lm": LanguageModelling, "classification": Classification, "regression": Regression}[kind]
    task = cls(data, config, device)
    if not task.has("train"):
        raise DataError(f"the training split of {getattr(data, 'name', '') or type(data).__name__} is empty or too short")
    return task
