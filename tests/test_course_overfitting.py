"""seqdrop.course.overfitting: trivial baseline, overfitting measure, validation-selected test
metrics, nested data sizes, the chapter-01 trial."""
from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from torch import nn

from seqdrop.course.overfitting import (
    ValidationSelected,
    balanced_order,
    fit_selected,
    majority_accuracy,
    nested_mnist,
    overfitting,
    train_mlp_regime,
    train_rnn_regime,
)
from seqdrop.data import SequenceDataset, SequenceSplit


def test_majority_accuracy_predicts_the_most_frequent_training_class():
    train = torch.tensor([0, 1, 1, 2, 1])
    assert majority_accuracy(train, torch.tensor([1, 1, 0, 2])) == 0.5
    assert majority_accuracy(torch.tensor([2, 0]), torch.tensor([0, 2, 2])) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="non-empty"):
        majority_accuracy(torch.tensor([], dtype=torch.long), torch.tensor([1]))


def test_overfitting_reads_the_turn_of_accuracy_and_of_loss():
    h = pd.DataFrame({"epoch": [1, 2, 3, 4], "val_acc": [0.5, 0.8, 0.8, 0.7],
                      "val_loss": [1.0, 0.4, 0.6, 0.9]})
    acc = overfitting(h, "val_acc")
    assert acc["best"] == 0.8 and acc["best_epoch"] == 2 and acc["last"] == 0.7
    assert acc["excess"] == pytest.approx(0.1)
    loss = overfitting(h, "val_loss")
    assert loss["best_epoch"] == 2 and loss["excess"] == pytest.approx(0.5)
    rising = pd.DataFrame({"epoch": [1, 2], "val_acc": [0.1, 0.2]})
    assert overfitting(rising)["excess"] == 0.0 and overfitting(rising)["best_epoch"] == 2
    with pytest.raises(ValueError, match="non-empty"):
        overfitting(h.iloc[:0])


def test_balanced_order_keeps_every_prefix_balanced():
    y = torch.tensor([0] * 30 + [1] * 20 + [2] * 10)
    order = balanced_order(y)
    assert sorted(order.tolist()) == list(range(60))
    first = y[order[:30]]
    assert torch.bincount(first).tolist() == [10, 10, 10]
    assert torch.equal(order, balanced_order(y))
    assert not torch.equal(order, balanced_order(y, seed=1))


def test_nested_mnist_sizes_share_validation_and_test_and_nest():
    small, large = nested_mnist(100), nested_mnist(400)
    assert (len(small.train), len(small.valid), len(small.test)) == (100, 500, 2500)
    assert torch.equal(small.test.x, large.test.x) and torch.equal(small.valid.y, large.valid.y)
    assert torch.equal(small.train.x, large.train.x[:100])
    assert torch.bincount(small.train.y).tolist() == [10] * 10
    with pytest.raises(Exception, match="train_size"):
        nested_mnist(2001)


class _Linear(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.fc(x.flatten(1))


def _toy(n: int = 64, seed: int = 0) -> SequenceDataset:
    g = torch.Generator().manual_seed(seed)

    def split(m: int) -> SequenceSplit:
        x = torch.randn(m, 1, 4, generator=g)
        y = (x[:, 0, 0] > 0).long()
        return SequenceSplit(x, y, torch.ones(m, dtype=torch.long))

    return SequenceDataset(split(n), split(n), split(n), 2, 4, "toy")


def test_validation_selected_tests_only_at_new_best_validation_accuracy():
    model = _Linear()
    select = ValidationSelected(_toy().test)
    calls = []
    select.evaluate = lambda m: (calls.append(1), (0.5 + len(calls) / 10, 1.0))[1]  # type: ignore[method-assign]
    trainer = type("T", (), {"model": model})()
    for epoch, acc in enumerate([0.6, 0.7, 0.7, 0.65, 0.8], start=1):
        select(trainer, {"epoch": epoch, "val_acc": acc})
    assert select.epoch == 5 and len(calls) == 3 and select.test_acc == pytest.approx(0.8)
    with pytest.raises(ValueError, match="non-empty"):
        ValidationSelected(SequenceSplit(torch.zeros(0, 1, 4), torch.zeros(0), torch.zeros(0)))


def test_validation_selected_evaluate_is_accuracy_and_cross_entropy_in_eval_mode():
    data = _toy()
    model = nn.Sequential(nn.Flatten(), nn.Dropout(0.9), nn.Linear(4, 2))

    class Wrapped(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
            return self.m(x)

    w = Wrapped().train()
    acc, loss = ValidationSelected(data.test, batch_size=7).evaluate(w)
    with torch.no_grad():
        logits = model.eval()(data.test.x)
    assert acc == pytest.approx(float((logits.argmax(1) == data.test.y).double().mean()))
    assert loss == pytest.approx(float(nn.functional.cross_entropy(logits, data.test.y)), rel=1e-5)
    assert w.training  # the mode is restored


def test_fit_selected_reports_the_test_metrics_of_the_selected_epoch():
    data = _toy()
    torch.manual_seed(0)
    out = fit_selected(_Linear(), data, epochs=6, batch_size=8, optimizer="adam", lr=0.05,
                       seed=0, device="cpu")
    hist = pd.DataFrame(out["history"])
    assert len(hist) == 6 and "test_acc" not in hist
    best = hist.loc[hist["val_acc"].idxmax()]
    assert out["es_epoch"] == int(best["epoch"]) and out["best_val_acc"] == best["val_acc"]
    assert 0.0 <= out["es_test_acc"] <= 1.0 and math.isfinite(out["es_test_loss"])
    assert out["majority_acc"] == majority_accuracy(data.train.y, data.test.y)
    assert out["val_acc_excess"] == pytest.approx(out["best_val_acc"] - out["val_acc"])


def test_mlp_regime_trial_is_seeded_and_checks_its_keys():
    config = {**train_mlp_regime.defaults, "train_size": 100, "hidden": 16, "input_p": 0.2,
              "p": 0.5, "epochs": 2, "seed": 3}
    a, b = train_mlp_regime(config), train_mlp_regime(config)
    assert a["es_test_acc"] == b["es_test_acc"] and a["history"] == b["history"]
    assert len(a["history"]) == 2 and a["majority_acc"] == pytest.approx(0.1, abs=0.01)
    with pytest.raises(Exception, match="input_p"):
        train_mlp_regime.checks["input_p"]("input_p", 1.5)
    assert 0.0 <= a["w_near_zero"] <= 1.0 and a["w_l2"] > 0


def test_mlp_regime_trial_applies_penalties_and_augmentation():
    base = {**train_mlp_regime.defaults, "train_size": 100, "hidden": 16, "epochs": 2, "seed": 0}
    plain = train_mlp_regime(base)
    l2 = train_mlp_regime({**base, "l2": 0.1})
    shifted = train_mlp_regime({**base, "shift": 2})
    assert l2["w_l2"] < plain["w_l2"]  # the penalty shrinks the first layer
    assert shifted["history"] != plain["history"]


def test_rnn_regime_trial_runs_a_masked_variant_reproducibly():
    config = {**train_rnn_regime.defaults, "variant": "gal", "p": 0.25, "hidden": 8,
              "train_size": 50, "epochs": 2, "seed": 1}
    a, b = train_rnn_regime(config), train_rnn_regime(config)
    assert a["es_test_acc"] == b["es_test_acc"] and 1 <= a["es_epoch"] <= 2
    with pytest.raises(Exception, match="variant"):
        train_rnn_regime.checks["variant"]("variant", "sideways")
