"""The ``seqdrop`` command: run the notebooks (``seqdrop run``) and train presets (``seqdrop train``)."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from . import __version__
from .runner import PROFILES, ProfileError, format_summary, parse_overrides, prepare_notebooks, run_notebooks


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="execute notebooks headlessly with papermill",
        description="Execute notebooks with a parameter profile into a run folder "
        "(default runs/<profile>-<timestamp>/) and print a summary table.",
    )
    p.add_argument("--profile", choices=PROFILES, default="course", help="parameter profile (default: course)")
    p.add_argument("--notebooks", default="*.ipynb", metavar="GLOB", help="which notebooks (glob on name or stem)")
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default runs/<profile>-<timestamp>)")
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE",
        help="override a parameter (YAML value) in every selected notebook that has it; "
        "NOTEBOOK:NAME=VALUE for one notebook. Repeatable.",
    )
    p.add_argument("--resume", action="store_true", help="skip notebooks already ok in --out with the same parameters")
    p.add_argument("--timeout", type=int, default=None, metavar="SEC", help="per-cell execution timeout")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    p.add_argument("--log-output", action="store_true", help="stream the notebooks' output to the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    q = sub.add_parser(
        "prepare",
        help="write notebooks with a profile's parameters injected (not executed), e.g. for nbval",
    )
    q.add_argument("--profile", choices=PROFILES, default="smoke")
    q.add_argument("--notebooks", default="*.ipynb", metavar="GLOB")
    q.add_argument("--out", default="build/nbval", metavar="DIR")
    q.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    q.set_defaults(func=_cmd_prepare)


def _cmd_run(args: argparse.Namespace) -> int:
    if args.resume and not args.out:
        raise ProfileError("--resume needs --out DIR (the run folder to continue)")
    try:
        run_dir, results = run_notebooks(
            args.profile,
            args.notebooks,
            args.out,
            parse_overrides(args.param),
            kernel_name=args.kernel,
            execution_timeout=args.timeout,
            resume=args.resume,
            progress=not args.no_progress,
            log_output=args.log_output,
        )
    except KeyboardInterrupt:
        print("\ninterrupted: rerun with --resume --out <run folder> to continue", file=sys.stderr)
        return 130
    print()
    print(format_summary(results))
    failed = [r.notebook for r in results if r.status != "ok"]
    print(f"\nrun folder: {run_dir}  (summary.json, executed notebooks, figures)")
    if failed:
        print(f"{len(failed)} of {len(results)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    written = prepare_notebooks(args.profile, args.notebooks, args.out, parse_overrides(args.param))
    print(json.dumps([str(p) for p in written], indent=1))
    return 0


def _add_train(sub: argparse._SubParsersAction) -> None:
    try:
        train_cli = importlib.import_module("seqdrop.train_cli")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while the trainer is absent
        if exc.name != "seqdrop.train_cli":
            raise
        return
    p = sub.add_parser("train", help="train a paper preset (word-level PTB language models)")
    train_cli.add_arguments(p)
    p.set_defaults(func=train_cli.main)


def _add_sweep(sub: argparse._SubParsersAction) -> None:
    from .sweep import cli as sweep_cli

    p = sub.add_parser("sweep", help="run a grid × seeds sweep from a YAML spec on Dask (resumable)")
    sweep_cli.add_arguments(p)
    p.set_defaults(func=sweep_cli.main)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqdrop", description="Dropout in sequence models: notebooks and training.")
    parser.add_argument("--version", action="version", version=f"seqdrop {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_train(sub)
    _add_sweep(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ProfileError, ValueError, FileNotFoundError) as exc:
        print(f"seqdrop {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
