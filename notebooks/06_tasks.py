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
# # 06 · Does the best dropout rate depend on the task?
#
# The last of the source article's challenges is "how to adapt dropout to different kinds
# of tasks". Chapter 05 varied the data and kept the task family; here we vary the task.
# One small LSTM and one set of dropout variants and rates are trained for three tasks:
# **language modelling** (predict the next word of the Penn Treebank
# {cite}`marcus1993building`, scored by perplexity), **classification** (name the spoken
# digit of an FSDD recording {cite}`jackson2018fsdd`, scored by the error rate) and
# **forecasting** (predict next month's sunspot number from the last four years
# {cite}`andrews1985data`, scored by the root mean squared error). Forecasting is a
# regression on a real-valued signal whose temporal structure (the 11-year solar cycle) is
# what the model must carry in its state, so it is where dropout on the recurrent path could
# matter most. We report each task's metric against the rate for every variant and the
# setting that wins per task, with intervals over seeds.
#
# **Learning goals.** After this chapter you can
#
# - set up a forecasting task from a time series without look-ahead: sliding windows, a
#   chronological split, scaling from the training segment only, and a naive baseline;
# - run the same dropout recipe on a language model, a classifier and a forecaster, and
#   read each task's metric against the rate with 95% intervals;
# - pick the winning rate per task on validation data and state its test gain with a paired
#   interval, or say that no rate helps;
# - explain why a rate that regularises a classifier can hurt a forecaster.
#
# **Prerequisites and run time.** Chapters 03 and 05 (the recipes, and choosing a rate on
# validation data). Run time: smoke about 15 s; course profile (the defaults: 63 trainings of
# a 64-unit LSTM) about 2–3 minutes on 2 idle cores (two workers with one thread each),
# estimated from single-thread CPU time measured on a shared machine (about 1–5
# CPU-seconds per training, plus start-up); paper profile
# (`params/paper.yaml`: full PTB, 256 units, more epochs, 5 seeds) about an hour on a GPU,
# an estimate, not a measurement.

# %% tags=["parameters"]
cell = "lstm"  # "lstm" or "gru"
hidden_size = 64  # recurrent units (the same model for every task)
variants = ["zaremba", "gal", "weight_drop"]  # of seqdrop.experiments.recipes.VARIANTS
rates = [0.25, 0.5]  # drop probabilities; the no-dropout baseline (rate 0) always runs
lm_tokens = 5_000  # leading PTB words of each split for training (of 929,589)
lm_epochs = 2  # passes over the PTB slice
lm_eval_batches = 10  # validation/test windows of 10 × 35 words scored (None: whole split)
audio_fraction = 0.25  # share of the 2,400 FSDD training recordings
audio_epochs = 8  # passes over the recordings
window = 48  # forecasting: months of history per sample
forecast_epochs = 6  # passes over the 1,926 training windows
lr = 0.01  # Adam learning rate (every task)
batch_size = 16  # sequences or parallel streams per step (every task)
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or a Dask address tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (check_all, check_bool, check_choice, check_float, check_int,
                            check_positive, check_scheduler)
from seqdrop.experiments.recipes import check_rates, check_variants

globals().update(check_all({
    "cell": lambda: check_choice("cell", cell, ["lstm", "gru"]),
    "hidden_size": lambda: check_int("hidden_size", hidden_size, 1, 4096),
    "variants": lambda: check_variants("variants", variants),
    "rates": lambda: check_rates("rates", rates),
    "lm_tokens": lambda: check_int("lm_tokens", lm_tokens, 1_000, 73_760),
    "lm_epochs": lambda: check_int("lm_epochs", lm_epochs, 1, 1000),
    "lm_eval_batches": lambda: None if lm_eval_batches is None else check_int(
        "lm_eval_batches", lm_eval_batches, 1, 10_000),
    "audio_fraction": lambda: check_float("audio_fraction", audio_fraction, 0.0, 1.0,
                                          low_closed=False),
    "audio_epochs": lambda: check_int("audio_epochs", audio_epochs, 1, 1000),
    "window": lambda: check_int("window", window, 2, 600),
    "forecast_epochs": lambda: check_int("forecast_epochs", forecast_epochs, 1, 1000),
    "lr": lambda: check_positive("lr", lr),
    "batch_size": lambda: check_int("batch_size", batch_size, 1, 1024),
    "base_seed": lambda: check_int("base_seed", base_seed, 0, 2**31 - 1),
    "n_seeds": lambda: check_int("n_seeds", n_seeds, 2, 100),
    "scheduler": lambda: check_scheduler("scheduler", scheduler),
    "check_claims": lambda: check_bool("check_claims", check_claims),
}))

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.course.paths import output_dir
from seqdrop.data import load_sunspots, persistence_forecast, sunspots_series
from seqdrop.course.rate_selection import best_settings, effects, with_baseline
from seqdrop.experiments.recipe_plots import best_rate_heatmap, rate_panels
from seqdrop.experiments.recipes import (ERROR_METRIC, recipe, recipe_grid,
                                         setting_labels)
from seqdrop.experiments.variant_gains import record_recipe_gains
from seqdrop.sweep import mean_ci, sweep

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
seeds = list(range(base_seed, base_seed + n_seeds))
TASKS = {"language modelling": "ptb-word", "classification": "fsdd-mfcc",
         "forecasting": "sunspots"}
TASK = {v: k for k, v in TASKS.items()}


def claim(condition: bool, sentence: str) -> str:
    """Assert a sentence of the text (course and paper profiles); return it for the recap."""
    if check_claims:
        assert condition, f"claim does not hold for this run: {sentence}"
    return sentence


# %% [markdown]
# ## 1. A forecasting task without look-ahead
#
# The monthly mean sunspot number from January 1749 to December 1983 has 2,820 values. A
# forecasting sample is `window` consecutive months as input and the next month as the
# target. Three rules keep the test honest:
#
# - the split is **chronological**: the first 70% of the months train, the next 15%
#   validate, the last 15% test, and a sample belongs to the split its target lies in;
# - the series is standardised with the mean and standard deviation of the **training
#   segment only**;
# - every model is compared with the **persistence** forecast, "next month equals this
#   month", which any useful forecaster must beat.

# %%
series = sunspots_series().numpy()
fc = load_sunspots(window=window)
years = 1749 + np.arange(series.size) / 12
cut1, cut2 = round(0.7 * series.size), round(0.85 * series.size)
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(years, series, lw=0.6, color="k")
for (a, b), name, color in (((0, cut1), "train", "C0"), ((cut1, cut2), "valid", "C1"),
                            ((cut2, series.size), "test", "C2")):
    ax.axvspan(years[a], years[b - 1], color=color, alpha=0.15, label=name)
ax.set(xlabel="year", ylabel="sunspot number", title="monthly mean sunspot number")
ax.legend(loc="upper left", ncols=3, fontsize=9)
fig.tight_layout()
savefig(fig, "06_sunspots")
plt.show()
naive = persistence_forecast(fc.test, 1)
persistence_rmse = float((naive - fc.test.y).pow(2).mean().sqrt()) * fc.scale
print(fc, f"| test RMSE of persistence: {persistence_rmse:.2f}")

# %% [markdown]
# ## 2. The sweep: three tasks, one recipe
#
# Every task uses the same 64-unit LSTM, Adam at the same learning rate and batch size, and
# the same variants (`zaremba`: fresh masks on the input and output at every step
# {cite}`zaremba2014recurrent`; `gal`: one mask per sequence on input, output and
# $h_{t-1}$ {cite}`gal2016theoretically`; `weight_drop`: DropConnect on $W_{hh}$
# {cite}`merity2018regularizing`) at the same rates. What differs is what the model reads,
# how long it trains (the language model overfits a small PTB slice within two epochs),
# and the metric: each training keeps its best epoch on validation data and reports the test
# metric there.

# %%
common = dict(cell=cell, hidden_size=hidden_size, embedding_size=64, lr=lr,
              batch_size=batch_size, optimizer="adam", clip=1.0)
per_task = [
    {"data": "ptb-word", "max_tokens": lm_tokens, "bptt": 35, "epochs": lm_epochs,
     "max_eval_batches": lm_eval_batches},
    {"data": "fsdd-mfcc", "train_fraction": audio_fraction, "epochs": audio_epochs},
    {"data": "sunspots", "window": window, "epochs": forecast_epochs},
]
grid = recipe_grid([common | t for t in per_task], variants, rates)
res = sweep(recipe, grid, seeds=seeds, scheduler=scheduler, progress=False,
            store=output_dir() / "sweeps" / "06_tasks")
assert res.failed.empty, res.failed[["data", "variant", "rate", "error"]]
trials = res.trials.assign(task=lambda t: t["data"].map(TASK), setting=setting_labels)
print(f"{len(trials)} trainings; "
      f"{trials['seconds'].sum() / 60:.1f} worker-minutes (wall clock)")
res.summary("test_error").pivot_table(index=["data", "variant"], columns="rate",
                                      values="mean", sort=False)

# %% [markdown]
# ## 3. Each task's metric against the rate
#
# One panel per task, in its own unit; the rate-0 point of every variant is the same
# no-dropout run. In the forecasting panel the dashed line is the persistence forecast.

# %%
fig, axes = rate_panels(with_baseline(trials), TASKS, "test_error", ERROR_METRIC)
axes[-1].axhline(persistence_rmse, color="grey", ls="--", lw=1)
fig.tight_layout()
savefig(fig, "06_metric_vs_rate")
plt.show()

# %% [markdown]
# ## 4. The winning rate per task
#
# For each task and variant, the rate (0 included) with the lowest mean validation error
# wins, and its test gain over no dropout is paired by seed; then the same choice is made
# among all settings of a task at once. A gain is called a gain only when its 95% interval
# lies above zero.

# %%
per_variant = best_settings(with_baseline(trials), by=["data", "variant"], among="rate",
                            baseline=0.0)
per_variant["task"] = per_variant["data"].map(TASK)
winners = best_settings(trials, by=["data"], among="setting", baseline="none")
winners["task"] = winners["data"].map(TASK)
winners["rel_gain"] = 100 * winners["gain"] / winners["test_baseline"]
fig, ax = best_rate_heatmap(per_variant, "task", list(TASKS), variants, max(rates),
                            title="best rate per task [95% bootstrap interval] "
                            "(* = test gain CI > 0)", figsize=(7, 3.2))
fig.tight_layout()
savefig(fig, "06_best_rate")
plt.show()
winners[["task", "best", "p_best", "test_baseline", "test_best", "gain", "gain_low",
         "gain_high", "helps"]]

# %% [markdown]
# ## What we found
#
# The recap is computed from this run's sweep; every sentence is checked by an assertion in
# the course profile.

# %%
found = winners.assign(
    metric=lambda w: w["data"].map(ERROR_METRIC),
    **{"winning setting (share of bootstrap picks)": lambda w: [
        f"{b} ({p:.0%})" for b, p in zip(w["best"], w["p_best"])],
       "test gain [95% CI]": lambda w: [f"{g:+.3g} [{lo:+.3g}, {hi:+.3g}]" for g, lo, hi in
                                        zip(w["gain"], w["gain_low"], w["gain_high"])]}
)[["task", "metric", "winning setting (share of bootstrap picks)", "test_baseline",
   "test_best", "test gain [95% CI]", "helps"]]
for _, w in winners.iterrows():
    key = w["task"].split()[0]
    record(f"best_setting_{key}", w["best"])
    record(f"gain_{key}", float(w["gain"]))
found.set_index("task")

# %%
eff = effects(trials, "test_error", by=["data"], among="setting", baseline="none")
task_eff = {TASK[d]: part.set_index("setting") for d, part in eff.groupby("data")}
win = winners.set_index("task")
lm, cls, fcst = (win.loc[t] for t in TASKS)
none_fc = trials[(trials["data"] == "sunspots") & (trials["variant"] == "none")]
fc_rmse = mean_ci(none_fc["test_error"])
wd_lm = task_eff["language modelling"].filter(like="weight_drop", axis=0)
lm_half = task_eff["language modelling"].loc[[f"zaremba {max(rates):g}", f"gal {max(rates):g}"]]
lm_sure = lm_half[lm_half["lower"]]
sentences = [
    claim(lm["best"] != "none",
          f"For language modelling the setting chosen on validation data uses dropout "
          f"({lm['best']}; test perplexity {lm['test_best']:.0f} against "
          f"{lm['test_baseline']:.0f} without dropout)."),
    claim(bool((lm_half["mean"] < 0).all()) and len(lm_sure) > 0,
          f"Zaremba's and Gal's variants at rate {max(rates):g} both lower the mean test "
          "perplexity, and for at least one of them the paired 95% interval lies entirely "
          "below zero (" + "; ".join(f"{i}: {r['mean']:+.0f} [{r['ci_low']:+.0f}, "
                                     f"{r['ci_high']:+.0f}]" for i, r in lm_half.iterrows())
          + ")."),
    claim(not wd_lm["lower"].any(),
          "Weight drop on $W_{hh}$ alone does not lower the language model's perplexity "
          "beyond noise at either rate: the masks on the inputs and outputs do the work."),
    claim(not task_eff["classification"]["lower"].any(),
          "For classification (spoken digits), no setting lowers the test error beyond "
          "noise, as in chapter 05."),
    claim(fc_rmse[2] >= persistence_rmse,
          f"Without dropout, the forecaster is not clearly better than persistence: its test "
          f"RMSE is {fc_rmse[0]:.1f} [{fc_rmse[1]:.1f}, {fc_rmse[2]:.1f}] against "
          f"{persistence_rmse:.1f}, so within {forecast_epochs} epochs it learns little "
          "beyond 'next month is like this month'."),
    claim(not task_eff["forecasting"]["lower"].any(),
          "For forecasting, no setting lowers the test RMSE beyond noise."),
    claim(lm["best"] != "none" and cls["best"] != lm["best"] and fcst["best"] != lm["best"],
          "The setting that wins for language modelling is not the one that wins for "
          "classification or forecasting: the best rate depends on the task."),
]
record("persistence_rmse", persistence_rmse)
record("forecast_rmse_no_dropout", fc_rmse[0])
UNIT = {"ptb-word": "perplexity", "fsdd-mfcc": "points", "sunspots": "RMSE"}
for _, w in winners.iterrows():
    said = {"ptb-word": 0, "fsdd-mfcc": 3, "sunspots": 5}[w["data"]]
    record_finding(f"task_{w['task'].split()[0]}_winner_gain", w["gain"], w["gain_low"],
                   w["gain_high"], unit=UNIT[w["data"]], n_seeds=int(w["n"]),
                   claim=sentences[said],
                   source=f"06 · winner on validation: {w['best']}")
for setting, r in lm_half.iterrows():
    record_finding(f"task_lm_{setting.split()[0]}_ppl_change", r["mean"], r["ci_low"],
                   r["ci_high"], unit="perplexity", n_seeds=int(r["n"]),
                   claim=sentences[1], source=f"06 · test perplexity change of {setting}")
record_finding("task_forecast_rmse_no_dropout", *fc_rmse[:3], unit="RMSE",
               n_seeds=int(fc_rmse[3]), claim=sentences[4],
               source=f"06 · persistence RMSE {persistence_rmse:.1f}")
for s in sentences:
    print("•", s)

# %% [markdown]
# For the course summary (chapter 10), each variant at its validation-chosen rate is also
# recorded per task as a relative test gain over no dropout, in percent and paired by seed
# (positive: the variant lowers the perplexity, error or RMSE).

# %%
record_recipe_gains(trials, chapter="06", cell=cell, labels=TASK, label="task")

# %% [markdown]
# In this chapter we built a forecasting task without look-ahead, trained one LSTM with one
# dropout recipe on three tasks, and chose the winning setting per task on validation data,
# reporting its test gain with a paired interval. The best rate is a property of the task
# *and* of how much the model overfits it: the same variants and rates that regularise one
# task can cost accuracy on another, so a rate has to be chosen per task on validation
# data. Chapter 08 returns to the forecaster to turn dropout into prediction intervals.
#
# ## Exercises
#
# 1. **Predict, then run.** Double `forecast_epochs`. Will the forecaster's best rate move
#    up, down, or stay at the same value? Check with the heatmap of section 4.
#
#    ```{admonition} Hint
#    :class: dropdown
#    More epochs let the no-dropout model fit the training segment more closely; look at
#    whether its validation RMSE gets worse after some epoch (`res.history`, column
#    `val_loss`, for `variant == "none"`). Only then has dropout something to fix.
#    ```
#
# 2. **A harder forecast.** Forecast a year ahead: add `"horizon": 12` to the forecasting
#    entry of `per_task` (the recipe trial takes it), and compare with the persistence
#    forecast for 12 months, `persistence_forecast(fc.test, 12)` after
#    `fc = load_sunspots(window=window, horizon=12)`.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Persistence degrades quickly with the horizon (the cycle moves on), an LSTM that
#    has learned the 11-year cycle much less. Expect the ranking of the variants to change
#    more than that of the classifier.
#    ```
#
# 3. **A better baseline.** The solar cycle lasts about 11 years (132 months). Build the
#    *seasonal* naive forecast "same month one cycle ago" (it needs `window ≥ 132`) and
#    compare its test RMSE with persistence and with the LSTM.
#
#    ```{admonition} Hint
#    :class: dropdown
#    With `fc = load_sunspots(window=132)`, the value one cycle before the target is
#    `fc.test.x[:, 0, 0]`; multiply errors by `fc.scale` for sunspot numbers. The cycle
#    length varies between 9 and 14 years, so do not expect this baseline to win.
#    ```
#
# 4. **Question the comparison.** Every training reports its test metric at the epoch with
#    the lowest validation error. With two language-model epochs, the no-dropout model may
#    be picked at epoch 1 while a dropout model is picked at epoch 2. Is that a fair
#    comparison of *regularisers*, or partly one of *training lengths*?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Compare the columns `best_epoch` of `trials` per setting. Early stopping is itself a
#    regulariser (chapter 01); the fair question is "best model per setting under the same
#    budget", which is what the chapter measures.
#    ```
#
# ## References
#
# - {cite:t}`zaremba2014recurrent`: dropout on the non-recurrent connections (`zaremba`).
# - {cite:t}`gal2016theoretically`: one mask per sequence on every connection (`gal`).
# - {cite:t}`merity2018regularizing`: DropConnect on the recurrent weights (`weight_drop`).
# - {cite:t}`efron1993introduction`: the bootstrap behind the interval of the best rate.
# - Data: {cite:t}`marcus1993building` (Penn Treebank), {cite:t}`jackson2018fsdd` (spoken
#   digits), {cite:t}`andrews1985data` (monthly sunspot numbers; source: WDC-SILSO, Royal
#   Observatory of Belgium, Brussels).
