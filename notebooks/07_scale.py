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
# # 07 · How much dropout as data and models grow, and what does it cost?
#
# The source article of this course names "large-scale data" as an open challenge for
# dropout in sequence models. Two questions hide in it. The first is statistical:
# dropout fights overfitting, so it should matter less when there is more data and more
# when the model is bigger. Srivastava et al. found exactly that for feed-forward nets
# {cite}`srivastava2014dropout`, and Zaremba et al.'s PTB models need more dropout the
# bigger they get (no dropout at 200 units, 0.5 at 650, 0.65 at 1500)
# {cite}`zaremba2014recurrent`. The second is computational: a dropout mask that changes
# the recurrence (Gal's recurrent dropout {cite}`gal2016theoretically`, Semeniuta's
# {cite}`semeniuta2016recurrent`, zoneout {cite}`krueger2017zoneout`) cannot run in
# PyTorch's fused RNN kernels, so its price grows with the data too. This chapter
# measures both: the best rate and its benefit over a grid of training-set sizes × model
# sizes, and the speed and memory of every variant against fused `nn.LSTM`/`nn.GRU`.
#
# **Learning goals.** After this chapter you can
#
# - run a rate sweep over a grid of data and model sizes and read the best rate of each
#   cell with a bootstrap interval;
# - state whether the benefit of dropout shrinks with data or grows with model size as a
#   slope per doubling with a 95% interval over seeds, not as an impression;
# - measure the speed of a dropout variant as a ratio to PyTorch's fused kernel in the
#   same process, and its activation memory, and fit how both grow with hidden size and
#   sequence length;
# - decide whether a variant's benefit at your scale is worth its cost.
#
# **Prerequisites and run time.** Chapters 03 and 04 (the recipes and the LSTM/GRU mask
# sites) and 05 (choosing a rate on validation data). Run time: smoke about 16
# CPU-seconds; course profile (the defaults: 81 trainings of a word-level LSTM language
# model on a 3,000-word slice of PTB, then about a minute of benchmarks) 270 CPU-seconds
# measured on a shared 2-core machine, so about 2.5–3 minutes on 2 idle cores (the sweep
# on two one-thread workers, the benchmarks in one process); paper profile
# (`params/paper.yaml`: PTB fractions 5%–100% of the full training set, 100–650 hidden
# units, 5 seeds, the benchmarks on CUDA) many CPU-hours for the sweep (give it a Dask
# cluster as `scheduler`) and minutes of GPU time for the benchmarks, an estimate, not a
# measurement.

# %% tags=["parameters"]
fractions = [0.25, 0.5, 1.0]  # shares of the PTB training slice used for training
max_tokens = 3_000  # leading PTB words of each split (None: the 929,589-word corpus)
hidden_sizes = [32, 64, 128]  # LSTM units (one layer, 64-dimensional word vectors)
rates = [0.3, 0.6]  # drop probabilities; no dropout (rate 0) always runs
variant = "zaremba"  # of seqdrop.experiments.recipes.VARIANTS: where the masks go
epochs = 2  # passes over the whole slice (a share f makes epochs / f over its part)
lr = 0.01  # Adam learning rate (best epoch chosen on validation)
batch_size = 8  # parallel streams per step
eval_batches = 2  # validation/test windows of batch_size × 35 words (None: whole split)
bench_device = "cpu"  # "cpu" or "cuda" for the speed and memory measurements
bench_threads = 1  # torch CPU threads while timing
bench_shapes = ["20x200x35"]  # batch x hidden x steps of the step-loop vs fused table
bench_variants = ["dropout (Zaremba)", "weight drop", "Gal recurrent, seq", "Semeniuta",
                  "zoneout"]  # of seqdrop.benchmark.VARIANTS
growth_hidden = [64, 128, 256]  # hidden sizes of the growth fit (steps: 35)
growth_steps = [16, 32, 64]  # sequence lengths of the growth fit (hidden: 128)
bench_repeats = 3  # interleaved timing rounds (medians reported)
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.benchmark import VARIANTS as BENCH_VARIANTS, parse_shapes
from seqdrop.course import (ParameterError, check_all, check_bool, check_choice,
                            check_float, check_int, check_positive, check_scheduler)
from seqdrop.experiments.recipes import VARIANTS as RECIPES, check_rates


def check_sizes(name, value, check):
    """A list of at least two different sizes, each passing ``check(key, value)``."""
    if not isinstance(value, list) or len(value) < 2 or len(set(value)) != len(value):
        raise ParameterError(f"parameter {name!r} = {value!r} must list at least two "
                             "different sizes")
    return sorted(check(f"{name}[{i}]", v) for i, v in enumerate(value))


def count(low, high):
    return lambda key, value: check_int(key, value, low, high)


def check_names(name, value, known):
    if not isinstance(value, list) or not value:
        raise ParameterError(f"parameter {name!r} must be a non-empty list of "
                             f"{list(known)}")
    return [check_choice(f"{name}[{i}]", v, list(known)) for i, v in enumerate(value)]


def check_shapes(name, value):
    try:
        assert isinstance(value, list) and value
        return parse_shapes(",".join(value))
    except (AssertionError, TypeError, ParameterError):
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list "
                             "of 'BxHxT' strings, e.g. ['20x200x35']") from None


globals().update(check_all({
    "fractions": lambda: check_sizes("fractions", fractions, lambda k, v: check_float(
        k, v, 0.0, 1.0, low_closed=False)),
    "max_tokens": lambda: None if max_tokens is None else check_int(
        "max_tokens", max_tokens, 2_000, 929_589),
    "hidden_sizes": lambda: check_sizes("hidden_sizes", hidden_sizes, count(1, 4096)),
    "rates": lambda: check_rates("rates", rates),
    "variant": lambda: check_choice("variant", variant, list(RECIPES[1:])),
    "epochs": lambda: check_int("epochs", epochs, 1, 1000),
    "lr": lambda: check_positive("lr", lr),
    "batch_size": lambda: check_int("batch_size", batch_size, 1, 1024),
    "eval_batches": lambda: None if eval_batches is None else check_int(
        "eval_batches", eval_batches, 1, 10_000),
    "bench_device": lambda: check_choice("bench_device", bench_device, ["cpu", "cuda"]),
    "bench_threads": lambda: check_int("bench_threads", bench_threads, 1, 256),
    "bench_shapes": lambda: check_shapes("bench_shapes", bench_shapes),
    "bench_variants": lambda: check_names("bench_variants", bench_variants,
                                          BENCH_VARIANTS),
    "growth_hidden": lambda: check_sizes("growth_hidden", growth_hidden,
                                         count(1, 8192)),
    "growth_steps": lambda: check_sizes("growth_steps", growth_steps,
                                        count(1, 100_000)),
    "bench_repeats": lambda: check_int("bench_repeats", bench_repeats, 1, 100),
    "base_seed": lambda: check_int("base_seed", base_seed, 0, 2**31 - 1),
    "n_seeds": lambda: check_int("n_seeds", n_seeds, 2, 100),
    "scheduler": lambda: check_scheduler("scheduler", scheduler),
    "check_claims": lambda: check_bool("check_claims", check_claims),
}))

# %%
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from seqdrop import benchmark
from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.course.paths import output_dir
from seqdrop.data import load_dataset
from seqdrop.course import scale
from seqdrop.experiments.recipes import recipe
from seqdrop.course.equal_params import lm_param_count
from seqdrop.sweep import sweep

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
seeds = list(range(base_seed, base_seed + n_seeds))
STEP_LOOP = [v for v in bench_variants if not benchmark.VARIANTS[v].fusable]
FUSED = [v for v in bench_variants if benchmark.VARIANTS[v].fusable]


def claim(condition: bool, sentence: str) -> str:
    """Assert a sentence of the text (course and paper profiles); return it."""
    if check_claims:
        assert condition, f"claim does not hold for this run: {sentence}"
    return sentence


def interval(m: float, lo: float, hi: float, unit: str = "") -> str:
    return f"{m:+.1f}{unit} [{lo:+.1f}, {hi:+.1f}]"


def size_ticks(ax, sizes) -> None:
    """Label a log x axis with the measured sizes only."""
    ax.set_xticks(sizes, [str(v) for v in sizes])
    ax.xaxis.set_minor_locator(plt.NullLocator())


# %% [markdown]
# ## 1. A grid of data and model sizes
#
# The data axis takes the first `max_tokens` words of each PTB split
# {cite}`marcus1993building` and trains on a growing share of that training slice; the
# validation and test slices stay fixed. The model axis widens a one-layer LSTM language
# model (64-dimensional word vectors, a decoder over the full 10,000-word vocabulary).
# Every cell takes about the same number of optimiser steps: a share $f$ of the slice is
# passed over `epochs` / $f$ times, so the data axis changes how many *distinct* words
# the model sees, not how long it trains. Every cell is trained without dropout and with
# the `zaremba` variant, Zaremba et al.'s dropout on the stack's input and output with a
# fresh mask at every step {cite}`zaremba2014recurrent`, at each rate. The table shows
# what the grid spans.
# %%
corpus = load_dataset("ptb-word", max_tokens=max_tokens)
n_words = corpus.train.numel()
pd.DataFrame(
    [{"hidden units": h,
      "parameters": lm_param_count("lstm", corpus.vocab_size, 64, h, num_layers=1),
      **{f"{f:g} of the slice": f"{round(f * n_words):,} words" for f in fractions}}
     for h in hidden_sizes]
).set_index("hidden units")

# %% [markdown]
# ## 2. The sweep
#
# One call runs every cell × rate × seed (no dropout once per cell and seed) through
# `seqdrop.experiments.recipes.recipe`. Each training keeps its best epoch on validation
# perplexity and reports the test perplexity there; finished trials are stored in this
# run's output folder, so an interrupted run resumes.

# %%
grid = scale.scale_grid(fractions, hidden_sizes, rates, variant=variant, cell="lstm",
                        embedding_size=64, max_tokens=max_tokens, bptt=35,
                        epochs=epochs, max_eval_batches=eval_batches,
                        batch_size=batch_size, optimizer="adam", lr=lr, clip=1.0)
res = sweep(recipe, grid, seeds=seeds, scheduler=scheduler, progress=False,
            store=output_dir() / "sweeps" / "07_scale")
assert res.failed.empty, res.failed[["train_fraction", "hidden_size", "rate", "error"]]
trials = res.trials
print(f"{len(trials)} trainings; "
      f"{trials['seconds'].sum() / 60:.1f} worker-minutes (wall clock)")
trials.pivot_table(index=["train_fraction", "hidden_size"], columns="rate",
                   values="test_error", aggfunc="mean")

# %% [markdown]
# The table holds the mean test perplexity per cell and rate. Dropout can only help a
# model that overfits: the epoch at which the no-dropout model's validation perplexity
# was lowest tells whether it did within the budget (an early best epoch) or was still
# learning at the last one.
# %%
base = trials[trials["variant"] == "none"]
base.pivot_table(index="train_fraction", columns="hidden_size", values="best_epoch",
                 aggfunc="mean")

# %% [markdown]
# ## 3. The best rate per cell
#
# For each cell we pick the rate (0 included) with the lowest mean *validation*
# perplexity, and resample whole seeds to see how stable that choice is (the interval in
# brackets). The star marks cells where the chosen rate lowers the *test* perplexity
# beyond noise: the 95% interval of its paired reduction against no dropout, seed by
# seed, lies above zero.
# %%
best = scale.best_rates(trials)
heat = best.pivot(index="train_fraction", columns="hidden_size", values="best")
labels = [f"{r:g} [{lo:g}, {hi:g}]\n{g:+.1f}%{' *' if h else ''}" for r, lo, hi, g, h
          in zip(best["best"], best["low"], best["high"], best["gain"], best["helps"])]
notes = best.assign(txt=labels).pivot(index="train_fraction", columns="hidden_size",
                                      values="txt")
fig, ax = plt.subplots(figsize=(6, 3.4))
sns.heatmap(heat, annot=notes, fmt="", cmap="crest", vmin=0, vmax=max(rates),
            cbar_kws={"label": "best rate"}, annot_kws={"fontsize": 9}, ax=ax)
ax.set(xlabel="hidden units", ylabel="share of the training slice",
       title="best rate [95% interval], test perplexity reduction")
ax.tick_params(axis="y", rotation=0)
fig.tight_layout()
savefig(fig, "07_best_rate")
plt.show()
best[["train_fraction", "hidden_size", "best", "low", "high", "p_best", "gain",
      "gain_low", "gain_high", "helps"]]

# %% [markdown]
# ## 4. Does the benefit shrink with data and grow with the model?
#
# The benefit of a cell is the reduction of test perplexity, in %, that its chosen rate
# brings against no dropout with the same seed (0 where no dropout is chosen). The
# figure shows its mean over seeds with 95% intervals. To turn "shrinks" and "grows"
# into numbers, we fit, seed by seed, the change of the benefit per doubling of one size
# (the other size held fixed, then averaged) and report the mean slope over seeds with
# its interval. The same fit at each fixed rate checks that the trend is not an artefact
# of choosing the rate.
# %%
chosen = scale.chosen_benefits(trials, best)
fig, axes = plt.subplots(1, 2, figsize=(7, 3), sharey=True)
for ax, (x, hue) in zip(axes, (scale.SIZES, scale.SIZES[::-1])):
    sns.pointplot(chosen, x=x, y="benefit", hue=hue, errorbar=("ci", 95), dodge=0.3,
                  markersize=4, linewidth=1.2, palette="crest", ax=ax)
    ax.axhline(0, color="grey", lw=0.8)
    ax.legend(title=hue.replace("_", " "), fontsize=8, title_fontsize=8)
axes[0].set(xlabel="share of the training slice",
            ylabel="test perplexity reduction (%)")
axes[1].set(xlabel="hidden units", ylabel="")
fig.tight_layout()
savefig(fig, "07_benefit")
plt.show()
table = scale.benefits(trials)
trend_rows = []
parts = {"chosen rate": chosen} | {f"rate {r:g}": table[table["rate"] == r]
                                   for r in rates}
for label, part in parts.items():
    for along in scale.SIZES:
        t = scale.benefit_trend(part, along)
        trend_rows.append({"benefit at": label, "per doubling of": along,
                           "slope": t["mean"], "low": t["low"], "high": t["high"],
                           "n": t["n"]})
trends = pd.DataFrame(trend_rows)
trends

# %% [markdown]
# ## 5. What a variant costs: step loop against fused kernels
#
# PyTorch runs `nn.LSTM` and `nn.GRU` as fused kernels (oneDNN or ATen on CPU, cuDNN on
# CUDA). A variant that only masks what enters or leaves the stack, or the weights once
# per forward pass (weight drop {cite}`merity2018regularizing`), keeps those kernels. A
# variant that changes the recurrence inside every step (Gal's per-sequence recurrent
# masks, Semeniuta's update dropout, zoneout) needs seqdrop's step loop.
# `seqdrop.benchmark` times each variant next to fused torch *in the same process*,
# pairs every measurement with a baseline measurement taken right next to it, and
# reports the median ratio over rounds (1.0 = as fast as fused); this is the code behind
# `benchmarks/bench_rnn.py`, whose table in `benchmarks/README.md` the cell below
# regenerates for the chosen shapes: a whole word-LM training step and the recurrent
# stack alone.
# %%
torch.set_num_threads(bench_threads)
rows = [r for cell in ("LSTM", "GRU") for b, h, t in bench_shapes
        for r in benchmark.bench_shape(cell, b, h, t, device=bench_device,
                                       variants=["none", *bench_variants],
                                       repeats=bench_repeats, inner=2)]
speed = pd.DataFrame(rows)
speed.set_index(["cell", "variant"])[["path", "step_ms", "tokens_per_s", "step_ratio",
                                      "recurrent_ratio"]]

# %% [markdown]
# ## 6. How the cost grows with the hidden size and the sequence length
#
# Now the LSTM stack alone, at batch 20: once across hidden sizes at 35 steps, once
# across sequence lengths at 128 units. Speed is again the paired ratio to fused
# `nn.LSTM`. Memory is the activation memory of one training forward pass: the bytes of
# every tensor autograd keeps for the backward pass (saved tensors, and masks a custom
# autograd function keeps on its context), counted once per storage, parameters and
# input left out; on CUDA the peak of `torch.cuda.max_memory_allocated` over forward and
# backward is measured too. A log-log slope $k$ says the cost grows like
# $\text{size}^k$.
# %%
growth_shapes = ([("hidden", 20, h, 35) for h in growth_hidden]
                 + [("steps", 20, 128, t) for t in growth_steps])
names = [benchmark.BASELINE, "none", *bench_variants]
timing, memory = [], []
for axis, b, h, t in growth_shapes:
    for r in benchmark.bench_shape("LSTM", b, h, t, device=bench_device,
                                   variants=names[1:], repeats=bench_repeats, inner=1,
                                   whole_step=False):
        timing.append(r | {"axis": axis})
    memory += [benchmark.memory_use("LSTM", b, h, t, v, device=bench_device)
               | {"axis": axis} for v in names]
growth = pd.DataFrame(timing).merge(pd.DataFrame(memory),
                                    on=["axis", "cell", "batch", "hidden", "seq_len",
                                        "variant"])
growth["path"] = growth["path"].replace({"baseline": "fused"})

fig, axes = plt.subplots(1, 2, figsize=(7, 3), sharey=True)
for ax, (axis, x) in zip(axes, (("hidden", "hidden"), ("steps", "seq_len"))):
    part = growth[(growth["axis"] == axis) & (growth["variant"] != benchmark.BASELINE)]
    sns.lineplot(part, x=x, y="recurrent_ratio", hue="variant", style="path",
                 marker="o", ax=ax, legend=ax is axes[1])
    ax.axhline(1, color="grey", lw=0.8)
    ax.set(xscale="log", xlabel="hidden units" if axis == "hidden" else "steps",
           ylabel="speed / fused nn.LSTM")
    size_ticks(ax, growth_hidden if axis == "hidden" else growth_steps)
sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1, 1), fontsize=8)
fig.tight_layout()
savefig(fig, "07_speed_growth")
plt.show()

# %% [markdown]
# The memory figure is on log-log axes, so a straight line is a power law and its slope
# is the exponent of the table below it.
# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 3), sharey=True)
for ax, (axis, x) in zip(axes, (("hidden", "hidden"), ("steps", "seq_len"))):
    part = growth[growth["axis"] == axis]
    sns.lineplot(part, x=x, y="saved_mb", hue="variant", style="path", marker="o",
                 ax=ax, legend=ax is axes[1])
    ax.set(xscale="log", yscale="log", ylabel="activation memory (MiB)",
           xlabel="hidden units" if axis == "hidden" else "steps")
    size_ticks(ax, growth_hidden if axis == "hidden" else growth_steps)
    ax.yaxis.set_major_formatter(mticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())
sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1, 1), fontsize=8)
fig.tight_layout()
savefig(fig, "07_memory_growth")
plt.show()


def slopes(part: pd.DataFrame, x: str) -> pd.Series:
    return pd.Series({f"{y} slope": benchmark.loglog_slope(part[x], part[y])
                      for y in ("recurrent_ms", "saved_mb")})


fits = pd.concat({axis: growth[growth["axis"] == axis].groupby("variant", sort=False)
                  .apply(slopes, x=x, include_groups=False)
                  for axis, x in (("hidden", "hidden"), ("steps", "seq_len"))}, axis=1)
mem_ratio = (growth.pivot_table(index=["axis", "hidden", "seq_len"], columns="variant",
                                values="saved_mb")
             .div(growth[growth["variant"] == benchmark.BASELINE]
                  .set_index(["axis", "hidden", "seq_len"])["saved_mb"], axis=0))
fits

# %% [markdown]
# ## What we found
#
# The recap is computed from this run; every sentence in it is checked by an assertion in
# the course and paper profiles.

# %%
trend = {(r["benefit at"], r["per doubling of"]): r for _, r in trends.iterrows()}
by_data = trend[("chosen rate", "train_fraction")]
by_model = trend[("chosen rate", "hidden_size")]
n_helps, n_hurts = int(best["helps"].sum()), int((best["gain_high"] < 0).sum())
findings = {
    "scale_benefit_per_data_doubling": (by_data, claim(
        by_data["high"] > 0,
        "At this scale the classic data trend does not appear: the benefit changes by "
        f"{interval(by_data['slope'], by_data['low'], by_data['high'])} points per "
        "doubling of the training share, an interval that reaches above zero, so there is "
        "no evidence that dropout helps less with more data.")),
    "scale_benefit_per_model_doubling": (by_model, claim(
        by_model["low"] < 0,
        "Nor does the model trend: the benefit changes by "
        f"{interval(by_model['slope'], by_model['low'], by_model['high'])} points per "
        "doubling of the hidden units, an interval that reaches below zero, so there is "
        "no evidence that dropout helps more in a bigger model.")),
}
for name, (row, sentence) in findings.items():
    record_finding(name, row["slope"], row["low"], row["high"], unit="points/doubling",
                   n_seeds=int(row["n"]), claim=sentence, source="07 trend table")
cells = [claim(n_helps >= 1 and n_hurts == 0,
               f"The rate chosen on validation lowers the test perplexity beyond noise in "
               f"{n_helps} of {len(best)} cells and raises it beyond noise in none.")]

# %% [markdown]
# The cost side, from sections 5 and 6:

# %%
loop = growth[growth["path"] == "step loop"]
by_size = loop[loop["axis"] == "hidden"].groupby("hidden")["recurrent_ratio"].mean()
weight_drop = [v for v in names[1:] if "weight_dropout" in benchmark.VARIANTS[v].kwargs]
steps_fit = fits["steps"]["saved_mb slope"]
plain_fit = steps_fit.drop(weight_drop)
cost = [
    claim(float(loop["recurrent_ratio"].median()) < 1,
          "seqdrop's step loop runs the LSTM stack slower than fused nn.LSTM: the median "
          f"ratio over the step-loop variants and shapes of section 6 is "
          f"{loop['recurrent_ratio'].median():.2f}."),
    claim(by_size.iloc[-1] > by_size.iloc[0],
          "The gap narrows as the hidden size grows: the mean step-loop ratio is "
          f"{by_size.iloc[0]:.2f} at {by_size.index[0]} units and {by_size.iloc[-1]:.2f} "
          f"at {by_size.index[-1]}."),
    claim(bool(plain_fit.between(0.85, 1.05).all())
          and bool((steps_fit[weight_drop] < plain_fit.min()).all()),
          "Activation memory grows in proportion to the sequence length for every variant "
          f"that leaves the weights alone (log-log slopes {plain_fit.min():.2f}–"
          f"{plain_fit.max():.2f}); weight drop grows more slowly, because its dropped "
          "copy of the recurrent weights does not depend on the length."),
]
if bench_device == "cpu":
    step_mem = mem_ratio[[v for v in STEP_LOOP if v in mem_ratio]]
    cost.append(claim(
        bool((step_mem < 1).all().all()),
        "On CPU the LSTM step loop keeps less activation memory than oneDNN's fused LSTM "
        f"({step_mem.min().min():.2f}–{step_mem.max().max():.2f}× of it)."))
record("scale_step_loop_ratio_median", float(loop["recurrent_ratio"].median()))
record("scale_memory_slope_steps", float(plain_fit.mean()))
for s in [f[1] for f in findings.values()] + cells + cost:
    print("•", s)

# %% [markdown]
# In this chapter we trained a word-level language model over a grid of training-set
# sizes and model sizes, chose the dropout rate of each cell on validation data, and
# read how the benefit changes per doubling of each size through an interval over seeds.
# We then measured what the dropout variants cost against PyTorch's fused kernels, in
# the same process, and how that cost and the activation memory grow with the hidden
# size and the sequence length. The course profile runs a deliberately small version of
# the question (a few thousand PTB words, 32–128 units, a few dozen optimiser steps on a
# CPU). Its models see so few words that their perplexities stay in the thousands, and
# although the chosen rate helps beyond noise in some cells, neither classic trend is
# resolved by its intervals: at this scale the question has no measurable answer. The
# paper profile (`params/paper.yaml`) runs the full version: PTB fractions from 5% to
# 100% of the 929,589 training words, 100 to 650 units (Zaremba's small to medium sizes),
# 5 seeds, and the benchmarks on CUDA, where the fused kernel is cuDNN
# {cite}`appleyard2016optimizing` and the step loop pays for one kernel launch per step.
#
# ## Exercises
#
# 1. **Predict, then run.** Add `0.75` to `rates`. Which cells will choose it? Predict
#    from the heatmap of section 3 before running.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Cells whose best rate is the largest rate of the grid are the candidates: the
#    choice was cut off by the grid's edge. Look at the bootstrap interval too.
#    ```
#
# 2. **Let the steps vary.** Here every cell takes about the same number of optimiser
#    steps. In many published data-size studies a smaller training set is simply trained
#    for the same number of epochs, and so also gets fewer updates. Pass
#    `equal_steps=False` to `scale.scale_grid` and check whether the data trend of
#    section 4 changes, and why.
#
#    ```{admonition} Hint
#    :class: dropdown
#    With fewer updates the small shares are also *less trained*, which dropout does not
#    fix: the best epoch of the no-dropout model (section 2) tells you which cells are
#    still learning at their last epoch.
#    ```
#
# 3. **Another variant.** Set `variant = "gal"` (masks on input, output and $h_{t-1}$,
#    one per sequence). It needs the step loop: use section 6 to predict how much longer
#    the sweep will take, then compare with the `seconds` column of `trials`.
#
#    ```{admonition} Hint
#    :class: dropdown
#    The recurrent stack is only part of a training step: the decoder over 10,000 words
#    costs about as much at these sizes. The whole-step ratio of section 5 is the better
#    predictor.
#    ```
#
# 4. **GRU costs.** Redo section 6 with `"GRU"`. PyTorch's CPU GRU is itself a step loop
#    in C++; predict whether seqdrop's step loop is slower or faster than it.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Replace `"LSTM"` in the two `benchmark` calls of section 6. The table of
#    `benchmarks/README.md` has the answer for 200 and 650 units with two threads.
#    ```
#
# 5. **Question the claim.** The trends of section 4 average the slope over the other
#    size. Fit them per hidden size instead: does the data trend hold for the smallest
#    model alone?
#
#    ```{admonition} Hint
#    :class: dropdown
#    For each `h`, call `scale.benefit_trend(part, "train_fraction")` with
#    `part = chosen[chosen["hidden_size"] == h]`; with one size per call the average is
#    over nothing, so the interval is the spread of that model's slopes over seeds.
#    ```
#
# ## References
#
# - {cite:t}`srivastava2014dropout`: dropout, and its benefit against the size of the
#   training set (§7.5).
# - {cite:t}`zaremba2014recurrent`: dropout on the non-recurrent connections of LSTM
#   language models; the best rate rises with the model (0, 0.5, 0.65).
# - {cite:t}`gal2016theoretically`, {cite:t}`semeniuta2016recurrent`,
#   {cite:t}`krueger2017zoneout`: the variants that change the recurrence (step loop).
# - {cite:t}`merity2018regularizing`: weight drop, which keeps the fused kernels.
# - {cite:t}`appleyard2016optimizing`: how cuDNN fuses recurrent networks.
# - Data: {cite:t}`marcus1993building` (Penn Treebank).
