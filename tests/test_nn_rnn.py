"""seqdrop.nn layers: equality with torch.nn when dropout is off, and the semantics of each variant."""
from __future__ import annotations

import itertools
import warnings

import pytest
import torch
from nn_testing import (
    CELLS, IN, H, assert_close_lists, binom_ok, capture_fused_inputs, capture_masks, flat, make_pair,
    reference_layer, run_and_grads,
)
from torch.nn.utils.rnn import pack_padded_sequence

import seqdrop.nn as snn


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
def test_bit_identical_to_torch_without_options(cell):
    """No option on: the same fused call as torch.nn, so the same bits (training mode too)."""
    torch.manual_seed(1)
    ref, mine = make_pair(cell, num_layers=2, bidirectional=True, dropout=0.3)
    x = torch.randn(6, 4, IN)
    torch.manual_seed(5)
    want = ref(x)
    torch.manual_seed(5)
    got = mine(x)
    assert all(torch.equal(a, b) for a, b in zip(flat(want[1]), flat(got[1])))
    assert torch.equal(want[0], got[0])


@pytest.mark.parametrize("cell", CELLS)
def test_step_loop_equals_torch(cell):
    """The custom-backward step loop (used by the recurrence-changing variants) equals torch."""
    torch.manual_seed(1)
    T, B = 5, 3
    for L, bid, bf, bias, packed in itertools.product([1, 2], [False, True], [False, True], [True, False], [False, True]):
        ref, mine = make_pair(cell, num_layers=L, bidirectional=bid, batch_first=bf, bias=bias)
        x = torch.randn((B, T, IN) if bf else (T, B, IN), requires_grad=True)
        inp = pack_padded_sequence(x, torch.tensor([5, 2, 4]), batch_first=bf, enforce_sorted=False) if packed else x
        with snn.force_step_loop():
            got = run_and_grads(mine, inp, None, [x])
        assert_close_lists(run_and_grads(ref, inp, None, [x]), got)


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
        (dict(dropout=1.5), "dropout"),  # torch accepts dropout=1
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
    with pytest.raises(TypeError, match="embedding_dropout"):  # a model option, not a layer's
        snn.LSTM(3, 4, embedding_dropout=0.1)
    with pytest.raises(TypeError, match="generator"):
        snn.LSTM(3, 4, generator=0)
    snn.LSTM(3, 4, untied_masks=True)  # flag without probability: accepted, no-op


def test_layer_holds_one_option_object():
    mod = snn.GRU(3, 4, 2, dropout=0.1, recurrent_dropout=0.25, zoneout=0.1)
    assert mod.dropouts == snn.RecurrentDropout(dropout=0.1, recurrent_dropout=0.25, zoneout=0.1)
    assert mod.dropout == 0.1  # torch's attribute stays
    r = repr(mod)
    assert "recurrent_dropout=0.25" in r and "zoneout=0.1" in r and r.count("dropout=0.1") == 1


# ----------------------------------------------------------------------------- masks: rates and structure
@pytest.mark.parametrize("cell", ["LSTM", "GRU", "tanh"])
def test_mask_rates_and_structure(cell, monkeypatch):
    torch.manual_seed(5)
    kw = dict(recurrent_dropout=0.3, update_dropout=0.4, update_dropout_per_step=True, zoneout=0.2)
    _, mod = make_pair(cell, **kw)
    seen = capture_masks(monkeypatch)
    T, B = 50, 64
    mod(torch.randn(T, B, IN))
    m = seen[0]
    assert m.recurrent.shape == (B, H)  # per sequence: one mask for all steps
    assert binom_ok(m.recurrent, 0.7)
    assert torch.allclose(m.recurrent[m.recurrent != 0], torch.tensor(1 / 0.7))
    assert not torch.equal(m.recurrent[0], m.recurrent[1]) or not torch.equal(m.recurrent[2], m.recurrent[3])
    assert m.update.shape == (T, B, H) and binom_ok(m.update, 0.6)
    assert not torch.equal(m.update[0], m.update[1])  # per step: differs over time
    assert m.zoneout_h.shape == (T, B, H) and binom_ok(m.zoneout_h, 0.2)  # keep-old probability = zoneout


def test_untied_masks_one_per_gate(monkeypatch):
    _, mod = make_pair("LSTM", recurrent_dropout=0.5, untied_masks=True)
    seen = capture_masks(monkeypatch)
    mod(torch.randn(3, 32, IN))
    rec = seen[0].recurrent
    assert rec.shape == (4, 32, H) and not torch.equal(rec[0], rec[1])


def test_locked_dropout_constant_over_time_and_differs_across_batch(monkeypatch):
    torch.manual_seed(6)
    mod = snn.LSTM(IN, 40, output_dropout=0.5, batch_first=True)
    out, _ = mod(torch.randn(16, 12, IN))
    zero = out == 0
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # same pattern at every step
    assert not torch.equal(zero[0], zero[1])
    assert binom_ok(~zero[:, 0], 0.5)
    # input and layer dropout (per-layer path) also lock: look at each layer's input
    mod = snn.GRU(IN, 40, num_layers=2, layer_dropout=0.5, input_dropout=0.3)
    ins = capture_fused_inputs(monkeypatch)
    mod(torch.ones(9, 8, IN))
    assert len(ins) == 2
    for v in ins:
        z = v == 0
        assert torch.equal(z, z[:1].expand_as(z)) and z.any()


def test_between_layer_dropout_is_per_step(monkeypatch):
    g = torch.Generator().manual_seed(0)
    mod = snn.LSTM(IN, 50, num_layers=2, dropout=0.5, generator=g)  # generator -> our per-layer path
    ins = capture_fused_inputs(monkeypatch)
    mod(torch.randn(10, 8, IN))
    z = ins[1] == 0
    assert not torch.equal(z[0], z[1]) and binom_ok(~z, 0.5)


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
    """recurrent_dropout_mode='batch' == the reference with the mask broadcast over the batch."""
    from seqdrop.nn import weight_drop
    from seqdrop.nn.recurrence import StepMasks

    torch.manual_seed(10)
    for cell in ["LSTM", "GRU", "tanh"]:
        for untied in ([False, True] if cell != "tanh" else [False]):
            _, mod = make_pair(cell, recurrent_dropout=0.5, recurrent_dropout_mode="batch", untied_masks=untied)
            masks = []
            orig = weight_drop.recurrent_column_mask
            monkeypatch.setattr(weight_drop, "recurrent_column_mask", lambda *a, **k: masks.append(orig(*a, **k)) or masks[-1])
            x = torch.randn(5, 4, IN)
            out, _ = mod(x)
            m = masks[0]
            rec = m.expand(4, H) if m.dim() == 2 else m.expand(m.shape[0], 4, H)
            h0 = torch.zeros(4, H)
            ref, _, _ = reference_layer(cell, mod, x, StepMasks(recurrent=rec), h0, h0)
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


def test_help_teaches_the_equations():
    for cls, words in ((snn.LSTM, ["c'_t", "zoneout_cell", "(h_n, c_n)"]), (snn.GRU, ["n_t", "carry"]),
                       (snn.RNN, ["nonlinearity", "pre-activation"])):
        doc = cls.__doc__
        for word in ["Args:", "Inputs:", "Outputs:", "Example::", "recurrent_dropout", "update_dropout", *words]:
            assert word in doc, (cls.__name__, word)


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


def test_docstring_examples_run():
    import doctest

    from seqdrop.nn import _accel, options, rnn

    for module in (rnn, options, _accel):
        res = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, module.__name__


def test_signature_lists_the_options():
    import inspect

    params = inspect.signature(snn.LSTM).parameters
    assert list(params)[:7] == ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"]
    assert params["zoneout_cell"].kind is inspect.Parameter.KEYWORD_ONLY and params["zoneout_cell"].default == 0.0
    assert "zoneout_cell" not in inspect.signature(snn.GRU).parameters
    assert "untied_masks" not in inspect.signature(snn.RNN).parameters
