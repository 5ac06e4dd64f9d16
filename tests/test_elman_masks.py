"""The masked Elman classifier, the memory measurements and the MNIST-rows trial."""
from __future__ import annotations

import pytest
import torch

from seqdrop.experiments.mask_sites import sample_masks
from seqdrop.course.elman_masks import ElmanClassifier, latch_retention, state_deviation


def test_masked_path_without_masks_equals_the_fused_rnn():
    torch.manual_seed(0)
    model = ElmanClassifier(5, 8, 3, 2, variant="gal", p=0.3).eval()
    x = torch.randn(4, 7, 5)
    fused = model.rnn(x.transpose(0, 1))[0]
    assert torch.allclose(model.masked_states(x.transpose(0, 1), {}), fused, atol=1e-5)


@pytest.mark.parametrize("variant", ["between", "locked", "weight_drop"])
def test_fused_layers_compute_the_step_loop_under_the_variant_masks(variant):
    """Layers with no recurrent mask run torch's fused kernel: the same states (and gradients)
    as the reference step loop under the same between-layer and weight masks."""
    from seqdrop.nn.reference import recurrence

    torch.manual_seed(0)
    model = ElmanClassifier(5, 8, 3, 2, variant=variant, p=0.4)
    x = torch.randn(7, 4, 5)
    masks = sample_masks(variant, 0.4, steps=7, batch=4, input_size=5, hidden=8,
                         generator=torch.Generator().manual_seed(2))
    fused = model.masked_states(x, masks)
    h = x
    for layer in range(2):
        if layer:
            h = h * masks["between"][0]
        w = masks.get("weights")
        h, _, _ = recurrence("rnn_tanh", h, torch.zeros(4, 8), model._weights(layer),
                             weight_mask=None if w is None else w[layer])
    assert torch.allclose(fused, h, atol=1e-5)
    g_fused = torch.autograd.grad(fused.sum(), model.rnn.weight_hh_l0)[0]
    g_loop = torch.autograd.grad(h.sum(), model.rnn.weight_hh_l0)[0]
    assert torch.allclose(g_fused, g_loop, atol=1e-5)


@pytest.mark.parametrize("variant", ["between", "locked", "recurrent_step", "gal", "weight_drop"])
def test_variants_train_with_masks_and_evaluate_without(variant):
    torch.manual_seed(0)
    model = ElmanClassifier(5, 8, 3, 2, variant=variant, p=0.5,
                            generator=torch.Generator().manual_seed(1))
    x = torch.randn(4, 7, 5)
    a, b = model(x), model(x)
    assert not torch.equal(a, b), "training mode samples fresh masks"
    a.sum().backward()
    assert model.rnn.weight_hh_l0.grad is not None
    model.eval()
    assert torch.equal(model(x), model(x))


def test_a_zero_recurrent_mask_cuts_the_recurrence():
    torch.manual_seed(0)
    model = ElmanClassifier(5, 8, 3, 2, variant="gal", p=0.5)
    x = torch.randn(6, 2, 5)
    cut = model.masked_states(x, {"recurrent": torch.zeros(2, 6, 2, 8)})
    alone = model.masked_states(x[-1:], {})  # the last step seen from a zero state
    assert torch.allclose(cut[-1], alone[-1], atol=1e-6)
    assert not torch.allclose(model.masked_states(x, {})[-1], alone[-1], atol=1e-3)


def test_latch_retention_follows_the_theory():
    g = torch.Generator().manual_seed(0)
    step = latch_retention(0.2, 10, units=20000, per_step=True, generator=g)
    seq = latch_retention(0.2, 10, units=20000, per_step=False, generator=g)
    assert abs(step["retention"].iloc[10] - 0.8**10) < 0.02
    assert (seq["retention"].iloc[1:] - 0.8).abs().max() < 0.02
    assert step["retention"].iloc[0] == 1.0


def test_state_deviation_is_zero_at_the_first_step_and_grows():
    torch.manual_seed(0)
    rnn = torch.nn.RNN(3, 16)
    x = torch.rand(12, 4, 3)
    for per_step in (True, False):
        d = state_deviation(rnn, x, 0.3, n_masks=20, per_step=per_step,
                            generator=torch.Generator().manual_seed(0))
        assert d["deviation"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # h_0 = 0
        assert d["deviation"].iloc[-1] > 0.01
