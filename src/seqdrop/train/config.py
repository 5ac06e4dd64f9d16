"""What a training run is asked to do (:class:`TrainConfig`) and what it returns (:class:`TrainResult`).

``TrainConfig`` checks every field when it is built, so a bad value fails at once, before any
data is loaded, with one :class:`~seqdrop.errors.ParameterError` that names each bad field and
its allowed range.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from torch import nn

from ..errors import SeqdropError
from .._validation import ParameterError, check_choice, check_float, check_int

__all__ = ["TrainConfig", "TrainResult", "NonFiniteLossError"]

OPTIMIZERS = ("sgd", "adam", "ntasgd")
SCHEDULES = ("constant", "step", "plateau")
TASKS = ("auto", "lm", "classification", "regression")


class NonFiniteLossError(SeqdropError, FloatingPointError):
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
    clip: float | None = None  # max global gradient norm (None or 0: no clipping)
    l1: float = 0.0  # + l1 · Σ|w| over weight matrices (dim ≥ 2)
    l2: float = 0.0  # + l2 · Σ w² over weight matrices (dim ≥ 2)
    ar_alpha: float = 0.0  # AR: α · mean(dropped last-layer output²)
    tar_beta: float = 0.0  # TAR: β · mean((h_t − h_{t−1})²) on the raw last-layer output
    lm_loss: Literal["sum", "mean"] = "sum"  # see seqdrop.train
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
    task: Literal["auto", "lm", "classification", "regression"] = "auto"  # auto: from the data
    select: Literal["val", "last"] = "val"  # best epoch: lowest val loss, or the last epoch

    def __post_init__(self) -> None:
        errors = []
        for name, check in _CHECKS.items():
            try:  # store the checked value: NumPy ints become ints, 1 becomes 1.0 for floats
                setattr(self, name, check(name, getattr(self, name)))
            except ParameterError as exc:
                errors.append(str(exc))
        if errors:
            raise ParameterError("invalid TrainConfig: " + "; ".join(errors))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ParameterError(f"unknown TrainConfig fields {sorted(unknown)}; valid: {sorted(names)}")
        return cls(**d)


def _int(low: int, *, optional: bool = False, high: int | None = None) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if value is None and optional:
            return None
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)  # NumPy integers from a sweep grid
        elif not isinstance(value, bool):  # 2.0 epochs is a typo, not an integer
            none = " or None" if optional else ""
            raise ParameterError(f"parameter {name!r} = {value!r} must be an integer ≥ {low}{none}")
        return check_int(name, value, low, high)

    return check


def _float(low: float, *, strict: bool = False, optional: bool = False, high: float | None = None) -> Callable[[str, Any], Any]:
    def check(name: str, value: Any) -> Any:
        if value is None and optional:
            return None
        x = check_float(name, value, low, high, low_closed=not strict)
        if math.isinf(x):
            raise ParameterError(f"parameter {name!r} = {value!r} must be finite")
        return x

    return check


def _choice(*options: Any) -> Callable[[str, Any], Any]:
    return lambda name, value: check_choice(name, value, options)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} = {value!r} must be True or False")
    return value


DEVICE_TYPES = ("cpu", "cuda", "mps")  # where a run can train


def _device(name: str, value: Any) -> str:
    import torch

    try:
        ok = value == "auto" or torch.device(value).type in DEVICE_TYPES
    except (RuntimeError, TypeError, ValueError):
        ok = False
    if not ok:
        raise ParameterError(f"parameter {name!r} = {value!r} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return value


_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "epochs": _int(1), "batch_size": _int(1), "eval_batch_size": _int(1), "bptt": _int(1),
    "variable_bptt": _flag, "optimizer": _choice(*OPTIMIZERS), "lr": _float(0.0, strict=True),
    "momentum": _float(0.0), "weight_decay": _float(0.0), "lr_schedule": _choice(*SCHEDULES),
    "decay_start": _int(0), "lr_decay": _float(0.0, strict=True, high=1.0),
    "plateau_patience": _int(0), "min_lr": _float(0.0), "nonmono": _int(1),
    "clip": _float(0.0, optional=True), "l1": _float(0.0), "l2": _float(0.0),
    "ar_alpha": _float(0.0), "tar_beta": _float(0.0), "lm_loss": _choice("sum", "mean"),
    "patience": _int(1, optional=True), "min_delta": _float(0.0),
    "max_steps": _int(1, optional=True), "max_eval_batches": _int(1, optional=True),
    "seed": _int(0, high=2**63 - 1), "device": _device, "deterministic": _flag, "bpc": _flag,
    "log_interval": _int(1), "check_finite_every": _int(1, optional=True),
    "task": _choice(*TASKS), "select": _choice("val", "last"),
}


@dataclass
class TrainResult:
    """What :func:`~seqdrop.train.fit` returns. ``best`` is the history row of the selected
    epoch (lowest validation loss, or the last one with ``select="last"``); its ``test_*``
    values are the model's reported test numbers."""

    history: pd.DataFrame
    best: dict[str, Any]
    model: nn.Module
    out_dir: Path | None
    stopped: str  # "completed" | "early_stopping" | "max_steps" | "callback"
    config: TrainConfig = field(repr=False, default_factory=TrainConfig)
    # one record per call of fit() on the run (caps, steps, wall time, stopped), oldest first
    invocations: list[dict[str, Any]] = field(repr=False, default_factory=list)

    @property
    def wall_seconds(self) -> float:
        """Training wall time over every invocation of the run (resumptions included)."""
        return float(sum(i.get("wall_seconds", 0.0) for i in self.invocations))

    def _metric(self, key: str) -> float:
        if self.best.get(key) is None:
            raise KeyError(f"no {key} in this result: the split was empty or not evaluated")
        return float(self.best[key])

    @property
    def test_ppl(self) -> float:
        return self._metric("test_ppl")

    @property
    def val_ppl(self) -> float:
        return self._metric("val_ppl")
