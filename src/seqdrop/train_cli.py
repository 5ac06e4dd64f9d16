"""``seqdrop train``: train a paper preset on PTB and compare with the published perplexity.

Examples::

    seqdrop train --preset zaremba-small --max-steps 50          # quick CPU check
    seqdrop train --preset zaremba-small --device cuda           # full run (~2.5 min on an H100)
    seqdrop train --preset zaremba-medium --out runs/train/med --resume

``--max-steps N`` caps the optimizer steps of the whole run; validation and test are still
evaluated (on the full splits unless ``--max-eval-batches`` caps them), so the comparison line
prints, flagged as not comparable. Outputs in ``--out`` (default a new
``runs/train/<preset>-<time>/``): ``history.json``, ``checkpoint.pt`` (every epoch),
``best.pt``, ``result.json``. A folder that holds a run is refused unless ``--resume`` or
``--overwrite`` is given. The work is done by :func:`seqdrop.presets.reproduce`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .errors import SeqdropError

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
    parser.add_argument("--resume", action="store_true", help="continue the run in --out (or the latest run of the preset)")
    parser.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (epoch lines still print)")


def main(args: argparse.Namespace) -> int:
    """Run ``seqdrop train``; returns the exit status (2 with one ``error:`` line for a user error)."""
    from .presets import PRESETS, reproduce

    if args.list:
        for p in PRESETS.values():
            val, test = ("n/a" if x is None else f"{x:.2f}" for x in (p.published_val, p.published_test))
            print(f"{p.name:22s} val/test {val:>6s} / {test:>6s}  {p.source}")
        return 0
    overrides: dict[str, Any] = {"seed": args.seed, "device": args.device}
    for key in ("epochs", "max_steps", "max_eval_batches"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    try:
        reproduce(args.preset, args.out, resume=args.resume, overwrite=args.overwrite,
                  progress=not args.no_progress, **overrides)
    except SeqdropError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(prog="seqdrop train", description=__doc__.split("\n")[0])
    add_arguments(_parser)
    raise SystemExit(main(_parser.parse_args()))
