"""seqdrop.course.lm_scores: MC-dropout and unigram perplexities of a language model."""
from __future__ import annotations

import math

import pytest
import torch

from seqdrop.course.lm_scores import mc_and_ws_perplexity as mc_perplexity
from seqdrop.course.lm_scores import unigram_perplexity
from seqdrop.models import RNNLanguageModel
from seqdrop.nn import RecurrentDropout


def test_mc_perplexity_equals_weight_scaling_without_dropout_and_differs_with_it():
    torch.manual_seed(0)
    stream = torch.randint(0, 30, (400,))
    plain = RNNLanguageModel(30, 8, 8, 1, "lstm")
    ws, mc = mc_perplexity(plain, stream, n_samples=3, batch_size=4, bptt=10, max_batches=5)
    assert mc == pytest.approx(ws, rel=1e-5)
    dropped = RNNLanguageModel(30, 8, 8, 1, "lstm", dropouts=RecurrentDropout(
        locked=True, model_output_dropout=0.5, recurrent_dropout=0.5))
    ws, mc = mc_perplexity(dropped, stream, n_samples=4, batch_size=4, bptt=10)
    assert math.isfinite(mc) and mc != pytest.approx(ws, rel=1e-4)
    assert dropped.training  # the mode it had before
    with pytest.raises(ValueError, match="n_samples"):
        mc_perplexity(plain, stream, n_samples=0)


def test_mc_perplexity_averages_probabilities_not_log_probabilities():
    from seqdrop.nn import mc_dropout

    torch.manual_seed(1)
    stream = torch.randint(0, 20, (200,))
    model = RNNLanguageModel(20, 6, 6, 1, "lstm", dropouts=RecurrentDropout(
        locked=True, model_input_dropout=0.5, model_output_dropout=0.5))
    _, mc = mc_perplexity(model, stream, n_samples=2, batch_size=2, bptt=25, seed=5)
    torch.manual_seed(5)
    source = stream[:200].view(2, 100).t()
    probs = []
    with torch.no_grad():
        model.eval()
        with mc_dropout(model):
            for _ in range(2):
                state, p = None, []
                for i in range(0, 99, 25):
                    xb, yb = source[i:i + 25], source[i + 1:i + 26]
                    xb = xb[: len(yb)]  # the last window is one word shorter
                    logits, state = model(xb, state)
                    p.append(logits.softmax(-1).gather(-1, yb.unsqueeze(-1)).flatten())
                probs.append(torch.cat(p))
    expected = math.exp(-torch.stack(probs).mean(0).log().mean().item())
    assert mc == pytest.approx(expected, rel=1e-5)


def test_unigram_perplexity_is_the_smoothed_frequency_model():
    train = torch.tensor([0, 0, 0, 1])  # counts + 1: 4, 2, 1 of 7
    stream = torch.tensor([0, 1, 2, 0] * 10)
    ppl = unigram_perplexity(train, stream, 3, batch_size=1, bptt=39)
    targets = stream[1:]
    expected = math.exp(-torch.tensor([4 / 7, 2 / 7, 1 / 7]).log()[targets].mean().item())
    assert ppl == pytest.approx(expected)
    uniform = unigram_perplexity(torch.arange(5), torch.arange(5).repeat(8), 5, batch_size=2)
    assert uniform == pytest.approx(5.0)
