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
# - compare dropout variants across cells, data types and tasks on one scale: the relative
#   test gain over no dropout, paired by seed;
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
from seqdrop.course import check_parameters, number
from seqdrop.experiments.findings import check_run_dir

params = check_parameters(globals(), {
    "run_dir": check_run_dir,
    "formula_p": number(0, 1, low_closed=False, high_closed=False),
})

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from seqdrop.course import record, savefig, setup
from seqdrop.experiments.faq import answer_faq, formula_check
from seqdrop.experiments.findings import (CHAPTERS, findings_markdown, load_findings,
                                          plot_variant_gains, verdict_counts)

setup("10_summary", params, precision=3)
pd.set_option("display.max_colwidth", None)

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
# as a DataFrame). In the course profile a chapter asserts each of its claims before
# recording it, so a sentence in this table held for this run (a null, the absence of an
# effect, is stated with its interval and never asserted).

# %%
if run.profile == "smoke":
    print("smoke profile: numbers from a few training steps; the course claims were shown "
          "as readings, not asserted")
display(Markdown(findings_markdown(run) or "This run folder holds no findings yet."))

# %% [markdown]
# ## 3. One scale for every variant, cell, data set and task
#
# Chapters 02–06 record each dropout variant they compare against no dropout as a
# relative test gain in percent (positive: the variant is better), paired by seed, with
# the cell, data set, task and variant as tags. The figure puts them side by side: one
# panel per cell, one row per data set, task and chapter, one colour per variant. A bar that
# crosses the grey line is within noise.

# %%
gains = run.variant_gains()
if gains.empty:
    print("no variant gains in this run folder; to add them: "
          + run.command(["02_vanilla_rnn", "03_lstm_variants", "04_gru",
                         "05_data_types", "06_tasks"]))
else:
    fig = plot_variant_gains(gains)
    savefig(fig, "10_variant_gains")
    plt.show()

# %% [markdown]
# Counting the comparisons per task and cell: how many gain beyond noise (the interval
# lies above zero), how many lose (it lies below), and how many are within noise.

# %%
counts = verdict_counts(gains) if not gains.empty else pd.DataFrame()
counts

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
helps = int((gains["low"] > 0).sum()) if not gains.empty else 0
hurts = int((gains["high"] < 0).sum()) if not gains.empty else 0
record("summary_findings", len(run.table))
record("summary_variant_gains", len(gains))
record("summary_variant_gains_helping", helps)
recap = [
    f"The run folder holds {len(run.table)} findings from "
    f"{run.table['notebook'].nunique()} chapters ({run.profile} profile); "
    f"{len(missing)} of {len(CHAPTERS)} chapters are missing from it.",
    f"Of {len(gains)} variant comparisons against no dropout, {helps} gain beyond noise "
    f"and {hurts} lose.",
    "The evidence contradicts the article's answers to questions "
    f"{', '.join(map(str, contradicted)) or 'none'}.",
]
if incomplete:
    recap.append(f"Answer{'s' * (len(incomplete) > 1)} "
                 f"{', '.join(map(str, incomplete))} lack{'s' * (len(incomplete) == 1)} "
                 f"findings: `{run.command(missing)}` completes them.")
display(Markdown("\n".join(f"- {s}" for s in recap)))

# %% [markdown]
# In this chapter we read a whole course run back from its folder, put every finding in
# one table, compared the dropout variants of five chapters on one relative scale, and
# answered the article's six questions from the numbers. Where the article describes
# dropout (a formula and six steps), it is wrong in ways a few lines of arithmetic show;
# where it promises better performance, the measured answer is "only where the model
# overfits, at a rate chosen on validation data", and the figure of section 3 shows where
# that was the case in this run.
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
#   {cite:t}`merity2018regularizing`: the recurrent variants compared in section 3.
# - {cite:t}`prechelt1998early`: early stopping (answer 2).
