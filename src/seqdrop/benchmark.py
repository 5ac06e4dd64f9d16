"""Speed and memory of dropout recipes in :mod:`seqdrop.nn` layers against fused ``torch.nn`` RNNs.

What is measured are the recipes of the registry (:mod:`seqdrop.recipes`), each at rate ``p``
(default 0.5): :data:`DEFAULT_RECIPES` by default, any registry name on request.

Two measurements, both in one process next to the fused baseline (``torch.nn.LSTM``/``GRU``/
``RNN`` without dropout):

- **time** (:func:`bench_shape`): a whole word-LM training step (embedding → 2-layer recurrent
  stack → 10k-way decoder → cross-entropy → backward → SGD) and the recurrent stack alone
  (forward + backward from a fixed upstream gradient; :class:`RecipeStack`: the recipe's
  masks on the stack's input, between layers, on its output and inside the recurrence). Every
  recipe measurement is paired with a baseline measurement taken right next to it (order
  alternating between rounds); the ratio is taken inside each pair and the median over rounds
  is reported, so load from other processes mostly cancels out. ``ratio`` = baseline time /
  recipe time (1.0 = as fast).
- **memory** (:func:`memory_use`): the bytes of the tensors the recurrent stack saves for its
  backward pass (every device; counted once per storage with
  :func:`torch.autograd.graph.saved_tensors_hooks`, parameters and the input left out), and on
  CUDA the peak of :func:`torch.cuda.max_memory_allocated` over a forward + backward.

:func:`loglog_slope` fits how a cost grows: the exponent ``k`` of ``cost ∝ size^k``.
``benchmarks/bench_rnn.py`` is the command-line front end.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from . import nn as snn
from ._validation import ParameterError, check_choice
from .recipes import RECIPES, recipe

__all__ = ["VOCAB", "BASELINE", "DEFAULT_RECIPES", "RecipeStack", "WordLM", "recurrent_stack",
           "runs_fused", "bench_shape", "memory_use", "loglog_slope", "parse_shapes",
           "parse_recipes", "default_shapes", "markdown_table"]

VOCAB = 10_000
BASELINE = "torch fused"
#: the registry recipes benchmarked by default: one per implementation path of seqdrop.nn
DEFAULT_RECIPES = ("none", "zaremba", "locked", "input-types", "weight-drop", "awd", "gal-batch",
                   "gal", "gal-untied", "semeniuta", "zoneout")
_TORCH = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}
_SEQDROP = {"LSTM": snn.LSTM, "GRU": snn.GRU, "RNN": snn.RNN}


class RecipeStack(nn.Module):
    """A :mod:`seqdrop.nn` stack (seq-first) carrying every site of a ``RecurrentDropout``
    except word-type embedding dropout: the layer fields as the layer's keyword arguments;
    the model sites as the models of :mod:`seqdrop.models` place them (locked: the layer's
    ``input_dropout``/``layer_dropout``/``output_dropout``; per step: ``nn.Dropout`` on the
    input and output and torch's between-layer ``dropout``)."""

    def __init__(self, cell: str, hidden: int, num_layers: int, dropouts: snn.RecurrentDropout) -> None:
        super().__init__()
        d = dropouts
        kw = {k: v for k, v in d.layer_kwargs().items() if v != snn.RecurrentDropout().layer_kwargs()[k]}
        between = d.model_layer_dropout if num_layers > 1 else 0.0
        if d.locked:
            kw |= dict(input_dropout=d.model_input_dropout, layer_dropout=between,
                       output_dropout=d.model_output_dropout)
            self.drop_in, self.drop_out = nn.Identity(), nn.Identity()
        else:
            kw |= dict(dropout=between)
            self.drop_in = nn.Dropout(d.model_input_dropout) if d.model_input_dropout else nn.Identity()
            self.drop_out = nn.Dropout(d.model_output_dropout) if d.model_output_dropout else nn.Identity()
        self.rnn = _SEQDROP[cell](hidden, hidden, num_layers, **kw)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        out, state = self.rnn(self.drop_in(x))
        return self.drop_out(out), state


class WordLM(nn.Module):
    """Embedding → recurrent stack → decoder over :data:`VOCAB` words (seq-first input)."""

    def __init__(self, rnn: nn.Module, hidden: int, embedding_dropout: float = 0.0) -> None:
        super().__init__()
        emb = nn.Embedding(VOCAB, hidden)
        self.emb = snn.EmbeddingDropout(emb, embedding_dropout) if embedding_dropout > 0 else emb
        self.rnn = rnn
        self.dec = nn.Linear(hidden, VOCAB)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.emb(x))
        return self.dec(h)


def _dropouts(cell: str, name: str, p: float) -> snn.RecurrentDropout:
    return recipe(name, p, cell.lower())


def recurrent_stack(cell: str, hidden: int, name: str | None, p: float = 0.5,
                    device: torch.device | str = "cpu", num_layers: int = 2) -> nn.Module:
    """The recurrent stack of registry recipe ``name`` at ``p`` (``None`` or
    :data:`BASELINE`: fused torch without dropout)."""
    if name in (None, BASELINE):
        return _TORCH[cell](hidden, hidden, num_layers).to(device)
    return RecipeStack(cell, hidden, num_layers, _dropouts(cell, name, p)).to(device)


def runs_fused(cell: str, name: str, p: float = 0.5) -> bool:
    """Whether recipe ``name`` trains on torch's fused kernels (else: the step loop)."""
    return not _dropouts(cell, name, p).needs_step_loop(training=True)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timeit(fn: Callable[[], None], device: torch.device) -> float:
    _sync(device)
    t0 = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - t0


def _train_step(model: WordLM, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    lossf = nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(x).view(-1, VOCAB), y.view(-1))
        loss.backward()
        opt.step()

    return step


def _recurrent_step(rnn: nn.Module, inp: torch.Tensor, gout: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        out, _ = rnn(inp)
        out.backward(gout)

    return step


def _paired(fns: Mapping[str, Callable[[], None]], repeats: int, inner: int,
            device: torch.device) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per round: each recipe timed right next to the baseline (order alternating), best of
    ``inner`` calls each; returns the recipe times and the per-pair ratios base / recipe."""
    times: dict[str, list[float]] = {n: [] for n in fns}
    ratios: dict[str, list[float]] = {n: [] for n in fns}
    for r in range(repeats):
        for name in fns:
            if name == BASELINE:
                times[name].append(min(_timeit(fns[name], device) for _ in range(inner)))
                ratios[name].append(1.0)
                continue
            order = (BASELINE, name) if r % 2 == 0 else (name, BASELINE)
            t = {n: min(_timeit(fns[n], device) for _ in range(inner)) for n in order}
            times[name].append(t[name])
            ratios[name].append(t[BASELINE] / t[name])
    return times, ratios


def bench_shape(cell: str, batch: int, hidden: int, seq_len: int, *,
                device: torch.device | str = "cpu", recipes: Sequence[str] | None = None,
                p: float = 0.5, repeats: int = 7, inner: int = 3,
                whole_step: bool = True) -> list[dict[str, Any]]:
    """Time every recipe (registry names, at rate ``p``; default :data:`DEFAULT_RECIPES`)
    against fused torch at one shape; one row per recipe.

    Row keys: ``cell, batch, hidden, seq_len, recipe, p, path`` (baseline / fused / step loop),
    ``recurrent_ms`` and ``recurrent_ratio`` (the stack alone), and with ``whole_step`` also
    ``step_ms``, ``tokens_per_s`` and ``step_ratio`` (the whole LM training step). Times are
    medians over ``repeats`` rounds of the best of ``inner`` calls; ratios are medians of the
    per-round paired ratios.
    """
    device = torch.device(device)
    names = [BASELINE, *(list(DEFAULT_RECIPES) if recipes is None else recipes)]
    torch.manual_seed(0)
    inp = torch.randn(seq_len, batch, hidden, device=device, requires_grad=True)
    gout = torch.randn(seq_len, batch, hidden, device=device)
    rec = {n: _recurrent_step(recurrent_stack(cell, hidden, n, p, device).train(), inp, gout)
           for n in names}
    steps = {}
    if whole_step:
        x = torch.randint(0, VOCAB, (seq_len, batch), device=device)
        y = torch.randint(0, VOCAB, (seq_len, batch), device=device)
        emb_p = {n: 0.0 if n == BASELINE else _dropouts(cell, n, p).embedding_dropout for n in names}
        steps = {n: _train_step(WordLM(recurrent_stack(cell, hidden, n, p, device), hidden, emb_p[n])
                                .to(device).train(), x, y) for n in names}
    for name in names:  # warm-up: oneDNN primitive cache, cuDNN plans, CUDA graphs, allocator
        for _ in range(2):
            rec[name]()
            if steps:
                steps[name]()
    rtimes, rratios = _paired(rec, repeats, inner, device)
    stimes, sratios = _paired(steps, repeats, inner, device) if steps else ({}, {})
    rows = []
    for name in names:
        path = "baseline" if name == BASELINE else ("fused" if runs_fused(cell, name, p) else "step loop")
        row = dict(cell=cell, batch=batch, hidden=hidden, seq_len=seq_len, recipe=name,
                   p=0.0 if name == BASELINE else p, path=path,
                   recurrent_ms=1e3 * statistics.median(rtimes[name]),
                   recurrent_ratio=statistics.median(rratios[name]))
        if steps:
            ms = 1e3 * statistics.median(stimes[name])
            row |= dict(step_ms=ms, tokens_per_s=batch * seq_len / ms * 1e3,
                        step_ratio=statistics.median(sratios[name]))
        rows.append(row)
    return rows


def _tensors(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def _ctx_tensors(root: Any) -> list[torch.Tensor]:
    """Tensors that custom autograd Functions keep as plain ``ctx`` attributes (e.g. dropout
    masks), which ``saved_tensors_hooks`` does not see: found by walking the graph."""
    found, seen, todo = [], set(), [root]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found += [t for v in getattr(node, "__dict__", {}).values() for t in _tensors(v)]
        todo += [nxt for nxt, _ in node.next_functions]
    return found


def _saved_bytes(fn: Callable[[], torch.Tensor], exclude: Iterable[torch.Tensor]) -> tuple[int, torch.Tensor]:
    """Bytes of the distinct storages autograd keeps for backward of ``fn()``'s output: the
    saved tensors and custom Functions' ``ctx`` tensors, leaving out the storages of
    ``exclude`` (parameters, inputs: memory that exists anyway). Returns it and the output."""
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[int, int] = {}

    def add(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in skip:
            seen[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(add, lambda t: t):
        out = fn()
    for t in _ctx_tensors(out.grad_fn):
        add(t)
    return sum(seen.values()), out


def memory_use(cell: str, batch: int, hidden: int, seq_len: int, name: str, *, p: float = 0.5,
               device: torch.device | str = "cpu") -> dict[str, Any]:
    """Memory of one training forward + backward of the recurrent stack of recipe ``name``
    at ``p`` (or :data:`BASELINE`).

    ``saved_mb``: MiB of the tensors saved for backward (activations, masks, gates); on CUDA
    also ``peak_mb``: the peak allocated during forward + backward above what was allocated
    before (``torch.cuda.max_memory_allocated``; NaN on other devices).
    """
    device = torch.device(device)
    torch.manual_seed(0)
    rnn = recurrent_stack(cell, hidden, name, p, device).train()
    inp = torch.randn(seq_len, batch, hidden, device=device, requires_grad=True)
    gout = torch.randn(seq_len, batch, hidden, device=device)
    step = _recurrent_step(rnn, inp, gout)
    step()  # warm-up: caches, lazily built buffers, CUDA graph capture happen here
    saved, out = _saved_bytes(lambda: rnn(inp)[0], [*rnn.parameters(), inp])
    out.backward(gout)
    del out
    peak = float("nan")
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        step()
        torch.cuda.synchronize(device)
        peak = (torch.cuda.max_memory_allocated(device) - before) / 2**20
    return dict(cell=cell, batch=batch, hidden=hidden, seq_len=seq_len, recipe=name,
                saved_mb=saved / 2**20, peak_mb=peak)


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """The exponent ``k`` of ``y ∝ x^k``: the least-squares slope of log y on log x."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not (np.all(xs > 0) and np.all(ys > 0)) or xs.shape != ys.shape:
        raise ParameterError(f"a log-log slope needs positive sizes and costs in pairs, got {list(x)}, {list(y)}")
    lx, ly = np.log(xs), np.log(ys)
    if lx.size < 2 or np.ptp(lx) == 0:
        raise ParameterError(f"a slope needs at least two different sizes, got {list(x)}")
    return float(np.polyfit(lx, ly, 1)[0])


def default_shapes(device: torch.device | str) -> list[tuple[int, int, int]]:
    """The (batch, hidden, seq_len) shapes of the benchmark tables: Zaremba's small and medium
    models on CPU; medium, large and a long-window case on CUDA."""
    if torch.device(device).type == "cuda":
        return [(20, 650, 35), (64, 1500, 35), (128, 1024, 70)]
    return [(20, 200, 35), (20, 650, 35)]


def parse_shapes(spec: str) -> list[tuple[int, int, int]]:
    """``"20x200x35,20x650x35"`` → ``[(20, 200, 35), (20, 650, 35)]`` (batch × hidden × steps)."""
    shapes = []
    for item in spec.split(","):
        parts = item.strip().lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise ParameterError(f"shape {item!r} must be BxHxT with positive integers, e.g. 20x200x35")
        shapes.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return shapes


def parse_recipes(spec: str) -> list[str]:
    """A comma list of registry recipe names (:mod:`seqdrop.recipes`), checked."""
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise ParameterError(f"no recipe named in {spec!r}; known: {', '.join(RECIPES)}")
    return [check_choice("recipe", n, list(RECIPES)) for n in names]


def markdown_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows of :func:`bench_shape` (with ``whole_step``) as the markdown table of
    ``benchmarks/README.md``."""
    lines = ["| cell | B×H×T | recipe | path | step ms | tokens/s | step ratio | recurrent-only ratio |",
             "|---|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        name = r["recipe"] if r["recipe"] == BASELINE else f"{r['recipe']} {r['p']:g}"
        lines.append(f"| {r['cell']} | {r['batch']}×{r['hidden']}×{r['seq_len']} | {name} | "
                     f"{r['path']} | {r['step_ms']:.1f} | {r['tokens_per_s']:,.0f} | "
                     f"{r['step_ratio']:.2f} | {r['recurrent_ratio']:.2f} |")
    return "\n".join(lines)
