"""Ready-made trials: one training run per config dict, returning metrics and a history.

Each is declared with :func:`~seqdrop.sweep.trial_function`, so a sweep rejects unknown keys
and out-of-range values before anything runs. Data splits are fixed; ``seed`` sets the
initialisation and the dropout masks (:func:`seqdrop.train.fit` seeds everything with it).
The recurrent trials take every field of :class:`seqdrop.nn.RecurrentDropout` that the models
accept as a config key (``recurrent_dropout``, ``weight_dropout``, ``zoneout``, ``locked``,
``embedding_dropout``, ``model_input_dropout``, ``model_layer_dropout``,
``model_output_dropout``, ...); ``DROPOUT_KEYS`` lists them.

- :func:`train_lm` — word/char language model on Penn Treebank (Zaremba et al. 2014 layout),
  optionally on the first ``train_fraction`` of the training stream;
- :func:`train_classifier` — recurrent sequence classifier on MNIST rows/pixels, sklearn
  digits or FSDD MFCCs;
- :func:`train_mlp` — the 784-128-10 feed-forward net with dropout 0.5 (Srivastava et al. 2014);
- :func:`noop` — does nothing (measures the engine's own overhead).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from ..data import LMCorpus, SequenceDataset, SequenceSplit, load_dataset, stratified_split
from ..models import FeedForwardNet, RNNLanguageModel, SequenceClassifier
from ..nn import RecurrentDropout
from .._validation import check_bool, check_choice, check_float, check_int, check_probability
from ..train import TrainResult, fit
from ..utils import seed_everything
from .spec import trial_function

__all__ = ["train_lm", "train_classifier", "train_mlp", "noop", "DROPOUT_KEYS"]

CELLS = ("lstm", "gru", "rnn_tanh", "rnn_relu")


def _choice(*options: Any) -> Callable[[str, Any], Any]:
    return lambda key, value: check_choice(key, value, options)


def _int(low: int, high: int | None = None, optional: bool = False) -> Callable[[str, Any], Any]:
    return lambda key, value: None if optional and value is None else check_int(key, value, low, high)


def _positive(key: str, value: Any) -> float:
    return check_float(key, value, 0.0, None, low_closed=False)


def _fraction(key: str, value: Any) -> float:
    return check_float(key, value, 0.0, 1.0, low_closed=False)


def _optional_positive(key: str, value: Any) -> float | None:
    return None if value is None else _positive(key, value)


# Dropout keys of the recurrent trials: the fields of seqdrop.nn.RecurrentDropout that the
# models take (their own sites are named model_*; the layer names of those sites are refused).
_STACK_LAYER_NAMES = ("dropout", "input_dropout", "layer_dropout", "output_dropout")
DROPOUT_KEYS = tuple(k for k in RecurrentDropout.field_names() if k not in _STACK_LAYER_NAMES)
_DROPOUT_DEFAULTS = {k: RecurrentDropout().to_dict()[k] for k in DROPOUT_KEYS}
_DROPOUT_CHECKS = {k: (lambda key, value: RecurrentDropout(**{key: value})) for k in DROPOUT_KEYS}
_CELL_MODES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}


def _dropouts(config: dict[str, Any]) -> RecurrentDropout:
    """The trial's dropout options, checked together and against its cell."""
    opts = RecurrentDropout(**{k: config[k] for k in DROPOUT_KEYS})
    opts.check_cell(_CELL_MODES[config["cell"]])
    return opts


# Training keys every trial shares (seqdrop.train.TrainConfig fields).
_TRAIN = dict(epochs=1, batch_size=20, lr=1.0, optimizer="sgd", clip=None, weight_decay=0.0,
              max_steps=None, max_eval_batches=None, train_fraction=1.0)
_TRAIN_CHECKS = dict(epochs=_int(1), batch_size=_int(1), lr=_positive, optimizer=_choice("sgd", "adam", "ntasgd"),
                     clip=_optional_positive, weight_decay=lambda k, v: check_float(k, v, 0.0),
                     max_steps=_int(1, optional=True), max_eval_batches=_int(1, optional=True),
                     train_fraction=_fraction)
_TRAIN_FIELDS = ("epochs", "batch_size", "lr", "optimizer", "clip", "weight_decay", "max_steps", "max_eval_batches")


def _fit(model: torch.nn.Module, data: LMCorpus | SequenceDataset, config: dict[str, Any], **extra: Any) -> TrainResult:
    options = {k: config[k] for k in _TRAIN_FIELDS} | extra
    return fit(model, data, seed=config["seed"], device="cpu", progress=False, verbose=False, **options)


def _outcome(result: TrainResult, model: torch.nn.Module, names: tuple[str, ...]) -> dict[str, Any]:
    """Best-epoch metrics (lowest validation loss), the last training metric, and the history."""
    last = result.history.iloc[-1]
    out: dict[str, Any] = {n: float(result.best[n]) for n in names if n in result.best}
    out |= {k: float(last[k]) for k in ("train_loss", "train_ppl", "train_acc", "train_bpc") if k in last}
    out |= {"best_epoch": int(result.best["epoch"]), "epochs_run": len(result.history), "steps": int(last["steps"]),
            "stopped": result.stopped, "n_params": sum(p.numel() for p in model.parameters())}
    out["history"] = result.history.to_dict("records")
    return out


@functools.lru_cache(maxsize=4)
def _corpus(level: str, max_tokens: int | None) -> LMCorpus:
    return load_dataset(f"ptb-{level}", max_tokens=max_tokens)  # type: ignore[return-value]


@trial_function(
    defaults=dict(
        level="word", cell="lstm", embedding_size=200, hidden_size=200, num_layers=2, **_DROPOUT_DEFAULTS,
        tie_weights=False, init_range=0.1, bptt=35, lr_schedule="constant",
        lr_decay=1.0, decay_start=0, max_tokens=None, **(_TRAIN | dict(clip=5.0))),
    checks=dict(
        level=_choice("word", "char"), cell=_choice(*CELLS), embedding_size=_int(1), hidden_size=_int(1),
        num_layers=_int(1), **_DROPOUT_CHECKS, tie_weights=check_bool, init_range=_optional_positive, bptt=_int(1),
        lr_schedule=_choice("constant", "step", "plateau"), lr_decay=lambda k, v: check_float(k, v, 0.0, 1.0),
        decay_start=_int(0), max_tokens=_int(2, optional=True), **_TRAIN_CHECKS),
    validate=lambda config: _dropouts(config),
)
def train_lm(config: dict[str, Any]) -> dict[str, Any]:
    """PTB language model; metrics ``val_ppl``/``test_ppl`` (and ``_bpc`` for characters) at the
    best validation epoch. ``train_fraction`` keeps that leading share of the training stream."""
    c = config
    full = _corpus(c["level"], c["max_tokens"])
    n = max(2 * c["batch_size"] + 1, round(c["train_fraction"] * full.train.numel()))
    data = LMCorpus(full.train[:n], full.valid, full.test, full.vocab, name=full.name)
    seed_everything(c["seed"])
    model = RNNLanguageModel(
        data.vocab_size, c["embedding_size"], c["hidden_size"], c["num_layers"], c["cell"],
        dropouts=_dropouts(c), tie_weights=c["tie_weights"], init_range=c["init_range"],
    )
    bpc = c["level"] == "char"
    result = _fit(model, data, c, bptt=c["bptt"], lr_schedule=c["lr_schedule"], lr_decay=c["lr_decay"],
                  decay_start=c["decay_start"], bpc=bpc)
    return _outcome(result, model, ("val_ppl", "test_ppl", "val_bpc", "test_bpc", "val_loss", "test_loss"))


def _subset(data: SequenceDataset, fraction: float) -> SequenceDataset:
    """The dataset with a stratified ``fraction`` of its training split (fixed selection)."""
    if fraction >= 1.0:
        return data
    keep = stratified_split(data.train.y, (fraction, 0.0, 1.0 - fraction), seed=0)[0]
    t = data.train
    train = SequenceSplit(t.x[keep], t.y[keep], t.lengths[keep])
    return SequenceDataset(train, data.valid, data.test, data.num_classes, data.num_features, data.name)


@functools.lru_cache(maxsize=4)
def _sequences(name: str) -> SequenceDataset:
    return load_dataset(name)  # type: ignore[return-value]


_CLS_DATA = ("mnist-rows", "mnist-pixels", "digits-rows", "fsdd-mfcc")


@trial_function(
    defaults=dict(
        data="mnist-rows", cell="lstm", hidden_size=64, num_layers=1, pooling="last", **_DROPOUT_DEFAULTS,
        **(_TRAIN | dict(epochs=5, batch_size=64, lr=1e-3, optimizer="adam", clip=5.0)),
    ),
    checks=dict(
        data=_choice(*_CLS_DATA), cell=_choice(*CELLS), hidden_size=_int(1), num_layers=_int(1),
        pooling=_choice("last", "mean"), **_DROPOUT_CHECKS, **_TRAIN_CHECKS,
    ),
    validate=lambda config: _dropouts(config),
)
def train_classifier(config: dict[str, Any]) -> dict[str, Any]:
    """Recurrent sequence classifier; metrics ``val_acc``/``test_acc`` at the best validation epoch."""
    c = config
    data = _subset(_sequences(c["data"]), c["train_fraction"])
    seed_everything(c["seed"])
    model = SequenceClassifier(
        data.num_features, c["hidden_size"], data.num_classes, c["num_layers"], c["cell"], pooling=c["pooling"],
        dropouts=_dropouts(c),
    )
    result = _fit(model, data, c)
    return _outcome(result, model, ("val_acc", "test_acc", "val_loss", "test_loss"))


@trial_function(
    defaults=dict(data="mnist-rows", hidden_sizes=[128], dropout=0.5, input_dropout=0.0, mode="inverted",
                  **(_TRAIN | dict(epochs=5, batch_size=64, lr=1e-3, optimizer="adam"))),
    checks=dict(
        data=_choice("mnist-rows", "digits-rows"), dropout=check_probability, input_dropout=check_probability,
        mode=_choice("inverted", "weight_scaling"),
        hidden_sizes=lambda k, v: [check_int(f"{k}[{i}]", h, 1) for i, h in enumerate(v if isinstance(v, list) else [v])],
        **_TRAIN_CHECKS,
    ),
)
def train_mlp(config: dict[str, Any]) -> dict[str, Any]:
    """Feed-forward net on flattened images (784-128-10, dropout 0.5 by default; Srivastava et
    al. 2014); metrics ``val_acc``/``test_acc`` at the best validation epoch."""
    c = config
    data = _subset(_sequences(c["data"]), c["train_fraction"])
    seed_everything(c["seed"])
    x = data.train.x
    sizes = c["hidden_sizes"] if isinstance(c["hidden_sizes"], list) else [c["hidden_sizes"]]
    model = FeedForwardNet(x[0].numel(), sizes, data.num_classes, dropout=c["dropout"],
                           input_dropout=c["input_dropout"], mode=c["mode"])
    result = _fit(model, data, c)
    return _outcome(result, model, ("val_acc", "test_acc", "val_loss", "test_loss"))


@trial_function(defaults=dict(value=0.0), checks=dict(value=lambda k, v: check_float(k, v)))
def noop(config: dict[str, Any]) -> dict[str, Any]:
    """Returns ``value`` unchanged: a sweep of these measures the engine's overhead."""
    return {"result": float(config["value"])}
