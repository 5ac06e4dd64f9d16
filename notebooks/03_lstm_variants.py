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
# # 03 · LSTM: which published dropout recipe helps a language model, and why?
#
# Five papers put dropout into an LSTM in five different places: Zaremba et al.
# {cite}`zaremba2014recurrent` on the non-recurrent connections only (input, between
# layers, output), Gal and Ghahramani {cite}`gal2016theoretically` on every connection
# with one mask per sequence, Semeniuta et al. {cite}`semeniuta2016recurrent` on the cell
# update alone, Merity et al. {cite}`merity2018regularizing` on the recurrent weights,
# Krueger et al. {cite}`krueger2017zoneout` by letting units keep their old value. This
# chapter writes each recipe as a set of mask sites in the LSTM equations, shows
# numerically why one tempting site (the cell state) destroys the memory that the LSTM
# exists to keep, and then trains recipes on Penn Treebank in a regime where dropout has
# something to fix: a language model that clearly beats a unigram and then overfits. It
# reads every difference on held-out *test* words, through a paired confidence interval.
#
# **Learning goals.** After this chapter you can
#
# - point to where each recipe puts its masks in the LSTM equations, and say whether a mask
#   is drawn per step or per sequence;
# - explain, with a measurement, why a fresh mask on $c_t$ erases the LSTM's memory while
#   masks on $g_t$ or on $W_{hh} h_{t-1}$ do not;
# - check that an experiment can show what dropout does: the model beats its trivial
#   baseline and overfits without dropout;
# - measure a recipe's gain in test perplexity at the epoch chosen on validation data, over
#   seeds, and call it a gain only when its paired interval excludes zero.
#
# **Prerequisites and run time.** Chapters 00 (what dropout computes) and 02 (the mask
# sites of a vanilla RNN). Run time: smoke about 20 CPU-s (71 s measured on a shared 2-core
# machine at load 12); course profile (the defaults: 12 trainings, 3 recipes × 4 seeds, of a
# 1×256 LSTM on 20,000 PTB words) 39–43 CPU-s per training, so about 4 minutes on 2 idle
# cores with 2 workers × 1 thread (an estimate: measured 38 minutes with one worker on a
# 2-core machine shared at load 11–21); paper profile (`params/paper.yaml`: the full
# training set and vocabulary, 2×650 units as Zaremba's medium model, all seven recipes,
# 5 seeds, plus the Zaremba-medium and Gal-medium presets) several GPU-hours, an estimate.

# %% tags=["parameters"]
p = 0.5  # every recipe's rate (drop probability)
recipes = ["none", "zaremba", "awd"]  # trained on PTB (names of seqdrop.recipes)
vocab_size = 2_000  # the most frequent PTB words kept; the rest become <unk>
train_tokens = 20_000  # leading PTB training words (of 929,589): the model overfits
valid_tokens = 5_000  # leading validation words scored each epoch (picks the epoch)
test_tokens = 5_000  # leading test words scored at the picked epoch
embedding_size = 128  # word vectors
hidden_size = 256  # LSTM units per layer
num_layers = 1  # stacked LSTM layers
epochs = 12  # passes over the training slice (Adam)
lr = 3e-3  # Adam's learning rate (per-token mean loss, gradient norm clipped at 5)
batch_size = 32  # parallel streams of the training slice (BPTT 35)
memory_p = 0.25  # drop rate in the memory-loss measurement (section 2)
memory_steps = 30  # time steps of the memory-loss measurement
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 4  # trainings per recipe
scheduler = None  # None: local Dask cluster; "serial"; or an address tcp://host:8786
presets = []  # paper profile: published settings to rerun, e.g. ["zaremba-medium"]

# %%
from seqdrop.course import (check_parameters, check_probability, check_scheduler,
                            integer, list_of, number, one_of, seed)
from seqdrop.presets import list_presets
from seqdrop.recipes import recipe_names

params = check_parameters(globals(), {
    "p": number(0.0, 1.0, low_closed=False, high_closed=False),
    "recipes": list_of(one_of(*recipe_names()), min_len=2, unique=True,
                       including=["none"]),
    "vocab_size": integer(100, 10_000),
    "train_tokens": integer(1_000, 929_589),
    "valid_tokens": integer(500, 73_760),
    "test_tokens": integer(500, 82_430),
    "embedding_size": integer(1, 4096),
    "hidden_size": integer(1, 4096),
    "num_layers": integer(1, 8),
    "epochs": integer(2, 1000),
    "lr": number(0.0, 1.0, low_closed=False),
    "batch_size": integer(1, 1024),
    "memory_p": check_probability,
    "memory_steps": integer(10, 1000),
    "base_seed": seed,
    "n_seeds": integer(2, 100),
    "scheduler": check_scheduler,
    "presets": list_of(one_of(*list_presets()), min_len=0),
})

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from seqdrop.course import excludes_zero, interval, record_finding, savefig, setup
from seqdrop.course.small_vocab_lm import (keeps_fitting, lm_trial, turn_up,
                                           unigram_margin)
from seqdrop.course.memory_loss import SITES, ideal_state_survival, memory_curve
from seqdrop.nn import reference
from seqdrop.recipes import definition, recipe_table
from seqdrop.sweep import mean_ci, sweep
from seqdrop.experiments.variant_gains import gain_sentence, variant_gains

seeds, claims = setup("03_lstm_variants", params, precision=3)
common = dict(cell="lstm", vocab_size=vocab_size, train_tokens=train_tokens,
              valid_tokens=valid_tokens, test_tokens=test_tokens,
              embedding_size=embedding_size, hidden_size=hidden_size,
              num_layers=num_layers, epochs=epochs, lr=lr, batch_size=batch_size)
SEVEN = ["none", "zaremba", "gal-half-recurrent", "zaremba+semeniuta",
         "zaremba+weight-drop", "zaremba+zoneout", "awd"]

# %% [markdown]
# ## 1. Where each recipe puts its masks
#
# The reference LSTM cell of `seqdrop.nn.reference` is the equations below, one line of
# tensor algebra each (torch's gate order $i, f, g, o$). Every mask site of the course's
# vocabulary has a symbol:
#
# $$
# \begin{aligned}
# (i_t, f_t, g_t, o_t) &= W_{ih}\,(m^{x} \odot x_t) + W_{hh}^{\,m^{W}}\,(m^{h} \odot h_{t-1}) + b\\
# c_t &= \sigma(f_t) \odot c_{t-1} + \sigma(i_t) \odot \big(m^{g} \odot \tanh(g_t)\big)\\
# h_t &= \sigma(o_t) \odot \tanh(c_t)\\
# \text{output} &= m^{y} \odot h_t
# \end{aligned}
# $$
#
# $m^{x}$ is the **input** mask (for layer 1 on the word vector, which itself may lose
# whole word types: **embedding** dropout), $m^{x}$ of layer 2 is the mask **between
# layers**, $m^{y}$ the **output** mask before the decoder, $m^{h}$ the **recurrent** mask
# on $h_{t-1}$, $m^{g}$ the **update** mask, $W_{hh}^{\,m^{W}}$ the recurrent weights with
# entries dropped (**weights**), and zoneout replaces the new **state** by the old one
# unit by unit: $c_t \leftarrow z \odot c_{t-1} + (1 - z) \odot c_t$, likewise $h_t$.
# The cell's code, as the library runs it when it teaches and tests:

# %%
import inspect

print(inspect.getsource(reference.lstm_cell).split('"""')[-1].strip())

# %% [markdown]
# A recipe is a choice of sites, rates, and whether each mask is drawn anew at every time
# step (*per step*) or once per sequence (*per sequence*, "locked"). Seven recipes of the
# registry `seqdrop.recipes`, at the chapter's rate $p$; a compound such as
# `zaremba+zoneout` is Zaremba's masks *and* zoneout, named by its parts, so that
# comparing it with `zaremba` isolates what the recurrent site adds:

# %%
rates, scopes = recipe_table(SEVEN, p, "lstm")
fig, ax = plt.subplots(figsize=(7, 3.6))
labels = rates.map(lambda r: f"{r:.2g}" if r else "") + "\n" + scopes.map(
    lambda s: s.replace("per ", ""))
sns.heatmap(rates, annot=labels, fmt="", cmap="Blues", vmin=0, vmax=1, cbar=False,
            linewidths=0.5, ax=ax, annot_kws={"fontsize": 8})
ax.set(xlabel="mask site", ylabel="recipe",
       title=f"drop rate and mask scope per site, p = {p:g} (LSTM)")
ax.tick_params(axis="x", rotation=30)
savefig(fig, "03_recipe_sites")
plt.show()

# %% [markdown]
# ## 2. Semeniuta's argument: a mask on $c_t$ erases memory, a mask on $g_t$ does not
#
# The LSTM stores information in $c_t$ and keeps it by setting $f_t \approx 1$. A fresh
# mask on $c_t$ at every step zeroes each stored unit with probability $p$ per step:
# after $t$ steps only a share $(1-p)^t$ of the units still hold what was written at
# step 0, whatever the gates do {cite}`semeniuta2016recurrent`. A mask on the update
# $g_t$ only makes the *new* content noisy, and Gal's mask on $W_{hh} h_{t-1}$ only the gates' view
# of the past; neither touches the stored value.
#
# We measure this with the reference cell (`seqdrop.course.memory_loss.memory_curve`):
# a random LSTM whose forget gate is biased towards keeping, a random initial memory $c_0$ and
# random inputs; at every step, how much of $c_0$ a linear read-out recovers from $c_t$
# (held-out $R^2$; 1 = all of it, 0 = nothing).

# %%
memory = pd.concat([memory_curve("lstm", site, memory_p, steps=memory_steps,
                                 seed=base_seed, keep_bias=5.0)
                    for site in SITES["lstm"]], ignore_index=True)
fig, ax = plt.subplots(figsize=(6.5, 3.8))
sns.lineplot(data=memory, x="t", y="memory", hue="site", ax=ax)
ax.plot(range(memory_steps + 1), ideal_state_survival(memory_p, memory_steps), "k:",
        lw=1, label=r"$(1-p)^t$")
ax.set(xlabel="time step t", ylabel=r"$R^2$ of $c_0$ read from $c_t$",
       title=f"LSTM memory under dropout, p = {memory_p:g}")
ax.legend(fontsize=8)
savefig(fig, "03_memory_loss")
plt.show()

# %%
k = 10
at_k = memory[memory["t"] == k].set_index("site")["memory"]
claims.claim(
    at_k["state per step"] < 0.05,
    f"A fresh mask on $c_t$ erases the memory: after {k} steps a linear read-out "
    f"recovers $R^2$ = {at_k['state per step']:.3f} of $c_0$ (no dropout: "
    f"{at_k['none']:.2f}).",
)
kept = min(at_k["update per step"], at_k["recurrent per sequence"]) / at_k["none"]
claims.claim(
    kept > 0.7,
    f"Masks on $g_t$ (Semeniuta, per step) and on $W_{{hh}} h_{{t-1}}$ (Gal) keep "
    f"{at_k['update per step']:.2f} and {at_k['recurrent per sequence']:.2f}: at least "
    f"{kept:.0%} of what the undropped cell keeps.",
)
display(Markdown(claims.markdown()))

# %% [markdown]
# None of the seven recipes drops $c_t$ itself. Zoneout touches the state too, but in the
# opposite direction: a zoned-out unit *keeps* its old value, so zoneout can only lengthen
# memory.
#
# ## 3. A language model that dropout can help
#
# Dropout fixes overfitting; an experiment shows what it does only if the model without
# dropout (a) learns something, i.e. clearly beats a model that ignores the context, and
# (b) overfits, i.e. its validation perplexity turns up while its training loss keeps
# falling. Word-level PTB with its full 10,000-word vocabulary fails (a) on a laptop
# budget: trained on a few thousand words, most of the softmax is words seen once or never,
# and an LSTM lands barely below the unigram. So we keep the `vocab_size` most frequent
# words (every other word becomes `<unk>`, `seqdrop.data.cap_vocabulary`), train on the
# first `train_tokens` words with Adam, score the first `valid_tokens` validation words
# after every epoch and pick the epoch with the lowest validation perplexity; the first
# `test_tokens` test words are scored at that epoch only as the headline
# (`seqdrop.course.small_vocab_lm.lm_trial`). One sweep trains every recipe of `recipes`
# on every seed; a seed fixes the initialisation and the data order, so recipes are paired
# by seed. The dashed line is the unigram: each word's frequency in the training slice
# (add-one smoothed), whatever came before.

# %%
main = sweep(lm_trial, {"recipe": recipes, "p": p, **common}, seeds=seeds,
             scheduler=scheduler, name="03_lstm_variants", progress=False)
trials, history = main.trials, main.history
assert (trials["status"] == "ok").all(), trials.loc[trials["status"] != "ok", "error"]
unigram_val = float(trials["unigram_val_ppl"].iloc[0])
unigram_test = float(trials["unigram_test_ppl"].iloc[0])
history["train_ppl"] = np.exp(history["train_loss"])

fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.lineplot(data=history, x="epoch", y="val_ppl", hue="recipe", hue_order=recipes,
             errorbar=("ci", 95), ax=ax)
sns.lineplot(data=history[history["recipe"] == "none"], x="epoch", y="train_ppl",
             color="C0", ls=":", errorbar=None, ax=ax,
             label="none: training perplexity")
ax.axhline(unigram_val, color="grey", ls="--", lw=1, label="unigram (validation)")
ax.set(yscale="log", ylabel="perplexity",
       title=f"{num_layers}×{hidden_size} LSTM, {train_tokens:,} PTB words "
             f"({vocab_size:,}-word vocabulary), {n_seeds} seeds")
ax.legend(fontsize=8, ncol=2)
savefig(fig, "03_validation_curves")
plt.show()

# %% [markdown]
# Solid lines are validation perplexities, means over seeds with 95% intervals; the dotted
# line is the no-dropout model's perplexity on its own training batches.

# %%
none_runs = trials[trials["recipe"] == "none"].set_index("seed")
margin = unigram_margin(trials, split="test")
turn = turn_up(trials)
lstm_tags = {"cell": "lstm", "data": "ptb-word", "task": "lm", "recipe": "none"}
claims.claim(
    margin[1] > 0,
    f"Without dropout the LSTM learns the language, not just word frequencies: at its "
    f"best validation epoch its test perplexity is {margin[0]:.1f}% "
    f"[{margin[1]:.1f}, {margin[2]:.1f}] below the unigram's {unigram_test:.0f} "
    f"({none_runs['test_ppl'].mean():.0f} on average, {n_seeds} seeds, 95% CI).",
)
record_finding("lstm_ptb_none_vs_unigram_test_ppl", *margin[:3], unit="%",
               n_seeds=margin[3], claim=claims.sentences[-1],
               source="03, test perplexity at the best validation epoch vs the unigram",
               tags=lstm_tags | {"baseline": "unigram", "metric": "test_ppl",
                                 "split": "test"})
claims.claim(
    turn[1] > 0 and keeps_fitting(trials, history)
    and bool((none_runs["best_epoch"] < epochs).all()),
    f"It overfits within the budget: on every seed its validation perplexity is lowest "
    f"at epoch {none_runs['best_epoch'].min()}–{none_runs['best_epoch'].max()} of "
    f"{epochs} and then climbs by {turn[0]:.0f} [{turn[1]:.0f}, {turn[2]:.0f}] by the "
    "last epoch, while its training loss keeps falling.",
)
record_finding("lstm_ptb_none_turn_up", *turn[:3], unit="ppl", n_seeds=turn[3],
               claim=claims.sentences[-1],
               source="03, validation perplexity: last epoch − best epoch, no dropout",
               tags=lstm_tags | {"metric": "val_ppl", "split": "validation"})
display(Markdown(claims.markdown(last=2)))

# %% [markdown]
# ## 4. What each recipe buys on test data
#
# Each run is scored on the test words at *its own* best validation epoch, so a recipe
# that trains slower is not penalised for it, and the test words play no part in the
# choice. The gain of a recipe is its test perplexity's improvement over no dropout in
# percent, paired by seed (positive: better).

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4))
order = trials.groupby("recipe")["test_ppl"].mean().sort_values().index.tolist()
sns.pointplot(data=trials, y="recipe", x="test_ppl", order=order, errorbar=("ci", 95),
              linestyle="none", ax=ax)
ax.axvline(unigram_test, color="grey", ls="--", lw=1, label="unigram")
ax.set(xlabel="test perplexity at the best validation epoch (mean, 95% CI)", ylabel="",
       title=f"p = {p:g}, {n_seeds} seeds")
ax.legend(fontsize=8)
savefig(fig, "03_test_ppl")
plt.show()

what = (f"an LSTM language model ({train_tokens:,} PTB words, {vocab_size:,}-word "
        "vocabulary), test perplexity at the best validation epoch")
test_gains = variant_gains(trials, "test_ppl", variants=recipes)
for _, g in test_gains.iterrows():  # the headline gains, tagged with their split
    key = g["variant"].replace("+", "_and_").replace("-", "_")
    record_finding(f"gain_03_ptb_word_lstm_{key}", g["mean"], g["ci_low"], g["ci_high"],
                   unit="%", n_seeds=int(g["n_seeds"]), claim=gain_sentence(g, what),
                   source="03, test perplexity relative to no dropout (test data)",
                   tags={"cell": "lstm", "data": "ptb-word", "task": "lm",
                         "recipe": g["variant"], "metric": "test_ppl", "split": "test"},
                   definition=definition(g["variant"], p, "lstm"))
test_gains = test_gains.rename(columns={"variant": "recipe"})
val_gains = variant_gains(trials, "val_ppl", variants=recipes).rename(
    columns={"variant": "recipe"})
test_gains

# %%
by_val = val_gains.set_index("recipe")["mean"]
chosen = by_val.idxmax()
row = test_gains.set_index("recipe").loc[chosen]
claims.claim(
    row["ci_low"] > 0,
    f"The recipe with the best validation gain, `{chosen}`, lowers the test "
    f"perplexity by {interval(row, 1, unit='%')} against no dropout, paired over "
    f"{n_seeds} seeds: the interval excludes zero.",
)
helps = test_gains[test_gains["ci_low"] > 0]["recipe"].tolist()
hurts = test_gains[test_gains["ci_high"] < 0]["recipe"].tolist()
claims.note(
    f"At p = {p:g}, {len(helps)} of the {len(recipes) - 1} recipes lower the test "
    "perplexity with the paired interval above zero"
    + (f" ({', '.join(helps)})" if helps else "")
    + (f"; worse: {', '.join(hurts)}" if hurts else "")
    + ("; the rest are within noise" if len(helps) + len(hurts) < len(recipes) - 1
       else "") + " (intervals in the table above).",
)
display(Markdown(claims.markdown(last=2)))

# %% [markdown]
# ## What we found

# %%
summary = trials.groupby("recipe").agg(
    test_ppl=("test_ppl", "mean"), val_ppl=("val_ppl", "mean"),
    best_epoch=("best_epoch", "mean"),
    last_val_ppl=("final_val_ppl", "mean")).loc[order]
gain_text = test_gains.set_index("recipe").apply(
    lambda r: interval(r, 1, unit="%"), axis=1)
summary["test gain over none [95% CI]"] = [gain_text.get(r, "–") for r in order]
display(summary.round(1))
display(Markdown(f"Unigram: validation {unigram_val:.0f}, test {unigram_test:.0f}.\n\n"
                 + claims.markdown()))

# %% [markdown]
# In this chapter we wrote each published recipe as mask sites in the LSTM equations,
# measured why the cell state is the one site no recipe drops, built a language model
# that beats its unigram baseline and overfits without dropout, and measured what the
# recipes buy on test words at the epoch chosen on validation words. The model is small and
# the training slice is 2% of PTB with a 2,000-word vocabulary: the numbers say which
# recipes regularise here and by how much, not what they reach at full scale, where
# Zaremba's medium model reaches 82.7 test perplexity and Gal's 79.7
# {cite}`zaremba2014recurrent,gal2016theoretically` (the paper profile reruns both
# settings). Chapter 04 asks the same questions of the GRU, which has no separate memory
# cell.

# %% [markdown]
# The paper profile also retrains the published settings themselves
# (`seqdrop.presets.reproduce`: Zaremba's medium model and Gal's medium variational LSTM,
# full schedule) and puts the measured perplexities next to the published ones; the course
# profile skips this (`presets = []`).

# %%
if presets:
    from seqdrop.paths import runs_dir
    from seqdrop.presets import reproduce

    rows = []
    for name in presets:  # one folder per preset: a rerun resumes or reads it back
        folder = runs_dir() / "train" / f"{name}-chapter03"
        done = (folder / "checkpoint.pt").exists()
        run = reproduce(name, folder, resume=done, progress=False, verbose=False)
        measured = {f"measured {k}": v for k, v in run["measured"].items()}
        published = {f"published {k}": v for k, v in run["published"].items()}
        rows.append({"preset": name, **measured, **published})
    display(pd.DataFrame(rows).set_index("preset"))

# %% [markdown]
# ## Exercises
#
# 1. **Predict, then run.** Set `train_tokens = 80_000` (four times the data). Does the
#    no-dropout model's turn-up shrink, and the recipes' test gain with it? Run it (about
#    4× the time) and compare the paired intervals.
#
#    ```{admonition} Hint
#    :class: dropdown
#    More data is itself a regulariser: the no-dropout model overfits later and less, so
#    dropout has less to fix and its gain shrinks, while every model's perplexity falls.
#    ```
#
# 2. **The other recipes.** Set `recipes = SEVEN` (all seven recipes of section 1). Which
#    recurrent-site compounds add to `zaremba`'s gain? Compare each with `zaremba` using
#    `seqdrop.sweep.paired_difference(trials, "test_ppl", by="recipe", a=..., b="zaremba")`.
#
#    ```{admonition} Hint
#    :class: dropdown
#    The compounds with a recurrent-site mask (Semeniuta, zoneout) run the step loop
#    instead of torch's fused kernel, so the run takes about twice as long. A compound's
#    gain over `zaremba` is what its recurrent site adds at this rate and scale.
#    ```
#
# 3. **Question a claim.** Section 4 picks the recipe to assert on validation gains and
#    reports its test gain. Why is that fairer than picking the recipe with the best *test*
#    gain, and what would the test gain of a recipe picked on test overstate?
#
#    ```{admonition} Hint
#    :class: dropdown
#    With several recipes, the best test gain is the maximum of several noisy estimates:
#    it is biased upwards (the winner's curse). Picking on validation data leaves the test
#    words untouched by the choice, so the reported test gain is unbiased for that recipe.
#    ```
#
# 4. **A recipe of your own.** Add Moon et al.'s "RNNDrop" (one mask per sequence on
#    $c_t$) to `seqdrop.course.memory_loss.memory_curve` as a site and measure its
#    memory curve. Does a *fixed* mask on $c_t$ erase memory like a fresh one?
#
#    ```{admonition} Hint
#    :class: dropdown
#    With a fixed mask the same units are zeroed at every step, so the dropped units never
#    hold anything and the kept ones are rescaled by $1/(1-p)$ at *every* step. Look at the
#    size of $c_t$ as well as at $R^2$.
#    ```
#
# 5. **Choose the rate.** Sweep `p` over `[0.25, 0.5, 0.65]` for the recipe of section 4
#    and pick the rate on validation perplexity. Is the test gain at the picked rate larger
#    than at $p$ = 0.5 beyond the paired interval?
#
#    ```{admonition} Hint
#    :class: dropdown
#    `sweep(lm_trial, {"recipe": [chosen], "p": [0.25, 0.65], **common}, seeds=seeds)`
#    reuses section 3's trials for p = 0.5 when you concatenate the tables.
#    ```
#
# ## References
#
# - {cite:t}`zaremba2014recurrent`: dropout on the non-recurrent connections, a fresh mask
#   per step; the small, medium and large PTB models.
# - {cite:t}`gal2016theoretically`: one mask per sequence on every connection, including
#   $h_{t-1}$ and the word embeddings.
# - {cite:t}`semeniuta2016recurrent`: dropout on the cell update only, and the memory-loss
#   argument of section 2; {cite:t}`moon2015rnndrop`: a per-sequence mask on $c_t$.
# - {cite:t}`merity2018regularizing`: AWD-LSTM, DropConnect {cite:p}`wan2013regularization`
#   on $W_{hh}$ with locked and embedding dropout.
# - {cite:t}`krueger2017zoneout`: zoneout.
# - {cite:t}`hochreiter1997long` and {cite:t}`gers2000learning`: the LSTM and its forget
#   gate.
# - {cite:t}`marcus1993building` and {cite:t}`mikolov2010recurrent`: Penn Treebank and its
#   10,000-word language-modelling split; {cite:t}`melis2018state`: how much tuning matters
#   when recipes are compared at full scale.
