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
# # 09 · Can we reproduce the papers' numbers?
#
# The chapters so far compared dropout variants on small models trained for minutes. The
# papers that introduced those variants report perplexities on the full Penn Treebank
# {cite}`marcus1993building` after hours or days of training: Zaremba et al.'s small,
# medium and large LSTMs {cite}`zaremba2014recurrent`, Gal and Ghahramani's variational LSTM
# with and without Monte-Carlo (MC) averaging {cite}`gal2016theoretically`, and Merity et
# al.'s AWD-LSTM {cite}`merity2018regularizing`. seqdrop ships each published setting as a
# *preset* (`seqdrop.presets`), together with GRU and tanh-RNN *twins* that use the same
# hyperparameters and for which no paper reports a number. This chapter runs the presets
# through `seqdrop.presets.reproduce`, puts every measured perplexity next to the published
# one with the gap in %, and says plainly which numbers are comparable: a shortened course
# run is not the paper's setting, and the table says by how much it was shortened.
#
# **Learning goals.** After this chapter you can
#
# - read a published configuration (units, dropout sites and rates, schedule) as a preset
#   and rerun it with `seqdrop.presets.reproduce` or `seqdrop train`;
# - state what a shortened reproduction changed (epochs, words, units) and why its
#   perplexity cannot be compared with the paper's;
# - compute the gap to a published number in % with a 95% interval over seeds, and flag
#   gaps beyond 2%;
# - measure MC dropout's gain over weight scaling for a language model, and its cost;
# - estimate what the full schedules cost from a measured throughput, and tabulate runs
#   made elsewhere (a cluster) from their `result.json` files.
#
# **Prerequisites and run time.** Chapters 02–04 (the variants and the cells) and 08
# (MC dropout). Run time: smoke about 15 s; course profile (the defaults: seven presets at a
# fifth of their width on 60,000 PTB words for one epoch, two seeds, plus timing each
# preset at full size) about 2–4 minutes on 2 idle cores (two workers with one thread
# each), from 225 CPU-seconds measured in one process and 440 with two Dask workers on a
# shared machine (load 14–16, where the workers' overhead is largest); paper profile
# (`params/paper.yaml`: the published schedules, 3 seeds) days of GPU time, an estimate
# (section 6), not a measurement. With `runs_dir` set, the notebook only reads finished
# runs (seconds).

# %% tags=["parameters"]
# of seqdrop.presets.list_presets()
presets = ["zaremba-small", "zaremba-medium", "zaremba-large", "gal-medium", "awd-lstm",
           "zaremba-medium-gru", "zaremba-medium-rnn"]
width = 0.2  # share of each preset's embedding and hidden units (1.0: the paper's)
train_tokens = 60_000  # leading PTB words of each split (None: all 929,589)
epochs = 1  # epochs per preset (None: the published schedule)
eval_batches = 10  # validation/test windows scored (None: the whole splits)
mc_samples = 10  # MC dropout passes for Gal's presets (the paper: 1000; 0: skip)
timing_steps = 1  # full-size optimizer steps timed per preset (0: skip the timing)
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 2  # trainings per preset
runs_dir = None  # folder of finished `seqdrop train` runs: tabulate them, train nothing
scheduler = None  # None: local Dask cluster; "serial"; or an address tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (check_all, check_bool, check_float, check_int,
                            check_scheduler)
from seqdrop.course.reproductions import (PTB_TRAIN_TOKENS, check_presets,
                                               check_runs_dir)


def optional_int(name, value, low, high):
    return None if value is None else check_int(name, value, low, high)


globals().update(check_all({
    "presets": lambda: check_presets("presets", presets),
    "width": lambda: check_float("width", width, 0.0, 1.0, low_closed=False),
    "train_tokens": lambda: optional_int("train_tokens", train_tokens, 1_000,
                                         PTB_TRAIN_TOKENS),
    "epochs": lambda: optional_int("epochs", epochs, 1, 10_000),
    "eval_batches": lambda: optional_int("eval_batches", eval_batches, 1, 100_000),
    "mc_samples": lambda: check_int("mc_samples", mc_samples, 0, 100_000),
    "timing_steps": lambda: check_int("timing_steps", timing_steps, 0, 1_000),
    "base_seed": lambda: check_int("base_seed", base_seed, 0, 2**31 - 1),
    "n_seeds": lambda: check_int("n_seeds", n_seeds, 2, 100),
    "runs_dir": lambda: check_runs_dir("runs_dir", runs_dir),
    "scheduler": lambda: check_scheduler("scheduler", scheduler),
    "check_claims": lambda: check_bool("check_claims", check_claims),
}))

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.course.paths import output_dir
from seqdrop.course.reproduction_runs import (
    full_schedule_hours, measure_throughput, planned_schedule, reproduction_trial,
    shortening_sentence, unigram_baseline)
from seqdrop.course.reproductions import (GAP_THRESHOLD_PCT, PUBLISHED_MC_TEST,
                                               gap_table, load_runs, read_result)
from seqdrop.presets import get_preset
from seqdrop.sweep import mean_ci, sweep

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 1)
seeds = list(range(base_seed, base_seed + n_seeds))
shortening = dict(width=width, train_tokens=train_tokens, epochs=epochs,
                  eval_batches=eval_batches)
# claims are about this notebook's own runs, not about a folder of someone else's
claims_on = check_claims and runs_dir is None


def claim(condition: bool, sentence: str) -> str:
    """Assert a sentence of the text (course and paper profiles); return it."""
    if claims_on:
        assert condition, f"claim does not hold for this run: {sentence}"
    return sentence


# %% [markdown]
# ## 1. The published numbers
#
# Every preset holds the model's arguments, the training configuration and the
# perplexities its paper reports on PTB's validation and test sets. All are 2-layer
# networks except AWD-LSTM (3 layers, tied embedding and softmax weights). Zaremba's presets
# drop the non-recurrent connections with a fresh mask per step; Gal's keep one mask per
# sequence on every connection, the recurrent one included; AWD-LSTM drops the recurrent
# *weights* (DropConnect {cite}`wan2013regularization`) and is trained with NT-ASGD. The MC
# column is Gal's test perplexity when the predicted probabilities are averaged over 1000
# stochastic passes instead of scaling the weights.

# %%
def preset_row(name: str) -> dict:
    p = get_preset(name)
    return {"preset": name, "cell": p.model["cell"],
            "units": f"{p.model['num_layers']}×{p.model['hidden_size']}",
            "epochs": p.train["epochs"], "published val": p.published_val,
            "published test": p.published_test,
            "published MC test": PUBLISHED_MC_TEST.get(name),
            "source": f"twin of {p.twin_of}" if p.twin_of else p.source.split(",")[0]}


pd.DataFrame([preset_row(n) for n in presets]).set_index("preset")

# %% [markdown]
# ## 2. What this run changes
#
# The published schedules take hours to days on a GPU (section 6). The course profile
# keeps every preset's hyperparameters (optimizer, learning rate and its decay, dropout
# sites and rates, batch size, BPTT length, initialisation, clipping) and shortens three
# things: the number of epochs, the number of PTB words (the first `train_tokens` of each
# split, also for validation and test) and the width (embedding and hidden units scaled by
# `width`). The table below is computed from those parameters before anything runs; the
# paper profile sets all three back to the published values.

# %%
plan = pd.DataFrame([{"preset": n, **planned_schedule(n, **shortening)}
                     for n in presets])
print("This run:", shortening_sentence(presets, **shortening) + "." if runs_dir is None
      else f"Not used: the runs are read from {runs_dir} (their schedules: section 3).")
plan.assign(token_share=plan["token_share"].map("{:.3%}".format),
            width=plan["width"].map("{:.0%}".format))[
    ["preset", "comparable", "token_share", "width"]].rename(
    columns={"token_share": "share of the paper's training words",
             "width": "share of units"}).set_index("preset")

# %% [markdown]
# ## 3. Train, or read finished runs
#
# Each preset is trained for every seed through `seqdrop.presets.reproduce`, which writes a
# run folder with `history.json`, the selected weights `best.pt` and `result.json` (the
# measured and published perplexities and the overrides used). The sweep engine runs the
# trainings on two workers and skips those already finished. For Gal's presets the
# selected model is also scored with MC dropout (`mc_samples` passes).
#
# With `runs_dir` set, nothing is trained: the notebook reads every `result.json` under
# that folder, e.g. `runs/train/` after `seqdrop train --preset zaremba-medium --seed 1` on
# a GPU cluster, and tabulates those runs instead. A file it cannot use is named in one line
# and skipped.

# %%
if runs_dir is None:
    root = output_dir() / "reproductions"
    full_size = width == 1.0  # keep the weights of full-size runs only (disk)
    grid = [{"preset": [name], **{k: [v] for k, v in shortening.items()},
             "mc_samples": [mc_samples if name in PUBLISHED_MC_TEST else 0],
             "runs_root": [str(root)], "keep_weights": [full_size]} for name in presets]
    res = sweep(reproduction_trial, grid, seeds=seeds, scheduler=scheduler,
                progress=False, store=output_dir() / "sweeps" / "09_reproductions")
    assert res.failed.empty, res.failed[["preset", "seed", "error"]]
    loaded = load_runs(root, only=res.trials["run_dir"])
    print(f"{len(res.trials)} trainings; {res.trials['seconds'].sum() / 60:.1f} "
          "worker-minutes (wall clock)")
else:
    loaded = load_runs(runs_dir)
    print(f"{len(loaded.runs)} finished run(s) read from {runs_dir}")
    schedules = loaded.runs.groupby("preset", sort=False)["schedule"].first()
    for name, text in schedules.items():
        print(f"{name}: {text}")
for line in loaded.problems:
    print(line)
runs = loaded.runs
runs.pivot_table(index="preset", columns="seed", values="test_ppl", sort=False)

# %% [markdown]
# ## 4. The gap to each published number
#
# For each preset and metric: the mean over seeds with its 95% interval, the published
# number, and the gap $100\,(\bar m - m_{\text{paper}})/m_{\text{paper}}$ in % (positive:
# worse than the paper). A gap beyond ±2% is flagged. The twins have no published number.
# As a floor, each preset's test windows are also scored by a model that ignores the
# context: the add-one smoothed word frequencies of the training words the run saw
# (unigram). A language model that does not beat it has learned nothing about word order.

# %%
order = [p for p in presets if p in set(runs["preset"])] if runs_dir is None else None
gaps = gap_table(runs, order=order, threshold=GAP_THRESHOLD_PCT)
first_run = runs.groupby("preset", sort=False)["path"].first()
unigram = {p: unigram_baseline(read_result(path)) for p, path in first_run.items()}
gaps["unigram"] = gaps["preset"].map(unigram).where(gaps["metric"] != "val_ppl")  # test
shown = gaps.assign(**{
    "measured [95% CI]": [f"{m:.1f} [{lo:.1f}, {hi:.1f}]" for m, lo, hi in
                          zip(gaps["mean"], gaps["low"], gaps["high"])],
    "gap %": gaps["gap_pct"].map(lambda g: "" if g != g else f"{g:+.1f}")})
shown[["preset", "metric", "n_seeds", "measured [95% CI]", "published", "gap %", "flag",
       "unigram", "comparable"]].set_index(["preset", "metric"])

# %%
test = gaps[gaps["metric"] == "test_ppl"].reset_index(drop=True)
fig, ax = plt.subplots(figsize=(7, 3.6))
x = np.arange(len(test))
yerr = [test["mean"] - test["low"], test["high"] - test["mean"]]
ax.errorbar(x, test["mean"], yerr=yerr, fmt="o", color="C0", capsize=3,
            label="measured (mean, 95% CI)")
ax.plot(x, test["published"], "kx", ms=9, mew=2, label="published")
ax.plot(x, test["unigram"], "_", color="grey", ms=22, mew=2,
        label="unigram (no context)")
ax.set_yscale("log")
ax.set_xticks(x, test["preset"], rotation=30, ha="right")
ax.set(ylabel="test perplexity (log scale)",
       title="measured vs published test perplexity")
ax.legend(fontsize=9)
fig.tight_layout()
savefig(fig, "09_measured_vs_published")
plt.show()

# %% [markdown]
# ## 5. MC dropout for Gal's variational LSTM
#
# Gal and Ghahramani report a lower test perplexity when each word's predicted probability
# is averaged over stochastic passes (MC dropout) than with the usual weight scaling
# (79.0 against 79.7 for the medium model with tied gate weights). Here both are computed on
# the same test windows of each run's selected model, so the difference is paired by seed.

# %%
mc_runs = (runs.dropna(subset=["mc_test_ppl"]) if "mc_test_ppl" in runs
           else runs.iloc[:0])
if len(mc_runs) >= 2:
    mc_gain = 100 * (mc_runs["test_ppl"] - mc_runs["mc_test_ppl"]) / mc_runs["test_ppl"]
    mc_ci = mean_ci(mc_gain)
    display(mc_runs[["preset", "seed", "test_ppl", "mc_test_ppl"]].assign(
        **{"MC gain %": mc_gain}).set_index(["preset", "seed"]))
    print(f"MC gain over weight scaling: {mc_ci[0]:+.2f}% "
          f"[{mc_ci[1]:+.2f}, {mc_ci[2]:+.2f}] over {mc_ci[3]} seeds "
          "(positive: MC is better)")
else:
    mc_ci = None
    print("no MC-scored runs (mc_samples = 0, no Gal preset, or fewer than two seeds)")

# %% [markdown]
# ## 6. What the full schedules cost
#
# A reproduction is only worth starting once its cost is known. Each preset is timed at its
# full published size for `timing_steps` optimizer steps on this machine (one thread; the
# first step's start-up included, so the rate is a lower bound), and the rate is turned into
# the hours the published schedule (its epochs × 929,589 words) would take. No GPU was
# available to measure the paper profile; for orientation, a plain-PyTorch Zaremba-small run
# took 144 s on one H100, about 8.5 s per epoch for Zaremba-medium there, and the AWD-LSTM
# authors report 65 s per PTB epoch on a Quadro GP100 {cite}`merity2018regularizing`: these
# are others' measurements, not this notebook's.

# %%
timed = [n for n in dict.fromkeys(presets) if get_preset(n).twin_of is None]
cost = []
if timing_steps and runs_dir is None:
    for name in timed:
        folder = output_dir() / "timing" / f"{name}-{timing_steps}"
        rate = measure_throughput(name, folder, steps=timing_steps, device="cpu")
        cost.append({"preset": name, "words/s (CPU, 1 thread)": rate,
                     "CPU-hours, full schedule": full_schedule_hours(name, rate)})
if cost:
    cost = pd.DataFrame(cost).set_index("preset")
    fig, ax = plt.subplots(figsize=(7, 2.8))
    cost["CPU-hours, full schedule"].plot.barh(ax=ax, color="C1", logx=True)
    ax.set(xlabel="hours (log scale)", ylabel="",
           title="estimated CPU time of each published schedule on this machine")
    fig.tight_layout()
    savefig(fig, "09_full_schedule_cost")
    plt.show()
    display(cost)
else:
    per_preset = runs.groupby("preset", sort=False)
    display(per_preset[["wall_seconds"]].mean().assign(
        device=per_preset["device"].first()))

# %% [markdown]
# ## What we found
#
# The recap is computed from this run; in the course and paper profiles every sentence is
# checked by an assertion (not for runs read from `runs_dir`).

# %%
with_pub = gaps[gaps["published"].notna()]
shortened = not bool(runs["comparable"].eq(True).all())
share = runs["token_share"].max()
changes = (shortening_sentence(presets, **shortening) if runs_dir is None else
           "; ".join(dict.fromkeys(runs["schedule"])))
within = f"within ±{GAP_THRESHOLD_PCT:g}%"
n_flag = int((with_pub["flag"] != within).sum())
if shortened:
    gap_sentence = claim(
        n_flag == len(with_pub) and with_pub["gap_pct"].min() > 0,
        f"None of the {len(with_pub)} published numbers (validation, test and MC "
        f"test perplexities) is reproduced: every measured perplexity is worse than "
        f"the paper's by more than {GAP_THRESHOLD_PCT:g}% (by "
        f"{with_pub['gap_pct'].min():+.0f}% to {with_pub['gap_pct'].max():+.0f}%). "
        f"This is expected and says nothing about the presets: these runs saw at "
        f"most {share:.2%} of the paper's training words ({changes}).")
else:
    gap_sentence = (f"These runs follow the published schedules; {n_flag} of "
                    f"{len(with_pub)} published numbers differ by more than "
                    f"{GAP_THRESHOLD_PCT:g}%.")
sentences = [gap_sentence]
for _, g in with_pub[with_pub["metric"] == "test_ppl"].iterrows():
    ci = [100 * (v - g["published"]) / g["published"] for v in (g["low"], g["high"])]
    record_finding(f"repro_gap_{g['preset'].replace('-', '_')}_test", g["gap_pct"],
                   min(ci), max(ci), unit="%", n_seeds=int(g["n_seeds"]),
                   claim=gap_sentence, source="09 gap table")
by_seed = runs.pivot_table(index="seed", columns="preset", values="test_ppl")
floor = runs["preset"].map(unigram)
if shortened:
    low = runs.loc[(runs["test_ppl"] - floor).idxmin()]
    sentences.append(claim(
        bool((runs["test_ppl"] > floor).all()),
        f"At this budget not one of the {len(runs)} runs beats a model that ignores "
        f"the context: the closest, {low['preset']} (seed {low['seed']}), reaches "
        f"{low['test_ppl']:.0f} against the unigram's {unigram[low['preset']]:.0f}. "
        "The presets' learning rates, dropout and schedules are tuned for tens of "
        "epochs, not for a few hundred steps."))

# %%
# the twins against their LSTM: (how much worse for every seed, label, the reason)
twin_claims = {"rnn": (10, "tanh-RNN", "more than ten times worse",
                       "with the LSTM's learning rate of 1 it diverges"),
               "gru": (1, "GRU", "worse", "hyperparameters tuned for one cell do not "
                       "transfer to another untuned")}
for twin in [n for n in by_seed if get_preset(n).twin_of in by_seed]:
    factor, label, worse, why = twin_claims[get_preset(twin).model["cell"]]
    base = get_preset(twin).twin_of
    ratio = by_seed[twin] / by_seed[base]
    if shortened:
        sentences.append(claim(
            bool((ratio > factor).all()),
            f"The {label} twin {twin} is {worse} than its LSTM {base} for every seed "
            f"(test perplexity {ratio.min():.1f} to {ratio.max():,.1f} times higher): "
            f"{why}."))
if mc_ci is not None:
    mc_sentence = claim(
        not shortened or bool(mc_gain.abs().lt(1).all()),
        f"MC dropout with {mc_samples} passes changes the test perplexity of Gal's "
        f"model by {mc_ci[0]:+.2f}% [{mc_ci[1]:+.2f}, {mc_ci[2]:+.2f}] (positive: "
        "better than weight scaling)" + (
            ", by less than 1% for every seed; the paper's 0.9% gain comes from a "
            "trained model and 1000 passes." if shortened else "."))
    sentences.append(mc_sentence)
    record_finding("repro_mc_gain_gal", *mc_ci[:3], unit="%", n_seeds=mc_ci[3],
                   claim=mc_sentence, source="09 section 5")
if isinstance(cost, pd.DataFrame):
    hours = cost["CPU-hours, full schedule"]
    sentences.append(claim(
        bool(hours.max() > 24),
        f"On this CPU the published schedules would take {hours.min():.0f} to "
        f"{hours.max():,.0f} hours ({hours.idxmax()} the longest): they are GPU jobs."))
    for name, h in hours.items():
        record(f"repro_cpu_hours_{name.replace('-', '_')}", float(h))
for s in sentences:
    print("•", s)

# %% [markdown]
# In this chapter we put the published PTB perplexities of Zaremba's, Gal's and Merity's
# settings next to runs of the same presets, with the GRU and tanh-RNN twins that no paper
# reports; computed the gap to each published number with an interval over seeds; scored
# Gal's model with MC dropout; and measured what the full schedules would cost. A shortened
# run keeps a preset's hyperparameters but not its result: the table says by how much each
# run was shortened, and only runs on the published schedule (the paper profile, or runs
# read from `runs_dir`) can be held against the papers. Chapter 10 collects the findings of
# every chapter.
#
# ## Exercises
#
# 1. **Predict, then run.** Double `train_tokens`. Which presets' perplexities fall most,
#    and does the order of the presets change? Predict before you run (about twice the
#    time).
#
#    ```{admonition} Hint
#    :class: dropdown
#    Dropout slows learning at first: with a few hundred steps the dropout presets trail
#    the unregularised small model, and they only overtake it when it starts to overfit,
#    which takes several epochs of the full corpus. Compare the test perplexities of
#    `zaremba-small` and `zaremba-medium` in the gap table.
#    ```
#
# 2. **A reproduction on a GPU.** On a machine with a GPU, run
#    `seqdrop train --preset zaremba-small --seed 0` and `--seed 1` (about 2–3 minutes each
#    on a recent GPU, others' measurement), then rerun this notebook with `runs_dir` set to
#    `runs/train`. Is the gap to 114.5 within ±2%?
#
#    ```{admonition} Hint
#    :class: dropdown
#    A plain-PyTorch run of the same setting reached 111.95 test perplexity, 2.2% *below*
#    the paper: a reproduction can miss in either direction. The flag is symmetric for
#    that reason.
#    ```
#
# 3. **Untied gates.** Gal's best medium number (78.6 with MC) uses a separate mask per
#    gate. Add a run of `gal-medium` with
#    `model_overrides={"dropouts": get_preset("gal-medium").model["dropouts"].replace(
#    untied_masks=True)}` through `seqdrop.presets.reproduce`, and compare it with the tied
#    run at the same seed.
#
#    ```{admonition} Hint
#    :class: dropdown
#    The paper reports almost the same weight-scaling perplexity for both (79.7); the
#    difference appears with MC averaging (79.0 tied, 78.6 untied). At course scale
#    expect no difference beyond noise.
#    ```
#
# 4. **Question the estimate.** Section 6 times one or two steps and extrapolates to a full
#    schedule. List what the extrapolation leaves out, and which of those make the real
#    run slower or faster.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Evaluation after each epoch, the first step's start-up cost (which inflates the
#    estimate), other processes on a shared machine, AWD-LSTM's early stopping by NT-ASGD
#    (it may stop before 500 epochs), and, on a GPU, whether a variant keeps the fused
#    kernel (chapter 07: Gal's recurrent masks force a step loop).
#    ```
#
# ## References
#
# - {cite:t}`zaremba2014recurrent`: the small, medium and large LSTMs (`zaremba-*`).
# - {cite:t}`gal2016theoretically`: the variational LSTM and MC dropout (`gal-*`).
# - {cite:t}`merity2018regularizing`: AWD-LSTM (`awd-lstm`), with DropConnect
#   {cite}`wan2013regularization` on the recurrent weights.
# - {cite:t}`melis2018state`: careful tuning of the same LSTM baselines, and the small
#   gain of MC averaging at a large evaluation cost.
# - {cite:t}`cho2014learning`: the GRU of the `-gru` twins.
# - Data: {cite:t}`marcus1993building` (Penn Treebank), in the version of
#   {cite:t}`mikolov2010recurrent`.
