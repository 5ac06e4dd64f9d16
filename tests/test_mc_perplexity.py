"""MC perplexity and its cost (seqdrop.course.mc_perplexity, chapter 08)."""
import math

import pytest
import torch

from seqdrop.course.mc_perplexity import mc_lm, mc_perplexity, token_log_probs
from seqdrop.models import RNNLanguageModel

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
