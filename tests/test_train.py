"""seqdrop.train: learning on real data, determinism, checkpoint/resume, early stopping, guards."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch

from seqdrop.data import load_digits_rows, load_ptb
from seqdrop.models import FeedForwardNet, RNNLanguageModel, SequenceClassifier
from seqdrop.nn import RecurrentDropout
from seqdrop.train import NonFiniteLossError, TrainConfig, Trainer, fit, lm_loss
from seqdrop.utils import seed_everything

TIMING = ["seconds", "train_seconds", "tokens_per_s"]
ZAREMBA_03 = RecurrentDropout(model_input_dropout=0.3, model_layer_dropout=0.3, model_output_dropout=0.3)
AWD_SMALL = RecurrentDropout(
    locked=True, embedding_dropout=0.1, model_input_dropout=0.2, model_layer_dropout=0.2, model_output_dropout=0.2
)


@pytest.fixture(scope="module")
def corpus():
    return load_ptb("char", max_tokens=4000)  # real text, 50 symbols: fast


def _lm(seed: int = 0) -> RNNLanguageModel:
    seed_everything(seed)
    return RNNLanguageModel(50, 16, 16, 2, dropouts=ZAREMBA_03, init_range=0.1)


CFG = TrainConfig(
    epochs=2, batch_size=10, eval_batch_size=10, bptt=15, variable_bptt=True, lr=1.0, clip=5.0,
    lr_schedule="step", decay_start=1, lr_decay=0.5, max_eval_batches=5, seed=0,
)


def _strip(h: pd.DataFrame) -> pd.DataFrame:
    return h.drop(columns=TIMING).reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    return fit(_lm(), corpus, CFG, out_dir=out, progress=False), out


def test_lm_learns_and_writes_outputs(reference):
    res, out = reference
    h = res.history
    assert list(h["epoch"]) == [1, 2] and list(h["lr"]) == [1.0, 0.5]
    assert h["train_loss"].iloc[1] < h["train_loss"].iloc[0]
    assert h["val_ppl"].iloc[1] < h["val_ppl"].iloc[0] < 10_000
    assert {"train_ppl", "val_ppl", "test_ppl", "tokens_per_s", "seconds", "steps"} <= set(h.columns)
    doc = json.loads((out / "history.json").read_text())
    assert len(doc["history"]) == 2 and doc["config"]["lr"] == 1.0 and doc["stopped"] == "completed"
    assert (out / "checkpoint.pt").is_file() and (out / "best.pt").is_file()
    assert res.test_ppl == pytest.approx(res.best["test_ppl"]) and math.isfinite(res.test_ppl)


def test_same_seed_bit_identical_history(corpus, reference):
    res = fit(_lm(), corpus, CFG, progress=False)
    pd.testing.assert_frame_equal(_strip(res.history), _strip(reference[0].history), check_exact=True)


def test_resume_reaches_same_numbers(corpus, reference, tmp_path):
    def interrupt(trainer, rec):
        if rec["epoch"] == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(_lm(), corpus, CFG, out_dir=tmp_path, progress=False, callbacks=[interrupt])
    # fresh process state: different RNG and a differently initialised model
    torch.manual_seed(1234)
    res = fit(_lm(seed=99), corpus, CFG, out_dir=tmp_path, resume=True, progress=False)
    pd.testing.assert_frame_equal(_strip(res.history), _strip(reference[0].history), check_exact=True)
    ref_state = reference[0].model.state_dict()
    for k, v in res.model.state_dict().items():
        assert torch.equal(v, ref_state[k]), k


def test_resume_rejects_other_config(corpus, reference):
    with pytest.raises(ValueError, match="different config"):
        fit(_lm(), corpus, CFG, out_dir=reference[1], resume=True, progress=False, lr=2.0)


def test_non_finite_loss_names_epoch_and_step(corpus):
    m = _lm()
    with torch.no_grad():
        m.decoder.bias[0] = float("nan")
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, step 1 .*lower the learning rate.*clip"):
        fit(m, corpus, CFG, progress=False)


def test_lm_loss_convention():
    logits = torch.randn(35, 4, 7)
    y = torch.randint(0, 7, (35, 4))
    s, nll = lm_loss(logits, y, "sum")
    mean, _ = lm_loss(logits, y, "mean")
    torch.testing.assert_close(s, mean * 35)  # summed over time, averaged over batch
    torch.testing.assert_close(nll, mean * 140)


def test_early_stopping_and_classifier_learns():
    data = load_digits_rows()
    seed_everything(0)
    model = SequenceClassifier(8, 16, 10)
    cfg = TrainConfig(epochs=20, batch_size=64, optimizer="adam", lr=2e-2, patience=2, min_delta=10.0)
    res = fit(model, data, cfg, progress=False)
    # epoch 1 improves on inf; 2 and 3 cannot improve by min_delta=10 → stop after epoch 3
    assert res.stopped == "early_stopping" and len(res.history) == 3
    assert res.history["val_acc"].iloc[-1] > 0.5  # chance is 0.1


def test_ntasgd_switch_plateau_and_penalties():
    data = load_digits_rows()
    seed_everything(0)
    t = Trainer(FeedForwardNet(64, (32,), 10), data, TrainConfig(optimizer="ntasgd", lr=0.1, nonmono=2, epochs=1,
                lr_schedule="plateau", lr_decay=0.25, l1=1e-5, l2=1e-4, batch_size=64), progress=False)
    for v in (1.0, 0.9, 0.95, 0.97, 0.99):  # AWD: switch when v > min(all but the last 2)
        t._after_validation(v)
        t.best_val = min(t.best_val, v)
    assert t.asgd and isinstance(t.optimizer, torch.optim.ASGD)
    assert t.lr == pytest.approx(0.1 * 0.25**3)  # plateau: one decay per non-improving epoch
    t.fit()
    assert t.history[-1]["optimizer"] == "asgd" and math.isfinite(t.history[-1]["val_loss"])


def test_ar_tar_max_steps_and_mean_loss(corpus):
    seed_everything(0)
    m = RNNLanguageModel(50, 8, 12, 2, dropouts=AWD_SMALL, tie_weights=True)
    cfg = TrainConfig(epochs=3, batch_size=5, bptt=10, variable_bptt=True, lr=5.0, lm_loss="mean", clip=0.25,
                      ar_alpha=2.0, tar_beta=1.0, max_steps=7, max_eval_batches=2, bpc=True)
    res = fit(m, corpus, cfg, progress=False)
    assert res.stopped == "max_steps" and int(res.history["steps"].iloc[-1]) == 7
    assert "val_bpc" in res.history.columns


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_smoke(corpus):
    res = fit(_lm(), corpus, CFG, progress=False, device="cuda", epochs=1)
    assert math.isfinite(res.test_ppl)
