"""A course run's findings, read back from its run folder for the summary chapter.

Chapters record their key results with :func:`seqdrop.course.record_finding` (a mean over
seeds, its 95% interval, the number of seeds and the sentence the chapter states). Variant
effects follow one contract (:mod:`seqdrop.experiments.variant_gains`): the name
``gain_<chapter>_<data>_<cell>_<variant>``, the value in percent (positive = better than no
dropout, paired by seed) and the tags :data:`TAGS`. :func:`at_validated_rate` picks each
variant's rate on validation data when a chapter sweeps several.

Reading them back: :func:`find_run_dir` locates a run folder, :func:`load_findings` reads its
``summary.json`` (:class:`RunFindings`: statuses, records, one table row per finding),
:func:`findings_table` and :func:`plot_variant_gains` show them.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..course.records import findings
from ..course.summary import SUMMARY_FILE
from ..errors import ParameterError, SeqdropError
from ..io import atomic_write_text
from ..paths import project_root, runs_dir

__all__ = ["RUN_DIR_ENV", "TAGS", "DATA_TAG", "FindingsError", "RunFindings",
           "at_validated_rate", "find_run_dir", "load_findings", "run_command",
           "findings_table", "findings_markdown", "plot_variant_gains", "verdict_counts", "check_run_dir",
           "export_records"]

#: set by ``seqdrop run`` for each notebook it executes: the run folder (``summary.json``)
RUN_DIR_ENV = "SEQDROP_RUN_DIR"

#: the tags of a variant-gain finding (the cross-chapter contract)
TAGS = ("cell", "data", "task", "variant", "metric")
#: data set names of the trials → the contract's data tags
DATA_TAG = {"fsdd-mfcc": "fsdd"}
#: the chapters whose findings the summary reads (notebook stems)
CHAPTERS = ("00_dropout_formula", "01_what_dropout_is_for", "02_vanilla_rnn",
            "03_lstm_variants", "04_gru", "05_data_types", "06_tasks", "07_scale",
            "08_mc_dropout", "09_reproductions")
#: the columns of a findings table
COLUMNS = ["notebook", "name", "mean", "low", "high", "unit", "n_seeds", "claim", "source",
           *TAGS]


class FindingsError(SeqdropError):
    """A run folder that is missing or unreadable, or that lacks the notebooks asked for."""


def at_validated_rate(
    trials: pd.DataFrame,
    *,
    by: str = "data",
    select: str = "val_error",
    higher_is_better: bool = False,
    baseline: str = "none",
) -> pd.DataFrame:
    """The ``baseline`` trials plus, per group of ``by`` and variant, the trials at the rate
    whose mean ``select`` metric (validation data) is best: one setting per variant, ready
    for :func:`seqdrop.experiments.variant_gains.variant_gains` within each group."""
    ok = trials[trials["status"] == "ok"] if "status" in trials else trials
    dropout = ok[ok["variant"] != baseline]
    means = dropout.groupby([by, "variant", "rate"], sort=False)[select].mean().reset_index()
    pick = (means.sort_values(select, ascending=not higher_is_better, kind="stable")
            .drop_duplicates([by, "variant"]))
    chosen = dropout.merge(pick[[by, "variant", "rate"]], on=[by, "variant", "rate"])
    return pd.concat([ok[ok["variant"] == baseline], chosen], ignore_index=True)


def find_run_dir(run_dir: str | Path | None = None, *, parent: Path | None = None) -> Path:
    """The run folder to summarise: ``run_dir`` if given (relative to the project root),
    else the folder ``seqdrop run`` is executing into (``$SEQDROP_RUN_DIR``), else the newest
    ``course-*`` folder under ``parent`` (default ``<root>/runs``) holding a summary.

    Raises :class:`FindingsError` (one line, with the command to run) when there is none.
    """
    if run_dir is None:
        run_dir = os.environ.get(RUN_DIR_ENV) or None
    if run_dir is not None:
        path = Path(run_dir).expanduser()
        path = path if path.is_absolute() else project_root() / path
        if not (path / SUMMARY_FILE).is_file():
            raise FindingsError(f"{path} holds no {SUMMARY_FILE}: run the course into it "
                                f"first ({run_command(CHAPTERS, 'course', path)})")
        return path.resolve()
    parent = Path(parent) if parent is not None else runs_dir()
    runs = [p for p in parent.glob("course-*") if (p / SUMMARY_FILE).is_file()]
    if not runs:
        raise FindingsError(f"no course run with a {SUMMARY_FILE} under {parent}: run "
                            f"`{run_command(CHAPTERS, 'course')}` first, or set run_dir")
    return max(runs, key=lambda p: ((p / SUMMARY_FILE).stat().st_mtime, p.name)).resolve()


@dataclass(frozen=True)
class RunFindings:
    """What a run folder holds: its profile, each notebook's status, and every finding."""

    run_dir: Path
    profile: str
    status: dict[str, str]
    records: dict[str, dict[str, Any]]
    table: pd.DataFrame

    def missing(self, notebooks: Iterable[str]) -> list[str]:
        """The notebooks (stems) among ``notebooks`` that did not finish ``ok`` in this run."""
        return [nb for nb in notebooks if self.status.get(nb) != "ok"]

    def command(self, notebooks: Iterable[str]) -> str:
        """The ``seqdrop run`` command that adds ``notebooks`` to this run folder."""
        return run_command(notebooks, self.profile, self.run_dir)

    def finding(self, name: str) -> dict[str, Any] | None:
        """One finding by name, as a dict of the table's columns (None when absent)."""
        rows = self.table[self.table["name"] == name]
        return None if rows.empty else rows.iloc[0].to_dict()

    def variant_gains(self) -> pd.DataFrame:
        """The findings that carry every tag of the variant-gain contract (value in %).

        A measurement recorded by two chapters (same cell, data, variant and numbers, e.g.
        the FSDD sweep of 05 and 06) is kept once, under the first chapter."""
        tagged = self.table.dropna(subset=list(TAGS))
        tagged = tagged[tagged["unit"] == "%"]
        keys = ["cell", "data", "variant", "mean", "low", "high"]
        return tagged.drop_duplicates(keys).reset_index(drop=True)


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["notebooks"]
        if not isinstance(entries, list):
            raise TypeError("notebooks is not a list")
        return {"profile": str(data.get("profile", "")),
                "entries": {str(e["notebook"]): e for e in entries}}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FindingsError(f"{path} cannot be read ({type(exc).__name__}: {exc}); rerun "
                            "the course into a new folder") from None


def _rows(notebook: str, records: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, f in findings(records).items():
        tags = f.get("tags") or {}
        rows.append({"notebook": notebook, "name": name,
                     **{k: f.get(k) for k in COLUMNS[2:9]},
                     **{t: tags.get(t) for t in TAGS}})
    return rows


def load_findings(run_dir: str | Path | None = None) -> RunFindings:
    """Read a run folder's ``summary.json`` (:func:`find_run_dir` picks the folder).

    Only notebooks that finished ``ok`` contribute findings; the table has one row per
    finding (columns :data:`COLUMNS`), sorted by notebook.
    """
    path = find_run_dir(run_dir)
    summary = _read_summary(path / SUMMARY_FILE)
    status, records, rows = {}, {}, []
    for nb, entry in sorted(summary["entries"].items()):
        status[nb] = str(entry.get("status", "unknown"))
        if status[nb] == "ok":
            records[nb] = dict(entry.get("records") or {})
            rows += _rows(nb, records[nb])
    table = pd.DataFrame(rows, columns=COLUMNS)
    return RunFindings(path, summary["profile"], status, records, table)


def _digits(ds: list[str]) -> str:
    """A glob for one digit out of ``ds``: ``7``, ``[78]``, or a range ``[0-9]``."""
    if len(ds) == 1:
        return ds[0]
    if len(ds) > 2 and "".join(ds) in "0123456789":
        return f"[{ds[0]}-{ds[-1]}]"
    return f"[{''.join(ds)}]"


def run_command(notebooks: Iterable[str], profile: str = "course",
                run_dir: Path | str | None = None) -> str:
    """``seqdrop run`` for ``notebooks`` (stems such as ``07_scale``), one glob per decade."""
    stems = sorted(set(notebooks))
    groups: dict[str, list[str]] = {}
    for s in stems:
        groups.setdefault(s[:1], []).append(s[1:2])
    out = f" --out {run_dir}" if run_dir is not None else ""
    globs = [f"{d}{_digits(rest)}_*" for d, rest in groups.items()]
    return " && ".join(f"seqdrop run --profile {profile}{out} --notebooks '{g}'"
                       for g in globs)


def findings_table(run: RunFindings) -> pd.DataFrame:
    """Every finding of ``run`` for reading: chapter, name, ``mean [low, high]``, seeds, claim."""
    t = run.table
    value = [f"{m:.4g} [{lo:.4g}, {hi:.4g}]{' ' + u if u else ''}"
             for m, lo, hi, u in zip(t["mean"], t["low"], t["high"], t["unit"])]
    return pd.DataFrame({"chapter": t["notebook"], "finding": t["name"],
                         "mean [95% CI]": value, "seeds": t["n_seeds"],
                         "claim": t["claim"]}).set_index(["chapter", "finding"])


def findings_markdown(run: RunFindings) -> str:
    """Every finding as Markdown for a narrow page: one list per chapter, one item each
    (name, mean [95% CI] unit, seeds, then the sentence)."""
    lines = []
    for nb, part in findings_table(run).groupby(level=0, sort=False):
        lines.append(f"\n**{nb}** ({len(part)} findings)\n")
        for (_, name), r in part.iterrows():
            lines.append(f"- `{name}`: **{r['mean [95% CI]']}**, {r['seeds']} seeds. "
                         f"{r['claim']}")
    return "\n".join(lines).strip()


def verdict_counts(gains: pd.DataFrame, by: Iterable[str] = ("task", "cell")) -> pd.DataFrame:
    """Per group of ``by``: how many gains lie above zero, below zero, or straddle it."""
    verdict = pd.Series("within noise", index=gains.index)
    verdict[gains["low"] > 0] = "gains"
    verdict[gains["high"] < 0] = "loses"
    counts = pd.crosstab([gains[k] for k in by], verdict.rename("verdict"))
    return counts.reindex(columns=["gains", "within noise", "loses"], fill_value=0)


def plot_variant_gains(gains: pd.DataFrame, *, width: float = 7.0,
                       title: str = "test gain over no dropout (%, 95% CI, paired by seed)"
                       ) -> Any:
    """Forest plot of variant gains (%, 95% CI): one panel per cell, one row per task, data
    set and chapter, one colour per variant; the grey line is "as good as no dropout"."""
    import matplotlib.pyplot as plt

    if gains.empty:
        raise FindingsError("no variant gains to plot: run chapters 02–06 into this folder")
    gains = gains.assign(chapter=gains["notebook"].str[:2])
    cells = sorted(gains["cell"].unique())
    rows = sorted(set(zip(gains["task"], gains["data"], gains["chapter"])))
    variants = sorted(gains["variant"].unique())
    colors = dict(zip(variants, plt.get_cmap("tab10").colors))
    height = 1.4 + 0.3 * len(rows) * max(1.0, len(variants) / 3)
    fig, axes = plt.subplots(1, len(cells), sharey=True, squeeze=False,
                             figsize=(width, min(height, 9.0)))
    step = 0.8 / max(1, len(variants))
    offset = {v: (i - (len(variants) - 1) / 2) * step for i, v in enumerate(variants)}
    for ax, cell in zip(axes[0], cells):
        for _, r in gains[gains["cell"] == cell].iterrows():
            y = rows.index((r["task"], r["data"], r["chapter"])) + offset[r["variant"]]
            err = [[r["mean"] - r["low"]], [r["high"] - r["mean"]]]
            ax.errorbar(r["mean"], y, xerr=err, fmt="o", ms=4, capsize=2,
                        color=colors[r["variant"]])
        ax.axvline(0, color="grey", lw=0.8)
        for i in range(len(rows) - 1):
            ax.axhline(i + 0.5, color="white", lw=2)
        ax.grid(False, axis="y")
        ax.set(title=f"cell: {cell}", xlabel="gain (%)", ylim=(-0.5, len(rows) - 0.5))
    axes[0][0].set_yticks(range(len(rows)), [f"{d} ({t})\nchapter {c}" for t, d, c in rows],
                          fontsize=9)
    axes[0][0].invert_yaxis()
    axes[0][0].tick_params(axis="y", length=0)
    handles = [plt.Line2D([], [], marker="o", ls="", color=colors[v]) for v in variants]
    fig.legend(handles, variants, loc="lower center", ncols=min(6, len(variants)),
               fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def check_run_dir(name: str, value: Any) -> str | None:
    """A notebook parameter naming a run folder: ``None`` or a non-empty path string."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise ParameterError(f"parameter {name!r} = {value!r} must be None or a run folder path")


def export_records(run_dir: str | Path, dest: str | Path) -> Path:
    """Copy a run's ``summary.json`` to ``dest`` keeping only each notebook's name, status,
    parameters and records (no paths, errors or timings): a small, portable test fixture."""
    summary = _read_summary(Path(run_dir) / SUMMARY_FILE)
    keep = ("notebook", "status", "parameters", "records")
    entries = [{k: e.get(k) for k in keep} for _, e in sorted(summary["entries"].items())]
    payload = {"profile": summary["profile"], "notebooks": entries}
    Path(dest).mkdir(parents=True, exist_ok=True)
    return atomic_write_text(Path(dest) / SUMMARY_FILE, json.dumps(payload, indent=1) + "\n")
