"""MC perplexity, its cost and the unigram floor (seqdrop.course.mc_perplexity, chapters 08 and 09)."""
import math

import pytest
import torch

from seqdrop.course.mc_perplexity import (mc_and_ws_perplexity, mc_lm, mc_perplexity, token_log_probs,
                                          unigram_perplexity)
from seqdrop.models import RNNLanguageModel
from seqdrop.nn import RecurrentDropout

torch.set_num_threads(1)


def test_mc_perplexity_averages_probabilities():
    lp = torch.log(torch.tensor([[0.5, 0.25], [0.5, 0.25]]))
    assert mc_perplexity(lp) == pytest.approx({1: 1 / math.sqrt(0.125), 2: 1 / math.sqrt(0.125)})
    lp = torch.log(torch.tensor([[0.2], [0.6]]))  # mean probability 0.4
    assert mc_perplexity(lp, [2])[2] == pytest.approx(2.5)
    with pytest.raises(ValueError):
        mc_perplexity(torch.zeros(3, 0))


def test_token_log_probs_counts_the_evaluated_tokens():
    torch.manual_seed(0)
    model = RNNLanguageModel(20, 4, 4, 1).eval()
    stream = torch.randint(0, 20, (101,))
    lp = token_log_probs(model, stream, batch_size=4, bptt=5, max_batches=3)
    assert lp.shape == (3 * 5 * 4,) and (lp <= 0).all()
    with pytest.raises(ValueError):
        token_log_probs(model, stream[:3], batch_size=4, bptt=5)


def test_mc_lm_times_both_methods():
    tiny = dict(max_tokens=2_000, hidden_size=8, embedding_size=8, epochs=1, n_samples=2,
                eval_batches=2, bptt=10, seed=0)
    out = mc_lm(dict(mc_lm.defaults) | tiny)
    assert out["tokens"] == 2 * 10 * 10
    assert out["ws_ppl"] > 1 and out["mc_ppl"] > 1 and out["mc_seconds"] > 0
    assert [r["n_samples"] for r in out["history"]] == [1, 2]


def test_streamed_mc_perplexity_equals_weight_scaling_without_dropout_and_differs_with_it():
    torch.manual_seed(0)
    stream = torch.randint(0, 30, (400,))
    plain = RNNLanguageModel(30, 8, 8, 1, "lstm")
    ws, mc = mc_and_ws_perplexity(plain, stream, n_samples=3, batch_size=4, bptt=10, max_batches=5)
    assert mc == pytest.approx(ws, rel=1e-5)
    dropped = RNNLanguageModel(30, 8, 8, 1, "lstm", dropouts=RecurrentDropout(
        locked=True, model_output_dropout=0.5, recurrent_dropout=0.5))
    ws, mc = mc_and_ws_perplexity(dropped, stream, n_samples=4, batch_size=4, bptt=10)
    assert math.isfinite(mc) and mc != pytest.approx(ws, rel=1e-4)
    assert dropped.training  # the mode it had before
    with pytest.raises(ValueError, match="n_samples"):
        mc_and_ws_perplexity(plain, stream, n_samples=0)


def test_streamed_mc_perplexity_averages_probabilities_not_log_probabilities():
    from seqdrop.nn import mc_dropout

    torch.manual_seed(1)
    stream = torch.randint(0, 20, (200,))
    model = RNNLanguageModel(20, 6, 6, 1, "lstm", dropouts=RecurrentDropout(
        locked=True, model_input_dropout=0.5, model_output_dropout=0.5))
    _, mc = mc_and_ws_perplexity(model, stream, n_samples=2, batch_size=2, bptt=25, seed=5)
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
