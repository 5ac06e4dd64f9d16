"""A regime where dropout has something to fix, and the evidence that the model is in it.

Chapters 01 (feed-forward net on MNIST) and 02 (tanh RNN on MNIST rows) use this module.
Dropout regularises: it helps where a model fits its training set better than the data
justify (Srivastava et al. 2014, §6.1 and Fig. 10: the gain depends on the training-set
size). A comparison is evidence only if

1. the model without dropout beats its trivial baseline — :func:`majority_accuracy`, the
   accuracy of always predicting the most frequent training class;
2. it overfits — :func:`overfitting`: its validation metric turns (best epoch before the last,
   last-epoch value worse than the best) while its training loss keeps falling;
3. the headline is measured on held-out *test* data at the epoch chosen on validation data —
   :class:`ValidationSelected`, a :func:`seqdrop.train.fit` callback that evaluates the test
   split only at each new best validation accuracy (cheaper than a test pass every epoch, and
   the test set never influences the choice).

:func:`nested_mnist` splits the offline MNIST subset into a fixed validation and test set and
a training pool whose first ``n`` images (class-balanced order) are the training set of size
``n``: the sizes of a data-size curve are nested and share one test set.
:func:`train_mlp_regime` is the chapter-01 sweep trial (the 784-H-…-10 ReLU net with input and
hidden dropout, Srivastava et al.'s layout); :func:`train_rnn_regime` the chapter-02 one (a
stacked tanh RNN on MNIST rows with a dropout placement of
:data:`seqdrop.experiments.mask_sites.VARIANTS`).
"""
from __future__ import annotations

import functools
import math
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from ..data import SequenceDataset, SequenceSplit, load_mnist_rows, stratified_split
from ..models import FeedForwardNet
from .regularizers import AugmentedNet, RandomShift, weight_stats
from .elman_masks import ElmanClassifier, train_rnn_variant
from .._validation import check_float, check_int, check_probability
from ..sweep import trial_function
from ..train import fit
from ..utils import seed_everything

__all__ = [
    "majority_accuracy",
    "overfitting",
    "ValidationSelected",
    "balanced_order",
    "nested_mnist",
    "fit_selected",
    "train_mlp_regime",
    "train_rnn_regime",
]


def majority_accuracy(train_labels: Tensor, test_labels: Tensor) -> float:
    """Accuracy on ``test_labels`` of always predicting the most frequent class of
    ``train_labels`` (the lowest class on ties): the trivial baseline of a classifier."""
    if train_labels.numel() == 0 or test_labels.numel() == 0:
        raise ValueError("majority_accuracy needs non-empty training and test labels")
    counts = torch.bincount(train_labels.long().flatten())
    majority = int(torch.argmax(counts))  # first maximum: the lowest class on ties
    return float((test_labels.long() == majority).double().mean())


def overfitting(history: pd.DataFrame, metric: str = "val_acc") -> dict[str, float]:
    """How far a run's validation ``metric`` fell from its best epoch to its last.

    Accuracy-like metrics (names ending in ``acc``) are better high, others (losses,
    perplexities) low. Returns ``best``, ``last``, ``best_epoch``, ``last_epoch`` and
    ``excess``: how much worse the last epoch is than the best (≥ 0; > 0 means the metric
    turned). Needs at least one epoch.
    """
    if history.empty or metric not in history:
        raise ValueError(f"overfitting needs a non-empty history with a {metric!r} column")
    values = history[metric].astype(float)
    higher = metric.endswith("acc")
    pos = int(values.to_numpy().argmax() if higher else values.to_numpy().argmin())  # first best
    best, last = float(values.iloc[pos]), float(values.iloc[-1])
    return {"best": best, "last": last, "best_epoch": int(history["epoch"].iloc[pos]),
            "last_epoch": int(history["epoch"].iloc[-1]),
            "excess": (best - last) if higher else (last - best)}


class ValidationSelected:
    """A :func:`seqdrop.train.fit` callback: at each epoch whose validation accuracy beats every
    earlier one (the first such epoch on ties), evaluate ``model`` on the held-out ``test``
    split with dropout off; the test metrics at the validation-selected epoch are then
    ``test_acc``, ``test_loss`` and ``epoch``. The test data play no part in the choice.
    """

    def __init__(self, test: SequenceSplit, batch_size: int = 500) -> None:
        if len(test) == 0:
            raise ValueError("ValidationSelected needs a non-empty test split")
        self.test, self.batch_size = test, check_int("batch_size", batch_size, 1)
        self.val_acc = -math.inf
        self.epoch = 0
        self.test_acc = math.nan
        self.test_loss = math.nan

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> tuple[float, float]:
        """(accuracy, mean cross-entropy) of ``model`` in eval mode on the test split."""
        was = model.training
        model.eval()
        try:
            correct, loss, t = 0.0, 0.0, self.test
            device = next(model.parameters()).device
            for i in range(0, len(t), self.batch_size):
                x, y = t.x[i:i + self.batch_size].to(device), t.y[i:i + self.batch_size].to(device)
                logits = model(x, t.lengths[i:i + self.batch_size].to(device))
                loss += float(nn.functional.cross_entropy(logits, y, reduction="sum"))
                correct += float((logits.argmax(-1) == y).sum())
        finally:
            model.train(was)
        return correct / len(t), loss / len(t)

    def __call__(self, trainer: Any, record: dict[str, Any]) -> bool:
        if record["val_acc"] > self.val_acc:
            self.val_acc, self.epoch = float(record["val_acc"]), int(record["epoch"])
            self.test_acc, self.test_loss = self.evaluate(trainer.model)
        return False


def balanced_order(labels: Tensor, seed: int = 0) -> Tensor:
    """A fixed order of ``range(len(labels))`` whose every prefix is as class-balanced as the
    classes allow: each class shuffled (``seed``), then dealt round-robin, one per class."""
    g = torch.Generator().manual_seed(seed)
    per_class = []
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        per_class.append(idx[torch.randperm(idx.numel(), generator=g)])
    rank = torch.empty(labels.numel(), dtype=torch.long)
    for idx in per_class:
        rank[idx] = torch.arange(idx.numel())
    cls = torch.empty(labels.numel(), dtype=torch.long)
    for k, idx in enumerate(per_class):
        cls[idx] = k
    return torch.argsort(rank * len(per_class) + cls)


@functools.lru_cache(maxsize=16)
def nested_mnist(train_size: int, *, valid_size: int = 500, test_size: int = 2500) -> SequenceDataset:
    """The offline MNIST subset (5,000 images, 28 rows × 28 pixels) as a fixed stratified
    validation set of ``valid_size`` and test set of ``test_size`` images, and a training set
    of the first ``train_size`` images of the rest in :func:`balanced_order` — so the training
    sets of two sizes are nested, and every size is tested on the same images."""
    valid_size = check_int("valid_size", valid_size, 100, 4800)
    test_size = check_int("test_size", test_size, 100, 4900 - valid_size)
    pool = 5000 - valid_size - test_size
    train_size = check_int("train_size", train_size, 10, pool)
    data = load_mnist_rows(fractions=(pool / 5000, valid_size / 5000, test_size / 5000), seed=0)
    t = data.train
    keep = balanced_order(t.y)[:train_size]
    train = SequenceSplit(t.x[keep], t.y[keep], t.lengths[keep])
    return SequenceDataset(train, data.valid, data.test, data.num_classes, data.num_features,
                           f"{data.name}-nested{train_size}")


def fit_selected(model: nn.Module, data: SequenceDataset, **train: Any) -> dict[str, Any]:
    """Train ``model`` with :func:`seqdrop.train.fit` (``train``: its config fields) on
    ``data``'s training split, validate every epoch, and test at the validation-selected
    epoch (:class:`ValidationSelected`).

    Returns a trial record: ``train_loss`` (last epoch), ``val_acc``/``val_loss`` at the last
    epoch, ``best_val_acc``, ``es_epoch``, ``es_test_acc``, ``es_test_loss``, the
    :func:`overfitting` of validation accuracy and loss (``val_acc_excess``,
    ``val_loss_excess``, ``val_loss_best_epoch``), the :func:`majority_accuracy` baseline on
    the test split (``majority_acc``) and the per-epoch ``history``.
    """
    select = ValidationSelected(data.test)
    empty = SequenceSplit(data.test.x[:0], data.test.y[:0], data.test.lengths[:0])
    withheld = SequenceDataset(data.train, data.valid, empty, data.num_classes,
                               data.num_features, data.name)  # the test split is the callback's
    result = fit(model, withheld, callbacks=[select], progress=False, verbose=False, **train)
    hist = result.history
    acc, loss = overfitting(hist, "val_acc"), overfitting(hist, "val_loss")
    last = hist.iloc[-1]
    out: dict[str, Any] = {
        "train_loss": float(last["train_loss"]), "train_acc": float(last["train_acc"]),
        "val_acc": float(last["val_acc"]), "val_loss": float(last["val_loss"]),
        "best_val_acc": acc["best"], "val_acc_excess": acc["excess"],
        "best_val_loss": loss["best"], "val_loss_excess": loss["excess"],
        "val_loss_best_epoch": loss["best_epoch"],
        "es_epoch": select.epoch, "es_test_acc": select.test_acc, "es_test_loss": select.test_loss,
        "majority_acc": majority_accuracy(data.train.y, data.test.y),
    }
    out["history"] = hist[["epoch", "train_loss", "train_acc", "val_loss", "val_acc"]].to_dict("records")
    return out


@trial_function(
    defaults=dict(train_size=1000, hidden=256, layers=2, input_p=0.0, p=0.0, l1=0.0, l2=0.0,
                  shift=0, epochs=100, batch_size=100, lr=1e-3),
    checks=dict(
        train_size=lambda k, v: check_int(k, v, 10, 2000),
        hidden=lambda k, v: check_int(k, v, 1, 8192),
        layers=lambda k, v: check_int(k, v, 1, 8),
        input_p=check_probability,
        p=check_probability,
        l1=lambda k, v: check_float(k, v, 0.0, 1.0),
        l2=lambda k, v: check_float(k, v, 0.0, 1.0),
        shift=lambda k, v: check_int(k, v, 0, 8),
        epochs=lambda k, v: check_int(k, v, 1, 10_000),
        batch_size=lambda k, v: check_int(k, v, 1, 4096),
        lr=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
    ),
)
def train_mlp_regime(config: dict[str, Any]) -> dict[str, Any]:
    """784-``hidden``×``layers``-10 ReLU net (Srivastava et al. 2014, §6.1.1: dropout ``input_p``
    on the pixels, ``p`` after every hidden layer) trained with Adam on the first
    ``train_size`` images of :func:`nested_mnist`; the alternatives of chapter 01's FAQ as
    options: penalties ``l1·Σ|W|``, ``l2·ΣW²`` on the weight matrices, and augmentation by
    random shifts of up to ``shift`` pixels (:class:`~seqdrop.course.regularizers.RandomShift`).
    Test metrics at the epoch of best validation accuracy (:func:`fit_selected`) and the first
    layer's :func:`~seqdrop.course.regularizers.weight_stats` (``w_near_zero``, ``w_l1``,
    ``w_l2``)."""
    c = config
    data = nested_mnist(c["train_size"])
    seed_everything(c["seed"])
    net = FeedForwardNet(784, (c["hidden"],) * c["layers"], 10, dropout=c["p"],
                         input_dropout=c["input_p"], generator=torch.Generator())
    model = AugmentedNet(RandomShift(c["shift"], generator=torch.Generator()), net) \
        if c["shift"] else net
    out = fit_selected(model, data, epochs=c["epochs"], batch_size=c["batch_size"],
                       optimizer="adam", lr=c["lr"], l1=c["l1"], l2=c["l2"], seed=c["seed"],
                       eval_batch_size=100, device="cpu")
    first = next(m for m in net.modules() if isinstance(m, nn.Linear))
    return out | {f"w_{k}": v for k, v in weight_stats(first).items()}


_RNN_DEFAULTS = {k: v for k, v in train_rnn_variant.defaults.items() if k != "test_size"}


@trial_function(
    defaults=_RNN_DEFAULTS | dict(hidden=128, train_size=300, epochs=80, batch_size=50, lr=2e-3),
    checks={k: v for k, v in train_rnn_variant.checks.items() if k in _RNN_DEFAULTS}
    | dict(train_size=lambda k, v: check_int(k, v, 10, 2000),
           layers=lambda k, v: check_int(k, v, 1, 8)),
)
def train_rnn_regime(config: dict[str, Any]) -> dict[str, Any]:
    """:func:`~seqdrop.course.elman_masks.train_rnn_variant`'s model and keys (no
    ``test_size``: the test set is :func:`nested_mnist`'s) on the first ``train_size`` images of
    :func:`nested_mnist` read one row per step; Adam with gradient clipping; test metrics at
    the epoch of best validation accuracy (:func:`fit_selected`)."""
    c = config
    data = nested_mnist(c["train_size"])
    seed_everything(c["seed"])
    model = ElmanClassifier(28, c["hidden"], 10, c["layers"], variant=c["variant"], p=c["p"],
                            generator=torch.Generator())
    return fit_selected(model, data, epochs=c["epochs"], batch_size=c["batch_size"],
                        optimizer="adam", lr=c["lr"], clip=c["clip"], seed=c["seed"],
                        eval_batch_size=100, device="cpu")
