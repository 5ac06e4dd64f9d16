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
# # 04 · GRU: where does the recurrent mask go in a cell with no separate memory?
#
# The GRU {cite}`cho2014learning` keeps its memory in $h_t$ itself: there is no $c_t$ to
# protect, and $h_{t-1}$ is read in four places, by the reset gate, the update gate, the
# candidate and the carry $z_t \odot h_{t-1}$. Where a recurrent dropout mask goes therefore
# matters more than in the LSTM, and libraries disagree: Keras puts it on $h_{t-1}$ inside
# the weight products, in one of two layouts of the reset gate; `torch.nn.GRUCell(x, m * h)`
# also drops the carry. This chapter shows the placements with the reference cell,
# measures what each does to the state and to memory, says what `seqdrop` does and why,
# tests that choice by training, and then repeats chapter 03's recipes on the GRU, on Penn
# Treebank words and on spoken digits (FSDD), each in a regime where the model beats its
# trivial baseline and overfits, with the headline on test data.
#
# **Learning goals.** After this chapter you can
#
# - write the GRU step with each placement of the recurrent mask, and name the library
#   that uses it;
# - explain, with a measurement and a training run, why dropping the carry behaves like
#   dropping the LSTM's $c_t$;
# - compare dropout recipes on a second cell type and a second task, on test data, with
#   paired intervals.
#
# **Prerequisites and run time.** Chapter 03 (the recipes, the regime, Semeniuta's memory
# argument). Run time: smoke RUNTIME_SMOKE; course profile (the defaults: RUNTIME_COURSE;
# paper profile (`params/paper.yaml`: the full PTB training set and vocabulary at 2×650,
# all FSDD recordings, 5 seeds) a few GPU-hours, an estimate.

# %% tags=["parameters"]
p = 0.5  # every recipe's rate on PTB (drop probability)
lm_recipes = ["none", "zaremba"]  # trained on PTB (names of seqdrop.recipes)
vocab_size = 2_000  # the most frequent PTB words kept; the rest become <unk>
train_tokens = 20_000  # leading PTB training words: small, so the model overfits
valid_tokens = 5_000  # leading validation words scored each epoch (picks the epoch)
test_tokens = 5_000  # leading test words scored at the picked epoch
embedding_size = 128  # word vectors
hidden_size = 256  # GRU units on PTB (one layer)
epochs = 12  # passes over the PTB slice (Adam)
lr = 3e-3  # Adam's learning rate on PTB (per-token mean loss, clip 5)
batch_size = 32  # parallel streams of the PTB slice (BPTT 35)
digits_p = 0.3  # every recipe's rate on the spoken digits
digits_hidden = 64  # GRU units on the spoken digits
digits_recipes = ["none", "zaremba", "gal-half-recurrent", "zaremba+semeniuta",
                  "zaremba+weight-drop", "zaremba+zoneout", "awd"]  # on digits
digits_fraction = 0.1  # share of the 2,400 training recordings used
digits_epochs = 30  # passes over the spoken-digit training recordings (Adam, lr 3e-3)
memory_p = 0.25  # drop rate in the placement, memory and carry measurements
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 4  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or an address tcp://host:8786

# %%
from seqdrop.course import (check_parameters, check_probability, check_scheduler,
                            integer, list_of, number, one_of)
from seqdrop.recipes import recipe_names

recipe_list = list_of(one_of(recipe_names()), min_len=2, unique=True,
                      including=["none"])
params = check_parameters(globals(), {
    "p": number(0.0, 1.0, low_closed=False, high_closed=False),
    "lm_recipes": recipe_list,
    "vocab_size": integer(100, 10_000),
    "train_tokens": integer(1_000, 929_589),
    "valid_tokens": integer(500, 73_760),
    "test_tokens": integer(500, 82_430),
    "embedding_size": integer(1, 4096),
    "hidden_size": integer(1, 4096),
    "epochs": integer(2, 1000),
    "lr": number(0.0, 1.0, low_closed=False),
    "batch_size": integer(1, 1024),
    "digits_p": number(0.0, 1.0, low_closed=False, high_closed=False),
    "digits_hidden": integer(1, 4096),
    "digits_recipes": recipe_list,
    "digits_fraction": number(0.0, 1.0, low_closed=False),
    "digits_epochs": integer(2, 1000),
    "memory_p": number(0.0, 1.0, low_closed=False, high_closed=False),
    "base_seed": integer(0, 2**31 - 1),
    "n_seeds": integer(2, 100),
    "scheduler": check_scheduler,
})

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from seqdrop.course import interval, mean_interval, record_finding, savefig, setup
from seqdrop.course.gru_carry import carry_trial
from seqdrop.course.gru_masks import carry_identity_error, placement_noise
from seqdrop.course.memory_loss import SITES, memory_curve
from seqdrop.course.recipe_gains import recipe_gains, record_gains
from seqdrop.course.small_vocab_lm import (keeps_fitting, lm_trial, turn_up,
                                           unigram_margin)
from seqdrop.experiments.variant_trials import classifier_recipe
from seqdrop.recipes import definition
from seqdrop.sweep import mean_ci, paired_difference, sweep
from seqdrop.trials import sequence_data, train_subset

seeds, claims = setup("04_gru", params, precision=3)

# %% [markdown]
# ## 1. Three places for the recurrent mask
#
# With a mask $m$ on $h_{t-1}$ (inverted scaling, one per sequence), torch's gate order
# $r, z, n$:
#
# $$
# \begin{aligned}
# r_t &= \sigma(W_{ir} x_t + W_{hr}(m \odot h_{t-1}) + b_r), \qquad
# z_t = \sigma(W_{iz} x_t + W_{hz}(m \odot h_{t-1}) + b_z)\\
# n_t &= \tanh\big(W_{in} x_t + b_{in} + r_t \odot (W_{hn}(m \odot h_{t-1}) + b_{hn})\big)
#   &&\text{reset after (cuDNN, torch, Keras \texttt{reset\_after=True})}\\
# n_t &= \tanh\big(W_{in} x_t + b_{in} + W_{hn}(r_t \odot m \odot h_{t-1}) + b_{hn}\big)
#   &&\text{reset before (Cho et al., Keras \texttt{reset\_after=False})}\\
# h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
#   &&\text{carry kept (Gal, Keras, seqdrop)}\\
# h_t &= (1 - z_t) \odot n_t + z_t \odot (m \odot h_{t-1})
#   &&\text{carry dropped: \texttt{GRUCell(x, m * h)}}
# \end{aligned}
# $$
#
# `seqdrop.nn.GRU(recurrent_dropout=p)` uses the reset-after layout and keeps the carry
# (`seqdrop.nn.reference.gru_cell`). Reset-after is torch's and cuDNN's layout, so the
# weights are `torch.nn.GRU`'s and the batch-shared mode of recurrent dropout can run as a
# weight mask inside the fused kernel. Keeping the carry follows Gal and Ghahramani
# {cite}`gal2016theoretically`, whose derivation drops the *weights* that read
# $h_{t-1}$, not the state.
#
# The two reset-after placements differ by exactly the dropped part of the carry,
# $z_t \odot (1 - m) \odot h_{t-1}$; the reference cell confirms it to rounding error:

# %%
print(f"max |h(carry kept) − h(carry dropped) − z ⊙ (1 − m) ⊙ h| = "
      f"{carry_identity_error(memory_p, seed=base_seed):.1e}")

# %% [markdown]
# How much noise does each placement put into $h_t$? For one step, fixed inputs and
# weights, and 500 masks at rate `memory_p`, the standard deviation of $h_t$ across masks
# (`seqdrop.course.gru_masks.placement_noise`), relative to seqdrop's placement:

# %%
noise = placement_noise(memory_p, seed=base_seed)
fig, ax = plt.subplots(figsize=(6.5, 2.6))
sns.barplot(data=noise, y="placement", x="noise_std", ax=ax, color="C0")
ax.set(xlabel=r"std of $h_t$ over masks (mean over units)", ylabel="",
       title=f"noise one mask puts into one GRU step, p = {memory_p:g}")
savefig(fig, "04_placement_noise")
plt.show()
noise

# %%
ratios = noise.set_index("placement")["noise_ratio"]
claims.claim(
    ratios["reset after, carry dropped"] > 2,
    f"Dropping the carry puts {ratios['reset after, carry dropped']:.1f}× the noise of "
    "seqdrop's placement into $h_t$.",
)
claims.claim(
    abs(ratios["reset before, carry kept"] - 1) < 0.1,
    f"The two reset layouts differ by "
    f"{abs(ratios['reset before, carry kept'] - 1):.0%} "
    "in noise: where the reset gate sits matters little, whether the carry is dropped "
    "matters a lot.",
)
display(Markdown(claims.markdown()))

# %% [markdown]
# ## 2. The carry is the GRU's memory
#
# Chapter 03 showed that a fresh mask on the LSTM's $c_t$ erases what the cell stores.
# In the GRU the carry *is* the store: `GRUCell(x, m * h)` with a fresh mask every step
# does to $h_t$ what that mask did to $c_t$. The same measurement (a random GRU whose update
# gate is biased towards keeping; how much of $h_0$ a linear read-out recovers from $h_t$):

# %%
memory = pd.concat([memory_curve("gru", site, memory_p, steps=30, seed=base_seed,
                                 keep_bias=5.0)
                    for site in SITES["gru"]], ignore_index=True)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.lineplot(data=memory, x="t", y="memory", hue="site", ax=ax)
ax.set(xlabel="time step t", ylabel=r"$R^2$ of $h_0$ read from $h_t$",
       title=f"GRU memory under dropout, p = {memory_p:g}")
ax.legend(fontsize=8)
savefig(fig, "04_memory_loss")
plt.show()

# %%
at_10 = memory[memory["t"] == 10].set_index("site")["memory"]
claims.claim(
    at_10["state per step"] < 0.05
    and at_10["recurrent per sequence"] > 0.7 * at_10["none"],
    f"After 10 steps, a fresh mask on the whole $h_{{t-1}}$ leaves $R^2$ = "
    f"{at_10['state per step']:.3f} of the memory; seqdrop's placement keeps "
    f"{at_10['recurrent per sequence']:.2f} (no dropout: {at_10['none']:.2f}).",
)
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# ## 3. Does dropping the carry hurt? A training test
#
# The measurements above are of one step and of a random cell. The question a user has is
# whether the choice changes what a trained model learns. We train a one-layer GRU
# classifier on the spoken digits of section 5 (10% of the training recordings, 30
# epochs) twice per seed, with one recurrent mask per sequence at rate `memory_p`, once
# keeping the carry (seqdrop's placement) and once dropping it (`GRUCell(x, m * h)` with a
# locked mask); nothing else differs (`seqdrop.course.gru_carry`, a plain step loop over
# the reference cell). The metric is the test error at the epoch of lowest validation loss.

# %%
carry = sweep(carry_trial, {"placement": ["carry kept", "carry dropped"], "p": memory_p,
                            "hidden_size": digits_hidden,
                            "train_fraction": digits_fraction, "epochs": digits_epochs},
              seeds=seeds, scheduler=scheduler, name="04_gru_carry",
              progress=False).trials
assert (carry["status"] == "ok").all(), carry.loc[carry["status"] != "ok", "error"]
carry_diff = paired_difference(carry, "test_error", by="placement", a="carry dropped",
                               b="carry kept", within=[]).iloc[0]
fig, ax = plt.subplots(figsize=(6.5, 2.6))
sns.pointplot(data=carry, y="placement", x="test_error", errorbar=("ci", 95),
              linestyle="none", ax=ax)
ax.set(xlabel="test error at the best validation epoch (mean, 95% CI)", ylabel="",
       title=f"GRU on spoken digits, recurrent mask p = {memory_p:g}, {n_seeds} seeds")
savefig(fig, "04_carry_training")
plt.show()

# %%
claims.claim(
    carry_diff["ci_low"] > 0,
    f"Dropping the carry costs test accuracy: a GRU trained with `GRUCell(x, m * h)`'s "
    "placement has a test error "
    f"{interval(carry_diff, 1, scale=100, unit=' pt')} higher than the same GRU "
    f"keeping the carry, paired over {n_seeds} seeds.",
)
record_finding("digits_gru_carry_dropped_minus_kept_test_error",
               100 * carry_diff["mean"], 100 * carry_diff["ci_low"],
               100 * carry_diff["ci_high"], unit="pt",
               n_seeds=int(carry_diff["n"]), claim=claims.sentences[-1],
               source="04, spoken digits, test error at the best validation epoch",
               tags={"cell": "gru", "data": "fsdd", "task": "classification",
                     "metric": "test_error", "split": "test"})
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# ## 4. The recipes on a GRU language model
#
# Chapter 03's regime with the LSTM replaced by a GRU of the same width: the
# `vocab_size` most frequent PTB words, the first `train_tokens` training words, Adam,
# the epoch picked on validation words and the headline on test words, every recipe of
# `lm_recipes` at rate $p$ over the same seeds. The dashed line is the unigram.

# %%
lm = sweep(lm_trial, {"recipe": lm_recipes, "p": p, "cell": "gru",
                      "vocab_size": vocab_size, "train_tokens": train_tokens,
                      "valid_tokens": valid_tokens,
                      "test_tokens": test_tokens, "embedding_size": embedding_size,
                      "hidden_size": hidden_size, "num_layers": 1, "epochs": epochs,
                      "lr": lr, "batch_size": batch_size},
           seeds=seeds, scheduler=scheduler, name="04_gru_ptb", progress=False)
lm_trials, lm_history = lm.trials, lm.history
assert (lm_trials["status"] == "ok").all(), lm_trials.loc[lm_trials["status"] != "ok"]
unigram_val = float(lm_trials["unigram_val_ppl"].iloc[0])
unigram_test = float(lm_trials["unigram_test_ppl"].iloc[0])
lm_history["train_ppl"] = np.exp(lm_history["train_loss"])

fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.lineplot(data=lm_history, x="epoch", y="val_ppl", hue="recipe",
             hue_order=lm_recipes, errorbar=("ci", 95), ax=ax)
sns.lineplot(data=lm_history[lm_history["recipe"] == "none"], x="epoch", y="train_ppl",
             color="C0", ls=":", errorbar=None, ax=ax,
             label="none: training perplexity")
ax.axhline(unigram_val, color="grey", ls="--", lw=1, label="unigram (validation)")
ax.set(yscale="log", ylabel="perplexity",
       title=f"1×{hidden_size} GRU, {train_tokens:,} PTB words ({vocab_size:,}-word "
             f"vocabulary), {n_seeds} seeds")
ax.legend(fontsize=8, ncol=2)
savefig(fig, "04_ptb_curves")
plt.show()

# %%
none_lm = lm_trials[lm_trials["recipe"] == "none"]
margin = unigram_margin(lm_trials, split="test")
turn = turn_up(lm_trials)
gru_lm_tags = {"cell": "gru", "data": "ptb-word", "task": "lm", "recipe": "none"}
claims.claim(
    margin[1] > 0,
    f"Without dropout the GRU's test perplexity at its best validation epoch is "
    f"{margin[0]:.1f}% [{margin[1]:.1f}, {margin[2]:.1f}] below the unigram's "
    f"{unigram_test:.0f} ({none_lm['test_ppl'].mean():.0f} on average).",
)
record_finding("gru_ptb_none_vs_unigram_test_ppl", *margin[:3], unit="%",
               n_seeds=margin[3], claim=claims.sentences[-1],
               source="04, test perplexity at the best validation epoch vs the unigram",
               tags=gru_lm_tags | {"baseline": "unigram", "metric": "test_ppl",
                                   "split": "test"})
claims.claim(
    turn[1] > 0 and keeps_fitting(lm_trials, lm_history)
    and bool((none_lm["best_epoch"] < epochs).all()),
    "It overfits within the budget: its validation perplexity is lowest at epoch "
    f"{none_lm['best_epoch'].min()}–{none_lm['best_epoch'].max()} of {epochs} and "
    f"climbs by {turn[0]:.0f} [{turn[1]:.0f}, {turn[2]:.0f}] by the last epoch, while "
    "its training loss keeps falling.",
)
record_finding("gru_ptb_none_turn_up", *turn[:3], unit="ppl", n_seeds=turn[3],
               claim=claims.sentences[-1],
               source="04, validation perplexity: last epoch − best epoch, no dropout",
               tags=gru_lm_tags | {"metric": "val_ppl", "split": "validation"})

lm_gains = {m: recipe_gains(lm_trials, m, recipes=lm_recipes)
            for m in ("test_ppl", "val_ppl")}
record_gains(lm_gains["test_ppl"], chapter="04", data="ptb-word", cell="gru", task="lm",
             metric="test_ppl",
             definitions={r: definition(r, p, "gru") for r in lm_recipes},
             what=f"a GRU language model ({train_tokens:,} PTB words, "
             f"{vocab_size:,}-word vocabulary), test perplexity at the best validation "
             "epoch")
chosen = lm_gains["val_ppl"].set_index("recipe")["mean"].idxmax()
row = lm_gains["test_ppl"].set_index("recipe").loc[chosen]
claims.claim(
    row["ci_low"] > 0,
    f"The recipe with the best validation gain, `{chosen}`, lowers the GRU's test "
    f"perplexity by {interval(row, 1, unit='%')} against no dropout, paired over "
    f"{n_seeds} seeds.",
)
display(Markdown(claims.markdown(last=3)))
lm_gains["test_ppl"]

# %% [markdown]
# ## 5. Spoken digits
#
# The Free Spoken Digit Dataset: 3,000 recordings of the digits 0–9 as sequences of 13
# MFCCs (6–92 frames), classified from the last step's state by a one-layer GRU of
# `digits_hidden` units. We keep `digits_fraction` of the 2,400 training recordings (10%:
# 240 recordings, 24 per digit) and train for `digits_epochs` epochs: enough for the model
# to fit its training set, so that dropout has something to fix (with a quarter of the
# recordings and 15 epochs, as a first version of this chapter did, the models had not yet
# fitted it). Every recipe of `digits_recipes` runs at rate `digits_p`; the headline is
# the test error at the epoch of lowest validation loss. The dashed line is the trivial
# baseline: always answering the most frequent digit of the training recordings.

# %%
digits = sweep(classifier_recipe, {"cell": "gru", "hidden_size": digits_hidden,
                                   "recipe": digits_recipes, "p": digits_p,
                                   "train_fraction": digits_fraction,
                                   "epochs": digits_epochs},
               seeds=seeds, scheduler=scheduler, name="04_gru_digits", progress=False)
dtrials, dhistory = digits.trials, digits.history
assert (dtrials["status"] == "ok").all(), dtrials.loc[dtrials["status"] != "ok"]
dtrials["test_error"] = 1 - dtrials["test_acc"]
dtrials["val_error"] = 1 - dtrials["val_acc"]
fsdd = train_subset(sequence_data("fsdd-mfcc"), digits_fraction)
majority = int(np.bincount(fsdd.train.y.numpy()).argmax())  # first most frequent digit
majority_error = float((fsdd.test.y != majority).double().mean())

d_order = dtrials.groupby("recipe")["test_error"].mean().sort_values().index.tolist()
fig, ax = plt.subplots(figsize=(6.5, 3.8))
sns.pointplot(data=dtrials, y="recipe", x="test_error", order=d_order,
              errorbar=("ci", 95), linestyle="none", ax=ax)
ax.axvline(majority_error, color="grey", ls="--", lw=1, label="majority class")
ax.set(xlabel="test error at the best validation epoch (mean, 95% CI)", ylabel="",
       xlim=(0, None), title=f"spoken digits, GRU {digits_hidden}, p = {digits_p:g}, "
                             f"{n_seeds} seeds")
ax.legend(fontsize=8)
savefig(fig, "04_digits_recipes")
plt.show()

# %%
none_d = dtrials[dtrials["recipe"] == "none"]
d_margin = mean_ci(100 * (majority_error - none_d["test_error"]))
d_hist = dhistory[dhistory["recipe"] == "none"]
d_turn = mean_ci(d_hist.groupby("seed")["val_loss"].last()
                 - d_hist.groupby("seed")["val_loss"].min())
digit_tags = {"cell": "gru", "data": "fsdd", "task": "classification", "recipe": "none"}
claims.claim(
    d_margin[1] > 0,
    f"Without dropout the GRU's test error is {d_margin[0]:.1f} pt "
    f"[{d_margin[1]:.1f}, {d_margin[2]:.1f}] below the majority class's "
    f"{100 * majority_error:.0f}% "
    f"({100 * none_d['test_error'].mean():.1f}% on average).",
)
record_finding("digits_gru_none_vs_majority_test_error", *d_margin[:3], unit="pt",
               n_seeds=d_margin[3], claim=claims.sentences[-1],
               source="04, spoken digits, test error vs always the most frequent digit",
               tags=digit_tags | {"baseline": "majority class", "metric": "test_error",
                                  "split": "test"})
claims.claim(
    d_turn[1] > 0 and bool((none_d["best_epoch"] < digits_epochs).all()),
    f"It overfits: its validation loss is lowest at epoch {none_d['best_epoch'].min()}–"
    f"{none_d['best_epoch'].max()} of {digits_epochs} and ends "
    f"{d_turn[0]:.2f} [{d_turn[1]:.2f}, {d_turn[2]:.2f}] higher.",
)
record_finding("digits_gru_none_val_loss_turn_up", *d_turn[:3], n_seeds=d_turn[3],
               claim=claims.sentences[-1],
               source="04, spoken digits, validation loss: last − best epoch, none",
               tags=digit_tags | {"metric": "val_loss", "split": "validation"})

tg = recipe_gains(dtrials, "test_error", recipes=digits_recipes)
record_gains(tg, chapter="04", data="fsdd", cell="gru", task="classification",
             metric="test_error",
             definitions={r: definition(r, digits_p, "gru", embedding=False)
                          for r in digits_recipes},
             what=f"spoken digits (GRU {digits_hidden}, {digits_fraction:.0%} of the "
             "recordings), test error at the best validation epoch")
better = tg[tg["ci_low"] > 0]["recipe"].tolist()
worse = tg[tg["ci_high"] < 0]["recipe"].tolist()
claims.note(
    f"Paired intervals of the relative test-error gain over no dropout: "
    f"{len(better)} of the {len(tg)} recipes lower the test error"
    + (f" ({', '.join(better)})" if better else "")
    + (f"; higher: {', '.join(worse)}" if worse else "")
    + "; the rest are within noise (table below, every recipe kept).",
)
display(Markdown(claims.markdown(last=3)))
tg

# %% [markdown]
# ## What we found

# %%
found = pd.DataFrame([
    {"finding": "GRUCell(x, m*h) noise / seqdrop noise",
     "value": f"{ratios['reset after, carry dropped']:.2f}"},
    {"finding": "R² of h_0 after 10 steps: state per step / seqdrop",
     "value": f"{at_10['state per step']:.3f} / {at_10['recurrent per sequence']:.2f}"},
    {"finding": "digits test error, carry dropped − kept",
     "value": interval(carry_diff, 1, scale=100, unit=" pt")},
    {"finding": "PTB GRU (none): test ppl below the unigram",
     "value": f"{margin[0]:.1f}% [{margin[1]:.1f}, {margin[2]:.1f}]"},
    *[{"finding": f"PTB GRU test ppl gain, {r['recipe']}",
       "value": interval(r, 1, unit="%")} for _, r in lm_gains["test_ppl"].iterrows()],
    {"finding": "digits (none): test error below the majority class",
     "value": f"{d_margin[0]:.1f} pt [{d_margin[1]:.1f}, {d_margin[2]:.1f}]"},
    *[{"finding": f"digits test error gain, {r['recipe']}",
       "value": interval(r, 1, unit="%")} for _, r in tg.iterrows()],
])
display(found.set_index("finding"))
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we placed the recurrent mask of a GRU in three ways, found that the
# choice of reset layout barely matters and that dropping the carry injects several times
# the noise, erases memory like a mask on the LSTM's $c_t$ and costs a trained model test
# accuracy; then we repeated chapter 03's recipes on a GRU language model and a
# spoken-digit classifier, each beating its trivial baseline and overfitting without
# dropout, and read every recipe's gain on test data. As in chapter 03, the models are
# small and the training sets are slices: the numbers rank recipes at this scale; the
# paper profile runs the full-size settings.
#
# ## Exercises
#
# 1. **Predict, then run.** Rerun section 1 with `memory_p = 0.5`. Does the noise ratio of
#    the dropped carry grow or shrink? Work it out from $\operatorname{Var}(m) = p/(1-p)$
#    before you run it.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Both placements' noise grows with $p/(1-p)$; the carry term adds its own share
#    $z_t^2 h_{t-1}^2\, p/(1-p)$ directly to $h_t$, without a squashing nonlinearity, so
#    the ratio stays roughly constant. Check `placement_noise(0.5)`.
#    ```
#
# 2. **Extend the code.** Add a fourth placement to `seqdrop.course.gru_masks`: the mask on
#    the carry only (the weight products see the undropped $h_{t-1}$). Where does it land
#    in the noise figure, and what does section 3's training say about it?
#
#    ```{admonition} Hint
#    :class: dropdown
#    The carry alone is most of the noise of `GRUCell(x, m * h)`: the identity of section 1
#    says the difference between the two reset-after placements is exactly the carry term.
#    Add the placement to `seqdrop.course.gru_carry.PLACEMENTS` to train it.
#    ```
#
# 3. **Question a claim.** Section 4 asserts the test gain of the recipe with the best
#    *validation* gain. What would go wrong if it picked the recipe with the best test
#    gain among many recipes?
#
#    ```{admonition} Hint
#    :class: dropdown
#    The largest of several noisy estimates is biased upwards (the winner's curse); a
#    choice made on validation data leaves the test estimate unbiased.
#    ```
#
# 4. **More recipes on PTB.** Set `lm_recipes` to the seven recipes of `digits_recipes`.
#    Does a recipe with a recurrent-site mask beat `zaremba` on the GRU language model?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Compare each with `zaremba` by `paired_difference(lm_trials, "test_ppl", by="recipe",
#    a=..., b="zaremba", within=[])`; the recurrent-site recipes run a step loop, so the
#    run takes longer.
#    ```
#
# 5. **LSTM vs GRU vs RNN.** Train the spoken digits with `cell` set to `"lstm"` and
#    `"rnn_tanh"` as well, at an equal parameter count
#    (`seqdrop.course.equal_params.equal_param_sizes`), each with its best recipe on
#    validation. Which cell has the lowest test error?
#
#    ```{admonition} Hint
#    :class: dropdown
#    At equal width an LSTM has four gate blocks to the GRU's three and the RNN's one;
#    size each cell for the same parameter budget, pick each cell's recipe on validation
#    loss and compare test errors paired by seed.
#    ```
#
# ## References
#
# - {cite:t}`cho2014learning`: the GRU, with the reset gate before $W_{hn}$.
# - {cite:t}`gal2016theoretically`: recurrent dropout on the weights that read $h_{t-1}$.
# - {cite:t}`semeniuta2016recurrent`: dropout on the candidate only, and why a mask on the
#   memory erases it.
# - {cite:t}`zaremba2014recurrent`, {cite:t}`merity2018regularizing` and
#   {cite:t}`krueger2017zoneout`: the other recipes, as in chapter 03.
# - {cite:t}`jozefowicz2015empirical` and {cite:t}`greff2017lstm`: comparing recurrent
#   cells at matched size; {cite:t}`hochreiter1997long`: the LSTM.
# - {cite:t}`jackson2018fsdd`: the Free Spoken Digit Dataset.
