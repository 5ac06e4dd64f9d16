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
# # 05 · Does one dropout recipe work for text, audio and images alike?
#
# The source article of this course (a Chinese blog post on dropout in RNN/LSTM/GRU) lists
# as an open challenge "how to adapt dropout to different kinds of sequence data". This
# chapter makes the question measurable. We take one small recurrent model, one optimiser
# and one set of dropout variants and rates, and apply them unchanged to three kinds of
# sequences: characters of the Penn Treebank {cite}`marcus1993building` (a language model,
# scored in bits per character), spoken digits as MFCC frames {cite}`jackson2018fsdd` and
# MNIST digits read row by row {cite}`lecun1998gradient` (both classifiers, scored by their
# error rate). Each variant is run at each rate over several seeds; we then ask, per data
# type and variant, which rate wins and how sure we can be, and whether the setting that
# wins on one data type also helps on the others.
#
# **Learning goals.** After this chapter you can
#
# - describe text, audio and images as sequences of steps × features, and name the dropout
#   site that plays the role of "input dropout" for each (embedding rows vs feature channels);
# - run one dropout recipe over several data sets as a single sweep, and compare data sets
#   with different metrics through the relative change against no dropout;
# - choose a rate on validation data and report its test gain with a paired interval;
# - judge whether a setting *transfers*: tuned on one data type, does it help on another?
#
# **Prerequisites and run time.** Chapters 02–04 (the mask sites of the RNN, LSTM and GRU
# cells, and the Zaremba, Gal and weight-drop recipes). Run time: smoke about 15 s; course
# profile (the defaults: 63 trainings of a 64-unit LSTM) about 2 minutes on 2 idle cores
# (two workers with one thread each), estimated from single-thread CPU time measured on a
# shared machine (about 2–5 CPU-seconds per training, plus start-up); paper profile (`params/paper.yaml`: full training sets,
# 256 units, 5 seeds, more rates) about an hour on a GPU, an estimate, not a measurement.

# %% tags=["parameters"]
cell = "lstm"  # "lstm" or "gru"
hidden_size = 64  # recurrent units (the same model for every data type)
variants = ["zaremba", "gal", "input"]  # also "weight_drop"; see recipes.VARIANTS
rates = [0.25, 0.5]  # drop probabilities; the no-dropout baseline (rate 0) always runs
text_tokens = 10_000  # leading char-PTB symbols of each split (of 5,017,482 for training)
audio_fraction = 0.25  # share of the 2,400 FSDD training recordings
image_fraction = 0.25  # share of the 4,000 MNIST training images
epochs = 8  # passes over each training set (Adam, best epoch chosen on validation)
lr = 0.01  # Adam learning rate
batch_size = 16  # sequences (classifiers) or parallel streams (language model) per step
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or a Dask address tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (check_all, check_bool, check_choice, check_float, check_int,
                            check_positive, check_scheduler)
from seqdrop.experiments.recipes import check_rates, check_variants

fraction = dict(low=0.0, high=1.0, low_closed=False)
globals().update(check_all({
    "cell": lambda: check_choice("cell", cell, ["lstm", "gru"]),
    "hidden_size": lambda: check_int("hidden_size", hidden_size, 1, 4096),
    "variants": lambda: check_variants("variants", variants),
    "rates": lambda: check_rates("rates", rates),
    "text_tokens": lambda: check_int("text_tokens", text_tokens, 2_000, 393_042),
    "audio_fraction": lambda: check_float("audio_fraction", audio_fraction, **fraction),
    "image_fraction": lambda: check_float("image_fraction", image_fraction, **fraction),
    "epochs": lambda: check_int("epochs", epochs, 1, 1000),
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
import seaborn as sns
import torch

from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.course.paths import output_dir
from seqdrop.data import load_dataset
from seqdrop.course.rate_selection import (best_settings, effects, relative_change,
                                       transfer_gains, with_baseline)
from seqdrop.experiments.recipe_plots import best_rate_heatmap, rate_panels
from seqdrop.experiments.recipes import (ERROR_METRIC, recipe, recipe_dropouts,
                                         recipe_grid, setting_labels)
from seqdrop.experiments.variant_gains import record_recipe_gains
from seqdrop.sweep import sweep

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
seeds = list(range(base_seed, base_seed + n_seeds))
DATA = {"text": "ptb-char", "audio": "fsdd-mfcc", "images": "mnist-rows"}
KIND = {v: k for k, v in DATA.items()}


def claim(condition: bool, sentence: str) -> str:
    """Assert a sentence of the text (course and paper profiles); return it for the recap."""
    if check_claims:
        assert condition, f"claim does not hold for this run: {sentence}"
    return sentence


# %% [markdown]
# ## 1. Three kinds of sequences
#
# A recurrent network reads a sequence of $T$ steps with $F$ features each. The three data
# sets fill that shape differently:
#
# - **text**: one character per step; the model looks its id up in an embedding table
#   and predicts the next character. There is no "end" label: every step is a target.
# - **audio**: one 25 ms frame per step, described by 13 mel-frequency cepstral
#   coefficients (MFCCs); recordings last 6 to 92 frames and the model names the digit at
#   the last frame.
# - **images**: one row of 28 pixels per step, 28 steps; the model names the digit after
#   the last row.
#
# Each training set is kept small so that the whole chapter fits the course budget.
# Whether the 64-unit model then overfits it, which is what dropout needs in order to
# help, is the first thing we measure.

# %%
text = load_dataset("ptb-char", max_tokens=text_tokens)
audio = load_dataset("fsdd-mfcc")
images = load_dataset("mnist-rows")
pd.DataFrame([
    {"data": "text (char-PTB)", "steps": "continuous stream, BPTT 50", "features": "1 id of 50",
     "training set": f"{text_tokens:,} characters", "metric": ERROR_METRIC["ptb-char"]},
    {"data": "audio (FSDD)", "steps": "6–92 frames", "features": "13 MFCCs",
     "training set": f"{round(audio_fraction * len(audio.train)):,} recordings",
     "metric": ERROR_METRIC["fsdd-mfcc"]},
    {"data": "images (MNIST rows)", "steps": "28 rows", "features": "28 pixels",
     "training set": f"{round(image_fraction * len(images.train)):,} images",
     "metric": ERROR_METRIC["mnist-rows"]},
]).set_index("data")

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 2.8), width_ratios=[2, 1])
i = int(audio.train.lengths.argmax())
n = int(audio.train.lengths[i])
axes[0].imshow(audio.train.x[i, :n].T, aspect="auto", origin="lower", cmap="magma")
axes[0].set(xlabel="step (frame)", ylabel="feature (MFCC)",
            title=f"audio: spoken '{int(audio.train.y[i])}'")
axes[1].imshow(images.train.x[0], cmap="gray_r")
axes[1].set(xlabel="feature (pixel)", ylabel="step (row)",
            title=f"image: '{int(images.train.y[0])}'")
fig.tight_layout()
savefig(fig, "05_sequences")
plt.show()
print("text, first 80 symbols:", "".join(text.decode(text.train[:80])).replace("<eos>", "⏎"))

# %% [markdown]
# ## 2. One recipe, three variants
#
# A *variant* says where the masks go; the *rate* is the drop probability at every site it
# uses. The variants are published recipes of the earlier chapters, plus one that asks the
# question of this chapter directly (the `weight_drop` variant, DropConnect on $W_{hh}$
# {cite}`merity2018regularizing`, is in the paper profile):
#
# - `zaremba`: the stack's input and output, a fresh mask at every step
#   {cite}`zaremba2014recurrent`;
# - `gal`: input, output and the recurrent state $h_{t-1}$, one mask per sequence
#   {cite}`gal2016theoretically`;
# - `input`: whole input *types* for the whole sequence. For text these are rows of the
#   embedding table (every occurrence of a character vanishes, Gal and Ghahramani's word
#   dropout); for audio and images there is no table, so the same idea drops whole feature
#   channels (an MFCC coefficient, a pixel column) with one mask per sequence.
#
# The table lists the `seqdrop.nn.RecurrentDropout` fields each variant sets, at rate 0.5.

# %%
rows = []
for v in variants:
    for kind, text_input in (("text", True), ("audio, images", False)):
        fields = recipe_dropouts(v, 0.5, text=text_input)
        rows.append({"variant": v, "data": kind,
                     "RecurrentDropout fields": ", ".join(f"{k}={x}" for k, x in fields.items())})
pd.DataFrame(rows).set_index(["variant", "data"])

# %% [markdown]
# ## 3. The sweep
#
# One call runs every data type × variant × rate × seed (the no-dropout baseline once per
# data type and seed) through the trial `seqdrop.experiments.recipes.recipe`, on a local Dask cluster
# by default. Each training selects its best epoch on validation data and reports the
# test error at that epoch; finished trials are stored in this run's output folder, so an
# interrupted run resumes.

# %%
common = dict(cell=cell, hidden_size=hidden_size, embedding_size=32, epochs=epochs, lr=lr,
              batch_size=batch_size, optimizer="adam", clip=1.0)
per_data = [
    {"data": "ptb-char", "max_tokens": text_tokens, "bptt": 50},
    {"data": "fsdd-mfcc", "train_fraction": audio_fraction},
    {"data": "mnist-rows", "train_fraction": image_fraction},
]
grid = recipe_grid([common | d for d in per_data], variants, rates)
res = sweep(recipe, grid, seeds=seeds, scheduler=scheduler, progress=False,
            store=output_dir() / "sweeps" / "05_data_types")
assert res.failed.empty, res.failed[["data", "variant", "rate", "error"]]
trials = res.trials.assign(kind=lambda t: t["data"].map(KIND), setting=setting_labels)
trials["rel_error"] = relative_change(trials, "test_error", by=["data"], among="setting",
                                      baseline="none")
print(f"{len(trials)} trainings; "
      f"{trials['seconds'].sum() / 60:.1f} worker-minutes (wall clock)")
res.summary("test_error").pivot_table(index=["data", "variant"], columns="rate",
                                      values="mean", sort=False)

# %% [markdown]
# Dropout can only help a model that overfits. Before reading the dropout results, look at
# the baseline (no dropout): the gap between its validation and training cross-entropy per
# prediction (per character for text, per sequence for the classifiers; both in nats) over
# the epochs, and the epoch at which its validation loss was lowest. A model whose
# validation loss still falls at the last epoch is limited by training time, not by
# overfitting, and dropout, which slows fitting down, has nothing to fix there.

# %%
hist = res.history[res.history["variant"] == "none"].assign(
    kind=lambda h: h["data"].map(KIND), gap=lambda h: h["val_loss"] - h["train_loss"])
fig, ax = plt.subplots(figsize=(6, 3))
sns.lineplot(hist, x="epoch", y="gap", hue="kind", errorbar=("ci", 95), ax=ax)
ax.axhline(0, color="grey", lw=0.8)
ax.set(ylabel="validation − training loss (nats)", title="baseline: generalisation gap")
sns.move_legend(ax, "upper left", fontsize=9, title="")
fig.tight_layout()
savefig(fig, "05_baseline_gap")
plt.show()
base = trials[trials["variant"] == "none"]
stopping = base.groupby("kind")["best_epoch"].agg(["mean", "min", "max"]).loc[list(DATA)]
stopping.columns = ["best epoch (mean)", "earliest", "latest"]
stopping

# %% [markdown]
# The table holds each data type's own metric. To put them on one axis, the figure shows
# the change of the test error relative to no dropout *with the same seed*, in percent:
# below zero the variant lowers the error.

# %%
fig, axes = rate_panels(with_baseline(trials), DATA, "rel_error",
                        {"ptb-char": "test error vs no dropout (%)"}, zero_line=True)
fig.tight_layout()
savefig(fig, "05_rate_curves")
plt.show()

# %% [markdown]
# ## 4. The best rate per data type and variant
#
# For every data type and variant we pick the rate (0 included) with the lowest mean
# *validation* error and report its *test* gain over no dropout, paired by seed. The
# interval of the best rate comes from resampling whole seeds (a bootstrap): a narrow one
# means every resample picked the same rate.

# %%
best = best_settings(with_baseline(trials), by=["data", "variant"], among="rate",
                     baseline=0.0)
best["kind"] = best["data"].map(KIND)
fig, ax = best_rate_heatmap(best, "kind", list(DATA), variants, max(rates),
                            title="best rate [95% bootstrap interval] (* = test gain CI > 0)")
fig.tight_layout()
savefig(fig, "05_best_rate_heatmap")
plt.show()
best[["kind", "variant", "best", "low", "high", "p_best", "gain", "gain_low", "gain_high",
      "helps"]]

# %% [markdown]
# ## 5. Does the best setting transfer?
#
# Now treat every variant at every rate as one *setting*. First, each data type picks its
# winner on validation among all settings, no dropout included (`winners`). Second, to see
# whether the *choice of dropout* transfers even where no dropout would win, each data type
# picks its best dropout setting (no dropout excluded), and we apply that setting to the
# other two data types. Rows: where the setting was chosen; columns: where it is applied.
# The numbers are the relative test-error reduction (%) against no dropout, paired by
# seed; a star marks an interval that excludes zero (negative: the setting costs accuracy).

# %%
winners = best_settings(trials, by=["data"], among="setting", baseline="none")
dropout_best = best_settings(trials, by=["data"], among="setting", baseline="none",
                             baseline_can_win=False)
transfer = transfer_gains(trials, dropout_best, by="data", among="setting",
                          baseline="none")
transfer["source"] = transfer["source"].map(KIND)
transfer["target"] = transfer["target"].map(KIND)
grid_gain = transfer.pivot(index="source", columns="target", values="gain")
grid_gain = grid_gain.loc[list(DATA), list(DATA)]
labels = transfer.assign(
    txt=lambda t: [f"{s}\n{g:+.1f}%{'*' if h or u else ''}" for s, g, h, u in
                   zip(t["setting"], t["gain"], t["helps"], t["hurts"])]
).pivot(index="source", columns="target", values="txt").loc[list(DATA), list(DATA)]
fig, ax = plt.subplots(figsize=(6, 3.4))
lim = float(np.nanmax(np.abs(grid_gain.to_numpy()))) or 1.0
sns.heatmap(grid_gain, annot=labels, fmt="", cmap="RdBu", center=0, vmin=-lim, vmax=lim,
            cbar_kws={"label": "test error reduction (%)"}, annot_kws={"fontsize": 9},
            ax=ax)
ax.set(xlabel="applied to", ylabel="tuned on", title="transfer of the best dropout setting")
ax.tick_params(axis="y", rotation=0)
fig.tight_layout()
savefig(fig, "05_transfer")
plt.show()
transfer

# %% [markdown]
# ## What we found
#
# The recap below is computed from this run's sweep; every sentence in it is checked by an
# assertion in the course profile.

# %%
def ci(m: float, lo: float, hi: float, unit: str = "") -> str:
    return f"{m:+.1f}{unit} [{lo:+.1f}, {hi:+.1f}]"


found = best.assign(
    **{"best rate [95% interval]": lambda b: [f"{r:g} [{lo:g}, {hi:g}]" for r, lo, hi in
                                             zip(b["best"], b["low"], b["high"])],
       "test gain [95% CI]": lambda b: [ci(g, lo, hi) for g, lo, hi in
                                        zip(b["gain"], b["gain_low"], b["gain_high"])],
       "metric": lambda b: b["data"].map(ERROR_METRIC)}
)[["kind", "variant", "best rate [95% interval]", "test gain [95% CI]", "metric", "helps"]]
for _, w in winners.iterrows():
    record(f"best_setting_{KIND[w['data']]}", w["best"])
    record(f"gain_{KIND[w['data']]}", float(w["gain"]))
found.set_index(["kind", "variant"])

# %%
eff = effects(trials, "test_error", by=["data"], among="setting", baseline="none")
eff["kind"] = eff["data"].map(KIND)
by_kind = {k: part for k, part in eff.groupby("kind")}
text_rise = by_kind["text"].sort_values("mean").iloc[0]
text_half = by_kind["text"][by_kind["text"]["setting"].str.endswith(f" {max(rates):g}")]
worst = eff.loc[eff.groupby("kind")["mean"].idxmax()].set_index("kind")
best_by_kind = best.groupby("kind")
sentences = [
    claim(bool((base.loc[base["kind"] == "text", "best_epoch"] == epochs).all()),
          f"Without dropout, the character model reaches its lowest validation loss at the "
          f"last epoch ({epochs}) for every seed: at this budget it is still learning, "
          "not overfitting."),
    claim(bool((by_kind["text"]["mean"] > 0).all())
          and bool(text_half["higher"].all()),
          f"On text, every variant at every rate raises the mean test bits per character "
          f"(the mildest, {text_rise['setting']}: {text_rise['mean']:+.3f} bpc "
          f"[{text_rise['ci_low']:+.3f}, {text_rise['ci_high']:+.3f}]), and at rate "
          f"{max(rates):g} every variant's paired interval lies above zero."),
    claim(bool((best.loc[best["kind"] == "text", "best"] == 0).all()),
          "Chosen on validation data, the best rate on text is 0 for every variant."),
    claim(not by_kind["audio"]["lower"].any(),
          "On audio, no variant at any rate lowers the test error beyond noise (no paired "
          "interval lies below zero)."),
    claim(worst.loc["audio", "setting"] == "gal 0.5" and bool(worst.loc["audio", "higher"]),
          f"The most harmful setting on audio is Gal's variant at rate 0.5: it raises the "
          f"error by {worst.loc['audio', 'mean']:.1f} points "
          f"[{worst.loc['audio', 'ci_low']:.1f}, {worst.loc['audio', 'ci_high']:.1f}], "
          "paired over seeds."),
    claim(not by_kind["images"]["lower"].any(),
          "On images, no variant at any rate lowers the test error beyond noise (no paired "
          "interval lies below zero)."),
    claim(bool((winners.loc[winners["data"] == DATA["text"], "best"] == "none").all())
          and not winners["helps"].any(),
          "Chosen among all settings on validation data, no dropout wins on text; where a "
          "dropout setting wins on validation (audio or images, depending on the seeds), "
          "its test gain is within noise: no winner's paired interval lies above zero."),
    claim(bool((transfer.loc[transfer["target"] == "text", "gain"] < 0).all()),
          "Applied to text, the best dropout setting of every data type raises the mean "
          "test bits per character: nothing tuned elsewhere helps a model that is still "
          "underfitting."),
]
for kind, row in worst.iterrows():
    record(f"worst_setting_{kind}", row["setting"])
mild, harm = text_rise, worst.loc["audio"]
record_finding("data_text_mildest_bpc_change", mild["mean"], mild["ci_low"],
               mild["ci_high"], unit="bpc", n_seeds=int(mild["n"]), claim=sentences[1],
               source=f"05 · test bpc change of {mild['setting']}")
record_finding("data_audio_worst_error_change", harm["mean"], harm["ci_low"],
               harm["ci_high"], unit="points", n_seeds=int(harm["n"]), claim=sentences[4],
               source=f"05 · test error change of {harm['setting']}")
for _, w in winners.iterrows():
    record_finding(f"data_{KIND[w['data']]}_winner_gain", w["gain"], w["gain_low"],
                   w["gain_high"], unit="bpc" if w["data"] == "ptb-char" else "points",
                   n_seeds=int(w["n"]),
                   claim=sentences[6], source=f"05 · winner on validation: {w['best']}")
for s in sentences:
    print("•", s)

# %% [markdown]
# For the course summary (chapter 10), each variant at its validation-chosen rate is also
# recorded as a relative test gain over no dropout, in percent and paired by seed (positive:
# the variant lowers the error).

# %%
record_recipe_gains(trials, chapter="05", cell=cell, labels=KIND, label="data")

# %% [markdown]
# In this chapter we ran one recipe, three variants at two rates plus no dropout, on three
# kinds of sequences, chose each best rate on validation data, and read its test gain
# through a paired interval over seeds. At the course budget the answer is sobering: the
# character model is still learning at its last epoch and every variant costs it accuracy,
# and on audio and images no setting gains beyond noise. The article's question, how to
# adapt dropout to the data type, therefore starts one step earlier: measure whether the
# model overfits (section 3) before choosing a variant. Exercise 2 and the paper profile
# move into the regime where it does; chapter 06 shows a task where dropout helps at this
# budget (word-level language modelling), and chapter 07 follows the best rate as data and
# models grow.
#
# ## Exercises
#
# 1. **Predict, then run.** Set `cell = "gru"`. A GRU has three gates instead of four, so
#    fewer parameters per unit. Before running, predict whether the heatmap of section 4
#    moves towards lower or higher rates, then check.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Fewer parameters means less capacity to memorise the training set: look at the gap
#    figure first. If the GRU's validation − training gap is smaller, expect lower best
#    rates, and for text expect dropout to hurt even more.
#    ```
#
# 2. **Make text overfit.** Find settings (`text_tokens`, `epochs`, `hidden_size`) under
#    which the no-dropout character model's validation loss turns up within the course
#    budget. Does a non-zero rate then win for text, and for which variant first?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Fewer characters and more epochs overfit sooner (try `text_tokens = 3000`,
#    `epochs = 30`); a larger `hidden_size` too, at a higher cost per step. Read the gap
#    figure before the heatmap.
#    ```
#
# 3. **Add a variant.** Put `"weight_drop"` into `variants` (DropConnect on $W_{hh}$). It
#    leaves every input and output untouched. Predict where it lands against `gal` on audio,
#    then run. Then write a new variant in `seqdrop.experiments.recipes.recipe_dropouts`, for example
#    zoneout ({cite}`krueger2017zoneout`), and sweep it.
#
#    ```{admonition} Hint
#    :class: dropdown
#    A new variant is one more branch returning `RecurrentDropout` fields, e.g.
#    `{"zoneout": p}`, and its name in `VARIANTS`; `tests/test_recipes.py` checks that
#    every variant is valid on both cells.
#    ```
#
# 4. **Question the scale.** Section 3 compares data types through the *relative* change
#    of the test error. Bits per character is already a logarithm, and an error rate of 3%
#    that becomes 4% is a 33% relative change. Is the relative change a fair common scale?
#    Redo the figure with the change of the validation cross-entropy in nats instead.
#
#    ```{admonition} Hint
#    :class: dropdown
#    `trials` has `val_loss` and `test_loss` (cross-entropy per prediction) for every data
#    type; `relative_change` is one line of pandas, and a difference works the same way
#    with `df[metric] - baseline`.
#    ```
#
# 5. **More seeds.** Run with `n_seeds = 6` and compare the bootstrap intervals of the best
#    rate with those from 3 seeds. Which cells of the heatmap were decided by one seed?
#
#    ```{admonition} Hint
#    :class: dropdown
#    `p_best` in the table of section 4 is the share of seed resamples that pick the same
#    rate; values far below 1 mark choices that more seeds could change.
#    ```
#
# ## References
#
# - {cite:t}`zaremba2014recurrent`: dropout on the non-recurrent connections, a fresh mask
#   per step (`zaremba`).
# - {cite:t}`gal2016theoretically`: one mask per sequence on every connection, and dropout
#   of whole word types in the embedding (`gal`, `input`).
# - {cite:t}`merity2018regularizing`: DropConnect on the recurrent weights (`weight_drop`).
# - {cite:t}`krueger2017zoneout`: zoneout (exercise 3).
# - {cite:t}`efron1993introduction`: the bootstrap behind the interval of the best rate.
# - Data: {cite:t}`marcus1993building` (Penn Treebank), {cite:t}`jackson2018fsdd` (spoken
#   digits), {cite:t}`lecun1998gradient` (MNIST).
