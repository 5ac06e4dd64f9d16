"""Speed of seqdrop.nn recurrent layers vs fused torch.nn, in a word-LM training step.

The measurement lives in :mod:`seqdrop.benchmark` (imported by notebook 07 too); this is its
command line. One step = embedding -> 2-layer recurrent stack -> 10k-way decoder ->
cross-entropy -> backward -> SGD. Every recipe of the registry (seqdrop.recipes) asked for, at
rate --p, is timed in the same process as the fused
baseline (``torch.nn.LSTM``/``GRU``/``RNN`` without dropout), paired and interleaved, and
reported as the median over repeats of (tokens/s) and of the per-round ratio to the baseline.
The "recurrent" column times only the recurrent stack (forward + backward from a fixed
upstream gradient), where the recipes actually differ.

Examples::

    python benchmarks/bench_rnn.py                      # CPU, 2 threads, both CPU shapes
    python benchmarks/bench_rnn.py --device cuda --quick
    python benchmarks/bench_rnn.py --cells LSTM --shapes 20x200x35 --repeats 5
"""
from __future__ import annotations

import argparse
import sys
import time

import torch

from seqdrop.benchmark import (DEFAULT_RECIPES, bench_shape, default_shapes, markdown_table, parse_recipes,
                               parse_shapes, runs_fused)
from seqdrop.errors import SeqdropError
from seqdrop._validation import check_probability


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    ap.add_argument("--cells", default="LSTM,GRU", help="comma list of LSTM,GRU,RNN")
    ap.add_argument("--shapes", default=None, help="comma list of BxHxT (default: per device)")
    ap.add_argument("--recipes", default=None,
                    help="comma list of seqdrop.recipes names (default: one per implementation path)")
    ap.add_argument("--p", type=float, default=0.5, help="every recipe's rate p (default 0.5)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved rounds (median reported)")
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    args = ap.parse_args(argv)
    try:
        device = torch.device(args.device)
        shapes = parse_shapes(args.shapes) if args.shapes else default_shapes(device)
        recipes = parse_recipes(args.recipes) if args.recipes else list(DEFAULT_RECIPES)
        p = check_probability("p", args.p)
        cells = args.cells.split(",")
        if bad := [c for c in cells if c not in ("LSTM", "GRU", "RNN")]:
            raise SeqdropError(f"unknown cell(s) {bad}; known: LSTM, GRU, RNN")
        for cell in cells:  # a recipe a cell cannot run (gal-untied on RNN) fails here
            for name in recipes:
                runs_fused(cell, name, p)
    except (SeqdropError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    repeats = args.repeats or (3 if args.quick else 7)
    inner = 2 if args.quick else 3
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} threads"
    print(f"# seqdrop.nn benchmark: torch {torch.__version__}, {dev_name}")
    print(f"# command: python benchmarks/bench_rnn.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"# median of {repeats} interleaved rounds (each: best of {inner}); ratio = speed / fused torch (1.0 = same)\n")
    header = True
    for cell in cells:
        for B, H, T in shapes:
            t0 = time.perf_counter()
            rows = bench_shape(cell, B, H, T, device=device, recipes=recipes, p=p, repeats=repeats, inner=inner)
            table = markdown_table(rows).splitlines()
            print("\n".join(table if header else table[2:]))
            header = False
            sys.stdout.flush()
            print(f"<!-- {cell} {B}x{H}x{T}: {time.perf_counter() - t0:.0f}s -->", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
