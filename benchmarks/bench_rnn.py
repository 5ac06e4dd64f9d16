"""Speed of seqdrop.nn recurrent layers vs fused torch.nn, in a word-LM training step.

One step = embedding -> 2-layer recurrent stack -> 10k-way decoder -> cross-entropy ->
backward -> SGD. Every variant is timed in the same process as the fused baseline
(``torch.nn.LSTM``/``GRU``/``RNN`` without dropout), interleaved round-robin, and reported as the
median over repeats of (tokens/s) and of the per-round ratio to the baseline. The
"recurrent" columns time only the recurrent stack (forward + backward from a fixed
upstream gradient), where the variants actually differ.

Examples::

    python benchmarks/bench_rnn.py                      # CPU, 2 threads, both CPU shapes
    python benchmarks/bench_rnn.py --device cuda --quick
    python benchmarks/bench_rnn.py --cells LSTM --shapes 20x200x35 --repeats 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from torch import nn

import seqdrop.nn as snn

VOCAB = 10_000

VARIANTS = {
    # name: (kwargs for the seqdrop layer, embedding dropout p, fusable?)
    "none": ({}, 0.0, True),
    "dropout (Zaremba)": (dict(dropout=0.5), 0.0, True),
    "locked in/between/out": (dict(input_dropout=0.4, layer_dropout=0.3, output_dropout=0.4), 0.0, True),
    "embedding": ({}, 0.1, True),
    "weight drop": (dict(weight_dropout=0.5), 0.0, True),
    "AWD (wd+locked+emb)": (dict(weight_dropout=0.5, input_dropout=0.4, layer_dropout=0.3, output_dropout=0.4), 0.1, True),
    "Gal recurrent, batch": (dict(recurrent_dropout=0.3, recurrent_dropout_mode="batch"), 0.0, True),
    "Gal recurrent, seq": (dict(recurrent_dropout=0.3), 0.0, False),
    "Gal untied, seq": (dict(recurrent_dropout=0.3, untied_masks=True), 0.0, False),
    "Semeniuta": (dict(update_dropout=0.3), 0.0, False),
    "zoneout": (dict(zoneout=0.1), 0.0, False),
}


class WordLM(nn.Module):
    def __init__(self, rnn: nn.Module, hidden: int, emb_p: float) -> None:
        super().__init__()
        emb = nn.Embedding(VOCAB, hidden)
        self.emb = snn.EmbeddingDropout(emb, emb_p) if emb_p > 0 else emb
        self.rnn = rnn
        self.dec = nn.Linear(hidden, VOCAB)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.dec(h)


def make_rnn(cell: str, hidden: int, kwargs: dict | None, device) -> nn.Module:
    if kwargs is None:  # fused torch baseline
        cls = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}[cell]
        return cls(hidden, hidden, 2).to(device)
    cls = {"LSTM": snn.LSTM, "GRU": snn.GRU, "RNN": snn.RNN}[cell]
    kw = dict(kwargs)
    if cell == "LSTM" and "zoneout" in kw:
        kw["zoneout_cell"] = 0.5  # Krueger et al.'s recommended c / h rates
    return cls(hidden, hidden, 2, **kw).to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_step(model: WordLM, x, y, device):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lossf = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = lossf(logits.view(-1, VOCAB), y.view(-1))
        loss.backward()
        opt.step()

    return step


def make_rec_step(rnn: nn.Module, inp, gout):
    def step():
        out, _ = rnn(inp)
        out.backward(gout)

    return step


def timeit(fn, device) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def bench_shape(cell, B, H, T, device, repeats, variants, inner):
    torch.manual_seed(0)
    x = torch.randint(0, VOCAB, (T, B), device=device)
    y = torch.randint(0, VOCAB, (T, B), device=device)
    inp = torch.randn(T, B, H, device=device, requires_grad=True)
    gout = torch.randn(T, B, H, device=device)
    entries = {"torch fused": (None, 0.0, True)}
    entries.update({k: VARIANTS[k] for k in variants})
    steps, rsteps = {}, {}
    for name, (kw, emb_p, _) in entries.items():
        model = WordLM(make_rnn(cell, H, kw, device), H, emb_p).to(device).train()
        steps[name] = make_step(model, x, y, device)
        rnn = make_rnn(cell, H, kw, device).train()
        rsteps[name] = make_rec_step(rnn, inp, gout)
        for _ in range(2):  # warm-up (oneDNN primitive cache, cuDNN plans, allocator)
            steps[name]()
            rsteps[name]()
    # Paired, interleaved timing: every variant measurement sits next to a baseline
    # measurement (order alternating), and its ratio is taken within the pair, so load
    # changes on a shared machine cancel out; medians over rounds.
    times = {n: [] for n in entries}
    ratios = {n: [] for n in entries}
    rratios = {n: [] for n in entries}
    base = "torch fused"
    for r in range(repeats):
        for name in entries:
            if name == base:
                times[base].append(min(timeit(steps[base], device) for _ in range(inner)))
                ratios[base].append(1.0)
                rratios[base].append(1.0)
                continue
            for fns, store in ((steps, ratios), (rsteps, rratios)):
                order = (base, name) if (r % 2 == 0) else (name, base)
                t = {n: min(timeit(fns[n], device) for _ in range(inner)) for n in order}
                store[name].append(t[base] / t[name])
                if fns is steps:
                    times[name].append(t[name])
    rows = []
    for name, (_, _, fusable) in entries.items():
        tmed = statistics.median(times[name])
        rows.append((name, fusable, B * T / tmed, statistics.median(ratios[name]), statistics.median(rratios[name]), tmed * 1e3))
    return rows


def _parse_variants(spec: str) -> list[str]:
    """Split a comma list of variant names; names that contain ", " (e.g. "Gal recurrent, seq") are rejoined."""
    out, cur = [], ""
    for piece in spec.split(","):
        cur = f"{cur},{piece}" if cur else piece
        if cur.strip() in VARIANTS:
            out.append(cur.strip())
            cur = ""
    if cur:
        raise SystemExit(f"unknown variant(s) {cur!r}; known: {', '.join(VARIANTS)}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    ap.add_argument("--cells", default="LSTM,GRU", help="comma list of LSTM,GRU,RNN")
    ap.add_argument("--shapes", default=None, help="comma list of BxHxT (default: per device)")
    ap.add_argument("--variants", default=None, help="comma list of variant names (default: all)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved rounds (median reported)")
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    if args.shapes:
        shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    elif device.type == "cuda":
        shapes = [(20, 650, 35), (64, 1500, 35), (128, 1024, 70)]
    else:
        shapes = [(20, 200, 35), (20, 650, 35)]
    repeats = args.repeats or (3 if args.quick else 7)
    inner = 2 if args.quick else 3
    variants = _parse_variants(args.variants) if args.variants else list(VARIANTS)
    cells = args.cells.split(",")
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} threads"
    print(f"# seqdrop.nn benchmark: torch {torch.__version__}, {dev_name}")
    print(f"# command: python benchmarks/bench_rnn.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"# median of {repeats} interleaved rounds (each: best of {inner}); ratio = speed / fused torch (1.0 = same)\n")
    print("| cell | B×H×T | variant | path | step ms | tokens/s | step ratio | recurrent-only ratio |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for cell in cells:
        for B, H, T in shapes:
            t0 = time.perf_counter()
            rows = bench_shape(cell, B, H, T, device, repeats, variants, inner)
            for name, fusable, tok, ratio, rratio, ms in rows:
                path = "baseline" if name == "torch fused" else ("fused" if fusable else "step loop")
                print(f"| {cell} | {B}×{H}×{T} | {name} | {path} | {ms:.1f} | {tok:,.0f} | {ratio:.2f} | {rratio:.2f} |")
            sys.stdout.flush()
            print(f"<!-- {cell} {B}x{H}x{T}: {time.perf_counter() - t0:.0f}s -->", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
