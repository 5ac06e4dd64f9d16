"""Generic trials (one training run per config dict) and the kit to write your own.

A *trial* is a function of one config dict that returns a dict of metrics (and, optionally, a
per-epoch ``"history"``); :func:`seqdrop.sweep.sweep` runs it on a grid × seeds. The engine
(:mod:`seqdrop.sweep`) knows nothing about models or data; everything a training trial needs
lives here. Each trial is declared with :func:`~seqdrop.sweep.trial_function`, so a sweep
rejects unknown keys and out-of-range values before anything runs. Data splits are fixed;
``seed`` sets the initialisation and the dropout masks (:func:`seqdrop.train.fit` seeds
everything with it).

Shipped trials (a bare name in a sweep, ``trial: train_mlp``, means one of these):

- :func:`train_lm` — word/char language model on Penn Treebank (Zaremba et al. 2014 layout),
  optionally on the first ``train_fraction`` of the training stream;
- :func:`train_classifier` — recurrent sequence classifier on MNIST rows/pixels, sklearn
  digits or FSDD MFCCs;
- :func:`train_mlp` — the 784-128-10 feed-forward net with dropout 0.5 (Srivastava et al. 2014);
- :func:`noop` — does nothing (measures the engine's own overhead).

The recurrent trials take every field of :class:`seqdrop.nn.RecurrentDropout` that the models
accept as a config key (``recurrent_dropout``, ``weight_dropout``, ``zoneout``, ``locked``,
``embedding_dropout``, ``model_input_dropout``, ``model_layer_dropout``,
``model_output_dropout``, ...); :data:`DROPOUT_KEYS` lists them.

The kit, for trials of your own (``seqdrop.experiments`` builds the chapters' trials on it)::

    @trial_function(defaults=dict(cell="lstm", hidden_size=64, **DROPOUT_DEFAULTS,
                                  **TRAIN_DEFAULTS),
                    checks=dict(cell=one_of(*CELLS), hidden_size=integer(1),
                                **DROPOUT_CHECKS, **TRAIN_CHECKS),
                    validate=trial_dropouts)
    def my_trial(config):
        data = train_subset(sequence_data("digits-rows"), config["train_fraction"])
        model = SequenceClassifier(..., dropouts=trial_dropouts(config))
        return trial_outcome(fit_trial(model, data, config), model, ("val_acc", "test_acc"))

- value checks for ``checks=``: :func:`one_of`, :func:`integer`, :func:`positive`,
  :func:`fraction`, :func:`optional_positive` (each ``check(key, value)`` raises
  :class:`~seqdrop.ParameterError` naming the key and its range);
- dropout keys: :data:`DROPOUT_KEYS`, :data:`DROPOUT_DEFAULTS`, :data:`DROPOUT_CHECKS`,
  :func:`trial_dropouts`;
- training keys: :data:`TRAIN_DEFAULTS`, :data:`TRAIN_CHECKS`, :func:`fit_trial`,
  :func:`trial_outcome`;
- data, loaded once per worker process: :func:`ptb_corpus`, :func:`sequence_data`,
  :func:`train_subset`.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from .data import LMCorpus, SequenceDataset, SequenceSplit, load_dataset, stratified_split
from .models import FeedForwardNet, RNNLanguageModel, SequenceClassifier
from .nn import RecurrentDropout
from ._validation import check_bool, check_choice, check_float, check_int, check_probability
from .train import TrainResult, fit
from .utils import seed_everything
from .sweep import trial_function

__all__ = [
    "train_lm", "train_classifier", "train_mlp", "noop",
    "CELLS", "one_of", "integer", "positive", "fraction", "optional_positive",
    "DROPOUT_KEYS", "DROPOUT_DEFAULTS", "DROPOUT_CHECKS", "trial_dropouts",
    "TRAIN_DEFAULTS", "TRAIN_CHECKS", "fit_trial", "trial_outcome",
    "ptb_corpus", "sequence_data", "train_subset",
]

CELLS = ("lstm", "gru", "rnn_tanh", "rnn_relu")  # the recurrent trials' ``cell`` values


def one_of(*options: Any) -> Callable[[str, Any], Any]:
    """A check: the value is one of ``options``."""
    return lambda key, value: check_choice(key, value, options)


def integer(low: int, high: int | None = None, optional: bool = False) -> Callable[[str, Any], Any]:
    """A check: an integer in ``[low, high]`` (``None`` too when ``optional``)."""
    return lambda key, value: None if optional and value is None else check_int(key, value, low, high)


def positive(key: str, value: Any) -> float:
    """A check: a number > 0."""
    return check_float(key, value, 0.0, None, low_closed=False)


def fraction(key: str, value: Any) -> float:
    """A check: a share in ``(0, 1]``."""
    return check_float(key, value, 0.0, 1.0, low_closed=False)


def optional_positive(key: str, value: Any) -> float | None:
    """A check: ``None`` or a number > 0."""
    return None if value is None else positive(key, value)


# Dropout keys of the recurrent trials: the fields of seqdrop.nn.RecurrentDropout that the
# models take (their own sites are named model_*; the layer names of those sites are refused).
_STACK_LAYER_NAMES = ("dropout", "input_dropout", "layer_dropout", "output_dropout")
DROPOUT_KEYS = tuple(k for k in RecurrentDropout.field_names() if k not in _STACK_LAYER_NAMES)
DROPOUT_DEFAULTS = {k: RecurrentDropout().to_dict()[k] for k in DROPOUT_KEYS}
DROPOUT_CHECKS = {k: (lambda key, value: RecurrentDropout(**{key: value})) for k in DROPOUT_KEYS}
_CELL_MODES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU"}


def trial_dropouts(config: dict[str, Any]) -> RecurrentDropout:
    """The trial's dropout options, checked together and against its cell."""
    opts = RecurrentDropout(**{k: config[k] for k in DROPOUT_KEYS})
    opts.check_cell(_CELL_MODES[config["cell"]])
    return opts


# Training keys every trial shares (seqdrop.train.TrainConfig fields, and ``train_fraction``).
TRAIN_DEFAULTS = dict(epochs=1, batch_size=20, lr=1.0, optimizer="sgd", clip=None, weight_decay=0.0,
                      max_steps=None, max_eval_batches=None, train_fraction=1.0)
TRAIN_CHECKS = dict(epochs=integer(1), batch_size=integer(1), lr=positive, optimizer=one_of("sgd", "adam", "ntasgd"),
                    clip=optional_positive, weight_decay=lambda k, v: check_float(k, v, 0.0),
                    max_steps=integer(1, optional=True), max_eval_batches=integer(1, optional=True),
                    train_fraction=fraction)
_TRAIN_FIELDS = ("epochs", "batch_size", "lr", "optimizer", "clip", "weight_decay", "max_steps", "max_eval_batches")


def fit_trial(model: torch.nn.Module, data: LMCorpus | SequenceDataset, config: dict[str, Any],
              **extra: Any) -> TrainResult:
    """:func:`seqdrop.train.fit` with the config's training keys (:data:`TRAIN_DEFAULTS`),
    seeded by ``config["seed"]``, silent; ``extra`` are further ``fit`` options."""
    options = {k: config[k] for k in _TRAIN_FIELDS} | extra
    return fit(model, data, seed=config["seed"], device="cpu", progress=False, verbose=False, **options)


def trial_outcome(result: TrainResult, model: torch.nn.Module, names: tuple[str, ...]) -> dict[str, Any]:
    """Best-epoch metrics (lowest validation loss), the last training metric, and the history."""
    last = result.history.iloc[-1]
    out: dict[str, Any] = {n: float(result.best[n]) for n in names if n in result.best}
    out |= {k: float(last[k]) for k in ("train_loss", "train_ppl", "train_acc", "train_bpc") if k in last}
    out |= {"best_epoch": int(result.best["epoch"]), "epochs_run": len(result.history), "steps": int(last["steps"]),
            "stopped": result.stopped, "n_params": sum(p.numel() for p in model.parameters())}
    out["history"] = result.history.to_dict("records")
    return out


@functools.lru_cache(maxsize=4)
def ptb_corpus(level: str, max_tokens: int | None) -> LMCorpus:
    """Penn Treebank at ``level`` (``"word"``/``"char"``), cached in the worker process."""
    return load_dataset(f"ptb-{level}", max_tokens=max_tokens)  # type: ignore[return-value]


@trial_function(
    defaults=dict(
        level="word", cell="lstm", embedding_size=200, hidden_size=200, num_layers=2, **DROPOUT_DEFAULTS,
        tie_weights=False, init_range=0.1, bptt=35, lr_schedule="constant",
        lr_decay=1.0, decay_start=0, max_tokens=None, **(TRAIN_DEFAULTS | dict(clip=5.0))),
    checks=dict(
        level=one_of("word", "char"), cell=one_of(*CELLS), embedding_size=integer(1), hidden_size=integer(1),
        num_layers=integer(1), **DROPOUT_CHECKS, tie_weights=check_bool, init_range=optional_positive, bptt=integer(1),
        lr_schedule=one_of("constant", "step", "plateau"), lr_decay=lambda k, v: check_float(k, v, 0.0, 1.0),
        decay_start=integer(0), max_tokens=integer(2, optional=True), **TRAIN_CHECKS),
    validate=lambda config: trial_dropouts(config),
)
def train_lm(config: dict[str, Any]) -> dict[str, Any]:
    """PTB language model; metrics ``val_ppl``/``test_ppl`` (and ``_bpc`` for characters) at the
    best validation epoch. ``train_fraction`` keeps that leading share of the training stream."""
    c = config
    full = ptb_corpus(c["level"], c["max_tokens"])
    n = max(2 * c["batch_size"] + 1, round(c["train_fraction"] * full.train.numel()))
    data = LMCorpus(full.train[:n], full.valid, full.test, full.vocab, name=full.name)
    seed_everything(c["seed"])
    model = RNNLanguageModel(
        data.vocab_size, c["embedding_size"], c["hidden_size"], c["num_layers"], c["cell"],
        dropouts=trial_dropouts(c), tie_weights=c["tie_weights"], init_range=c["init_range"],
    )
    bpc = c["level"] == "char"
    result = fit_trial(model, data, c, bptt=c["bptt"], lr_schedule=c["lr_schedule"], lr_decay=c["lr_decay"],
                  decay_start=c["decay_start"], bpc=bpc)
    return trial_outcome(result, model, ("val_ppl", "test_ppl", "val_bpc", "test_bpc", "val_loss", "test_loss"))


def train_subset(data: SequenceDataset, share: float) -> SequenceDataset:
    """The dataset with a stratified ``share`` of its training split (fixed selection)."""
    if share >= 1.0:
        return data
    keep = stratified_split(data.train.y, (share, 0.0, 1.0 - share), seed=0)[0]
    t = data.train
    train = SequenceSplit(t.x[keep], t.y[keep], t.lengths[keep])
    return SequenceDataset(train, data.valid, data.test, data.num_classes, data.num_features, data.name)


@functools.lru_cache(maxsize=4)
def sequence_data(name: str) -> SequenceDataset:
    """A sequence dataset of :func:`seqdrop.data.load_dataset`, cached in the worker process."""
    return load_dataset(name)  # type: ignore[return-value]


_CLS_DATA = ("mnist-rows", "mnist-pixels", "digits-rows", "fsdd-mfcc")


@trial_function(
    defaults=dict(
        data="mnist-rows", cell="lstm", hidden_size=64, num_layers=1, pooling="last", **DROPOUT_DEFAULTS,
        **(TRAIN_DEFAULTS | dict(epochs=5, batch_size=64, lr=1e-3, optimizer="adam", clip=5.0)),
    ),
    checks=dict(
        data=one_of(*_CLS_DATA), cell=one_of(*CELLS), hidden_size=integer(1), num_layers=integer(1),
        pooling=one_of("last", "mean"), **DROPOUT_CHECKS, **TRAIN_CHECKS,
    ),
    validate=lambda config: trial_dropouts(config),
)
def train_classifier(config: dict[str, Any]) -> dict[str, Any]:
    """Recurrent sequence classifier; metrics ``val_acc``/``test_acc`` at the best validation epoch."""
    c = config
    data = train_subset(sequence_data(c["data"]), c["train_fraction"])
    seed_everything(c["seed"])
    model = SequenceClassifier(
        data.num_features, c["hidden_size"], data.num_classes, c["num_layers"], c["cell"], pooling=c["pooling"],
        dropouts=trial_dropouts(c),
    )
    result = fit_trial(model, data, c)
    return trial_outcome(result, model, ("val_acc", "test_acc", "val_loss", "test_loss"))


@trial_function(
    defaults=dict(data="mnist-rows", hidden_sizes=[128], dropout=0.5, input_dropout=0.0, mode="inverted",
                  **(TRAIN_DEFAULTS | dict(epochs=5, batch_size=64, lr=1e-3, optimizer="adam"))),
    checks=dict(
        data=one_of("mnist-rows", "digits-rows"), dropout=check_probability, input_dropout=check_probability,
        mode=one_of("inverted", "weight_scaling"),
        hidden_sizes=lambda k, v: [check_int(f"{k}[{i}]", h, 1) for i, h in enumerate(v if isinstance(v, list) else [v])],
        **TRAIN_CHECKS,
    ),
)
def train_mlp(config: dict[str, Any]) -> dict[str, Any]:
    """Feed-forward net on flattened images (784-128-10, dropout 0.5 by default; Srivastava et
    al. 2014); metrics ``val_acc``/``test_acc`` at the best validation epoch."""
    c = config
    data = train_subset(sequence_data(c["data"]), c["train_fraction"])
    seed_everything(c["seed"])
    x = data.train.x
    sizes = c["hidden_sizes"] if isinstance(c["hidden_sizes"], list) else [c["hidden_sizes"]]
    model = FeedForwardNet(x[0].numel(), sizes, data.num_classes, dropout=c["dropout"],
                           input_dropout=c["input_dropout"], mode=c["mode"])
    result = fit_trial(model, data, c)
    return trial_outcome(result, model, ("val_acc", "test_acc", "val_loss", "test_loss"))


@trial_function(defaults=dict(value=0.0), checks=dict(value=lambda k, v: check_float(k, v)))
def noop(config: dict[str, Any]) -> dict[str, Any]:
    """Returns ``value`` unchanged: a sweep of these measures the engine's overhead."""
    return {"result": float(config["value"])}
