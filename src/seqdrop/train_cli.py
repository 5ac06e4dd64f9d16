"""``seqdrop train``: train a paper preset on PTB and compare with the published perplexity.

Examples::

    seqdrop train --preset zaremba-small --max-steps 50          # quick CPU check
    seqdrop train --preset zaremba-small --device cuda           # full run (~2.5 min on an H100)
    seqdrop train --preset zaremba-medium --out runs/train/med --resume

``--max-steps N`` caps the optimizer steps of the whole run; validation and test are still
evaluated (on the full splits unless ``--max-eval-batches`` caps them), so the comparison line
prints, flagged as not comparable. Outputs in ``--out`` (default ``runs/train/<preset>-<time>/``):
``history.json``, ``checkpoint.pt`` (every epoch), ``best.pt``, ``result.json``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument("--preset", default="zaremba-small", help="paper preset (see --list)")
    parser.add_argument("--list", action="store_true", help="list the presets with their sources and exit")
    parser.add_argument("--device", default="auto", help="'auto' (CUDA if present), 'cpu', 'cuda', 'cuda:1', ...")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's number of epochs")
    parser.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps for the run (quick checks)")
    parser.add_argument("--max-eval-batches", type=int, default=None, help="cap on val/test batches (default: full splits)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default runs/train/<preset>-<timestamp>/)")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out (or the latest run of the preset)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (epoch lines still print)")


def _latest_run(preset: str) -> Path | None:
    from .paths import runs_dir

    runs = sorted((runs_dir() / "train").glob(f"{preset}-*/checkpoint.pt"), key=lambda p: p.stat().st_mtime)
    return runs[-1].parent if runs else None


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def main(args: argparse.Namespace) -> int:
    """Run ``seqdrop train``; returns the exit status."""
    from .presets import PRESETS, build_model, get_preset, train_config

    if args.list:
        for p in PRESETS.values():
            print(f"{p.name:22s} val/test {_fmt(p.published_val):>6s} / {_fmt(p.published_test):>6s}  {p.source}")
        return 0
    try:
        preset = get_preset(args.preset)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2

    import torch

    from .data import DataError, load_dataset
    from .io import atomic_write_json
    from .paths import runs_dir
    from .train import NonFiniteLossError, fit
    from .utils import pick_device, seed_everything

    try:
        device = pick_device(args.device)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = args.out
    if out is None and args.resume:
        out = _latest_run(preset.name)
        if out is None:
            print(f"error: --resume: no earlier run of {preset.name} under {runs_dir() / 'train'}; pass --out", file=sys.stderr)
            return 2
    if out is None:
        out = runs_dir() / "train" / f"{preset.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        corpus = load_dataset(preset.data)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    overrides: dict[str, Any] = {"seed": args.seed, "device": str(device)}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.max_steps is not None:
        overrides["max_steps"] = args.max_steps
    if args.max_eval_batches is not None:
        overrides["max_eval_batches"] = args.max_eval_batches
    config = train_config(preset, **overrides)
    seed_everything(args.seed, deterministic=config.deterministic)
    model = build_model(preset, corpus.vocab_size)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"preset {preset.name}: {preset.description}")
    print(f"source: {preset.source}")
    print(f"data {corpus!r}; model {n_params:,} parameters; device {device}; out {out}")
    t0 = time.perf_counter()
    try:
        result = fit(model, corpus, config, out_dir=out, resume=args.resume, progress=not args.no_progress, verbose=True)
    except NonFiniteLossError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    best = result.best
    capped = args.max_steps is not None or args.max_eval_batches is not None
    summary = {
        "preset": preset.name,
        "source": preset.source,
        "published": preset.published,
        "measured": {"val_ppl": best.get("val_ppl"), "test_ppl": best.get("test_ppl"), "epoch": best.get("epoch")},
        "stopped": result.stopped,
        "steps": int(result.history["steps"].iloc[-1]) if len(result.history) else 0,
        "wall_seconds": wall,
        "device": str(device),
        "torch": torch.__version__,
        "capped": capped,
    }
    atomic_write_json(Path(out) / "result.json", summary)
    note = " (capped run: not comparable)" if capped else ""
    pub = preset.published_test
    delta = "" if pub is None or best.get("test_ppl") is None else f", {best['test_ppl'] - pub:+.2f}"
    print(
        f"{preset.name}: test ppl {_fmt(best.get('test_ppl'))} (val {_fmt(best.get('val_ppl'))}, epoch {best.get('epoch')}) "
        f"vs published {_fmt(pub)} (val {_fmt(preset.published_val)}){delta}{note} [{wall:.1f} s, {result.stopped}]"
    )
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="seqdrop train", description=__doc__.split("\n")[0])
    add_arguments(_parser)
    raise SystemExit(main(_parser.parse_args()))
