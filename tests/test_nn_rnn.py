"""seqdrop.nn layers: equality with torch.nn when dropout is off, and the semantics of each variant."""
from __future__ import annotations

import itertools
import math
import warnings

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

import seqdrop.nn as snn
from seqdrop.nn import rnn as rnn_mod
from seqdrop.nn.recurrence import gru_recurrence, lstm_recurrence, rnn_recurrence

CELLS = ["LSTM", "GRU", "tanh", "relu"]
IN, H = 3, 5


def make_pair(cell, **kw):
    """(torch module, seqdrop module) with identical weights."""
    extra = {k: kw.pop(k) for k in list(kw) if k not in ("num_layers", "bias", "batch_first", "bidirectional", "dropout")}
    if cell == "LSTM":
        ref, mine = torch.nn.LSTM(IN, H, **kw), snn.LSTM(IN, H, **kw, **extra)
    elif cell == "GRU":
        ref, mine = torch.nn.GRU(IN, H, **kw), snn.GRU(IN, H, **kw, **extra)
    else:
        ref, mine = torch.nn.RNN(IN, H, nonlinearity=cell, **kw), snn.RNN(IN, H, nonlinearity=cell, **kw, **extra)
    mine.load_state_dict(ref.state_dict())
    return ref, mine


def flat(h):
    return h if isinstance(h, tuple) else (h,)


def run_and_grads(mod, inp, hx, leaves):
    out, h = mod(inp, hx)
    o = out.data if isinstance(out, torch.nn.utils.rnn.PackedSequence) else out
    loss = (o * torch.linspace(-1, 1, o.shape[-1])).sum() + sum((t**2).sum() for t in flat(h))
    grads = torch.autograd.grad(loss, leaves + list(mod.parameters()), retain_graph=True)
    return [o, *flat(h), *grads]


def assert_close_lists(a, b, tol=1e-5):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, atol=tol, rtol=tol)


# ----------------------------------------------------------------------------- equality grid
@pytest.mark.parametrize("cell", CELLS)
def test_equal_to_torch_grid(cell):
    """Outputs, final states and gradients equal torch.nn across the whole option grid."""
    torch.manual_seed(0)
    T, B = 4, 3
    for L, bid, bf, bias, with_h in itertools.product([1, 2, 3], [False, True], [False, True], [True, False], [False, True]):
        ref, mine = make_pair(cell, num_layers=L, bidirectional=bid, batch_first=bf, bias=bias)
        x = torch.randn((B, T, IN) if bf else (T, B, IN), requires_grad=True)
        D = 2 if bid else 1
        hx, leaves = None, [x]
        if with_h:
            hx = torch.randn(L * D, B, H, requires_grad=True)
            leaves.append(hx)
            if cell == "LSTM":
                c = torch.randn(L * D, B, H, requires_grad=True)
                leaves.append(c)
                hx = (hx, c)
        assert_close_lists(run_and_grads(ref, x, hx, leaves), run_and_grads(mine, x, hx, leaves))


@pytest.mark.parametrize("cell", CELLS)
def test_step_loop_equals_torch(cell):
    """The custom-backward step loop (used by the recurrence-changing variants) equals torch."""
    torch.manual_seed(1)
    T, B = 5, 3
    for L, bid, bf, bias, packed in itertools.product([1, 2], [False, True], [False, True], [True, False], [False, True]):
        ref, mine = make_pair(cell, num_layers=L, bidirectional=bid, batch_first=bf, bias=bias)
        mine._force_loop = True
        x = torch.randn((B, T, IN) if bf else (T, B, IN), requires_grad=True)
        inp = pack_padded_sequence(x, torch.tensor([5, 2, 4]), batch_first=bf, enforce_sorted=False) if packed else x
        assert_close_lists(run_and_grads(ref, inp, None, [x]), run_and_grads(mine, inp, None, [x]))


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_packed_and_unbatched_fused(cell):
    torch.manual_seed(2)
    ref, mine = make_pair(cell, num_layers=2, bidirectional=True)
    x = torch.randn(6, 3, IN, requires_grad=True)
    inp = pack_padded_sequence(x, torch.tensor([6, 3, 5]), enforce_sorted=False)
    assert_close_lists(run_and_grads(ref, inp, None, [x]), run_and_grads(mine, inp, None, [x]))
    xu = torch.randn(6, IN, requires_grad=True)
    assert_close_lists(run_and_grads(ref, xu, None, [xu]), run_and_grads(mine, xu, None, [xu]))


def test_state_dict_round_trip():
    for cls, tcls in [(snn.LSTM, torch.nn.LSTM), (snn.GRU, torch.nn.GRU), (snn.RNN, torch.nn.RNN)]:
        a = tcls(4, 6, 2, bidirectional=True)
        b = cls(4, 6, 2, bidirectional=True, weight_dropout=0.5, recurrent_dropout=0.3)
        assert list(a.state_dict()) == list(b.state_dict())
        b.load_state_dict(a.state_dict())
        a2 = tcls(4, 6, 2, bidirectional=True)
        a2.load_state_dict(b.state_dict())
        for k, v in a.state_dict().items():
            assert torch.equal(v, a2.state_dict()[k])


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(recurrent_dropout=1.0), "recurrent_dropout"),
        (dict(weight_dropout=-0.1), "weight_dropout"),
        (dict(zoneout=1.5), "zoneout"),
        (dict(input_dropout=float("nan")), "input_dropout"),
        (dict(dropout=1.0), "dropout"),
        (dict(dropout=0.2, layer_dropout=0.2, num_layers=2), "layer_dropout"),
        (dict(recurrent_dropout_mode="gate"), "recurrent_dropout_mode"),
        (dict(untied_masks="yes"), "untied_masks"),
    ],
)
def test_invalid_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        snn.LSTM(3, 4, **kwargs)


def test_invalid_combinations_per_cell():
    with pytest.raises(ValueError, match="zoneout_cell"):
        snn.GRU(3, 4, zoneout_cell=0.1)
    with pytest.raises(ValueError, match="zoneout_cell"):
        snn.RNN(3, 4, zoneout_cell=0.1)
    with pytest.raises(ValueError, match="untied_masks"):
        snn.RNN(3, 4, recurrent_dropout=0.2, untied_masks=True)
    with pytest.raises(ValueError, match="nonlinearity"):
        snn.RNN(3, 4, nonlinearity="sigmoid")
    snn.LSTM(3, 4, untied_masks=True)  # flag without probability: accepted, no-op


# ----------------------------------------------------------------------------- semantics vs naive cells
def _naive(cell, x, w_ih, w_hh, b_ih, b_hh, h, c, rec, upd, zh, zc):
    """Plain-autograd reference of the documented equations (one direction, time-first)."""
    outs = []
    G = {"LSTM": 4, "GRU": 3}.get(cell, 1)
    Hh = w_hh.shape[1]
    for t in range(x.shape[0]):
        if rec is None:
            hh = h @ w_hh.t()
        elif rec.dim() == 2:
            hh = (h * rec) @ w_hh.t()
        else:
            hh = torch.cat([(h * rec[k]) @ w_hh[k * Hh : (k + 1) * Hh].t() for k in range(G)], 1)
        xi = x[t] @ w_ih.t() + b_ih
        hh = hh + b_hh
        d = None if upd is None else (upd[t] if upd.dim() == 3 else upd)
        if cell == "LSTM":
            a = xi + hh
            i, f, g, o = a.chunk(4, 1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            if d is not None:
                g = g * d
            cn = f * c + i * g
            hn = o * cn.tanh()
            if zc is not None:
                z = zc if isinstance(zc, float) else zc[t]
                cn = z * c + (1 - z) * cn
            c = cn
        elif cell == "GRU":
            xr, xz, xn = xi.chunk(3, 1)
            hr, hz, hn_ = hh.chunk(3, 1)
            r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
            n = (xn + r * hn_).tanh()
            if d is not None:
                n = n * d
            hn = (1 - z) * n + z * h  # carry uses the undropped h
        else:
            a = xi + hh
            if d is not None:
                a = a * d
            hn = a.tanh() if cell == "tanh" else a.relu()
        if zh is not None:
            z = zh if isinstance(zh, float) else zh[t]
            hn = z * h + (1 - z) * hn
        h = hn
        outs.append(h)
    return torch.stack(outs), h, c


def _capture(monkeypatch):
    """Record the masks the module draws for the step loop."""
    seen = []
    orig = rnn_mod.SeqdropRNNBase._layer_masks

    def spy(self, T, B, like):
        m = orig(self, T, B, like)
        seen.append(m)
        return m

    monkeypatch.setattr(rnn_mod.SeqdropRNNBase, "_layer_masks", spy)
    return seen


VARIANTS = [
    dict(recurrent_dropout=0.4),
    dict(recurrent_dropout=0.4, untied_masks=True),
    dict(update_dropout=0.4),
    dict(update_dropout=0.4, update_dropout_per_step=True),
    dict(zoneout=0.3),
    dict(zoneout=0.3, recurrent_dropout=0.2, update_dropout=0.3),
]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("variant", range(len(VARIANTS)))
def test_loop_variants_match_naive_equations(cell, variant, monkeypatch):
    kw = dict(VARIANTS[variant])
    if cell in ("tanh", "relu") and kw.get("untied_masks"):
        pytest.skip("untied masks need a gated cell")
    if cell == "LSTM" and "zoneout" in kw:
        kw["zoneout_cell"] = 0.5
    torch.manual_seed(3)
    _, mod = make_pair(cell, **kw)
    seen = _capture(monkeypatch)
    x = torch.randn(6, 4, IN)
    for training in (True, False):
        mod.train(training)
        seen.clear()
        out, hn = mod(x)
        m = seen[0] if seen else dict(rec=None, upd=None, zh=None, zc=None)
        w = dict(mod.named_parameters())
        h0 = torch.zeros(4, H)
        ref_out, ref_h, ref_c = _naive(
            cell, x, w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"], w["bias_hh_l0"], h0, h0.clone(),
            m["rec"], m["upd"], m["zh"], m["zc"],
        )
        torch.testing.assert_close(out, ref_out, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(flat(hn)[0][0], ref_h, atol=1e-5, rtol=1e-5)
        if cell == "LSTM":
            torch.testing.assert_close(hn[1][0], ref_c, atol=1e-5, rtol=1e-5)


def test_gradcheck_recurrences_with_masks():
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
        assert torch.autograd.gradcheck(lambda a, b, c, d: lstm_recurrence(a, b, c, d, rec, upd, zh, zmask), (xp4, w4, h0, c0))
    xp3 = torch.randn(T, B, 3 * Hh, dtype=dt, requires_grad=True)
    w3 = (0.5 * torch.randn(3 * Hh, Hh, dtype=dt)).requires_grad_()
    b3 = torch.randn(3 * Hh, dtype=dt, requires_grad=True)
    for rec, upd, zh in [(mk(B, Hh), mk(T, B, Hh), zmask), (mk(3, B, Hh), mk(B, Hh), 0.3)]:
        assert torch.autograd.gradcheck(lambda a, b, bb, c: gru_recurrence(a, b, bb, c, rec, upd, zh), (xp3, w3, b3, h0))
    xp1 = torch.randn(T, B, Hh, dtype=dt, requires_grad=True)
    w1 = (0.5 * torch.randn(Hh, Hh, dtype=dt)).requires_grad_()
    rec1, upd1 = mk(B, Hh), mk(T, B, Hh)
    for relu in (False, True):
        assert torch.autograd.gradcheck(lambda a, b, c: rnn_recurrence(a, b, c, rec1, upd1, zmask, relu), (xp1, w1, h0))


# ----------------------------------------------------------------------------- masks: rates and structure
def _binom_ok(mask, p_keep, sigmas=5.0):
    n = mask.numel()
    k = (mask != 0).sum().item()
    return abs(k - n * p_keep) <= sigmas * math.sqrt(n * p_keep * (1 - p_keep)) + 1


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "tanh"])
def test_mask_rates_and_structure(cell, monkeypatch):
    torch.manual_seed(5)
    kw = dict(recurrent_dropout=0.3, update_dropout=0.4, update_dropout_per_step=True, zoneout=0.2)
    _, mod = make_pair(cell, **kw)
    mod.hidden_size  # noqa: B018
    seen = _capture(monkeypatch)
    T, B = 50, 64
    mod(torch.randn(T, B, IN))
    m = seen[0]
    assert m["rec"].shape == (B, H)  # per sequence: one mask for all steps
    assert _binom_ok(m["rec"], 0.7)
    assert torch.allclose(m["rec"][m["rec"] != 0], torch.tensor(1 / 0.7))
    assert not torch.equal(m["rec"][0], m["rec"][1]) or not torch.equal(m["rec"][2], m["rec"][3])
    assert m["upd"].shape == (T, B, H) and _binom_ok(m["upd"], 0.6)
    assert not torch.equal(m["upd"][0], m["upd"][1])  # per step: differs over time
    assert m["zh"].shape == (T, B, H) and _binom_ok(m["zh"], 0.2)  # keep-old probability = zoneout


def test_untied_masks_one_per_gate(monkeypatch):
    _, mod = make_pair("LSTM", recurrent_dropout=0.5, untied_masks=True)
    seen = _capture(monkeypatch)
    mod(torch.randn(3, 32, IN))
    rec = seen[0]["rec"]
    assert rec.shape == (4, 32, H) and not torch.equal(rec[0], rec[1])


def test_locked_dropout_constant_over_time_and_differs_across_batch():
    torch.manual_seed(6)
    mod = snn.LSTM(IN, 40, output_dropout=0.5, batch_first=True)
    out, _ = mod(torch.randn(16, 12, IN))
    zero = out == 0
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # same pattern at every step
    assert not torch.equal(zero[0], zero[1])
    assert _binom_ok(~zero[:, 0], 0.5)
    # input and layer dropout (per-layer path) also lock: look at layer 2's input
    mod = snn.GRU(IN, 40, num_layers=2, layer_dropout=0.5, input_dropout=0.3)
    x = torch.ones(9, 8, IN)
    ins = []
    orig = mod._fused
    mod._fused = lambda x_, *a: (ins.append(x_), orig(x_, *a))[1]
    mod(x)
    for v in ins:
        z = v == 0
        assert torch.equal(z, z[:1].expand_as(z)) and z.any()


def test_between_layer_dropout_is_per_step():
    g = torch.Generator().manual_seed(0)
    mod = snn.LSTM(IN, 50, num_layers=2, dropout=0.5, generator=g)  # generator -> our per-layer path
    ins = []
    orig = mod._fused
    mod._fused = lambda x_, *a: (ins.append(x_), orig(x_, *a))[1]
    mod(torch.randn(10, 8, IN))
    z = ins[1] == 0
    assert not torch.equal(z[0], z[1]) and _binom_ok(~z, 0.5)


def test_generator_reproducible():
    kw = dict(recurrent_dropout=0.3, weight_dropout=0.3, zoneout=0.1, output_dropout=0.2, num_layers=2)
    x = torch.randn(7, 3, IN)
    weights = snn.LSTM(IN, H, num_layers=2).state_dict()
    outs = []
    for _ in range(2):
        mod = snn.LSTM(IN, H, generator=torch.Generator().manual_seed(42), **kw)
        mod.load_state_dict(weights)
        outs.append(mod(x)[0])
    torch.testing.assert_close(outs[0], outs[1])


# ----------------------------------------------------------------------------- eval mode
ALL_TRAIN_ONLY = dict(
    input_dropout=0.3, layer_dropout=0.3, output_dropout=0.3, recurrent_dropout=0.3, update_dropout=0.3, weight_dropout=0.3
)


@pytest.mark.parametrize("cell", CELLS)
def test_eval_is_deterministic_and_mask_free(cell):
    torch.manual_seed(7)
    ref, mod = make_pair(cell, num_layers=2, **ALL_TRAIN_ONLY)
    ref.eval(), mod.eval()
    x = torch.randn(5, 3, IN)
    a, b, c = mod(x)[0], mod(x)[0], ref(x)[0]
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    torch.testing.assert_close(a, c, atol=1e-5, rtol=1e-5)
    mod.train()
    assert not torch.allclose(mod(x)[0], c)


def test_zoneout_eval_uses_expectation():
    torch.manual_seed(8)
    mod = snn.LSTM(IN, H, zoneout=0.3, zoneout_cell=0.5).eval()
    x = torch.randn(6, 2, IN)
    w = dict(mod.named_parameters())
    h0 = torch.zeros(2, H)
    ref, _, _ = _naive("LSTM", x, w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"], w["bias_hh_l0"], h0, h0, None, None, 0.3, 0.5)
    torch.testing.assert_close(mod(x)[0], ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mod(x)[0], mod(x)[0], atol=0, rtol=0)


# ----------------------------------------------------------------------------- weight drop
@pytest.mark.parametrize("cell", CELLS)
def test_weight_drop_keeps_weights_and_gradients(cell):
    torch.manual_seed(9)
    _, mod = make_pair(cell, num_layers=2, weight_dropout=0.5, bidirectional=True)
    before = {k: v.clone() for k, v in mod.state_dict().items()}
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(3):
            out, _ = mod(torch.randn(4, 3, IN))
            out.sum().backward()
    assert not [w for w in rec if "contiguous" in str(w.message) or "flatten" in str(w.message)]
    for k, v in mod.state_dict().items():
        assert torch.equal(v, before[k]), k
    mod.zero_grad()
    mod(torch.randn(4, 3, IN))[0].sum().backward()
    g = mod.weight_hh_l1_reverse.grad
    assert g is not None and g.abs().sum() > 0
    assert (g == 0).float().mean() > 0.2  # one mask per forward: dropped entries get no gradient
    assert dict(mod.named_parameters()).keys() == before.keys()


def test_batch_mode_equals_column_weight_drop(monkeypatch):
    """recurrent_dropout_mode='batch' == the sequence-mode recurrence with the mask broadcast over the batch."""
    torch.manual_seed(10)
    for cell in ["LSTM", "GRU", "tanh"]:
        for untied in ([False, True] if cell != "tanh" else [False]):
            _, mod = make_pair(cell, recurrent_dropout=0.5, recurrent_dropout_mode="batch", untied_masks=untied)
            masks = []
            orig = rnn_mod.recurrent_column_mask
            monkeypatch.setattr(rnn_mod, "recurrent_column_mask", lambda *a, **k: masks.append(orig(*a, **k)) or masks[-1])
            x = torch.randn(5, 4, IN)
            out, _ = mod(x)
            m = masks[0]
            rec = m.expand(4, H) if m.dim() == 2 else m.expand(m.shape[0], 4, H)
            w = dict(mod.named_parameters())
            ref, _, _ = _naive(cell, x, w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"], w["bias_hh_l0"],
                               torch.zeros(4, H), torch.zeros(4, H), rec, None, None, None)
            torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
            monkeypatch.undo()


def test_loop_variants_with_packed_sequences():
    """Finished sequences are frozen: a packed batch equals running each sequence alone."""
    torch.manual_seed(11)
    mod = snn.LSTM(IN, H, bidirectional=True, zoneout=0.2, zoneout_cell=0.2).eval()  # deterministic loop
    x = torch.randn(6, 3, IN)
    lens = torch.tensor([6, 2, 4])
    out, (h, c) = mod(pack_padded_sequence(x, lens, enforce_sorted=False))
    padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out)
    for b in range(3):
        o1, (h1, c1) = mod(x[: lens[b], b : b + 1])
        torch.testing.assert_close(padded[: lens[b], b : b + 1], o1, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(h[:, b : b + 1], h1, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(c[:, b : b + 1], c1, atol=1e-5, rtol=1e-5)
    mod.train()
    out, _ = mod(pack_padded_sequence(x, lens, enforce_sorted=False))
    out.data.sum().backward()


def test_all_variants_combined_backward():
    for cls in (snn.LSTM, snn.GRU, snn.RNN):
        kw = dict(input_dropout=0.2, layer_dropout=0.2, output_dropout=0.2, recurrent_dropout=0.2,
                  update_dropout=0.2, weight_dropout=0.2, zoneout=0.1)
        if cls is not snn.RNN:
            kw["untied_masks"] = True
        mod = cls(IN, H, num_layers=2, bidirectional=True, batch_first=True, **kw)
        out, _ = mod(torch.randn(3, 5, IN))
        assert out.shape == (3, 5, 2 * H)
        out.sum().backward()
        assert all(p.grad is not None for p in mod.parameters())


def test_repr_lists_options():
    r = repr(snn.GRU(3, 4, recurrent_dropout=0.25, zoneout=0.1))
    assert "recurrent_dropout=0.25" in r and "zoneout=0.1" in r


# ----------------------------------------------------------------------------- CUDA
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("cell", CELLS)
def test_cuda_equal_to_torch_and_loop(cell):
    torch.manual_seed(12)
    ref, mine = make_pair(cell, num_layers=2, bidirectional=True)
    ref, mine = ref.cuda(), mine.cuda()
    x = torch.randn(5, 3, IN, device="cuda", requires_grad=True)
    assert_close_lists(run_and_grads(ref, x, None, [x]), run_and_grads(mine, x, None, [x]), tol=1e-4)
    mine._force_loop = True
    assert_close_lists(run_and_grads(ref, x, None, [x]), run_and_grads(mine, x, None, [x]), tol=1e-4)


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("kw", [dict(weight_dropout=0.5), dict(recurrent_dropout=0.5, recurrent_dropout_mode="batch"),
                                dict(weight_dropout=0.5, layer_dropout=0.3), dict(recurrent_dropout=0.3, zoneout=0.1)])
def test_cuda_variants_no_weight_warning(kw):
    mod = snn.LSTM(IN, H, num_layers=2, **kw).cuda()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(2):
            out, _ = mod(torch.randn(4, 3, IN, device="cuda"))
            out.sum().backward()
        mod.eval()
        mod(torch.randn(4, 3, IN, device="cuda"))
    assert not [w for w in rec if "contiguous" in str(w.message)], [str(w.message) for w in rec]
    assert mod.weight_hh_l0.grad.abs().sum() > 0


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("cell", CELLS)
def test_cuda_graph_replay_equals_eager(cell, monkeypatch):
    """The step loop replayed as a CUDA graph (2nd call captures, 3rd replays) equals eager."""
    from seqdrop.nn import recurrence

    torch.manual_seed(13)
    kw = dict(zoneout=0.2, num_layers=2, bidirectional=True)
    _, mod = make_pair(cell, **kw)
    mod = mod.cuda().eval()  # eval zoneout: deterministic step loop
    x = torch.randn(7, 4, IN, device="cuda", requires_grad=True)
    monkeypatch.setattr(recurrence, "CUDA_GRAPHS", False)
    want = run_and_grads(mod, x, None, [x])
    monkeypatch.setattr(recurrence, "CUDA_GRAPHS", True)
    for _ in range(3):
        got = run_and_grads(mod, x, None, [x])
        assert_close_lists(want, got, tol=1e-4)
    assert any(k[0].startswith({"LSTM": "lstm", "GRU": "gru"}.get(cell, "rnn")) for k in recurrence._graphs)


# ----------------------------------------------------------------------------- CPU fast paths
def test_lstm_torchscript_loop_equals_python_loop(monkeypatch):
    """The TorchScript-compiled CPU step loops give the same outputs and gradients as the Python loops."""
    from seqdrop.nn import recurrence

    torch.manual_seed(12)
    T, B, Hh = 5, 3, 4

    def mk(*s):
        return (torch.rand(*s) > 0.3).float() / 0.7

    zm = (torch.rand(T, B, Hh) < 0.3).float()
    cases = [
        dict(),
        dict(rec=mk(B, Hh)),
        dict(rec=mk(4, B, Hh), upd=mk(T, B, Hh)),
        dict(upd=mk(B, Hh), zh=zm, zc=(torch.rand(T, B, 1) < 0.5).float()),
        dict(rec=mk(B, Hh), zh=0.3, zc=0.5),  # eval-mode zoneout (expectation)
    ]
    for kw in cases:
        res = []
        for script in (True, False):
            monkeypatch.setattr(recurrence, "TORCHSCRIPT", script)
            g = torch.Generator().manual_seed(0)
            xp = torch.randn(T, B, 4 * Hh, generator=g, requires_grad=True)
            w = (0.5 * torch.randn(4 * Hh, Hh, generator=g)).requires_grad_()
            h0 = torch.randn(B, Hh, generator=g, requires_grad=True)
            c0 = torch.randn(B, Hh, generator=g, requires_grad=True)
            out, hT, cT = lstm_recurrence(xp, w, h0, c0, **kw)
            loss = (out * torch.linspace(-1, 1, Hh)).sum() + (hT**2).sum() + (cT**3).sum()
            res.append([out, hT, cT, *torch.autograd.grad(loss, (xp, w, h0, c0))])
        assert_close_lists(res[0], res[1], tol=1e-6)


def test_drop_weight_mask_is_rand_ge_p():
    """drop_weight keeps the documented draw (``rand >= p``, scaled by 1/(1-p)) for float and double."""
    from seqdrop.nn.weight_drop import drop_weight

    for dtype, p in ((torch.float32, 0.5), (torch.float64, 0.3)):
        w = torch.randn(8, 6, dtype=dtype, requires_grad=True)
        got = drop_weight(w, p, generator=torch.Generator().manual_seed(5))
        keep = torch.rand(w.shape, generator=torch.Generator().manual_seed(5)) >= p
        ref = torch.where(keep, w * (1.0 / (1.0 - p)), torch.zeros((), dtype=dtype))
        assert got.dtype == dtype
        torch.testing.assert_close(got, ref, atol=0, rtol=0)
        (gw,) = torch.autograd.grad(got.sum(), w)
        torch.testing.assert_close(gw, keep.to(dtype) / (1.0 - p), atol=0, rtol=0)
