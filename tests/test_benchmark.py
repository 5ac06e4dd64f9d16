"""seqdrop.benchmark: the timing and memory core of benchmarks/bench_rnn.py and notebook 07."""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from seqdrop import benchmark as bm
from seqdrop._validation import ParameterError

ROOT = Path(__file__).resolve().parents[1]


def test_bench_shape_rows_pair_every_recipe_with_the_baseline():
    rows = bm.bench_shape("LSTM", 2, 8, 3, recipes=["none", "gal", "awd"], repeats=1, inner=1)
    assert [r["recipe"] for r in rows] == [bm.BASELINE, "none", "gal", "awd"]
    assert [r["path"] for r in rows] == ["baseline", "fused", "step loop", "fused"]
    assert [r["p"] for r in rows] == [0.0, 0.5, 0.5, 0.5]
    base = rows[0]
    assert base["step_ratio"] == 1.0 and base["recurrent_ratio"] == 1.0
    for r in rows:
        assert r["step_ms"] > 0 and r["recurrent_ms"] > 0 and r["recurrent_ratio"] > 0
        assert r["tokens_per_s"] == pytest.approx(2 * 3 / r["step_ms"] * 1e3)


def test_recurrent_only_rows_have_no_step_columns():
    rows = bm.bench_shape("GRU", 2, 8, 3, recipes=["zoneout"], repeats=1, inner=1, whole_step=False)
    assert len(rows) == 2 and "step_ratio" not in rows[1] and rows[1]["path"] == "step loop"


def test_saved_bytes_counts_activations_not_parameters_or_inputs():
    lin = torch.nn.Linear(4, 4)
    x = torch.randn(3, 4, requires_grad=True)
    saved, out = bm._saved_bytes(lambda: torch.sin(lin(x)), [*lin.parameters(), x])
    assert saved == 3 * 4 * 4  # only lin(x), saved by sin; the weight and x are left out
    assert out.shape == (3, 4)


def test_memory_grows_linearly_with_sequence_length():
    short, long = (bm.memory_use("LSTM", 2, 8, t, "gal")["saved_mb"] for t in (5, 10))
    assert long == pytest.approx(2 * short, rel=0.05)
    assert math.isnan(bm.memory_use("GRU", 2, 8, 5, bm.BASELINE)["peak_mb"])  # CPU: no CUDA peak


def test_memory_sees_masks_kept_on_the_autograd_context():
    # zoneout's per-step masks live on the step loop's ctx, not in saved_tensors
    plain = bm.memory_use("LSTM", 2, 8, 5, "semeniuta")["saved_mb"]
    zoneout = bm.memory_use("LSTM", 2, 8, 5, "zoneout")["saved_mb"]
    assert zoneout > plain


def test_loglog_slope():
    assert bm.loglog_slope([1, 2, 4, 8], [3, 12, 48, 192]) == pytest.approx(2.0)
    with pytest.raises(ParameterError):
        bm.loglog_slope([2, 2], [1, 3])
    with pytest.raises(ParameterError):
        bm.loglog_slope([1, 2], [0, 3])


def test_parsers():
    assert bm.parse_shapes("20x200x35, 4X8x2") == [(20, 200, 35), (4, 8, 2)]
    assert bm.parse_recipes("gal, zaremba+zoneout") == ["gal", "zaremba+zoneout"]
    for bad in ("20x200", "0x1x1", "axbxc"):
        with pytest.raises(ParameterError, match="BxHxT"):
            bm.parse_shapes(bad)
    with pytest.raises(ParameterError, match="'recipe'"):
        bm.parse_recipes("none,nope")
    with pytest.raises(ParameterError, match="no recipe"):
        bm.parse_recipes(" , ")
    assert bm.default_shapes("cpu") == [(20, 200, 35), (20, 650, 35)]


def _cli():
    spec = importlib.util.spec_from_file_location("bench_rnn", ROOT / "benchmarks" / "bench_rnn.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_prints_the_readme_table(capsys):
    rc = _cli().main(["--threads", "1", "--cells", "GRU", "--shapes", "2x8x3", "--recipes", "none",
                      "--repeats", "1", "--quick"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "| cell | B×H×T | recipe | path | step ms | tokens/s | step ratio | recurrent-only ratio |" in out
    assert "| GRU | 2×8×3 | torch fused | baseline |" in out and "| GRU | 2×8×3 | none 0.5 | fused |" in out


@pytest.mark.parametrize("args", [["--shapes", "3x2"], ["--recipes", "nope"], ["--cells", "TCN"],
                                  ["--recipes", "gal-untied", "--cells", "RNN"], ["--p", "1.5"]])
def test_cli_bad_input_is_one_line(args, capsys):
    assert _cli().main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_the_stack_carries_every_site_of_the_recipe():
    stack = bm.recurrent_stack("LSTM", 8, "zaremba+zoneout", 0.4)
    assert isinstance(stack.drop_in, torch.nn.Dropout) and stack.drop_in.p == 0.4
    assert isinstance(stack.drop_out, torch.nn.Dropout)
    assert stack.rnn.dropout == 0.4 and stack.rnn.dropouts.zoneout_cell == 0.4
    locked = bm.recurrent_stack("GRU", 8, "awd", 0.5)
    assert isinstance(locked.drop_in, torch.nn.Identity)
    d = locked.rnn.dropouts
    assert (d.input_dropout, d.layer_dropout, d.output_dropout, d.weight_dropout) == (0.4, 0.3, 0.4, 0.5)
    assert bm.runs_fused("LSTM", "awd") and not bm.runs_fused("LSTM", "gal")
    assert bm.runs_fused("LSTM", "gal-batch")
