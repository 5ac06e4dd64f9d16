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
# # 00 · What does dropout actually compute?
#
# The suite starts from a Chinese blog article on dropout in RNN, LSTM and GRU models
# (its text is in the project's `shared/seed/` folder). Its formula multiplies every activation by "the dropout
# probability" $p_j$:
#
# $$
# h_i^{(l+1)} = \sigma\Big(\sum_{j=1}^{n_l} W_{ij}^{(l+1)}\, h_j^{(l)}\, p_j^{(l)}\Big).
# $$
#
# That is not dropout: it has no randomness in it. This chapter builds the real operation
# from scratch (a Bernoulli keep-mask with inverted scaling $1/(1-p)$, or weight scaling at
# test time {cite}`srivastava2014dropout`), compares it with `torch.nn.Dropout`, measures the
# noise it injects, and asks what the one-pass test-time network is with respect to the
# $2^n$ sub-networks that dropout trains, measured over several seeds.
#
# **Learning goals.** After this chapter you can
#
# - write dropout from scratch and explain every factor in it ($r$, $1-p$, $1/(1-p)$);
# - explain what `model.train()` and `model.eval()` switch, and measure what forgetting
#   `eval()` does to predictions;
# - compute the relative noise dropout adds, $\operatorname{Var}/\text{mean}^2 = p/(1-p)$;
# - distinguish weight scaling, the geometric mean and the arithmetic (Monte-Carlo) mean of
#   the sub-networks, and say when weight scaling is exact.
#
# **Prerequisites and run time.** Python, PyTorch tensors and a first neural-network course.
# Run time, measured in CPU seconds with one thread per trial on a shared 2-core machine
# (wall time there says nothing): smoke profile about 11 CPU-s; course profile (the
# defaults) about 60 CPU-s, i.e. about 1 minute on 2 idle cores; paper profile
# (`params/paper.yaml`: larger net, more masks and seeds) a few minutes on one CPU core
# per worker, no GPU needed (an estimate).

# %% tags=["parameters"]
p = 0.5  # dropout (drop) probability used throughout, in (0, 1)
n_units = 128  # hidden units of the MLP / size of the toy activation vector
n_masks = 1000  # Monte-Carlo masks: moment estimates and the ensemble averages
base_seed = 0  # first seed; the sweep uses base_seed, ..., base_seed + n_seeds - 1
n_seeds = 5  # independent trainings per configuration (confidence intervals)
train_steps = 1500  # Adam steps for the digits MLP
lr = 3e-3  # Adam learning rate
batch_size = 64  # minibatch size
scheduler = None  # None: a local Dask cluster; "serial"; or tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (check_bool, check_float, check_int,
                            check_scheduler)

p = check_float("p", p, 0.0, 1.0, low_closed=False, high_closed=False)
n_units = check_int("n_units", n_units, 2, 4096)
n_masks = check_int("n_masks", n_masks, 2, 100_000)
base_seed = check_int("base_seed", base_seed, 0, 2**31 - 1)
n_seeds = check_int("n_seeds", n_seeds, 2, 100)
train_steps = check_int("train_steps", train_steps, 1, 1_000_000)
lr = check_float("lr", lr, 0.0, 1.0, low_closed=False)
batch_size = check_int("batch_size", batch_size, 1, 4096)
scheduler = check_scheduler("scheduler", scheduler)
check_claims = check_bool("check_claims", check_claims)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display
from torch import nn

import seqdrop
from seqdrop.course import record_finding, setup_figures
from seqdrop.dropout import bernoulli_mask, drop_connect, dropout
from seqdrop.course.dropout_moments import (
    analytic_dropout_moments,
    dropout_moments,
    linear_dropout_penalty,
    variance_estimate_rel_se,
)
from seqdrop.experiments.evidence import Claims, excludes_zero, interval
from seqdrop.course.mask_averaging import train_digits_ensemble
from seqdrop.sweep import mean_ci, sweep

torch.set_num_threads(1)
setup_figures()  # the course style: seaborn theme, 100 dpi
pd.set_option("display.precision", 4)
claims = Claims(check=check_claims)
seeds = list(range(base_seed, base_seed + n_seeds))


def new_gen(offset: int) -> torch.Generator:
    """A generator derived from `base_seed`: each section reproduces its numbers."""
    return torch.Generator().manual_seed(base_seed + offset)


# %% [markdown]
# ## 1. The article's formula: deterministic shrinking
#
# Take one layer with a sigmoid, $n$ inputs $h$ and weights $W$. The article multiplies every
# input by $p_j$. Because $p_j$ is a *fixed number*,
#
# $$
# \sigma\Big(\sum_j W_{ij} h_j p\Big) = \sigma\Big(\sum_j (pW_{ij})\, h_j\Big),
# $$
#
# so the formula describes one fixed network whose weights are multiplied by $p$. Running it
# twice gives the same output: no unit is ever dropped and there is no ensemble to average.

# %%
W = torch.randn(4, n_units, generator=new_gen(1)) / math.sqrt(n_units)
h = torch.rand(n_units, generator=new_gen(2)) * 2  # non-negative, like ReLU outputs

article_1 = torch.sigmoid(W @ (h * p))
article_2 = torch.sigmoid(W @ (h * p))
shrunk = torch.sigmoid((p * W) @ h)
g = new_gen(3)
real = torch.stack([torch.sigmoid(W @ dropout(h, p, generator=g)) for _ in range(3)])

assert torch.equal(article_1, article_2), "the article's formula is deterministic"
assert torch.allclose(article_1, shrunk), "... and equals the net with weights times p"
assert real.std(dim=0).min() > 0, "real dropout gives a different output at every call"

pd.DataFrame(
    {
        "no dropout σ(Wh)": torch.sigmoid(W @ h).numpy(),
        "article, call 1": article_1.numpy(),
        "article, call 2": article_2.numpy(),
        f"σ(({p:g}·W) h)": shrunk.numpy(),
        **{f"dropout, call {k + 1}": real[k].numpy() for k in range(3)},
    },
    index=[f"unit {i}" for i in range(4)],
)

# %% [markdown]
# The formula is close to something real, but that thing is the **test-time** network of
# {cite:t}`srivastava2014dropout` (§4), where $p$ is the probability of *retaining* a unit and
# the outgoing weights are scaled by it at test time. With $p$ read as the *dropout*
# probability, even that factor is wrong: it should be $1-p$. The two agree only at
# $p = 0.5$.
#
# ## 2. Dropout from scratch, `nn.Dropout`, and the `train()`/`eval()` switch
#
# For every example and unit draw a keep variable $r_j \sim \mathrm{Bernoulli}(1-p)$ and
# scale the kept units by $1/(1-p)$ (*inverted* dropout), so that the expected output equals
# the input and nothing needs to change at test time:
#
# $$
# \tilde h_j = \frac{r_j}{1-p}\, h_j \ \text{(training)}, \qquad
# \tilde h_j = h_j \ \text{(evaluation)}.
# $$
#
# Three lines of code, written as in d2l's dropout chapter {cite}`zhang2023dive`:


# %%
def dropout_from_scratch(x: torch.Tensor, p: float, generator=None) -> torch.Tensor:
    keep = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)  # r ~ Bern(1-p)
    return keep * x / (1.0 - p)


x = torch.arange(1.0, 9.0).repeat(2, 1)  # two examples of 8 units
ours = dropout_from_scratch(x, p, generator=new_gen(4))
torch.manual_seed(base_seed)
theirs = nn.Dropout(p)(x)  # a fresh module is in training mode
print("from scratch :", ours.numpy().round(2), sep="\n")
print("nn.Dropout   :", theirs.numpy().round(2), sep="\n")

# the same operation: every output is 0 or x / (1 - p)
for out in (ours, theirs):
    assert torch.all((out == 0) | torch.isclose(out, x / (1 - p)))

# %% [markdown]
# The masks differ (different random streams), the operation is the same: every output is
# either $0$ or $x/(1-p)$. A module has two modes. `model.train()` (the default after
# construction) samples masks; `model.eval()` turns dropout into the identity. Forgetting
# `eval()` before testing is the most common dropout bug: the model keeps sampling masks,
# so the same input gets a different prediction at every call.

# %%
layer = nn.Dropout(p)
layer.eval()
assert torch.equal(layer(x), x), "in eval mode dropout is the identity"
layer.train()
torch.manual_seed(base_seed)
ones = torch.ones(10_000)
a, b = layer(ones), layer(ones)
print(
    f"train mode: two calls on the same input agree on {(a == b).float().mean():.1%} "
    "of the outputs"
)

# %% [markdown]
# Section 5 measures what this does to a trained classifier's test predictions.
#
# ## 3. The noise dropout adds
#
# For a fixed input $x$ and $r \sim \mathrm{Bernoulli}(1-p)$:
#
# | | training output | mean | variance | test output |
# |---|---|---|---|---|
# | inverted | $x\,r/(1-p)$ | $x$ | $\dfrac{p}{1-p}\,x^2$ | $x$ |
# | weight scaling | $x\,r$ | $(1-p)\,x$ | $p(1-p)\,x^2$ | $(1-p)\,x$ |
#
# Both keep the training-time mean equal to the test-time output, so dropout adds
# **zero-mean multiplicative noise**. The two conventions differ only by the constant
# $1/(1-p)$, which the next layer's weights absorb, so the noise *relative to the signal* is
# the same in both: $\operatorname{Var}/\text{mean}^2 = p/(1-p)$: 0.25 at $p=0.2$, 1 at
# $p=0.5$, 4 at $p=0.8$, unbounded as $p\to1$. We measure it with `n_masks` masks per unit.

# %%
x = torch.rand(n_units, generator=new_gen(5)) * 2 + 0.25
p_grid = np.round(np.linspace(0.05, 0.9, 18), 3)
rows = []
for i, pg in enumerate(p_grid):
    for mode in ("inverted", "weight_scaling"):
        mean, var = dropout_moments(
            x, float(pg), n_masks, mode=mode, generator=new_gen(100 + i)
        )
        rel = var / mean**2
        rows += [{"p": pg, "mode": mode, "relative variance": float(v)} for v in rel]
noise = pd.DataFrame(rows)

# per p and mode: mean over units of Var/mean², its standard error across units, theory
per_p = (
    noise.groupby(["p", "mode"])["relative variance"].agg(["mean", "sem"]).reset_index()
)
per_p["theory"] = per_p["p"] / (1 - per_p["p"])
per_p["z"] = (per_p["mean"] - per_p["theory"]) / per_p["sem"]
ratio = per_p["mean"] / per_p["theory"]
seqdrop.record("noise_ratio_max_error", float((ratio - 1).abs().max()))
per_p.pivot(index="p", columns="mode", values="mean").iloc[::4]

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
sns.lineplot(
    data=noise,
    x="p",
    y="relative variance",
    hue="mode",
    style="mode",
    markers=True,
    errorbar=("ci", 95),
    ax=ax,
)
pp = np.linspace(0.02, 0.9, 200)
ax.plot(pp, pp / (1 - pp), "k--", lw=1, label=r"$p/(1-p)$")
ax.set(
    yscale="log",
    xlabel="drop probability p",
    ylabel=r"Var / mean$^2$ over masks",
    title=f"relative noise, {n_units} units × {n_masks} masks",
)
ax.legend()
fig.tight_layout()
seqdrop.savefig(fig, "00_relative_noise")
plt.show()

# %%
claims.add(
    bool((per_p["z"].abs() < 4.5).all()),
    f"Measured over {n_masks} masks, the relative noise Var/mean² of both "
    "conventions lies "
    f"on p/(1−p) at every p of the grid: largest deviation "
    f"{per_p['z'].abs().max():.1f} standard errors, "
    f"{(ratio - 1).abs().max():.1%} of p/(1−p).",
)

# %% [markdown]
# The two conventions fall on the same curve, as they must. What grows with $p$ is the
# noise-to-signal ratio, not "the output": at $p=0.5$ the noise is as large as the signal,
# which is why rates above 0.5 are rare for hidden units.
#
# ## 4. The article's six steps are one operation
#
# The article lists six steps for a dropped unit: (1) give each unit a dropout probability,
# (2) sample which units to drop, (3) set the unit's output to 0, (4) set its weights in the
# next layer to 0, (5) set its bias in the next layer to 0, (6) set its input to the next
# layer to 0. Steps 3, 4 and 6 are the same operation written three ways. For the next layer,
#
# $$
# z = W\,(r \odot h) + b = (W \operatorname{diag}(r))\,h + b ,
# $$
#
# so zeroing unit $j$'s output, column $j$ of the next weight matrix (its *outgoing*
# weights), or the next layer's $j$-th input gives the same $z$. Step 5 is wrong: the next
# layer's bias $b_i$ belongs to the *receiving* unit $i$, and dropout leaves it untouched.
#
# The column view links dropout to DropConnect {cite}`wan2013regularization`:
# `drop_connect(W, p, dim=1)` drops whole columns and, with the same random stream, draws
# the same mask as `dropout(h, p)`. One difference remains: dropout draws a mask **per
# example**, a masked weight matrix is shared by the whole minibatch. Sharing one mask
# across examples or time steps is a *different* regularizer; it returns in the recurrent
# chapters (weight drop, locked masks).

# %%
n_out = 5
W2 = torch.randn(n_out, n_units, generator=new_gen(6)) / math.sqrt(n_units)
b2 = torch.randn(n_out, generator=new_gen(7))
r = bernoulli_mask((n_units,), p, generator=new_gen(8))  # 1 = keep (unscaled)

z_outputs = W2 @ (r * h) + b2  # step 3: dropped units output 0
z_weights = (W2 * r[None, :]) @ h + b2  # step 4: their outgoing weights are 0
z_inputs = W2 @ torch.where(r.bool(), h, 0.0) + b2  # step 6: next inputs are 0
z_bias = W2 @ (r * h)  # step 5 as written: the next layer's bias set to 0
assert torch.allclose(z_outputs, z_weights) and torch.allclose(z_outputs, z_inputs)
assert not torch.allclose(z_outputs, z_bias), "zeroing the next bias is not dropout"

z_dropout = W2 @ dropout(h, p, generator=new_gen(9)) + b2
z_dropconnect = drop_connect(W2, p, dim=1, generator=new_gen(9)) @ h + b2
assert torch.allclose(z_dropout, z_dropconnect)

pd.DataFrame(
    {
        "step 3 (outputs)": z_outputs,
        "step 4 (columns)": z_weights,
        "step 6 (inputs)": z_inputs,
        "step 5 (bias := 0)": z_bias,
        "dropout(h)": z_dropout,
        "drop_connect(W)": z_dropconnect,
    },
    index=[f"z_{i}" for i in range(n_out)],
)

# %% [markdown]
# (The first four columns are unscaled, as in the article; the last two use inverted scaling
# and another mask.)
#
# ## 5. Weight scaling, the geometric mean and the arithmetic mean
#
# A network with $n$ droppable units defines $2^n$ thinned sub-networks sharing one set of
# weights. Three ways to predict with them:
#
# * **Weight scaling**: one deterministic pass (the eval-mode network).
# * **Arithmetic mean** of the sub-networks' probabilities,
#   $\bar p(y\mid x) = \mathbb E_r\, p(y\mid x,r)$, estimated from $N$ sampled masks
#   (Monte-Carlo dropout {cite}`gal2016dropout`): $N$ forward passes.
# * **Normalised geometric mean** of their probabilities. For a softmax output,
#   $\prod_r p(y\mid x,r)^{P(r)} \propto \exp \mathbb E_r[z_y(x,r)]$, so it is the softmax
#   of the *mean logits*.
#
# In the article's network (Linear → ReLU → Dropout → Linear) the logits are affine in the
# mask, so $\mathbb E_r[z] = z_{\text{weight scaling}}$ and weight scaling **is exactly** the
# normalised geometric mean of all sub-networks {cite}`hinton2012improving,baldi2013understanding`.
# The arithmetic mean is a different average: by Jensen's inequality it is flatter (less
# confident) than the geometric one, so it does not approach weight scaling however many
# masks we draw. With a second hidden layer, dropout feeds a ReLU and
# $\mathbb E_r[z] \neq z_{\text{weight scaling}}$: weight scaling becomes an approximation
# of the geometric mean too.
#
# We train the article's shape on scikit-learn's 8×8 digits (64-`n_units`-10, and a deeper
# 64-`n_units`-`n_units`-10 with dropout after both hidden layers), with and without dropout,
# over `n_seeds` seeds: a sweep of {depth} × {0, p} × seeds. Each trial also measures the
# two averages over $N = 1, 2, 4, \dots,$ `n_masks` masks. Each class is split 75% train /
# 25% test (nothing is tuned here).

# %%
grid = {
    "p": [0.0, p],
    "depth": [1, 2],
    "hidden": n_units,
    "steps": train_steps,
    "lr": lr,
    "batch_size": batch_size,
    "n_masks": n_masks,
}
res = sweep(
    train_digits_ensemble,
    grid,
    seeds=seeds,
    scheduler=scheduler,
    name="00_dropout_formula",
    progress=False,
)
trials, curves = res.trials, res.history
drop = trials[trials["p"] == p]
print(f"{len(trials)} trainings; {len(res.failed)} failed")
drop.groupby("depth")[
    [
        "ws_acc",
        "arithmetic_acc",
        "geometric_acc",
        "single_mask_acc",
        "arithmetic_gap",
        "geometric_gap",
    ]
].mean()

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.lineplot(
    data=curves[curves["p"] == p],
    x="n_masks",
    y="gap",
    hue="rule",
    style="depth",
    markers=True,
    errorbar=("ci", 95),
    ax=ax,
)
nn_ = np.array(sorted(curves["n_masks"].unique()))
ref = curves.query("p == @p and rule == 'geometric' and depth == 1 and n_masks == 1")
ax.plot(nn_, ref["gap"].mean() / np.sqrt(nn_), "k:", lw=1, label=r"$\propto N^{-1/2}$")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="N (masks averaged)",
    ylabel=r"mean $|p_{\mathrm{rule}} - p_{\mathrm{WS}}|$",
    title="distance to weight scaling (WS), mean and 95% CI over seeds",
)
ax.legend(fontsize=9, ncol=2)
fig.tight_layout()
seqdrop.savefig(fig, "00_geometric_vs_arithmetic")
plt.show()


# %%
def ci_row(values: pd.Series) -> dict:
    """Mean and 95% CI over seeds (values indexed by seed, e.g. paired differences)."""
    m, lo, hi, n = mean_ci(values.dropna().to_numpy())
    return {"mean": m, "ci_low": lo, "ci_high": hi, "n": n}


one = drop[drop["depth"] == 1].set_index("seed")
two = drop[drop["depth"] == 2].set_index("seed")
arith_minus_geo = ci_row(one["arithmetic_gap"] - one["geometric_gap"])
deep_minus_shallow = ci_row(two["geometric_gap"] - one["geometric_gap"])
geo_1 = ci_row(one["geometric_gap"])
arith_1 = ci_row(one["arithmetic_gap"])
first = curves.query("p == @p and depth == 1 and rule == 'geometric'")
falls = first.groupby("seed").apply(
    lambda c: c.sort_values("n_masks")["gap"].iloc[-1]
    < c.sort_values("n_masks")["gap"].iloc[0] / 5,
    include_groups=False,
)
seqdrop.record("mc_gap", arith_1["mean"])
seqdrop.record("geometric_gap", geo_1["mean"])
pd.DataFrame(
    {
        "arithmetic gap (depth 1)": arith_1,
        "geometric gap (depth 1)": geo_1,
        "arithmetic − geometric (depth 1)": arith_minus_geo,
        "geometric gap: depth 2 − depth 1": deep_minus_shallow,
    }
).T

# %%
claims.add(
    excludes_zero(arith_minus_geo) and arith_minus_geo["mean"] > 0,
    f"With one hidden layer, the arithmetic mean over {n_masks} masks stays "
    "farther from "
    f"weight scaling than the geometric mean: paired difference of the gaps "
    f"{interval(arith_minus_geo, 5)} (95% CI over {n_seeds} seeds, excludes zero).",
)
claims.add(
    bool(falls.all()),
    "With one hidden layer, the geometric mean's gap to weight scaling falls more "
    f"than five-fold from N = 1 to N = {n_masks} for every seed, as an unbiased "
    "estimate of the "
    "weight-scaled logits does (∝ N^−1/2); the arithmetic mean's gap levels off.",
)


def finding(name: str, row: dict, sentence: str, unit: str = "") -> None:
    """Record a mean-and-interval row as one of the chapter's findings."""
    record_finding(name, row["mean"], row["ci_low"], row["ci_high"], unit=unit,
                   n_seeds=int(row["n"]), claim=sentence)


finding("mc_arithmetic_minus_geometric_gap", arith_minus_geo, claims.sentences[-2])

# %% [markdown]
# **Reading the plot.** With one hidden layer (solid), the geometric mean's distance to
# weight scaling keeps falling like $N^{-1/2}$, the Monte-Carlo error of an unbiased
# estimate of the same quantity, while the arithmetic mean's distance levels off at a floor:
# that floor (`mc_gap`) is the difference between the arithmetic and the geometric mean of
# the sub-networks, not an error of a "one-pass approximation". The deeper network (dashed)
# is the case where weight scaling is itself an approximation; the next cell measures how
# far it is from the geometric mean.

# %%
deeper_sentence = (
    f"With two hidden layers the geometric mean over {n_masks} masks is farther "
    "from weight "
    f"scaling than with one: paired difference {interval(deep_minus_shallow, 5)}"
)
if excludes_zero(deep_minus_shallow) and deep_minus_shallow["mean"] > 0:
    claims.add(
        True,
        deeper_sentence + " (excludes zero): weight scaling is an "
        "approximation there, though a close one.",
    )
else:
    claims.add(
        True,
        deeper_sentence + " (includes zero): at this size the approximation "
        "error is within the Monte-Carlo noise.",
    )
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# ### What the averages buy, and what forgetting `eval()` costs
#
# The sweep table holds each rule's test accuracy and negative log-likelihood (NLL). A model
# left in training mode predicts with **one** random sub-network per call (`single_mask_acc`)
# and changes its mind between calls (`flip_rate`: the share of test images whose predicted
# class differs between two calls). Paired differences over seeds:

# %%
acc = drop.melt(
    id_vars=["seed", "depth"],
    value_vars=["ws_acc", "arithmetic_acc", "geometric_acc", "single_mask_acc"],
    var_name="prediction",
    value_name="acc",
)


def paired(metric_a: str, metric_b: str, depth: int = 1) -> dict:
    d = drop[drop["depth"] == depth].set_index("seed")
    return ci_row(d[metric_a] - d[metric_b])


forgot = paired("single_mask_acc", "ws_acc")
mc_vs_ws = paired("arithmetic_acc", "ws_acc")
nll_arith_ws = paired("arithmetic_nll", "ws_nll")
flips = ci_row(one["flip_rate"])
base = trials[(trials["p"] == 0) & (trials["depth"] == 1)].set_index("seed")
drop_vs_none = ci_row(one["ws_acc"] - base["ws_acc"])
summary = pd.DataFrame(
    {
        "forgot eval(): one mask − WS accuracy": forgot,
        "MC arithmetic − WS accuracy": mc_vs_ws,
        "MC arithmetic − WS NLL": nll_arith_ws,
        "flip rate between two train-mode calls": flips,
        f"dropout p={p:g} − no dropout, WS accuracy": drop_vs_none,
    }
).T
seqdrop.record("single_mask_acc_drop", forgot["mean"])
seqdrop.record("flip_rate", flips["mean"])
summary

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.6))
sns.pointplot(
    data=acc,
    x="prediction",
    y="acc",
    hue="depth",
    dodge=0.3,
    errorbar=("ci", 95),
    linestyle="none",
    ax=ax,
)
ax.set(
    xlabel="", ylabel="test accuracy", title=f"digits MLP, p = {p:g}, {n_seeds} seeds"
)
ax.set_xticks(
    range(4), ["weight scaling", "arithmetic", "geometric", "one mask\n(no eval())"]
)
fig.tight_layout()
seqdrop.savefig(fig, "00_predictions")
plt.show()

# %%
claims.add(
    excludes_zero(forgot) and forgot["mean"] < 0,
    f"Forgetting eval() lowers test accuracy: one random mask minus weight scaling "
    f"{interval(forgot, 2, scale=100, unit=' pt')}, and two calls disagree on "
    f"{interval(flips, 1, scale=100, unit='%')} of the test images.",
)
mc_within = not excludes_zero(mc_vs_ws)
claims.add(
    excludes_zero(nll_arith_ws) and nll_arith_ws["mean"] > 0,
    f"The arithmetic (MC) mean has a higher test NLL than weight scaling: "
    f"{interval(nll_arith_ws, 4)}, a less confident average of the same sub-networks.",
)
claims.add(
    abs(mc_vs_ws["ci_low"]) < 0.01 and abs(mc_vs_ws["ci_high"]) < 0.01,
    f"The arithmetic (MC) mean and weight scaling differ in test accuracy by "
    f"{interval(mc_vs_ws, 2, scale=100, unit=' pt')}: less than one percentage point "
    + ("(the interval includes zero: within noise)." if mc_within else "."),
)
forgot_pt = {k: 100 * forgot[k] for k in ("mean", "ci_low", "ci_high")}
forgot_pt["n"] = forgot["n"]
finding("dropout_forgot_eval_acc", forgot_pt, claims.sentences[-3], unit="pt")
finding("dropout_mc_minus_ws_nll", nll_arith_ws, claims.sentences[-2])
display(Markdown(claims.markdown()))

# %% [markdown]
# Monte-Carlo averaging costs $N$ passes and, in a network this small, buys no accuracy
# over the single weight-scaled pass. Its use is elsewhere: the spread of the $N$
# predictions is a measure of uncertainty (chapter 08). For recurrent language models
# {cite:t}`melis2018state` measured only ~0.4 perplexity gain at ~1000× the evaluation cost.
#
# ## 6. Dropout vs L1/L2, early stopping and data augmentation
#
# The article's FAQ distinguishes these methods by how they are implemented: "a penalty in
# the loss" versus "deleting neurons". The link is closer. For a linear model with squared
# loss, averaging over inverted dropout masks on the inputs gives *exactly*
#
# $$
# \mathbb E_r \big\|y - (X\odot R)\beta/(1-p)\big\|^2
# = \|y - X\beta\|^2 + \frac{p}{1-p}\sum_j \beta_j^2 \sum_i X_{ij}^2 ,
# $$
#
# ridge regression whose strength grows with each feature's energy
# ({cite:t}`srivastava2014dropout`, §9.1; for generalised linear models the quadratic
# approximation is an L2 penalty weighted by the Fisher information
# {cite}`wager2013dropout`). We check it by Monte Carlo with features of very different
# scales. Chapter 01 compares dropout with L1, L2, early stopping and augmentation on MNIST.

# %%
n_obs, n_feat = 200, 6
scales = torch.tensor([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
X_lin = torch.randn(n_obs, n_feat, generator=new_gen(11)) * scales
beta = torch.randn(n_feat, generator=new_gen(12))
y_lin = X_lin @ beta + torch.randn(n_obs, generator=new_gen(13))

g = new_gen(14)
mc_losses = torch.stack(
    [
        ((y_lin - dropout(X_lin, p, generator=g) @ beta) ** 2).sum()
        for _ in range(n_masks)
    ]
)
closed_form = ((y_lin - X_lin @ beta) ** 2).sum() + linear_dropout_penalty(
    X_lin, beta, p
)
se = mc_losses.std() / math.sqrt(n_masks)
assert (
    abs(mc_losses.mean() - closed_form) <= 5 * se
), "MC loss must match the closed form"
seqdrop.record("linear_penalty_rel_error", float(mc_losses.mean() / closed_form - 1))
print(
    f"MC average over {n_masks} masks: {float(mc_losses.mean()):.1f} ± {float(se):.1f}"
)
print(f"closed form:                  {float(closed_form):.1f}")
pd.DataFrame(
    {
        "feature scale": scales.numpy(),
        "β_j": beta.numpy(),
        "L2 strength p/(1-p)·Σ_i X_ij²": (p / (1 - p) * (X_lin**2).sum(0)).numpy(),
    }
).round(3)

# %% [markdown]
# A feature ten times larger is penalised a hundred times more per unit of $\beta_j$: dropout
# behaves like ridge regression on *standardised* features. Unlike L1 it produces no exact
# zeros, and unlike early stopping or augmentation it encodes nothing about the task.
#
# ## What we found

# %%
found = pd.DataFrame(
    [
        (
            "relative noise Var/mean² (max error vs p/(1−p))",
            f"{float((ratio - 1).abs().max()):.3f}",
        ),
        ("arithmetic-mean gap to WS, depth 1", interval(arith_1, 5)),
        ("geometric-mean gap to WS, depth 1", interval(geo_1, 5)),
        ("geometric gap, depth 2 − depth 1", interval(deep_minus_shallow, 5)),
        (
            "forgetting eval(): accuracy change",
            interval(forgot, 2, scale=100, unit=" pt"),
        ),
        (
            "forgetting eval(): predictions that flip",
            interval(flips, 1, scale=100, unit="%"),
        ),
        ("MC (arithmetic) − WS accuracy", interval(mc_vs_ws, 2, scale=100, unit=" pt")),
        (
            f"dropout {p:g} − none, WS accuracy",
            interval(drop_vs_none, 2, scale=100, unit=" pt"),
        ),
    ],
    columns=["finding", f"mean [95% CI], {n_seeds} seeds"],
).set_index("finding")
display(found)
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we
#
# * replaced the article's deterministic $h\,p$ by a Bernoulli keep-mask with inverted
#   scaling, checked it against `nn.Dropout`, and saw that `eval()` switches it off;
# * measured the relative noise $p/(1-p)$, the same in both scaling conventions;
# * saw that steps 3, 4, 6 of the article are one operation and step 5 is not dropout;
# * separated three ensemble predictions: weight scaling equals the **geometric** mean when
#   the logits are affine in the mask; the Monte-Carlo **arithmetic** mean is a different
#   average whose gap does not vanish with more masks.
#
# The next chapters ask where to put the mask in a recurrent network, and whether to share it
# across time steps.
#
# ## Exercises
#
# 1. **Predict, then run.** Set `p = 0.8`. Predict the relative noise at that rate and how
#    the forgetting-`eval()` accuracy loss changes, then run the notebook with
#    `papermill -p p 0.8`.
#
# ```{admonition} Hint
# :class: dropdown
# Relative noise p/(1−p) = 4. Each sub-network keeps one unit in five, so a single mask
# predicts worse and flips more often; compare `summary` for both rates.
# ```
#
# 2. **Extend the code.** Implement the weight-scaling convention from scratch (no scaling at
#    training time, multiply by $1-p$ at test time) and show that its test predictions equal
#    those of the inverted network after dividing the next layer's weights by $1-p$.
#
# ```{admonition} Hint
# :class: dropdown
# `seqdrop.dropout.Dropout(p, mode="weight_scaling")` does it; compare
# `FeedForwardNet(..., mode="weight_scaling")` with an inverted one whose last `Linear`
# weight you divide by 1 − p after copying the parameters.
# ```
#
# 3. **Question a claim.** Weight scaling is exact for the geometric mean only when the
#    logits are affine in the mask. Is it exact for a *regression* network whose output is
#    linear in the last hidden layer? For which averaging rule?
#
# ```{admonition} Hint
# :class: dropdown
# With a linear output, the mean output over masks equals the weight-scaled output: it is the
# *arithmetic* mean of the sub-networks' outputs (there is no softmax to make the two means
# differ). Check it with `sample_logits` on a model whose last layer is linear.
# ```
#
# 4. **Measure.** Put dropout on the input as well (`input_dropout=0.2` in
#    `FeedForwardNet`). Does the geometric-mean gap still fall like $N^{-1/2}$?
#
# ```{admonition} Hint
# :class: dropdown
# Input dropout feeds a ReLU, so the logits are no longer affine in that mask: expect a
# floor, as for the two-layer network.
# ```
#
# ## References
#
# - {cite:t}`srivastava2014dropout`: dropout, weight scaling (§4), the linear-model
#   penalty (§9.1); {cite:t}`hinton2012improving`: weight scaling as the geometric mean.
# - {cite:t}`baldi2013understanding`: the geometric-mean analysis of dropout.
# - {cite:t}`wan2013regularization`: DropConnect; {cite:t}`wager2013dropout`: dropout as
#   adaptive regularisation.
# - {cite:t}`gal2016dropout`: Monte-Carlo dropout; {cite:t}`melis2018state`: its cost in
#   language models.
# - {cite:t}`zhang2023dive`: the scratch-then-library presentation of dropout (d2l).
