"""seqdrop.nn.reference is the oracle: the layers and the fast step loops equal it, mask for mask."""
from __future__ import annotations

import pytest
import torch
from nn_testing import CELLS, IN, H, REF_CELL, capture_masks, flat, make_pair, reference_layer

import seqdrop.nn as snn
from seqdrop.nn import reference
from seqdrop.nn.recurrence import StepMasks, gru_recurrence, lstm_recurrence, rnn_recurrence

VARIANTS = [
    dict(recurrent_dropout=0.4),
    dict(recurrent_dropout=0.4, untied_masks=True),
    dict(update_dropout=0.4),
    dict(update_dropout=0.4, update_dropout_per_step=True),
    dict(zoneout=0.3),
    dict(zoneout=0.3, recurrent_dropout=0.2, update_dropout=0.3),
]


CASES = [(cell, k) for cell in CELLS for k, v in enumerate(VARIANTS) if cell in ("LSTM", "GRU") or "untied_masks" not in v]


@pytest.mark.parametrize("cell, variant", CASES)
def test_layer_equals_reference_outputs_and_gradients(cell, variant, monkeypatch):
    """Training (masks captured) and eval: outputs, final states and all gradients match."""
    kw = dict(VARIANTS[variant])
    if cell == "LSTM" and "zoneout" in kw:
        kw["zoneout_cell"] = 0.5
    torch.manual_seed(3)
    _, mod = make_pair(cell, **kw)
    seen = capture_masks(monkeypatch)
    for training in (True, False):
        mod.train(training)
        seen.clear()
        x = torch.randn(6, 4, IN, requires_grad=True)
        out, hn = mod(x)
        masks = seen[0] if seen else StepMasks()
        h0 = torch.zeros(4, H)
        ref_out, ref_h, ref_c = reference_layer(cell, mod, x, masks, h0, h0.clone())
        got = [out, flat(hn)[0][0]] + ([hn[1][0]] if cell == "LSTM" else [])
        want = [ref_out, ref_h] + ([ref_c] if cell == "LSTM" else [])
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
        leaves = [x, *mod.parameters()]
        g_got = torch.autograd.grad(sum((t * (k + 1)).sum() for k, t in enumerate(got)), leaves)
        g_want = torch.autograd.grad(sum((t * (k + 1)).sum() for k, t in enumerate(want)), leaves)
        for a, b in zip(g_got, g_want):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_zoneout_eval_uses_expectation():
    torch.manual_seed(8)
    mod = snn.LSTM(IN, H, zoneout=0.3, zoneout_cell=0.5).eval()
    x = torch.randn(6, 2, IN)
    h0 = torch.zeros(2, H)
    ref, _, _ = reference_layer("LSTM", mod, x, StepMasks(zoneout_h=0.3, zoneout_c=0.5), h0, h0)
    torch.testing.assert_close(mod(x)[0], ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mod(x)[0], mod(x)[0], atol=0, rtol=0)


@pytest.mark.parametrize("cell", CELLS)
def test_reference_without_masks_equals_torch(cell):
    torch.manual_seed(4)
    ref_mod, _ = make_pair(cell)
    x, h0 = torch.randn(5, 3, IN), torch.randn(3, H)
    c0 = torch.randn(3, H)
    hx = (h0[None], c0[None]) if cell == "LSTM" else h0[None]
    want, _ = ref_mod(x, hx)
    w = [ref_mod.weight_ih_l0, ref_mod.weight_hh_l0, ref_mod.bias_ih_l0, ref_mod.bias_hh_l0]
    got, _, _ = reference.recurrence(REF_CELL[cell], x, h0, w, c0=c0 if cell == "LSTM" else None)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_reference_input_and_weight_masks_are_what_they_say():
    """A locked input mask = a masked input; a weight mask = a masked W_hh; per-step lists differ per step."""
    torch.manual_seed(5)
    ref_mod, _ = make_pair("GRU")
    w = [ref_mod.weight_ih_l0, ref_mod.weight_hh_l0, ref_mod.bias_ih_l0, ref_mod.bias_hh_l0]
    x, h0 = torch.randn(4, 3, IN), torch.zeros(3, H)
    mx = (torch.rand(3, IN) > 0.5).float() * 2
    a, _, _ = reference.recurrence("gru", x, h0, w, input_mask=mx)
    b, _, _ = reference.recurrence("gru", x * mx, h0, w)
    torch.testing.assert_close(a, b)
    mw = (torch.rand(3 * H, H) > 0.5).float() * 2
    a, _, _ = reference.recurrence("gru", x, h0, w, weight_mask=mw)
    b, _, _ = reference.recurrence("gru", x, h0, [w[0], w[1] * mw, w[2], w[3]])
    torch.testing.assert_close(a, b)
    steps = [(torch.rand(3, H) > 0.5).float() * 2 for _ in range(4)]
    a, _, _ = reference.recurrence("gru", x, h0, w, recurrent_mask=steps)
    b, _, _ = reference.recurrence("gru", x, h0, w, recurrent_mask=steps[0])
    assert torch.equal(a[0], b[0]) and not torch.equal(a, b)
    with pytest.raises(ValueError, match="cell"):
        reference.recurrence("lstm2", x, h0, w)


def test_gradcheck_fast_recurrences_with_masks():
    """The hand-written backward passes of the fast loops against finite differences."""
    torch.manual_seed(4)
    dt = torch.double
    T, B, Hh = 3, 2, 3

    def mk(*s):
        return (torch.rand(*s, dtype=dt) > 0.3).to(dt) / 0.7

    zmask = (torch.rand(T, B, Hh) < 0.3).to(dt)
    h0 = torch.randn(B, Hh, dtype=dt, requires_grad=True)
    c0 = torch.randn(B, Hh, dtype=dt, requires_grad=True)
    xp4 = torch.randn(T, B, 4 * Hh, dtype=dt, requires_grad=True)
    w4 = (0.5 * torch.randn(4 * Hh, Hh, dtype=dt)).requires_grad_()
    for rec, upd, zh in [(mk(B, Hh), mk(T, B, Hh), zmask), (mk(4, B, Hh), mk(B, Hh), 0.3)]:
        m = StepMasks(rec, upd, zh, zmask)
        assert torch.autograd.gradcheck(lambda a, b, c, d: lstm_recurrence(a, b, c, d, m), (xp4, w4, h0, c0))
    xp3 = torch.randn(T, B, 3 * Hh, dtype=dt, requires_grad=True)
    w3 = (0.5 * torch.randn(3 * Hh, Hh, dtype=dt)).requires_grad_()
    b3 = torch.randn(3 * Hh, dtype=dt, requires_grad=True)
    for rec, upd, zh in [(mk(B, Hh), mk(T, B, Hh), zmask), (mk(3, B, Hh), mk(B, Hh), 0.3)]:
        m = StepMasks(rec, upd, zh)
        assert torch.autograd.gradcheck(lambda a, b, bb, c: gru_recurrence(a, b, bb, c, m), (xp3, w3, b3, h0))
    xp1 = torch.randn(T, B, Hh, dtype=dt, requires_grad=True)
    w1 = (0.5 * torch.randn(Hh, Hh, dtype=dt)).requires_grad_()
    m = StepMasks(mk(B, Hh), mk(T, B, Hh), zmask)
    for relu in (False, True):
        assert torch.autograd.gradcheck(lambda a, b, c: rnn_recurrence(a, b, c, m, relu), (xp1, w1, h0))
