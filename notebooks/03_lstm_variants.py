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
# exists to keep, and then trains all seven recipes (with *no dropout* as the baseline)
# on word-level Penn Treebank in a regime where the model overfits, over several seeds,
# reading every difference through a paired confidence interval.
#
# **Learning goals.** After this chapter you can
#
# - point to where each recipe puts its masks in the LSTM equations, and say whether a mask
#   is drawn per step or per sequence;
# - explain, with a measurement, why a fresh mask on $c_t$ erases the LSTM's memory while
#   masks on $g_t$ or on $W_{hh} h_{t-1}$ do not;
# - measure validation perplexity and the generalisation gap of a recipe over seeds, and
#   call a difference a difference only when its paired interval excludes zero;
# - choose a dropout rate for a recipe from a rate sweep.
#
# **Prerequisites and run time.** Chapters 00 (what dropout computes) and 02 (the mask
# sites of a vanilla RNN). Run time: smoke about 13 CPU-s; course profile (the defaults:
# 33 trainings of a 2×128 LSTM on 8,000 PTB words, 2 workers × 1 thread) 215 s measured
# on an idle 2-core machine (3.6 minutes); paper profile (`params/paper.yaml`:
# the full training set, 2×650 units as Zaremba's medium model, 5 seeds, plus the
# Zaremba-medium and Gal-medium presets) several GPU-hours, an estimate.

# %% tags=["parameters"]
p = 0.5  # every recipe's rate in the main comparison (drop probability)
sweep_rates = [0.25, 0.65]  # extra rates for the rate sweep of the two best recipes
train_tokens = 8_000  # leading PTB training words (of 929,589): the model overfits
valid_tokens = 4_000  # leading validation words scored each epoch
embedding_size = 128  # word vectors
hidden_size = 128  # LSTM units per layer
num_layers = 2  # stacked LSTM layers
epochs = 5  # passes over the training slice (SGD, lr 1, halved after epoch decay_start)
decay_start = 3
lr_decay = 0.5  # lr factor per epoch after decay_start (Zaremba-medium: 1/1.2)
batch_size = 4  # parallel streams of the training slice (BPTT 35)
memory_p = 0.25  # drop rate in the memory-loss measurement (section 2)
memory_steps = 30  # time steps of the memory-loss measurement
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per configuration
scheduler = None  # None: local Dask cluster; "serial"; or an address tcp://host:8786
presets = []  # paper profile: published settings to rerun, e.g. ["zaremba-medium"]
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (ParameterError, check_bool, check_choice, check_float,
                            check_int, check_probability, check_scheduler)
from seqdrop.presets import list_presets

p = check_probability("p", p)
if not isinstance(sweep_rates, list) or not sweep_rates or p in sweep_rates:
    raise ParameterError(f"parameter 'sweep_rates' = {sweep_rates!r} must be a "
                         "non-empty list of rates other than p")
sweep_rates = [check_probability(f"sweep_rates[{i}]", r)
               for i, r in enumerate(sweep_rates)]
train_tokens = check_int("train_tokens", train_tokens, 1_000, 929_589)
valid_tokens = check_int("valid_tokens", valid_tokens, 500, 73_760)
embedding_size = check_int("embedding_size", embedding_size, 1, 4096)
hidden_size = check_int("hidden_size", hidden_size, 1, 4096)
num_layers = check_int("num_layers", num_layers, 2, 8)
epochs = check_int("epochs", epochs, 1, 1000)
decay_start = check_int("decay_start", decay_start, 0, 1000)
lr_decay = check_float("lr_decay", lr_decay, 0.0, 1.0, low_closed=False)
batch_size = check_int("batch_size", batch_size, 1, 1024)
memory_p = check_probability("memory_p", memory_p)
memory_steps = check_int("memory_steps", memory_steps, 10, 1000)
base_seed = check_int("base_seed", base_seed, 0, 2**31 - 1)
n_seeds = check_int("n_seeds", n_seeds, 2, 100)
scheduler = check_scheduler("scheduler", scheduler)
if not isinstance(presets, list):
    raise ParameterError(f"parameter 'presets' = {presets!r} must be a list of preset "
                         "names")
presets = [check_choice(f"presets[{i}]", name, list_presets())
           for i, name in enumerate(presets)]
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
from seqdrop.course.memory_loss import SITES, ideal_state_survival, memory_curve
from seqdrop.nn import reference
from seqdrop.sweep import mean_ci, paired_difference, sweep
from seqdrop.experiments.variant_trials import lm_recipe, recipe_differences
from seqdrop.experiments.variants import RECIPES, site_matrix

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
claims = Claims(check=check_claims)
seeds = list(range(base_seed, base_seed + n_seeds))
common = dict(cell="lstm", train_tokens=train_tokens, valid_tokens=valid_tokens,
              embedding_size=embedding_size, hidden_size=hidden_size,
              num_layers=num_layers, epochs=epochs, decay_start=decay_start,
              lr_decay=lr_decay, batch_size=batch_size)

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
# step (*per step*) or once per sequence (*per sequence*, "locked"). The seven recipes of
# this chapter (`seqdrop.experiments.variants`), at the chapter's rate $p$; the recipes that add a
# recurrent-site method (Semeniuta, weight drop, zoneout) put it on top of Zaremba's
# masks, so that comparing each with `zaremba` isolates what that site adds:

# %%
rates, scopes = site_matrix(p, "lstm")
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
# We measure this with the reference cell (`seqdrop.course.memory_loss.memory_curve`): a random
# LSTM whose forget gate is biased towards keeping, a random initial memory $c_0$ and
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
claims.add(
    at_k["state per step"] < 0.05,
    f"A fresh mask on $c_t$ erases the memory: after {k} steps a linear read-out "
    f"recovers $R^2$ = {at_k['state per step']:.3f} of $c_0$ (no dropout: "
    f"{at_k['none']:.2f}).",
)
kept = min(at_k["update per step"], at_k["recurrent per sequence"]) / at_k["none"]
claims.add(
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
# ## 3. Seven recipes on Penn Treebank
#
# Word-level PTB has a 10,000-word vocabulary, so most of the model (and of the CPU time)
# is the embedding and the decoder. To see overfitting within the course budget we train
# on the first `train_tokens` words only, for `epochs` passes, with Zaremba's optimiser
# (SGD at lr 1 on the loss summed over a 35-step window, clip 5, lr halved every epoch
# after `decay_start`). Each epoch we score the validation words and, with dropout off,
# the first `valid_tokens` words of the training slice (`train_eval_ppl`). One sweep
# trains every recipe on every seed; a seed fixes the initialisation, the data order and
# the masks, so recipes are paired by seed.

# %%
main = sweep(lm_recipe, {"recipe": list(RECIPES), "p": p, **common}, seeds=seeds,
             scheduler=scheduler, name="03_lstm_variants", progress=False)
trials, history = main.trials, main.history
assert (trials["status"] == "ok").all(), trials.loc[trials["status"] != "ok", "error"]
order = trials.groupby("recipe")["val_ppl"].mean().sort_values().index.tolist()

fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.lineplot(data=history, x="epoch", y="val_ppl", hue="recipe", hue_order=order,
             errorbar=("ci", 95), ax=ax)
ax.set(yscale="log", ylabel="validation perplexity",
       title=f"2×{hidden_size} LSTM, {train_tokens:,} PTB words, p = {p:g}, "
             f"{n_seeds} seeds")
ax.legend(fontsize=8, ncol=2)
savefig(fig, "03_validation_curves")
plt.show()

# %% [markdown]
# The curves are means over seeds with 95% intervals. The comparison that matters is the
# best epoch of each run, paired by seed: the difference of each recipe to no dropout, and
# of each recurrent-site recipe to Zaremba's (on which it is built).

# %%
vs_none = recipe_differences(trials, "val_ppl", "none", order)
vs_zaremba = recipe_differences(trials, "val_ppl", "zaremba", order)
vs_zaremba = vs_zaremba[vs_zaremba["a"].isin(["semeniuta", "weight_drop", "zoneout"])]
pd.concat([vs_none, vs_zaremba], ignore_index=True)

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(data=trials, y="recipe", x="val_ppl", order=order, errorbar=("ci", 95),
              linestyle="none", ax=ax)
ax.set(xlabel="best validation perplexity (mean, 95% CI)", ylabel="",
       title=f"p = {p:g}, {n_seeds} seeds")
savefig(fig, "03_best_val_ppl")
plt.show()

# %%
beats = vs_none[vs_none["ci_high"] < 0]["a"].tolist()
worse = vs_none[vs_none["ci_low"] > 0]["a"].tolist()
noise = vs_none[~vs_none["significant"]]["a"].tolist()
best_two = [r for r in order if r != "none"][:2]
gains = variant_gains(trials, "val_ppl", variants=order)
record_variant_gains(gains, chapter="03", data="ptb-word", cell="lstm", task="lm",
                     metric="val_ppl", what=f"an LSTM language model ({train_tokens:,} "
                     "PTB words), best validation perplexity")
none_runs = trials[trials["recipe"] == "none"]
turn = mean_ci(none_runs["final_val_ppl"] - none_runs["val_ppl"])
record("none_turn_up", turn[0])
claims.add(
    bool((none_runs["final_val_ppl"] > none_runs["val_ppl"]).all()),
    f"Without dropout the model overfits within the budget: on every seed its "
    f"validation perplexity turns up before the last epoch, which ends "
    f"{turn[0]:.0f} [{turn[1]:.0f}, {turn[2]:.0f}] above the best one (mean over seeds, "
    "95% CI).",
)
zaremba_row = vs_none.set_index("a").loc["zaremba"]
claims.add(
    excludes_zero(zaremba_row) and zaremba_row["mean"] < 0,
    f"Zaremba's recipe lowers the best validation perplexity: "
    f"{interval(zaremba_row, 0)} against no dropout, paired over {n_seeds} seeds "
    "(the interval excludes zero).",
)
record_finding("lstm_ptb_zaremba_minus_none_val_ppl", zaremba_row["mean"],
               zaremba_row["ci_low"], zaremba_row["ci_high"], n_seeds=n_seeds,
               claim=claims.sentences[-1], source="03, best validation perplexity")
record_finding("lstm_ptb_none_turn_up", *turn[:3], n_seeds=int(turn[3]),
               claim=claims.sentences[-2], source="03, last − best epoch, no dropout")
claims.add(
    True,  # a reading of the table above, whatever it says
    f"At p = {p:g}, {len(beats)} of the {len(RECIPES) - 1} recipes have a lower "
    "validation perplexity than no dropout with the paired interval below zero"
    + (f" ({', '.join(beats)})" if beats else "") + "; "
    + (f"within noise: {', '.join(noise)}" if noise else "none is within noise")
    + (f"; worse: {', '.join(worse)}." if worse else "."),
)
display(Markdown(claims.markdown()))

# %% [markdown]
# ## 4. The generalisation gap
#
# Dropout trades fit for generalisation. The gap between validation perplexity and the
# perplexity of the same model on its own training words (dropout off), at the best
# epoch, measures how much of what a model learned does not transfer.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(data=trials, y="recipe", x="gap", order=order, errorbar=("ci", 95),
              linestyle="none", ax=ax)
ax.set(xlabel="validation − training perplexity at the best epoch",
       ylabel="", title="generalisation gap (mean, 95% CI)")
savefig(fig, "03_gap")
plt.show()

# %%
gap_vs_none = recipe_differences(trials, "gap", "none", order)
narrower = gap_vs_none[gap_vs_none["ci_high"] < 0]["a"].tolist()
gap_none = mean_ci(trials.loc[trials["recipe"] == "none", "gap"])
record("gap_none", gap_none[0])
claims.add(
    True,  # a reading of the table below
    f"No dropout has a gap of {gap_none[0]:.0f} [{gap_none[1]:.0f}, {gap_none[2]:.0f}] "
    f"perplexity points; {len(narrower)} of the {len(RECIPES) - 1} recipes narrow it "
    "with the paired interval below zero"
    + (f" ({', '.join(narrower)})." if narrower else "."),
)
display(Markdown(claims.sentences[-1]))
gap_vs_none

# %% [markdown]
# ## 5. The rate of the two best recipes
#
# One rate for every recipe is not a fair contest: a recipe with more sites may want a
# lower rate. We sweep the rate of the two recipes with the lowest mean validation
# perplexity above (the rate $p$ of the main comparison is reused, same seeds).

# %%
rate_sweep = sweep(lm_recipe, {"recipe": best_two, "p": sorted(sweep_rates), **common},
                   seeds=seeds, scheduler=scheduler, name="03_lstm_variants",
                   progress=False).trials
rate_table = pd.concat([trials[trials["recipe"].isin(best_two)], rate_sweep],
                       ignore_index=True)
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(data=rate_table, x="p", y="val_ppl", hue="recipe", native_scale=True,
              errorbar=("ci", 95), dodge=0.02, ax=ax)
ax.set(xlabel="rate p", ylabel="best validation perplexity",
       title=f"rate sweep, {n_seeds} seeds (mean, 95% CI)")
savefig(fig, "03_rate_sweep")
plt.show()

# %%
best_rate = rate_table.groupby(["recipe", "p"])["val_ppl"].mean().groupby(
    "recipe").idxmin().map(lambda key: key[1])
rate_rows = []
for r in best_two:
    one = rate_table[rate_table["recipe"] == r]
    for q in sorted(sweep_rates):
        row = paired_difference(one, "val_ppl", by="p", a=q, b=p, within=[])
        rate_rows.append(row.assign(recipe=r))
columns = ["recipe", "a", "b", "mean", "ci_low", "ci_high", "significant"]
rate_diff = pd.concat(rate_rows, ignore_index=True)[columns]
for r in best_two:
    record(f"best_rate_{r}", float(best_rate[r]))
    rows = rate_diff[rate_diff["recipe"] == r].iterrows()
    claims.add(True, f"{r}: the lowest mean validation perplexity of the sweep is at "
               f"p = {best_rate[r]:g}; against p = {p:g}: " + "; ".join(
                   f"p = {row['a']:g}: {interval(row, 1)} "
                   f"({'a difference' if row['significant'] else 'within noise'})"
                   for _, row in rows) + ".")
display(Markdown(claims.markdown()))
rate_diff

# %% [markdown]
# ## What we found

# %%
summary = trials.groupby("recipe").agg(val_ppl=("val_ppl", "mean"), gap=("gap", "mean"),
                                       best_epoch=("best_epoch", "mean")).loc[order]
summary["val_ppl − none [95% CI]"] = [
    "–" if r == "none" else interval(vs_none.set_index("a").loc[r], 1) for r in order]
summary["best rate (sweep)"] = [f"{best_rate[r]:g}" if r in best_rate else ""
                                for r in order]
display(summary.round(1))
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we wrote each published recipe as mask sites in the LSTM equations,
# measured why the cell state is the one site no recipe drops, and compared the recipes on
# a small PTB slice where the LSTM overfits. The numbers above are for a tiny model on 1%
# of PTB trained for a few epochs: they say which recipes regularise at all and by how
# much relative to each other here, not what they reach at full scale, where Zaremba's
# medium model reaches 82.7 test perplexity and Gal's 79.7
# {cite}`zaremba2014recurrent,gal2016theoretically` (the paper profile reruns both
# settings). Chapter 04 asks the same questions of the
# GRU, which has no separate memory cell.

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
# 1. **Predict, then run.** Set `train_tokens = 48_000` (four times the data). Which
#    recipes' advantage over no dropout do you expect to shrink, and why? Run it (about 4×
#    the time) and compare the paired intervals.
#
#    ```{admonition} Hint
#    :class: dropdown
#    More data is itself a regulariser. The gap of no dropout shrinks, so every recipe's
#    benefit shrinks; recipes that only act through the embedding/decoder sites lose the
#    most, since rare words are seen more often.
#    ```
#
# 2. **A recipe of your own.** Add Moon et al.'s "RNNDrop" (one mask per sequence on
#    $c_t$) to `seqdrop.course.memory_loss.memory_curve` as a site and measure its memory curve.
#    Does a *fixed* mask on $c_t$ erase memory like a fresh one?
#
#    ```{admonition} Hint
#    :class: dropdown
#    With a fixed mask the same units are zeroed at every step, so the dropped units never
#    hold anything and the kept ones are rescaled by $1/(1-p)$ at *every* step. Look at the
#    size of $c_t$ as well as at $R^2$.
#    ```
#
# 3. **Question a claim.** Section 3 compares all recipes at one rate $p$. Using section
#    5's sweep, is the ranking of the two best recipes the same at every rate? What would
#    a fair comparison of all seven need, and what would it cost?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Compare `rate_table` grouped by `p`. A fair contest tunes each recipe's rate on the
#    validation split and reports the test split: seven recipes × rates × seeds trainings.
#    ```
#
# 4. **Per step or per sequence.** Change the Semeniuta recipe to draw its update mask
#    once per sequence (`update_dropout_per_step=False` in `seqdrop.experiments.variants.recipe`).
#    Does the validation perplexity change beyond the paired interval?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Semeniuta et al. report both work for the update site: the memory is safe either way,
#    because the mask never touches $c_{t-1}$.
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
