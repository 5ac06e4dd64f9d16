"""Two choices a Keras user will trip over, pinned down against independent code.

1. Keras 3's LSTM with ``recurrent_dropout > 0`` runs ``implementation=1`` with one recurrent
   mask *per gate* (``h_tm1_i = h_tm1 * rec_dp_mask[0]``, ...; Gal & Ghahramani's "untied"
   variant). seqdrop's default is one mask shared by the gates; ``untied_masks=True`` is
   Keras' semantics, written out below in Keras' form.
2. Keras' input ``dropout`` is then also per gate (four masks on ``x``), while seqdrop's
   ``input_dropout`` is one locked mask on ``x`` shared by every gate: the layer equals
   ``torch.nn.LSTM`` applied to ``m ⊙ x``.
"""
from __future__ import annotations

import torch

import seqdrop.nn as snn
from seqdrop.nn import _layer_run

T, B, I, H = 3, 2, 3, 4


def _record(monkeypatch, module, name):
    """Wrap ``module.name`` (a mask drawer) so the masks it returns are kept."""
    drawn = []
    original = getattr(module, name)

    def recording(*args, **kwargs):
        out = original(*args, **kwargs)
        drawn.append(out)
        return out

    monkeypatch.setattr(module, name, recording)
    return drawn


def _keras_lstm(x, lstm, masks):
    """Keras 3 ``LSTMCell.call`` with implementation 1: gate k sees ``h * masks[k]``."""
    w_i, w_f, w_c, w_o = lstm.weight_ih_l0.chunk(4)
    u_i, u_f, u_c, u_o = lstm.weight_hh_l0.chunk(4)
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).chunk(4)
    h = c = torch.zeros(B, H)
    outs = []
    for t in range(T):
        i = torch.sigmoid(x[t] @ w_i.t() + (h * masks[0]) @ u_i.t() + b[0])
        f = torch.sigmoid(x[t] @ w_f.t() + (h * masks[1]) @ u_f.t() + b[1])
        g = torch.tanh(x[t] @ w_c.t() + (h * masks[2]) @ u_c.t() + b[2])
        o = torch.sigmoid(x[t] @ w_o.t() + (h * masks[3]) @ u_o.t() + b[3])
        c = f * c + i * g
        h = o * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs)


def test_untied_masks_is_keras_per_gate_recurrent_dropout(monkeypatch):
    drawn = _record(monkeypatch, _layer_run, "scaled_mask")
    lstm = snn.LSTM(I, H, recurrent_dropout=0.5, untied_masks=True, generator=torch.Generator().manual_seed(0))
    x = torch.randn(T, B, I)
    out, _ = lstm(x)
    (masks,) = drawn
    assert masks.shape == (4, B, H)  # one mask per gate, one per sequence
    assert not all(torch.equal(masks[0], m) for m in masks[1:])
    torch.testing.assert_close(out, _keras_lstm(x, lstm, masks))


def test_default_recurrent_mask_is_shared_by_the_gates(monkeypatch):
    drawn = _record(monkeypatch, _layer_run, "scaled_mask")
    lstm = snn.LSTM(I, H, recurrent_dropout=0.5, generator=torch.Generator().manual_seed(0))
    x = torch.randn(T, B, I)
    out, _ = lstm(x)
    (mask,) = drawn
    assert mask.shape == (B, H)
    torch.testing.assert_close(out, _keras_lstm(x, lstm, [mask] * 4))


def test_input_dropout_is_one_mask_shared_by_every_gate(monkeypatch):
    drawn = _record(monkeypatch, _layer_run, "locked_dropout")
    torch.manual_seed(0)
    ref = torch.nn.LSTM(I, H)
    lstm = snn.LSTM(I, H, input_dropout=0.5, generator=torch.Generator().manual_seed(0))
    lstm.load_state_dict(ref.state_dict())
    x = torch.randn(T, B, I)
    out, _ = lstm(x)
    (dropped,) = drawn  # m ⊙ x, with one (1, B, I) mask locked over time
    mask = dropped / x
    assert torch.equal(mask, mask[:1].expand_as(mask))
    torch.testing.assert_close(out, ref(dropped)[0])
