import math

import pandas as pd
import pytest
import torch

from seqdrop.course.small_vocab_lm import (keeps_fitting, lm_slice, lm_trial, turn_up,
                                           unigram_margin)
from seqdrop.data import LMCorpus, cap_vocabulary
from seqdrop.course.mc_perplexity import unigram_perplexity

TINY = dict(vocab_size=50, train_tokens=1_000, valid_tokens=500, test_tokens=500,
            embedding_size=8, hidden_size=8, num_layers=2, epochs=3, batch_size=4, bptt=10)


def toy_corpus():
    vocab = ["a", "b", "<unk>", "c", "d"]
    train = torch.tensor([0, 1, 1, 3, 3, 3, 4, 2, 2, 2, 2])  # c: 3, b: 2, a: 1, d: 1, unk: 4
    return LMCorpus(train, torch.tensor([4, 3, 0]), torch.tensor([1, 2]), vocab, name="toy")


def test_cap_vocabulary_keeps_the_most_frequent_types_and_maps_the_rest_to_unk():
    capped = cap_vocabulary(toy_corpus(), 3)
    assert capped.vocab == ["c", "b", "<unk>"]  # unk is never a kept type, whatever its count
    assert capped.train.tolist() == [2, 1, 1, 0, 0, 0, 2, 2, 2, 2, 2]
    assert capped.valid.tolist() == [2, 0, 2] and capped.test.tolist() == [1, 2]
    # ties by first appearance: a (id 0) before d (id 4)
    assert cap_vocabulary(toy_corpus(), 4).vocab == ["c", "b", "a", "<unk>"]


@pytest.mark.parametrize("size", [1, 6, 2.5, True])
def test_cap_vocabulary_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="size"):
        cap_vocabulary(toy_corpus(), size)


def test_lm_slice_caps_ptb_and_slices_each_split():
    data = lm_slice(2000, 3_000, 1_000, 800)
    assert data.vocab_size == 2000 and data.vocab[-1] == "<unk>" and data.vocab[0] == "the"
    assert (data.train.numel(), data.valid.numel(), data.test.numel()) == (3_000, 1_000, 800)
    assert int(data.train.max()) == 1999
    unk_share = float((data.valid == 1999).double().mean())
    assert 0.1 < unk_share < 0.35  # 2,000 types cover most running words of PTB


def test_lm_trial_tests_at_the_validation_selected_epoch_and_scores_the_unigram():
    cfg = dict(lm_trial.defaults) | TINY | {"seed": 0}
    out = lm_trial(cfg)
    hist = pd.DataFrame(out["history"])
    best = int(hist["val_ppl"].idxmin())
    assert out["best_epoch"] == hist["epoch"][best]
    assert out["test_ppl"] == pytest.approx(hist["test_ppl"][best])
    assert out["final_val_ppl"] == pytest.approx(hist["val_ppl"].iloc[-1])
    data = lm_slice(50, 1_000, 500, 500)
    assert out["unigram_test_ppl"] == pytest.approx(
        unigram_perplexity(data.train, data.test, 50, batch_size=10, bptt=10))
    assert math.isfinite(out["unigram_val_ppl"]) and out["unigram_val_ppl"] < 50
    again = lm_trial(cfg)
    assert again["test_ppl"] == out["test_ppl"]  # same seed, same numbers on CPU


def test_lm_trial_rejects_bad_values():
    with pytest.raises(Exception, match="recipe"):
        lm_trial.checks["recipe"]("recipe", "dropall")
    with pytest.raises(Exception, match="vocab_size"):
        lm_trial.checks["vocab_size"]("vocab_size", 1)


def trials(values):
    rows = []
    for seed, (val, final, test, uni) in enumerate(values):
        rows.append(dict(recipe="none", seed=seed, val_ppl=val, final_val_ppl=final,
                         test_ppl=test, unigram_test_ppl=uni, unigram_val_ppl=uni))
        rows.append(dict(recipe="zaremba", seed=seed, val_ppl=1.0, final_val_ppl=1.0,
                         test_ppl=1.0, unigram_test_ppl=uni, unigram_val_ppl=uni))
    return pd.DataFrame(rows)


def test_unigram_margin_is_relative_to_the_unigram_and_per_seed():
    t = trials([(100, 120, 150, 200), (100, 130, 160, 200), (100, 110, 140, 200)])
    mean, low, high, n = unigram_margin(t)
    assert mean == pytest.approx(25.0) and n == 3 and low < 25 < high
    assert unigram_margin(t, split="val")[0] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="split"):
        unigram_margin(t, split="train")
    with pytest.raises(ValueError, match="gal"):
        unigram_margin(t, recipe="gal")


def test_turn_up_is_last_minus_best_validation_perplexity():
    t = trials([(100, 120, 150, 200), (100, 130, 160, 200), (100, 110, 140, 200)])
    mean, low, high, n = turn_up(t)
    assert mean == pytest.approx(20.0) and low == pytest.approx(20 - 4.303 * 10 / 3 ** 0.5, rel=1e-3)
    assert turn_up(t, recipe="zaremba")[0] == 0


def test_keeps_fitting_compares_the_last_training_loss_with_the_best_epochs():
    t = pd.DataFrame([dict(recipe="none", seed=s, best_epoch=2) for s in (0, 1)])
    h = pd.DataFrame([dict(recipe="none", seed=s, epoch=e, train_loss=5.0 - e)
                      for s in (0, 1) for e in (1, 2, 3)])
    assert keeps_fitting(t, h)
    h.loc[(h["seed"] == 1) & (h["epoch"] == 3), "train_loss"] = 3.5  # seed 1 got worse
    assert not keeps_fitting(t, h)
    with pytest.raises(ValueError, match="zaremba"):
        keeps_fitting(t, h, recipe="zaremba")
