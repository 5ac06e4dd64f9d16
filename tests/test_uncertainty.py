"""MC dropout vs weight scaling trials of chapter 08 (seqdrop.course.uncertainty)."""
import pandas as pd
import pytest
import torch
from torch import nn

from seqdrop.data import SequenceSplit
from seqdrop.errors import ParameterError
from seqdrop.course.uncertainty import (by_method, history_table, mc_classifier, mc_forecaster,
                                             mc_samples, noise_like, sample_counts, shuffle_steps)

torch.set_num_threads(1)


def test_mc_samples_differ_and_restore_the_mode():
    net = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    net.eval()
    x = torch.ones(4, 3)
    s = mc_samples(net, lambda m: m(x), 5)
    assert s.shape == (5, 4, 2) and not torch.allclose(s[0], s[1])
    assert not net.training and not net[1].training
    with pytest.raises(ParameterError):
        mc_samples(net, lambda m: m(x), 0)


def test_sample_counts():
    assert sample_counts(1) == [1]
    assert sample_counts(20) == [1, 2, 4, 8, 16, 20]


def test_shuffle_steps_keeps_values_and_padding():
    x = torch.arange(2 * 5 * 1, dtype=torch.float).reshape(2, 5, 1)
    x[1, 3:] = 0.0
    split = SequenceSplit(x, torch.zeros(2), torch.tensor([5, 3]))
    out = shuffle_steps(split, torch.Generator().manual_seed(0))
    assert sorted(out[0, :, 0].tolist()) == sorted(x[0, :, 0].tolist())
    assert sorted(out[1, :3, 0].tolist()) == sorted(x[1, :3, 0].tolist())
    assert torch.equal(out[1, 3:], x[1, 3:])


def test_noise_like_has_the_reference_moments():
    g = torch.Generator().manual_seed(0)
    ref = SequenceSplit(3.0 + 2.0 * torch.randn(500, 10, 2, generator=g), torch.zeros(500),
                        torch.full((500,), 10))
    out = noise_like(ref, ref, g)
    assert out.shape == ref.x.shape
    assert out.mean().item() == pytest.approx(3.0, abs=0.05)
    assert out.std().item() == pytest.approx(2.0, abs=0.05)


def _run(trial, **over):
    return trial(dict(trial.defaults) | {"seed": 0} | over)


def test_mc_classifier_reports_both_methods_and_history():
    out = _run(mc_classifier, data="digits-rows", hidden_size=8, epochs=1, n_samples=4, n_bins=5)
    for m in ("ws", "mc"):
        assert 0 <= out[f"{m}_acc"] <= 1 and 0 <= out[f"{m}_ece"] <= 1
        assert out[f"{m}_entropy_noise"] >= 0 and 0 <= out[f"{m}_auroc_shuffled"] <= 1
    hist = pd.DataFrame(out["history"])
    conv = history_table(hist, "convergence")
    assert conv["n_samples"].tolist() == [1, 2, 4]
    rel = history_table(hist, "reliability")
    assert set(rel["method"]) == {"ws", "mc"} and len(rel) == 10
    with pytest.raises(ValueError):
        history_table(hist, "coverage")


def test_mc_forecaster_coverage_rows():
    out = _run(mc_forecaster, hidden_size=4, epochs=1, n_samples=3, window=12)
    cov = history_table(pd.DataFrame(out["history"]), "coverage")
    assert set(cov["method"]) == {"mc", "mc+noise", "ws+noise"}
    wide = cov.pivot(index="level", columns="method", values="width")
    assert (wide["mc+noise"] >= wide["mc"]).all()  # adding noise variance only widens
    assert out["ws_rmse"] > 0 and 0 <= out["cov90_mc+noise"] <= 1


def test_by_method_pairs_the_columns():
    trials = pd.DataFrame({"seed": [0, 1], "ws_ece": [0.1, 0.2], "mc_ece": [0.05, 0.1], "status": "ok"})
    long = by_method(trials, ["ece"])
    assert list(long.columns) == ["seed", "status", "ece", "method"]
    assert long.set_index(["method", "seed"]).loc[("mc", 1), "ece"] == 0.1
    with pytest.raises(ValueError):
        by_method(trials, ["nll"])
