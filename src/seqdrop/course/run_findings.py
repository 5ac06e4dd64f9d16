"""A course run's findings, read back from its run folder for the summary chapter.

Chapters record their key results with :func:`seqdrop.course.record_finding` (a mean over
seeds, its 95% interval, the number of seeds and the sentence the chapter states). Recipe
gains follow one contract (:mod:`seqdrop.course.recipe_gains`): the name
``gain_<chapter>_<data>_<cell>_<recipe>``, the value in percent (positive = better than no
dropout, paired by seed), the tags :data:`TAGS` (with the ``split``: test or validation) and
the recipe's canonical definition (:func:`seqdrop.recipes.definition`).

Reading them back: :func:`find_run_dir` locates a run folder, :func:`load_findings` reads its
``summary.json`` (:class:`RunFindings`: statuses, records, one table row per finding),
:func:`findings_table` shows them. Gains are pooled only where their definitions are equal
(:func:`pool_gains`, by :func:`seqdrop.recipes.identity`, never by name); :func:`plot_gains`
draws them with test and validation gains in separate panels, and :func:`multiplicity` says
how many "beyond noise" verdicts chance alone would give among that many 95% intervals,
with a Benjamini–Hochberg reading.

Chapters: 10.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .records import findings
from .summary import SUMMARY_FILE
from ..errors import ParameterError, SeqdropError
from ..io import atomic_write_text
from ..paths import project_root, runs_dir
from ..recipes import identity
from .recipe_gains import TAGS

__all__ = ["RUN_DIR_ENV", "TAGS", "FindingsError", "RunFindings", "find_run_dir",
           "load_findings", "run_command", "findings_table", "findings_markdown",
           "recipe_label", "pool_gains", "plot_gains", "verdict_counts", "multiplicity",
           "check_run_dir", "export_records"]

#: set by ``seqdrop run`` for each notebook it executes: the run folder (``summary.json``)
RUN_DIR_ENV = "SEQDROP_RUN_DIR"
#: the order of the gain panels
SPLIT_ORDER = ("test", "validation")
#: the chapters whose findings the summary reads (notebook stems)
CHAPTERS = ("00_dropout_formula", "01_what_dropout_is_for", "02_vanilla_rnn",
            "03_lstm_variants", "04_gru", "05_data_types", "06_tasks", "07_scale",
            "08_mc_dropout", "09_reproductions")
#: the columns of a findings table
COLUMNS = ["notebook", "name", "mean", "low", "high", "unit", "n_seeds", "claim", "source",
           *TAGS, "definition", "identity"]


class FindingsError(SeqdropError):
    """A run folder that is missing or unreadable, or that lacks the notebooks asked for."""


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

    def recipe_gains(self) -> pd.DataFrame:
        """The findings that carry every tag of the gain contract (value in %), with the
        recipe's definition and its ``identity`` (None where a finding has no definition).

        A measurement recorded by two chapters (same cell, data, split, definition and
        numbers, e.g. the FSDD sweep of 05 and 06) is kept once, under the first chapter."""
        tagged = self.table.dropna(subset=list(TAGS))
        tagged = tagged[tagged["unit"] == "%"]
        same = tagged["identity"].fillna(tagged["recipe"])
        keys = ["cell", "data", "split", "same", "mean", "low", "high"]
        kept = tagged.assign(same=same).drop_duplicates(keys).drop(columns="same")
        return kept.reset_index(drop=True)


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
        defn = f.get("definition")
        rows.append({"notebook": notebook, "name": name,
                     **{k: f.get(k) for k in COLUMNS[2:9]},
                     **{t: tags.get(t) for t in TAGS},
                     "definition": defn, "identity": identity(defn) if defn else None})
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


def _verdicts(gains: pd.DataFrame) -> pd.Series:
    verdict = pd.Series("within noise", index=gains.index)
    verdict[gains["low"] > 0] = "gains"
    verdict[gains["high"] < 0] = "loses"
    return verdict


def verdict_counts(gains: pd.DataFrame, by: Iterable[str] = ("split", "task", "cell")) -> pd.DataFrame:
    """Per group of ``by``: how many gains lie above zero, below zero, or straddle it."""
    counts = pd.crosstab([gains[k] for k in by], _verdicts(gains).rename("verdict"))
    return counts.reindex(columns=["gains", "within noise", "loses"], fill_value=0)


def recipe_label(row: Any) -> str:
    """A gain's recipe as a reader should see it: ``"zaremba+zoneout p=0.5"`` from its
    definition, or the name with "(definition not recorded)" for an older finding."""
    defn = row["definition"] if isinstance(row["definition"], dict) else None
    if defn is None:
        return f"{row['recipe']} (definition not recorded)"
    extra = "".join(f", {k} {v}" for k, v in defn.items()
                    if k not in ("recipe", "p", "cell", "dropouts"))
    p = defn.get("p")
    return f"{defn.get('recipe', row['recipe'])}{'' if p is None else f' p={p:g}'}{extra}"


def _pool_key(gains: pd.DataFrame) -> pd.Series:
    """Identity, or for a finding without a definition its own name: it pools with nothing."""
    return gains["identity"].where(gains["identity"].notna(), "finding:" + gains["name"])


def _labels(gains: pd.DataFrame, keys: pd.Series) -> pd.Series:
    """:func:`recipe_label` per row; where two definitions would read alike (zoneout's rates
    depend on the cell), the cell is added."""
    labels = pd.Series([recipe_label(r) for _, r in gains.iterrows()], index=gains.index)
    clash = labels.groupby(labels).transform(lambda part: keys[part.index].nunique() > 1)
    clash &= gains["identity"].notna()
    cells = [r["definition"].get("cell", r["cell"]) if isinstance(r["definition"], dict) else r["cell"]
             for _, r in gains.iterrows()]
    return labels.where(~clash, labels + " (" + pd.Series(cells, index=gains.index) + ")")


def pool_gains(gains: pd.DataFrame) -> pd.DataFrame:
    """One row per identical recipe (equal :func:`seqdrop.recipes.identity`) and split: how
    many comparisons used it, in which chapters, on which data and cells, and how many gain
    beyond noise, lose, or are within noise. Names never merge two definitions: ``gal`` of
    one chapter and ``gal-half-recurrent`` of another are two rows, and so are one recipe's
    two rates."""
    columns = ["recipe", "split", "comparisons", "gains", "within noise", "loses", "chapters",
               "data", "cells", "mean of means"]
    if gains.empty:
        return pd.DataFrame(columns=columns)
    key = _pool_key(gains)
    g = gains.assign(key=key, verdict=_verdicts(gains), label=_labels(gains, key))
    rows = []
    for (_, split), part in g.groupby(["key", "split"], sort=False):
        rows.append({"recipe": " / ".join(dict.fromkeys(part["label"])), "split": split,
                     "comparisons": len(part),
                     **{v: int((part["verdict"] == v).sum())
                        for v in ("gains", "within noise", "loses")},
                     "chapters": ", ".join(sorted({str(n)[:2] for n in part["notebook"]})),
                     "data": ", ".join(dict.fromkeys(part["data"])),
                     "cells": ", ".join(dict.fromkeys(part["cell"])),
                     "mean of means": float(part["mean"].mean())})
    return pd.DataFrame(rows, columns=columns)


def _p_values(gains: pd.DataFrame) -> np.ndarray:
    """Two-sided p-values of "no change", recovered from each Student-t 95% interval
    (``n_seeds − 1`` degrees of freedom, as :func:`seqdrop.sweep.mean_ci` computes it)."""
    from scipy import stats

    n = gains["n_seeds"].astype(float).to_numpy()
    df = np.maximum(n - 1, 1)
    half = (gains["high"] - gains["low"]).to_numpy(dtype=float) / 2
    se = half / stats.t.ppf(0.975, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, np.abs(gains["mean"].to_numpy(dtype=float)) / se, np.inf)
    return 2 * stats.t.sf(t, df)


def multiplicity(gains: pd.DataFrame, *, q: float = 0.05) -> pd.DataFrame:
    """Per split: how many comparisons are pooled, how many 95% intervals exclude zero, how
    many would by chance if dropout did nothing anywhere (5% of them, half of those in each
    direction), and how many stay after the Benjamini–Hochberg procedure at false-discovery
    rate ``q`` (p-values recovered from the intervals, :func:`_p_values`)."""
    rows = []
    for split in [s for s in SPLIT_ORDER if s in set(gains["split"])]:
        part = gains[gains["split"] == split]
        m = len(part)
        p = np.sort(_p_values(part))
        passed = np.nonzero(p <= q * np.arange(1, m + 1) / m)[0]
        rows.append({"split": split, "comparisons": m,
                     "intervals excluding 0": int(((part["low"] > 0) | (part["high"] < 0)).sum()),
                     "gains beyond noise": int((part["low"] > 0).sum()),
                     "expected by chance (either sign)": 0.05 * m,
                     "expected false gains by chance": 0.025 * m,
                     f"after Benjamini–Hochberg (q = {q:g})": int(passed[-1] + 1) if passed.size else 0})
    return pd.DataFrame(rows).set_index("split") if rows else pd.DataFrame()


def plot_gains(gains: pd.DataFrame, *, width: float = 7.5) -> Any:
    """Forest plot of recipe gains (%, 95% CI, paired by seed): one panel per split (test
    gains and validation gains are never mixed), one row per task, data set, cell and
    chapter. One colour per recipe name and one marker per definition under that name, so a
    legend entry is one definition (name and rate); findings without a definition are drawn
    hollow; the grey line is "as good as no dropout"."""
    import matplotlib.pyplot as plt

    if gains.empty:
        raise FindingsError("no recipe gains to plot: run chapters 02–06 into this folder")
    has_def = gains["identity"].notna()
    key = gains["identity"].where(has_def, "name:" + gains["recipe"])
    gains = gains.assign(chapter=gains["notebook"].str[:2], key=key, has_def=has_def,
                         label=_labels(gains, key))
    splits = [s for s in SPLIT_ORDER if s in set(gains["split"])]
    names = sorted(set(gains["recipe"]))
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    color = {n: cmap(i % cmap.N) for i, n in enumerate(names)}
    markers = "os^Dv<>Ph*"
    entries = gains.drop_duplicates("key").sort_values(["recipe", "label"])
    marker = {}
    for _, part in entries.groupby("recipe"):
        marker |= {k: markers[i % len(markers)] for i, k in enumerate(part["key"])}
    rows_of = {s: sorted(set(zip(*(gains.loc[gains["split"] == s, c]
                                  for c in ("task", "data", "cell", "chapter")))))
               for s in splits}
    legend_h = 0.2 * -(-len(entries) // 3) + 0.3
    panels_h = sum(0.5 + 0.42 * len(r) for r in rows_of.values())
    fig, axes = plt.subplots(len(splits), 1, squeeze=False,
                             figsize=(width, panels_h + legend_h + 0.5),
                             gridspec_kw={"height_ratios": [len(rows_of[s]) + 1 for s in splits]})
    for ax, split in zip(axes[:, 0], splits):
        part, rows = gains[gains["split"] == split], rows_of[split]
        n_in_row = part.groupby(["task", "data", "cell", "chapter"]).size()
        seen: dict[tuple, int] = {}
        for _, r in part.iterrows():
            row = (r["task"], r["data"], r["cell"], r["chapter"])
            i, k = seen.get(row, 0), n_in_row[row]
            seen[row] = i + 1
            y = rows.index(row) + (i - (k - 1) / 2) * (0.8 / max(k, 1))
            c = color[r["recipe"]]
            ax.errorbar(r["mean"], y, xerr=[[r["mean"] - r["low"]], [r["high"] - r["mean"]]],
                        fmt=marker[r["key"]], ms=4, capsize=2, color=c,
                        mfc=c if r["has_def"] else "white")
        ax.axvline(0, color="grey", lw=0.8)
        for i in range(len(rows) - 1):
            ax.axhline(i + 0.5, color="white", lw=2)
        ax.grid(False, axis="y")
        ax.set_yticks(range(len(rows)), [f"{d}, {c} ({t}), ch. {ch}" for t, d, c, ch in rows],
                      fontsize=8)
        ax.set(ylim=(len(rows) - 0.5, -0.5), xlabel="gain over no dropout (%)",
               title=f"{split} gains ({len(part)} comparisons)")
        ax.tick_params(axis="y", length=0)
    handles = [plt.Line2D([], [], marker=marker[k], ls="", color=color[n],
                          mfc=color[n] if d else "white")
               for k, n, d in zip(entries["key"], entries["recipe"], entries["has_def"])]
    labels = [lab if d else f"{n} (definition not recorded)"
              for lab, n, d in zip(entries["label"], entries["recipe"], entries["has_def"])]
    fig.legend(handles, labels, loc="lower center", ncols=3, fontsize=7, frameon=False)
    fig.suptitle("relative gain over no dropout (%, 95% CI, paired by seed), by split",
                 fontsize=11)
    fig.tight_layout(rect=(0, legend_h / fig.get_size_inches()[1], 1, 1))
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
