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
# # 02 · Vanilla RNN: where can dropout go, and why does naive recurrent dropout fail?
#
# A recurrent network applies the same cell at every time step, so a dropout mask can be
# placed at several *sites* (the input, between layers, the output, the recurrent
# connection $h_{t-1}$, the recurrent weights $W_{hh}$), and at each site it can be drawn
# afresh at every step or once per sequence. The source article of this course says that
# dropout "can be added to RNN, LSTM and GRU layers" without saying where; this chapter
# shows the sites on the plain Elman cell {cite}`elman1990finding`, measures why a fresh mask
# on $h_{t-1}$ at every step erases memory {cite}`bayer2013fast,zaremba2014recurrent`
# while a per-sequence mask does not {cite}`gal2016theoretically`, and compares the published
# placements on a task with long dependencies (MNIST read one row per step), over seeds.
#
# **Learning goals.** After this chapter you can
#
# - write the Elman cell with every mask site, and name the sites;
# - explain the difference between a per-step and a per-sequence mask, and measure how much
#   stored information each one erases over time;
# - run and read a comparison of dropout placements with paired confidence intervals;
# - choose where to put dropout in a vanilla RNN.
#
# **Prerequisites and run time.** Chapters 00 and 01. Run time, in CPU seconds with one
# thread per worker on a shared 2-core machine: smoke about 12 CPU-s; course profile (the
# defaults: 6 variants × 3 seeds of a 2-layer tanh RNN with 64 units, 4.4–5.4 CPU-s per
# training, plus the noise measurements) about 100 CPU-s, i.e. about 1 minute on 2 idle
# cores with two workers; paper profile (`params/paper.yaml`: more seeds, data and
# epochs) about 20 minutes on 8 cores, CPU is enough (an estimate).

# %% tags=["parameters"]
p = 0.2  # drop probability at every masked site
hidden = 64  # units per recurrent layer (two layers)
train_size = 500  # MNIST training images (500 validate, test_size test)
test_size = 500  # MNIST test images
epochs = 20  # passes over the training set (Adam lr 1e-3, batch 25, clip 1)
variants = ["none", "between", "locked", "recurrent_step", "gal", "weight_drop"]
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per variant (and networks per noise measurement: 2 × n_seeds)
n_masks = 50  # masks per input in the noise measurement
scheduler = None  # None: a local Dask cluster; "serial"; or tcp://host:8786
interactive = None  # mask viewer: None -> sliders in JupyterLab, else a figure
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.experiments.mask_sites import VARIANTS
from seqdrop.course import (
    ParameterError,
    check_bool,
    check_choice,
    check_int,
    check_probability,
    check_scheduler,
)

p = check_probability("p", p)
if p == 0.0:
    raise ParameterError("parameter 'p' = 0.0 is outside the allowed range (0, 1)")
hidden = check_int("hidden", hidden, 2, 4096)
train_size = check_int("train_size", train_size, 100, 4000)
test_size = check_int("test_size", test_size, 100, 4500 - train_size)
epochs = check_int("epochs", epochs, 1, 10_000)
if not isinstance(variants, list) or "none" not in variants:
    raise ParameterError(
        f"parameter 'variants' = {variants!r} must be a list holding 'none'"
    )
variants = [check_choice(f"variants[{i}]", v, VARIANTS) for i, v in enumerate(variants)]
base_seed = check_int("base_seed", base_seed, 0, 2**31 - 1)
n_seeds = check_int("n_seeds", n_seeds, 2, 100)
n_masks = check_int("n_masks", n_masks, 2, 10_000)
scheduler = check_scheduler("scheduler", scheduler)
if interactive is not None:
    interactive = check_bool("interactive", interactive)
check_claims = check_bool("check_claims", check_claims)

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display

import seqdrop
from seqdrop.course import record_finding, setup_figures
from seqdrop.experiments.evidence import Claims, excludes_zero, interval, mean_interval
from seqdrop.experiments.variant_gains import record_variant_gains, variant_gains
from seqdrop.experiments.mask_sites import (draw_mask_sites, mask_viewer, plot_masks,
                                            sample_masks)
from seqdrop.nn.reference import recurrence, rnn_cell
from seqdrop.course.regularizers import mnist_subset
from seqdrop.course.elman_masks import (latch_retention, state_deviation,
                                              train_rnn_variant)
from seqdrop.sweep import mean_ci, paired_difference, sweep

torch.set_num_threads(1)
setup_figures()  # the course style: seaborn theme, 100 dpi
pd.set_option("display.precision", 4)
claims = Claims(check=check_claims)
seeds = list(range(base_seed, base_seed + n_seeds))

# %% [markdown]
# ## 1. The Elman cell, and where a mask can act
#
# One layer of a vanilla (Elman) RNN reads $x_t$ and its previous state $h_{t-1}$:
#
# $$
# h_t = \tanh\big(W_{ih}\,(\textcolor{C0}{m^x} \odot x_t) + b_{ih}
#       + (\textcolor{C4}{M^W} \odot W_{hh})\,(\textcolor{C3}{m^h} \odot h_{t-1}) + b_{hh}\big).
# $$
#
# $m^x$ masks the layer's input (for layer 2: the *between-layer* site), $m^h$ the recurrent
# connection, $M^W$ the recurrent weights (DropConnect, "weight drop"); a last mask on
# $h_T$ before the classifier is the *output* site. `seqdrop.nn.reference.rnn_cell` is this
# equation in three lines of autograd; it computes what `torch.nn.RNN` computes:

# %%
torch.manual_seed(base_seed)
rnn = torch.nn.RNN(28, hidden)
x = torch.rand(28, 4, 28)  # (time, batch, features): 4 images, one row per step
weights = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0]
h1 = rnn_cell(x[0], torch.zeros(4, hidden), *weights)
out, h_T, _ = recurrence("rnn_tanh", x, torch.zeros(4, hidden), weights)
with torch.no_grad():
    assert torch.allclose(out, rnn(x)[0], atol=1e-5), "reference = torch.nn.RNN"
print(f"one step: h_1 {tuple(h1.shape)}; whole sequence: outputs {tuple(out.shape)}")

# %% [markdown]
# The sites on an unrolled two-layer network, and the six placements this chapter compares
# (the same rate $p$ at every masked site):

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.4))
draw_mask_sites(ax)
fig.tight_layout()
seqdrop.savefig(fig, "02_mask_sites")
plt.show()
pd.DataFrame(
    [
        {
            "variant": k,
            "sites": ", ".join(v.sites) or "–",
            "fresh mask every step at": ", ".join(v.per_step) or "–",
            "after": v.reference or "–",
        }
        for k, v in VARIANTS.items()
    ]
).set_index("variant")

# %% [markdown]
# ## 2. Per step or per sequence: what the masks look like
#
# A per-step mask is a fresh draw at every $t$; a per-sequence (*locked*, *variational*)
# mask is drawn once and reused, so the same units are missing for the whole sequence. The
# viewer shows one image's masks, units against time steps (black = kept). In JupyterLab it
# has sliders for $p$, the variant and the seed; under papermill and in the book it draws a
# static figure.

# %%
viewer = mask_viewer(
    p=p, variant="recurrent_step", seed=base_seed, hidden=32, interactive=interactive
)
if isinstance(viewer, plt.Figure):
    plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(6.5, 2.6), sharey=True)
for ax, name in zip(axes, ("recurrent_step", "gal")):
    masks = sample_masks(
        name,
        p,
        steps=28,
        batch=1,
        input_size=28,
        hidden=32,
        generator=torch.Generator().manual_seed(base_seed),
    )
    plot_masks({"recurrent": masks["recurrent"]}, units=32, axes=[ax])
    ax.set_title(VARIANTS[name].label, fontsize=10)
fig.suptitle(f"recurrent masks of layer 1, p = {p:g} (black = kept)", fontsize=10)
fig.tight_layout()
seqdrop.savefig(fig, "02_masks_over_time")
plt.show()

# %% [markdown]
# ## 3. Why a fresh recurrent mask at every step erases memory
#
# An RNN stores information in its state and carries it through $W_{hh}$ from step to step.
# Take the simplest memory: units that hold a sign on a self-loop,
# $h_t = \tanh(g\, m_t \odot h_{t-1})$ with $g = 2$ (each unit has two stable states
# $\pm h^\*$). A dropped unit is set to 0, and 0 is a fixed point: its bit is gone. With a
# per-step mask a unit survives $t$ steps only if it was kept at every step, probability
# $(1-p)^t$; with a per-sequence mask the same $p$ share is dropped once and the rest keep
# their bit for ever. We measure the share of stored bits still held, over `2 × n_seeds`
# draws of 1,000 units.

# %%
T = 28
runs = []
for k in range(2 * n_seeds):
    for per_step in (True, False):
        g = torch.Generator().manual_seed(base_seed * 1000 + k)
        df = latch_retention(p, T, per_step=per_step, generator=g)
        runs.append(df.assign(mask="per step" if per_step else "per sequence", draw=k))
latch = pd.concat(runs, ignore_index=True)

fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.lineplot(data=latch, x="t", y="retention", hue="mask", errorbar=("ci", 95), ax=ax)
tt = np.arange(T + 1)
ax.plot(tt, (1 - p) ** tt, "k:", lw=1, label=r"$(1-p)^t$")
ax.axhline(1 - p, color="k", ls="--", lw=1, label=r"$1-p$")
ax.set(
    xlabel="time step t",
    ylabel="share of stored bits still held",
    title=f"self-loop memory units, p = {p:g}",
)
ax.legend()
fig.tight_layout()
seqdrop.savefig(fig, "02_latch_retention")
plt.show()

# %%
end = latch[latch["t"] == T].pivot(index="draw", columns="mask", values="retention")
step_T, seq_T = mean_ci(end["per step"].to_numpy()), mean_ci(
    end["per sequence"].to_numpy()
)
claims.add(
    step_T[2] < 0.05 and abs(seq_T[0] - (1 - p)) < 0.05,
    f"After {T} steps a per-step recurrent mask leaves {step_T[0]:.1%} of the "
    "stored bits "
    f"(theory (1−p)^T = {(1 - p) ** T:.1%}); a per-sequence mask keeps {seq_T[0]:.1%} "
    f"(theory 1−p = {1 - p:.0%}).",
)
for name, (m, lo, hi, n) in (("per_step", step_T), ("per_sequence", seq_T)):
    record_finding(f"rnn_latch_retention_{name}", m, lo, hi, n_seeds=int(n),
                   claim=claims.sentences[-1], source="02, self-loop memory units")
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# Real networks do not store bits in single self-looping units only; they also spread
# them over many units. In a tanh RNN with a random orthogonal $W_{hh}$, driven by MNIST
# rows, we measure how far the masked state is from the dropout-free one,
# $\mathbb E\|h_t - \bar h_t\|^2 / \|\bar h_t\|^2$, over `n_masks` masks per image:

# %%
images = mnist_subset(train_size).valid.x[:16].transpose(0, 1)  # (28, 16, 28)
rows = []
for k in range(2 * n_seeds):
    torch.manual_seed(base_seed * 1000 + k)
    net = torch.nn.RNN(28, hidden)
    torch.nn.init.orthogonal_(net.weight_hh_l0)
    for per_step in (True, False):
        g = torch.Generator().manual_seed(base_seed * 1000 + k)
        df = state_deviation(
            net, images, p, n_masks=n_masks, per_step=per_step, generator=g
        )
        rows.append(df.assign(mask="per step" if per_step else "per sequence", net=k))
deviation = pd.concat(rows, ignore_index=True)

fig, ax = plt.subplots(figsize=(6.5, 3.4))
sns.lineplot(
    data=deviation, x="t", y="deviation", hue="mask", errorbar=("ci", 95), ax=ax
)
ax.set(
    xlabel="time step t",
    ylabel=r"$\|h_t-\bar h_t\|^2 / \|\bar h_t\|^2$",
    title=f"distributed state, random orthogonal $W_{{hh}}$, p = {p:g}",
)
fig.tight_layout()
seqdrop.savefig(fig, "02_state_deviation")
plt.show()

# %%
last = deviation[deviation["t"] == T].pivot(
    index="net", columns="mask", values="deviation"
)
dev_diff = dict(
    zip(
        ("mean", "ci_low", "ci_high", "n"),
        mean_ci((last["per step"] - last["per sequence"]).to_numpy()),
    )
)
dev_step = mean_ci(last["per step"].to_numpy())
rel = abs(dev_diff["mean"]) / dev_step[0]
claims.add(
    rel < 0.2,
    "In the random network both masks move the state equally far: at "
    f"t = {T} the relative deviation is {dev_step[0]:.2f} per step and the "
    "per-step − per-sequence difference "
    f"is {interval(dev_diff, 3)}, within {rel:.0%} of it.",
)
record_finding("rnn_state_deviation_step_minus_sequence", dev_diff["mean"],
               dev_diff["ci_low"], dev_diff["ci_high"], n_seeds=int(dev_diff["n"]),
               claim=claims.sentences[-1], source="02, random orthogonal RNN")
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# So the *amount* of noise is not what separates the two masks: in a random network both
# disturb the state about equally. What differs is what the noise does to stored
# information. A per-sequence mask removes the same units for the whole sequence: the
# network is a fixed, thinned network, one member of the ensemble of chapter 00, and it
# can learn to keep its memory in units that survive. A per-step mask hits every stored
# value again at every step, so anything kept in particular units decays like
# $(1-p)^t$ {cite}`bayer2013fast`. Which matters more in a trained network is an empirical
# question; the next section asks it.
#
# ## 4. The placements compared: a 2-layer tanh RNN on MNIST rows
#
# Each image is read one row per step (28 steps of 28 pixels); the class is predicted from
# the last state of layer 2, so the network must carry information across all 28 steps.
# `train_size` training images, 500 for validation, `test_size` for testing; Adam, gradient
# clipping at 1. The sweep trains every variant at rate $p$ on `n_seeds` seeds (same
# initialisation and data order per seed, so differences are paired).

# %%
grid = [
    {"variant": ["none"], "p": [0.0]},
    {"variant": [v for v in variants if v != "none"], "p": [p]},
]
common = {
    "hidden": [hidden],
    "train_size": [train_size],
    "test_size": [test_size],
    "epochs": [epochs],
}
res = sweep(
    train_rnn_variant,
    [g | common for g in grid],
    seeds=seeds,
    scheduler=scheduler,
    name="02_vanilla_rnn",
    progress=False,
)
trials, history = res.trials, res.history
trials["gap"] = trials["train_acc"] - trials["test_acc"]
print(f"{len(trials)} trainings, {len(res.failed)} failed")
trials.groupby("variant")[["train_acc", "val_acc", "test_acc", "gap"]].mean().loc[
    variants
]

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
sns.lineplot(
    data=history,
    x="epoch",
    y="val_acc",
    hue="variant",
    hue_order=variants,
    errorbar=("ci", 95),
    ax=ax,
)
ax.set(
    ylabel="validation accuracy",
    title=f"tanh RNN on MNIST rows, p = {p:g}, " f"{n_seeds} seeds",
)
ax.legend(fontsize=9, ncol=2)
fig.tight_layout()
seqdrop.savefig(fig, "02_validation_curves")
plt.show()

# %%
curve_none = history[history["variant"] == "none"].groupby("epoch")["val_acc"].mean()
claims.add(
    curve_none.iloc[-1] > curve_none.iloc[len(curve_none) // 2 - 1],
    f"Without dropout, validation accuracy is still rising: "
    f"{curve_none.iloc[len(curve_none) // 2 - 1]:.3f} at epoch {len(curve_none) // 2}, "
    f"{curve_none.iloc[-1]:.3f} at epoch {len(curve_none)}.",
)
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# At this budget the plain RNN is still learning (its validation accuracy is still
# rising), so the comparison below measures what each placement does while the network
# learns, not how it fights overfitting; exercise 4 doubles the budget to look for the
# point where the no-dropout network starts to overfit.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(
    data=trials,
    y="variant",
    x="test_acc",
    order=variants,
    errorbar=("ci", 95),
    linestyle="none",
    ax=ax,
    label="test",
)
sns.pointplot(
    data=trials,
    y="variant",
    x="train_acc",
    order=variants,
    errorbar=("ci", 95),
    linestyle="none",
    ax=ax,
    color="C1",
    markers="s",
    label="train (with masks)",
)
ax.set(xlabel="accuracy after the last epoch", ylabel="")
ax.legend(fontsize=9)
fig.tight_layout()
seqdrop.savefig(fig, "02_accuracy")
plt.show()

# %% [markdown]
# Paired differences of test accuracy (same seed), for the contrasts that isolate one
# choice: each variant against no dropout; per step against per sequence at the same
# sites (between layers; recurrent); and adding a recurrent mask or weight drop to the
# locked baseline.

# %%
contrasts = [(v, "none") for v in variants if v != "none"] + [
    (a, b)
    for a, b in (
        ("recurrent_step", "gal"),
        ("between", "locked"),
        ("gal", "locked"),
        ("weight_drop", "locked"),
        ("recurrent_step", "locked"),
    )
    if a in variants and b in variants
]
table = pd.concat(
    [
        paired_difference(trials, "test_acc", by="variant", a=a, b=b, within=[])
        for a, b in contrasts
    ],
    ignore_index=True,
)
table[["a", "b", "mean", "ci_low", "ci_high", "significant"]]


# %%
def contrast(a: str, b: str) -> pd.Series:
    return table[(table["a"] == a) & (table["b"] == b)].iloc[0]


def verdict(row: pd.Series, better: str, worse: str) -> str:
    if not excludes_zero(row):
        return "within noise"
    return better if row["mean"] > 0 else worse


sentences = []
for a, b in contrasts:
    row = contrast(a, b)
    sentences.append(
        f"{VARIANTS[a].label} − {VARIANTS[b].label}: "
        f"{interval(row, 2, scale=100, unit=' pt')} ({verdict(row, 'better', 'worse')})"
    )
    claims.add(True, sentences[-1])
display(Markdown("\n".join(f"- {s}" for s in sentences)))

# %%
fit = pd.concat(
    [paired_difference(trials, "train_acc", by="variant", a=v, b="none", within=[])
     for v in variants if v != "none"], ignore_index=True)
gaps = {v: mean_ci(trials[trials["variant"] == v]["gap"].to_numpy())[0] for v in variants}
fit_sentence = "Training accuracy (masks on) against no dropout: " + "; ".join(
    f"{VARIANTS[r['a']].label} {interval(r, 1, scale=100, unit=' pt')}"
    f" ({verdict(r, 'higher', 'lower')})" for _, r in fit.iterrows())
claims.add(True, fit_sentence + ".")
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# The same comparison as each variant's relative change of test accuracy over no dropout,
# in % (positive: better), recorded for the summary chapter's cross-chapter figure:

# %%
gains = variant_gains(trials, "test_acc", by="variant", variants=variants,
                      lower_is_better=False)
record_variant_gains(gains, chapter="02", data="mnist-rows", cell="rnn",
                     task="classification", metric="test_acc",
                     what=f"MNIST rows (2-layer tanh RNN, {train_size} images), "
                     "test accuracy", names={"between": "zaremba",
                                            "recurrent_step": "per_step"})
gains

# %% [markdown]
# ## What we found

# %%
summary = trials.groupby("variant")["test_acc"].apply(mean_interval, digits=1, scale=100)
found = pd.DataFrame(
    {
        "scheme": {k: VARIANTS[k].label for k in variants},
        "test accuracy, % (95% CI)": summary,
        "train − test accuracy": pd.Series(gaps).round(3),
    }
).loc[variants]
seqdrop.record("latch_retention_per_step", step_T[0])
seqdrop.record("latch_retention_per_sequence", seq_T[0])
display(found)
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we
#
# * wrote the Elman cell with its five mask sites and checked it against `torch.nn.RNN`;
# * measured that a fresh recurrent mask at every step erases information held in
#   particular units like $(1-p)^t$, while a per-sequence mask removes a fixed share once,
#   and that in a random network both masks disturb the state by the same amount;
# * compared six published placements on a task that needs 28 steps of memory, with
#   paired intervals over seeds, in a regime where the plain RNN is still learning.
#
# With few seeds and a small budget, many of the differences are within noise: the
# intervals say which ones are not. Chapter 03 asks the same question for the LSTM, whose
# cell state gives memory a protected path, and where the published variants differ most.
#
# ## Exercises
#
# 1. **Predict, then run.** Set `p = 0.5`. Predict the latch retention after 28 steps for
#    both masks, and which variants lose the most test accuracy; then run it.
#
# ```{admonition} Hint
# :class: dropdown
# (1 − 0.5)^28 ≈ 4·10⁻⁹ against 0.5. Variants that mask the recurrent
# connection per step suffer first.
# ```
#
# 2. **Extend the code.** Add a variant `"input"` that masks $x_t$ per sequence (the
#    `input` site of `seqdrop.experiments.mask_sites`) to `VARIANTS`, and compare it with `locked`.
#
# ```{admonition} Hint
# :class: dropdown
# `Variant("input, per sequence", ("input",))`; `ElmanClassifier.masked_states` must then
# multiply `x` by `masks["input"]` before layer 1.
# ```
#
# 3. **Question a claim.** Section 3 says the two masks disturb a random network's state
#    equally. Repeat the measurement with a *trained* network (train `none` with
#    `train_rnn_variant` and keep the model): does the equality still hold?
#
# ```{admonition} Hint
# :class: dropdown
# `ElmanClassifier.rnn` is a `torch.nn.RNN`; `state_deviation(model.rnn, images, p, ...)`
# measures its first layer. Trained networks concentrate memory in fewer directions.
# ```
#
# 4. **Budget.** Double `epochs`. Does the no-dropout network start to overfit (validation
#    accuracy turning down), and does the ranking of the variants change?
#
# ```{admonition} Hint
# :class: dropdown
# Watch `history` for `variant == "none"`: the epoch of its best validation accuracy is
# the `es_epoch` column of `trials`.
# ```
#
# ## References
#
# - {cite:t}`elman1990finding`: the simple recurrent network.
# - {cite:t}`bayer2013fast`: recurrent dropout noise amplified over time steps.
# - {cite:t}`zaremba2014recurrent`: dropout on non-recurrent connections only, per step.
# - {cite:t}`gal2016theoretically`: per-sequence (variational) masks, recurrent included.
# - {cite:t}`merity2018regularizing`: weight drop (DropConnect on $W_{hh}$,
#   {cite:t}`wan2013regularization`).
# - {cite:t}`lecun1998gradient`: the MNIST digits.
