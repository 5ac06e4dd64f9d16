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
# protect, and $h_{t-1}$ is read in four places, by the reset gate, the update gate, the candidate
# and the carry $z_t \odot h_{t-1}$. Where a recurrent dropout mask goes therefore matters
# more than in the LSTM, and libraries disagree: Keras puts it on $h_{t-1}$ inside the
# weight products, in one of two layouts of the reset gate; `torch.nn.GRUCell(x, m * h)`
# also drops the carry. This chapter shows the placements with the reference cell,
# measures what each does to the state and to memory, says what `seqdrop` does and why,
# and then repeats chapter 03's recipes on the GRU, on Penn Treebank words and on spoken
# digits (FSDD), and compares LSTM, GRU and vanilla RNN at the same number of parameters,
# each with its best recipe.
#
# **Learning goals.** After this chapter you can
#
# - write the GRU step with each placement of the recurrent mask, and name the library
#   that uses it;
# - explain, with a measurement, why dropping the carry behaves like dropping the LSTM's
#   $c_t$;
# - compare dropout recipes on a second cell type and a second task, with paired intervals;
# - compare cell types fairly: equal parameter count, each with its own best recipe.
#
# **Prerequisites and run time.** Chapter 03 (the recipes and Semeniuta's memory argument).
# Run time: smoke about 13 CPU-s; course profile (the defaults: 21 PTB trainings and 45
# spoken-digit trainings, 2 workers × 1 thread) 218 s measured on an idle 2-core machine
# (3.6 minutes); paper profile
# (`params/paper.yaml`: the full PTB training set at 2×650, all FSDD recordings, 5
# seeds) a few GPU-hours, an estimate.

# %% tags=["parameters"]
p = 0.5  # every recipe's rate on PTB (drop probability)
train_tokens = 8_000  # leading PTB training words: small, so the model overfits
valid_tokens = 2_000  # leading validation words scored each epoch
embedding_size = 128  # word vectors
hidden_size = 128  # GRU units per layer on PTB
epochs = 5  # passes over the PTB slice (SGD, lr 1, halved after epoch decay_start)
decay_start = 3
lr_decay = 0.5  # lr factor per epoch after decay_start (Zaremba-medium: 1/1.2)
batch_size = 4  # parallel streams of the PTB slice (BPTT 35)
digits_p = 0.3  # every recipe's rate on the spoken digits
digits_params = 16_000  # parameter budget of every spoken-digit model (equal count)
digits_recipes = ["none", "zaremba", "semeniuta", "weight_drop", "zoneout"]  # on digits
digits_fraction = 0.1  # share of the 2,400 training recordings used
digits_epochs = 30  # passes over the spoken-digit training recordings (Adam, lr 3e-3)
memory_p = 0.25  # drop rate in the placement and memory measurements
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or an address tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (ParameterError, check_bool, check_choice, check_float,
                            check_int, check_probability, check_scheduler)
from seqdrop.experiments.variants import RECIPES

p = check_probability("p", p)
train_tokens = check_int("train_tokens", train_tokens, 1_000, 929_589)
valid_tokens = check_int("valid_tokens", valid_tokens, 500, 73_760)
embedding_size = check_int("embedding_size", embedding_size, 1, 4096)
hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
epochs = check_int("epochs", epochs, 1, 1000)
decay_start = check_int("decay_start", decay_start, 0, 1000)
lr_decay = check_float("lr_decay", lr_decay, 0.0, 1.0, low_closed=False)
batch_size = check_int("batch_size", batch_size, 1, 1024)
digits_p = check_probability("digits_p", digits_p)
digits_params = check_int("digits_params", digits_params, 1_000, 10_000_000)
digits_fraction = check_float("digits_fraction", digits_fraction, 0.0, 1.0,
                              low_closed=False)
digits_epochs = check_int("digits_epochs", digits_epochs, 1, 1000)
if (not isinstance(digits_recipes, list) or "none" not in digits_recipes
        or len(digits_recipes) < 2):
    raise ParameterError(f"parameter 'digits_recipes' = {digits_recipes!r} must be a "
                         "list of recipes that includes 'none' and at least one other")
digits_recipes = [check_choice(f"digits_recipes[{i}]", r, RECIPES)
                  for i, r in enumerate(digits_recipes)]
memory_p = check_probability("memory_p", memory_p)
base_seed = check_int("base_seed", base_seed, 0, 2**31 - 1)
n_seeds = check_int("n_seeds", n_seeds, 2, 100)
scheduler = check_scheduler("scheduler", scheduler)
check_claims = check_bool("check_claims", check_claims)

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display

from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.experiments.evidence import Claims, excludes_zero, interval
from seqdrop.experiments.variant_gains import record_variant_gains, variant_gains
from seqdrop.course.gru_masks import carry_identity_error, placement_noise
from seqdrop.course.memory_loss import SITES, memory_curve
from seqdrop.course.equal_params import classifier_param_count, equal_param_sizes
from seqdrop.sweep import paired_difference, sweep
from seqdrop.experiments.variant_trials import (classifier_recipe, lm_recipe,
                                                recipe_differences)

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
claims = Claims(check=check_claims)
seeds = list(range(base_seed, base_seed + n_seeds))

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
claims.add(
    ratios["reset after, carry dropped"] > 2,
    f"Dropping the carry puts {ratios['reset after, carry dropped']:.1f}× the noise of "
    "seqdrop's placement into $h_t$.",
)
claims.add(
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
claims.add(
    at_10["state per step"] < 0.05
    and at_10["recurrent per sequence"] > 0.7 * at_10["none"],
    f"After 10 steps, a fresh mask on the whole $h_{{t-1}}$ leaves $R^2$ = "
    f"{at_10['state per step']:.3f} of the memory; seqdrop's placement keeps "
    f"{at_10['recurrent per sequence']:.2f} (no dropout: {at_10['none']:.2f}).",
)
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# ## 3. The recipes on a GRU language model
#
# Chapter 03's experiment with the LSTM replaced by a GRU of the same width: the first
# `train_tokens` PTB words, `epochs` passes, Zaremba's optimiser, every recipe at rate
# $p$ over the same seeds. For the GRU, zoneout acts on $h$ at $p/2$ and Semeniuta's
# update mask on the candidate $n_t$ (`seqdrop.experiments.variants`).

# %%
lm = sweep(lm_recipe, {"recipe": list(RECIPES), "p": p, "cell": "gru",
                       "train_tokens": train_tokens, "valid_tokens": valid_tokens,
                       "embedding_size": embedding_size, "hidden_size": hidden_size,
                       "epochs": epochs, "decay_start": decay_start,
                       "lr_decay": lr_decay, "batch_size": batch_size},
           seeds=seeds, scheduler=scheduler, name="04_gru_ptb", progress=False)
lm_trials = lm.trials
assert (lm_trials["status"] == "ok").all(), lm_trials.loc[lm_trials["status"] != "ok"]
lm_order = lm_trials.groupby("recipe")["val_ppl"].mean().sort_values().index.tolist()

fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(data=lm_trials, y="recipe", x="val_ppl", order=lm_order,
              errorbar=("ci", 95), linestyle="none", ax=ax)
ax.set(xlabel="best validation perplexity (mean, 95% CI)", ylabel="",
       title=f"GRU 2×{hidden_size}, {train_tokens:,} PTB words, p = {p:g}, "
             f"{n_seeds} seeds")
savefig(fig, "04_ptb_recipes")
plt.show()

lm_vs_none = recipe_differences(lm_trials, "val_ppl", "none", lm_order)
lm_vs_none

# %%
lm_gains = variant_gains(lm_trials, "val_ppl", variants=lm_order)
record_variant_gains(lm_gains, chapter="04", data="ptb-word", cell="gru", task="lm",
                     metric="val_ppl", what=f"a GRU language model ({train_tokens:,} "
                     "PTB words), best validation perplexity")
ppl = lm_trials.pivot(index="seed", columns="recipe", values="val_ppl")
gap = lm_trials.pivot(index="seed", columns="recipe", values="gap")
last = lm_trials.pivot(index="seed", columns="recipe", values="best_epoch")
zaremba_row = lm_vs_none.set_index("a").loc["zaremba"]
claims.add(
    bool((last["none"] == epochs).all()),
    f"Without dropout the GRU does not overfit in validation perplexity within "
    f"{epochs} epochs: its best epoch is the last one on every seed.",
)
claims.add(
    bool((ppl["zaremba"] < ppl["none"]).all() and (gap["zaremba"] < gap["none"]).all()),
    "Zaremba's recipe gives the GRU a lower best validation perplexity and a narrower "
    f"gap (validation − training perplexity) than no dropout on each of the {n_seeds} "
    f"seeds; the paired difference in perplexity is {interval(zaremba_row, 0)} ("
    + ("a difference" if excludes_zero(zaremba_row) else
       f"the interval includes zero: with {n_seeds} seeds not yet a difference") + ").",
)
lm_beats = lm_vs_none[lm_vs_none["ci_high"] < 0]["a"].tolist()
lm_worse = lm_vs_none[lm_vs_none["ci_low"] > 0]["a"].tolist()
narrower = [r for r in lm_order if r != "none" and (gap[r] < gap["none"]).all()]
claims.add(
    True,  # a reading of the tables above, whatever they say
    f"Paired intervals against no dropout: lower perplexity for "
    f"{', '.join(lm_beats) or 'no recipe'}, higher for "
    f"{', '.join(lm_worse) or 'no recipe'}, "
    f"the rest within noise; {len(narrower)} of the {len(RECIPES) - 1} recipes narrow "
    "the gap on every seed.",
)
display(Markdown(claims.markdown()))
lm_gains

# %% [markdown]
# The GRU learns this slice more slowly than chapter 03's LSTM: within `epochs` passes
# its validation perplexity has not yet turned up, so what dropout buys shows first in
# the gap between validation and training perplexity, and only then in validation
# perplexity. With three seeds, a per-seed ordering is what the data can support; the
# paired intervals say which differences are already measurable.

# %% [markdown]
# ## 4. Spoken digits, and LSTM vs GRU vs RNN at equal parameter count
#
# The Free Spoken Digit Dataset: 3,000 recordings of the digits 0–9 as sequences of 13
# MFCCs (6–92 frames), classified from the last step's state. We keep `digits_fraction`
# of the 2,400 training recordings (10%: 240 recordings, 24 per digit) and train for
# `digits_epochs` epochs: with a quarter of the recordings and 15 epochs, as a first
# version of this chapter did, no recipe had room to help, because the models had not
# yet fitted their training set. Every cell gets the same parameter budget
# `digits_params` (`seqdrop.course.equal_params`): at equal width an LSTM has four gate
# blocks to the GRU's three and the RNN's one, so it would also be the largest.
#
# The recipes here are `digits_recipes`: Gal's and AWD's locked masks on the 13 MFCC
# inputs drop the same coefficients for the whole recording, which cost the GRU about
# 0.1 in validation loss in a trial run; exercise 5 puts them back.

# %%
def count(cell: str, hidden: int) -> int:
    return classifier_param_count(cell, 13, hidden, 10)


sizes = equal_param_sizes(["lstm", "gru", "rnn_tanh"], digits_params, count)
pd.DataFrame({"hidden units": sizes,
              "parameters": {c: count(c, h) for c, h in sizes.items()}}).T

# %%
grid = [{"cell": [cell], "hidden_size": [h], "recipe": digits_recipes, "p": [digits_p],
         "train_fraction": [digits_fraction], "epochs": [digits_epochs]}
        for cell, h in sizes.items()]
digits = sweep(classifier_recipe, grid, seeds=seeds, scheduler=scheduler,
               name="04_gru_digits", progress=False).trials
assert (digits["status"] == "ok").all(), digits.loc[digits["status"] != "ok", "error"]
digits["error_rate"] = 1 - digits["test_acc"]

fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.pointplot(data=digits, y="recipe", x="val_loss", hue="cell", order=digits_recipes,
              errorbar=("ci", 95), linestyle="none", dodge=0.4, ax=ax)
ax.set(xlabel="best validation loss (mean, 95% CI)", ylabel="",
       title=f"spoken digits, {digits_params:,} parameters per model, p = {digits_p:g}")
savefig(fig, "04_digits_recipes")
plt.show()

# %%
digits_gains = {cell: variant_gains(digits[digits["cell"] == cell], "val_loss",
                                    variants=digits_recipes)
                for cell in sizes}
for cell, gains in digits_gains.items():
    record_variant_gains(gains, chapter="04", data="fsdd", task="classification",
                         cell={"rnn_tanh": "rnn"}.get(cell, cell),
                         metric="val_loss", what=f"spoken digits ({cell}, "
                         f"{digits_params:,} parameters), best validation loss")
gains_table = pd.concat([g.assign(cell=c) for c, g in digits_gains.items()],
                        ignore_index=True)
digits_better = gains_table[gains_table["ci_low"] > 0]
digits_worse = gains_table[gains_table["ci_high"] < 0]
loss = digits.pivot_table(index="seed", columns=["cell", "recipe"], values="val_loss")
zaremba_cells = [c for c in ("gru", "lstm")
                 if (loss[(c, "zaremba")] < loss[(c, "none")]).all()]
zaremba_gain = gains_table.set_index(["cell", "variant"]).loc[("gru", "zaremba")]
claims.add(
    zaremba_cells == ["gru", "lstm"],
    "Zaremba's per-step masks give the GRU and the LSTM a lower best validation loss "
    f"than no dropout on each of the {n_seeds} seeds; for the GRU the loss is "
    f"{interval(zaremba_gain, 1, unit='%')} lower, paired ("
    + ("a difference" if excludes_zero(zaremba_gain) else
       "the interval includes zero: not yet a difference") + ").",
)
claims.add(
    True,  # a reading of the table below
    f"Paired intervals of the relative gain over no dropout: {len(digits_better)} of the "
    f"{len(gains_table)} (cell, recipe) pairs lower the validation loss"
    + (" (" + ", ".join(digits_better["cell"] + " " + digits_better["variant"]) + ")"
       if len(digits_better) else "")
    + ("; higher: " + ", ".join(digits_worse["cell"] + " " + digits_worse["variant"])
       if len(digits_worse) else "") + "; the rest are within noise.",
)
display(Markdown(claims.markdown()))
gains_table

# %% [markdown]
# Now the side-by-side comparison. For each cell we pick the recipe with the lowest mean
# validation loss, then compare the cells' **test** accuracy at their picks, paired by seed
# (the same seed gives every cell the same data order).

# %%
best = digits.groupby(["cell", "recipe"])["val_loss"].mean().groupby("cell").idxmin()
picked = pd.concat([digits[(digits["cell"] == c) & (digits["recipe"] == r)]
                    for c, r in best.values], ignore_index=True)
picked["cell (recipe)"] = picked["cell"] + " (" + picked["recipe"] + ")"
fig, ax = plt.subplots(figsize=(6.5, 2.8))
sns.pointplot(data=picked, y="cell (recipe)", x="test_acc", errorbar=("ci", 95),
              linestyle="none", ax=ax)
ax.set(xlabel="test accuracy at the best recipe (mean, 95% CI)", ylabel="",
       title=f"equal parameter count ({digits_params:,}), {n_seeds} seeds")
savefig(fig, "04_cells_equal_params")
plt.show()

pairs = (("gru", "lstm"), ("gru", "rnn_tanh"), ("lstm", "rnn_tanh"))
cells = pd.concat([paired_difference(picked, "test_acc", by="cell", a=a, b=b, within=[])
                   for a, b in pairs], ignore_index=True)
cells = cells[["a", "b", "mean", "ci_low", "ci_high", "n", "significant"]]
for _, row in cells.iterrows():
    record(f"test_acc_{row['a']}_minus_{row['b']}", float(row["mean"]))
cells

# %%
def verdict(row: pd.Series) -> str:
    if not excludes_zero(row):
        return "within noise"
    return f"{row['a']} is better" if row["mean"] > 0 else f"{row['b']} is better"


by_pair = cells.set_index(["a", "b"])
over_rnn = [by_pair.loc[(c, "rnn_tanh")] for c in ("gru", "lstm")]
claims.add(
    all(excludes_zero(r) and r["mean"] > 0 for r in over_rnn),
    "At equal parameter count, each with its best recipe, the GRU and the LSTM both "
    "classify the spoken digits better than the vanilla RNN: test accuracy "
    + "; ".join(f"{row.name[0]} − RNN {interval(row, 3)}" for row in over_rnn)
    + " (paired intervals above zero).",
)
for row in over_rnn:
    record_finding(f"digits_{row.name[0]}_minus_rnn_test_acc", 100 * row["mean"],
                   100 * row["ci_low"], 100 * row["ci_high"], unit="pt",
                   n_seeds=int(row["n"]), claim=claims.sentences[-1],
                   source="04, spoken digits, best recipe per cell")
gru_lstm = by_pair.loc[("gru", "lstm")]
claims.add(
    True,  # a reading of the table above
    f"GRU − LSTM: {interval(gru_lstm, 3)} "
    f"({verdict(pd.Series({**gru_lstm.to_dict(), 'a': 'gru', 'b': 'lstm'}))}).",
)
display(Markdown(claims.markdown()))

# %% [markdown]
# ## What we found

# %%
found = pd.DataFrame([
    {"finding": "GRUCell(x, m*h) noise / seqdrop noise",
     "value": f"{ratios['reset after, carry dropped']:.2f}"},
    {"finding": "R² of h_0 after 10 steps: state per step / seqdrop",
     "value": f"{at_10['state per step']:.3f} / {at_10['recurrent per sequence']:.2f}"},
    *[{"finding": f"PTB GRU val ppl, {r} − none", "value": interval(row, 1)}
      for r, row in lm_vs_none.set_index("a").iterrows()],
    *[{"finding": f"digits {row['cell']} val loss, {row['variant']}: gain over none",
       "value": interval(row, 1, unit="%")} for _, row in gains_table.iterrows()],
    *[{"finding": f"digits, {c}: best recipe", "value": r} for c, r in best.values],
    *[{"finding": f"digits test acc, {row['a']} − {row['b']}",
       "value": interval(row, 3)} for _, row in cells.iterrows()],
])
display(found.set_index("finding"))
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we placed the recurrent mask of a GRU in three ways, found that the
# choice of reset layout barely matters and that dropping the carry injects several times
# the noise and erases memory like a mask on the LSTM's $c_t$, repeated the recipes of
# chapter 03 on a GRU language model and a spoken-digit classifier, and compared the three
# cells at the same parameter count, each with its own best recipe. As in chapter 03, the
# models are small and the training sets are slices: the numbers rank recipes at this
# scale; the paper profile runs the full-size settings.
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
# 2. **Extend the code.** Add a fourth placement to `seqdrop.course.gru_masks`: the mask on the
#    carry only (the weight products see the undropped $h_{t-1}$). Where does it land in
#    the noise figure, and what does `memory_curve` say about it?
#
#    ```{admonition} Hint
#    :class: dropdown
#    The carry alone is most of the noise of `GRUCell(x, m * h)`: the identity of section 1
#    says the difference between the two reset-after placements is exactly the carry term.
#    ```
#
# 3. **Question a claim.** Section 4 picks each cell's recipe on the validation split and
#    compares test accuracy with the same seeds. What bias does picking the best of seven
#    recipes introduce, and why does it not favour one cell over another here?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Each cell gets the same number of candidates (seven recipes), so each gets the same
#    optimistic selection on validation; the comparison is on the test split, which the
#    selection never saw.
#    ```
#
# 4. **Equal width instead.** Give all three cells `hidden_size = sizes["gru"]` and rerun
#    section 4. How much of the LSTM's result was its parameter count?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Build the grid with one hidden size for all cells and compare the paired test-accuracy
#    differences with those above; `classifier_param_count` gives each model's size.
#    ```
#
# 5. **Locked input masks on 13 features.** Run section 4 with
#    `digits_recipes = ["none", "zaremba", "gal", "awd"]`. Why can a per-sequence mask on
#    the MFCC inputs hurt where a per-step mask on the same inputs helps?
#
#    ```{admonition} Hint
#    :class: dropdown
#    A locked mask removes the same coefficients (say, the first cepstral coefficient, the
#    loudness) for the whole recording; with 13 inputs that is a large share of the
#    information, and the classifier sees one whole recording per decision.
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
#   cells at matched size; {cite:t}`elman1990finding` and {cite:t}`hochreiter1997long`: the
#   vanilla RNN and the LSTM.
# - {cite:t}`jackson2018fsdd`: the Free Spoken Digit Dataset.
