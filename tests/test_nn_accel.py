"""The step loop's accelerator (CUDA graphs) and the context managers of the execution path."""
from __future__ import annotations

import threading

import pytest
import torch
from nn_testing import CELLS, IN, assert_close_lists, make_pair, run_and_grads

import seqdrop.nn as snn
from seqdrop.nn import _accel


def test_context_managers_set_and_restore():
    base = _accel.settings()
    assert base == _accel.Settings()
    with snn.accelerators(cuda_graphs=False, cuda_graph_cache=4) as s:
        assert not s.cuda_graphs and s.cuda_graph_cache == 4
        with snn.force_step_loop():
            assert _accel.settings().force_step_loop and not _accel.settings().cuda_graphs
        assert not _accel.settings().force_step_loop
    assert _accel.settings() == base
    with pytest.raises(RuntimeError), snn.force_step_loop():
        raise RuntimeError("restored even on error")
    assert _accel.settings() == base
    with pytest.raises(TypeError, match="cuda_graphs"), snn.accelerators(cuda_graphs="no"):
        pass
    with pytest.raises(ValueError, match="cuda_graph_cache"), snn.accelerators(cuda_graph_cache=-1):
        pass


def test_settings_are_per_thread():
    seen = []
    with snn.force_step_loop():
        t = threading.Thread(target=lambda: seen.append(_accel.settings().force_step_loop))
        t.start()
        t.join()
    assert seen == [False]


def test_force_step_loop_runs_the_loop(monkeypatch):
    from seqdrop.nn import _layer_run

    calls = []
    orig = _layer_run.layer_masks
    monkeypatch.setattr(_layer_run, "layer_masks", lambda *a: calls.append(1) or orig(*a))
    mod = snn.GRU(IN, 4)
    mod(torch.randn(3, 2, IN))
    assert not calls
    with snn.force_step_loop():
        mod(torch.randn(3, 2, IN))
    assert calls


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
    with snn.force_step_loop():
        assert_close_lists(run_and_grads(ref, x, None, [x]), run_and_grads(mine, x, None, [x]), tol=1e-4)


@pytest.mark.cuda
@cuda
@pytest.mark.parametrize("kw", [dict(weight_dropout=0.5), dict(recurrent_dropout=0.5, recurrent_dropout_mode="batch"),
                                dict(weight_dropout=0.5, layer_dropout=0.3), dict(recurrent_dropout=0.3, zoneout=0.1)])
def test_cuda_variants_no_weight_warning(kw):
    import warnings

    mod = snn.LSTM(IN, 5, num_layers=2, **kw).cuda()
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
def test_cuda_graph_replay_equals_eager(cell):
    """The step loop replayed as a CUDA graph (2nd call captures, 3rd replays) equals eager."""
    torch.manual_seed(13)
    _, mod = make_pair(cell, zoneout=0.2, num_layers=2, bidirectional=True)
    mod = mod.cuda().eval()  # eval zoneout: deterministic step loop
    x = torch.randn(7, 4, IN, device="cuda", requires_grad=True)
    _accel.graph_cache.clear()
    with snn.accelerators(cuda_graphs=False):
        want = run_and_grads(mod, x, None, [x])
    for _ in range(3):
        got = run_and_grads(mod, x, None, [x])
        assert_close_lists(want, got, tol=1e-4)
    prefix = {"LSTM": "lstm", "GRU": "gru"}.get(cell, "rnn")
    assert any(k[0].startswith(prefix) for k in _accel.graph_cache.graphs)
