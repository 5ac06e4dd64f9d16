# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (seqdrop)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · What does the evidence say? The article's questions, answered
#
# The source article of this course (a Chinese blog post on dropout in RNN/LSTM/GRU) ends
# with six frequently asked questions and confident answers: dropout "improves the
# model's performance", it is implemented in six steps, and its formula multiplies each
# input by the dropout probability. The chapters before this one measured those claims,
# each over several seeds with 95% intervals, and recorded their key findings in the run
# folder. This chapter reads them all back and answers the six questions again, every
# answer computed from the numbers of one course run, saying plainly where the evidence
# contradicts the article and which chapter to run where a finding is missing.
#
# **Learning goals.** After this chapter you can
#
# - read a course run's findings (mean, 95% interval, seeds, the sentence each chapter
#   states) from its run folder, and tell which chapter each comes from;
# - compare dropout recipes across cells, data types and tasks on one scale: the relative
#   gain over no dropout, paired by seed, with test and validation gains kept apart and a
#   recipe pooled only with results of the very same definition (its sites and rates);
# - say how many "beyond noise" verdicts chance alone would give among that many intervals;
# - answer each of the article's questions with the measured numbers, and say where, and
#   by how much, the evidence disagrees with it;
# - spot what a run folder lacks and run exactly the chapters that fill the gap.
#
# **Prerequisites and run time.** Chapters 00–09, run into one folder (`make run`, or
# `seqdrop run --profile course`); this chapter only reads their results. Run time: about
# 10 seconds in every profile (8 CPU-seconds measured for the smoke profile on a shared
# machine); smoke reads a small recorded run (`tests/data/course_run`), course and paper
# read the run they are part of.

# %% tags=["parameters"]
run_dir = None  # None: this `seqdrop run`'s folder, else the newest runs/course-*
formula_p = 0.3  # drop probability of the formula check in answer 6, in (0, 1)

# %%
from seqdrop.course import check_all, check_float
from seqdrop.course.run_findings import check_run_dir

globals().update(check_all({
    "run_dir": lambda: check_run_dir("run_dir", run_dir),
    "formula_p": lambda: check_float("formula_p", formula_p, 0.0, 1.0, low_closed=False,
                                     high_closed=False),
}))

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from seqdrop.course import record, savefig, setup_figures
from seqdrop.course.faq import answer_faq, formula_check
from seqdrop.course.run_findings import (CHAPTERS, findings_markdown, load_findings, multiplicity,
                                     plot_gains, pool_gains, verdict_counts)

setup_figures()
pd.set_option("display.max_colwidth", None)
pd.set_option("display.precision", 3)

# %% [markdown]
# ## 1. The run folder
#
# `seqdrop run` writes every chapter's executed notebook, figures and a `summary.json`
# into one run folder; the summary holds each chapter's status and its recorded results.
# A chapter that failed or was never run into this folder contributes nothing, and the
# table says how to add it.

# %%
run = load_findings(run_dir)
status = pd.DataFrame({
    "status": [run.status.get(nb, "not run") for nb in CHAPTERS],
    "findings": [int((run.table["notebook"] == nb).sum()) for nb in CHAPTERS],
}, index=pd.Index(CHAPTERS, name="chapter"))
missing = run.missing(CHAPTERS)
print(f"run folder: {run.run_dir} ({run.profile} profile)")
if missing:
    print(f"not in this run: {', '.join(missing)}\nto add them: {run.command(missing)}")
status

# %% [markdown]
# ## 2. Every finding
#
# One item per finding, by chapter: its name, the mean over seeds with its 95% interval,
# the number of seeds and the sentence it supports (`findings_table(run)` gives the same
# as a DataFrame). In the course and paper profiles a
# chapter asserts every claim of its text before recording it, so a sentence in this
# table held for this run.

# %%
if run.profile == "smoke":
    print("smoke profile: numbers from a few training steps; the claims were not checked")
display(Markdown(findings_markdown(run) or "This run folder holds no findings yet."))

# %% [markdown]
# ## 3. One scale for every recipe, cell, data set and task
#
# Chapters 02–06 record each dropout recipe they compare against no dropout as a relative
# gain in percent (positive: the recipe is better), paired by seed. Each such finding is
# tagged with the cell, data set, task, recipe, metric and **split** (test or validation
# data), and carries the recipe's **definition**: the exact sites and rates that ran
# (`seqdrop.recipes.definition`). Two chapters' results are pooled only where those
# definitions are equal: `gal` (every site at $p$) and `gal-half-recurrent` (recurrent
# state and word types at $p/2$) are two recipes, and so are one recipe's two rates. A
# compound keeps its compound name: `zaremba+zoneout` is Zaremba's masks *and* zoneout,
# so its gain is not zoneout's. Findings recorded before the registry carry no definition
# and pool with nothing.
#
# The figure puts the gains side by side, test gains and validation gains in separate
# panels: one row per data set, cell, task and chapter, one colour per recipe name, one
# marker per definition (hollow: no definition recorded). A bar that crosses the grey line
# is within noise.

# %%
gains = run.recipe_gains()
if gains.empty:
    print("no recipe gains in this run folder; to add them: "
          + run.command(["02_vanilla_rnn", "03_lstm_variants", "04_gru",
                         "05_data_types", "06_tasks"]))
else:
    fig = plot_gains(gains)
    savefig(fig, "10_recipe_gains")
    plt.show()

# %% [markdown]
# The same comparisons pooled by definition: one row per recipe as it ran (name and rate)
# and split, with how many comparisons used it, in which chapters, and how many gain beyond
# noise (the interval lies above zero), lose (it lies below) or are within noise.

# %%
pools = pool_gains(gains)
pools

# %% [markdown]
# Counted per split, task and cell:

# %%
counts = verdict_counts(gains) if not gains.empty else pd.DataFrame()
counts

# %% [markdown]
# **How many verdicts would chance give?** Each 95% interval excludes zero with
# probability 5% when the recipe does nothing, so among $m$ comparisons about $0.05\,m$
# "beyond noise" verdicts are expected by chance alone, half of them in each direction.
# The table states, per split, how many comparisons this chapter pools, how many intervals
# exclude zero, how many would by chance, and how many survive the Benjamini–Hochberg
# procedure at a false-discovery rate of 5% (p-values recovered from each Student-t
# interval) {cite}`benjamini1995controlling`.

# %%
chance = multiplicity(gains) if not gains.empty else pd.DataFrame()
chance

# %% [markdown]
# ## 4. The article's six questions
#
# Each answer below quotes the question (translated from the Chinese), summarises the
# article's own answer, and then answers it from this run's findings. The text is
# computed: rerun the course with other seeds or another profile and the numbers, and
# where needed the verdict, change with it.

# %%
answers = answer_faq(run, formula_p=formula_p)
for a in answers:
    display(Markdown(a.markdown()))

# %% [markdown]
# The formula check of answer 6 is small enough to show in full: the article's
# $h_j\,p_j$ gives the same shrunken value at every call, while a Bernoulli keep-mask
# scaled by $1/(1-p)$ keeps the mean and adds the noise that makes dropout a regulariser
# {cite}`srivastava2014dropout`.

# %%
check = formula_check(p=formula_p)
pd.Series(check, name=f"p = {formula_p:g}").to_frame()

# %% [markdown]
# ## What we found

# %%
contradicted = [a.number for a in answers if a.contradicts]
incomplete = [a.number for a in answers if a.missing]
record("summary_findings", len(run.table))
record("summary_recipe_gains", len(gains))
recap = [
    f"The run folder holds {len(run.table)} findings from "
    f"{run.table['notebook'].nunique()} chapters ({run.profile} profile); "
    f"{len(missing)} of {len(CHAPTERS)} chapters are missing from it.",
]
for split in ("test", "validation"):
    part = gains[gains["split"] == split] if not gains.empty else gains
    if part.empty:
        continue
    helps, hurts = int((part["low"] > 0).sum()), int((part["high"] < 0).sum())
    record(f"summary_{split}_gains_helping", helps)
    undefined = int(part["identity"].isna().sum())
    defined = (f"{part['identity'].nunique()} distinct recipe definitions"
               + (f", {undefined} comparisons without one" if undefined else ""))
    recap.append(
        f"Of {len(part)} recipe comparisons against no dropout on {split} data "
        f"({defined}), {helps} gain beyond noise and {hurts} lose; chance alone would put about "
        f"{0.05 * len(part):.1f} intervals beyond zero, and "
        f"{int(chance.loc[split].iloc[-1])} survive the Benjamini–Hochberg procedure.")
recap.append("The evidence contradicts the article's answers to questions "
             f"{', '.join(map(str, contradicted)) or 'none'}; a gain within noise is never "
             "counted as a contradiction.")
if incomplete:
    recap.append(f"Answer{'s' * (len(incomplete) > 1)} "
                 f"{', '.join(map(str, incomplete))} lack{'s' * (len(incomplete) == 1)} "
                 f"findings: `{run.command(missing)}` completes them.")
display(Markdown("\n".join(f"- {s}" for s in recap)))

# %% [markdown]
# In this chapter we read a whole course run back from its folder, put every finding in
# one table, compared the dropout recipes of five chapters on one relative scale (test and
# validation apart, each recipe by its definition), counted how many verdicts chance alone
# would give, and answered the article's six questions from the numbers. Where the article
# describes dropout (a formula and six steps), it is wrong in ways a few lines of
# arithmetic show; where it promises better performance, a comparison within noise at
# course scale is stated as such, not as a contradiction, beside the full-scale evidence,
# and the figure of section 3 shows where dropout helped in this run.
#
# ## Exercises
#
# 1. **Other seeds.** Run the course again with other seeds,
#    `seqdrop run --profile course -p base_seed=3`, then point `run_dir` at the new folder.
#    Before running, predict which answers change their verdict.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Only findings whose interval is close to zero can flip between "gains" and "within
#    noise". Compare the two findings tables on the columns `mean [95% CI]`.
#    ```
#
# 2. **A second opinion on answer 4.** The count in section 3 treats every comparison
#    alike. Weight it by task instead (one vote per task), and say whether the verdict
#    "dropout improves performance" changes.
#
#    ```{admonition} Hint
#    :class: dropdown
#    `gains.groupby("task")` and the share of `low > 0` per task; then the mean of the
#    three shares.
#    ```
#
# 3. **Add a finding.** Pick a sentence of any chapter's recap that has no finding yet,
#    add a `record_finding` call for it (mean, interval, seeds, the sentence), rerun that
#    chapter into this run folder with `--overwrite`, and find it in the table.
#
#    ```{admonition} Hint
#    :class: dropdown
#    `seqdrop run --profile course --out <run folder> --notebooks '05_*' --overwrite`
#    reruns one chapter and keeps the others' entries in `summary.json`.
#    ```
#
# 4. **Question the scale.** The figure compares relative gains. A 5% lower perplexity and
#    a 5% lower error rate are not the same improvement. Which comparison in the figure
#    would you trust least on this scale, and why?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Relative changes of small numbers are large: an error rate of 2% that becomes 3% is a
#    50% change. Look at the width of the intervals of the classification rows.
#    ```
#
# ## References
#
# - {cite:t}`srivastava2014dropout`: dropout with a Bernoulli mask and the weight-scaling
#   rule (answers 5 and 6).
# - {cite:t}`wager2013dropout`: dropout as an adaptive L2 penalty (answer 1).
# - {cite:t}`zaremba2014recurrent`, {cite:t}`gal2016theoretically`,
#   {cite:t}`semeniuta2016recurrent`, {cite:t}`krueger2017zoneout`,
#   {cite:t}`merity2018regularizing`: the recipes compared in section 3.
# - {cite:t}`benjamini1995controlling`: controlling the false discovery rate (section 3).
# - {cite:t}`prechelt1998early`: early stopping (answer 2).
