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
# # 00 · What dropout actually computes
#
# This notebook starts the suite from the formula. The source article for the suite (a Chinese
# blog post on dropout in RNN/LSTM/GRU models) gives dropout as
#
# $$
# h_i^{(l+1)} = \sigma\Big(\sum_{j=1}^{n_l} W_{ij}^{(l+1)}\, h_j^{(l)}\, p_j^{(l)}\Big),
# \qquad p_j^{(l)} = \text{"the dropout probability of unit } j\text{"}.
# $$
#
# That formula is **not dropout**. It has no randomness in it. Below we:
#
# 1. show with numbers what the article's formula does: it shrinks the weights deterministically;
# 2. derive real dropout, with a Bernoulli mask, *inverted* scaling $1/(1-p)$ and the
#    *weight-scaling* rule at test time (Srivastava et al. 2014). We check that the mean is
#    preserved and measure the variance that dropout adds;
# 3. show that the article's six "implementation steps" are one operation, and that its step 5 is wrong;
# 4. treat a dropout network as an ensemble of $2^n$ sub-networks and compare the weight-scaling
#    prediction with the Monte-Carlo average over $N$ sampled masks on a real dataset;
# 5. place dropout next to L1/L2, early stopping and data augmentation, more precisely than the article does.
#
# All reusable code lives in the package: `seqdrop.dropout` (the dropout primitives),
# `seqdrop.models.FeedForwardNet` (the article's MLP), `seqdrop.data` (the digits) and
# `seqdrop.analysis` (training, the MC-vs-weight-scaling comparison and the moment formulas).

# %% tags=["parameters"]
p = 0.5  # dropout (drop) probability used throughout
n_units = 128  # hidden units of the MLP / size of the toy activation vector
n_masks = 1000  # Monte-Carlo masks: moment estimates and the MC ensemble
seed = 0
train_steps = 1500  # Adam steps for the digits MLP
lr = 3e-3
batch_size = 64

# %%
from seqdrop.course import check_float, check_int

p = check_float("p", p, 0.0, 1.0, low_closed=False, high_closed=False)  # p = 0 has no noise to study
n_units = check_int("n_units", n_units, 2, 4096)
n_masks = check_int("n_masks", n_masks, 2, 100_000)
seed = check_int("seed", seed, 0, 2**32 - 1)
train_steps = check_int("train_steps", train_steps, 1, 1_000_000)
lr = check_float("lr", lr, 0.0, 1.0, low_closed=False)
batch_size = check_int("batch_size", batch_size, 1, 4096)

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

import seqdrop
from seqdrop.data import load_digits_rows
from seqdrop.dropout import bernoulli_mask, drop_connect, dropout
from seqdrop.analysis import (
    analytic_dropout_moments,
    classification_metrics,
    dropout_moments,
    linear_dropout_penalty,
    mc_convergence,
    mc_dropout_probs,
    train_classifier,
    variance_estimate_rel_se,
    weight_scaling_probs,
)
from seqdrop.models import FeedForwardNet

g = seqdrop.seed_everything(seed)
sns.set_theme(style="whitegrid", context="notebook")
pd.set_option("display.precision", 4)


def new_gen(offset: int) -> torch.Generator:
    """A fresh generator derived from `seed` (so each section is reproducible on its own)."""
    return torch.Generator().manual_seed(seed + offset)


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
# twice gives the same output, so no unit is ever dropped and there is no ensemble to average.
# At $p=0.5$ it simply halves the weights, and at $p=0.1$ it keeps 10% of them.

# %%
W = torch.randn(4, n_units, generator=new_gen(1)) / math.sqrt(n_units)
h = torch.rand(n_units, generator=new_gen(2)) * 2  # non-negative, like ReLU activations

article_1 = torch.sigmoid(W @ (h * p))
article_2 = torch.sigmoid(W @ (h * p))
shrunk = torch.sigmoid((p * W) @ h)
real_draws = torch.stack([torch.sigmoid(W @ dropout(h, p, generator=g)) for _ in range(5)])

assert torch.equal(article_1, article_2), "the article's formula is deterministic"
assert torch.allclose(article_1, shrunk), "... and equals the network with weights scaled by p"
assert real_draws.std(dim=0).min() > 0, "real dropout gives a different output at every call"

pd.DataFrame(
    {
        "no dropout σ(Wh)": torch.sigmoid(W @ h).numpy(),
        "article, call 1": article_1.numpy(),
        "article, call 2": article_2.numpy(),
        f"σ(({p:g}·W) h)": shrunk.numpy(),
        **{f"real dropout #{k + 1}": real_draws[k].numpy() for k in range(3)},
    },
    index=[f"unit {i}" for i in range(4)],
)

# %% [markdown]
# The formula is close to something real, but that thing is the **test-time** network of
# Srivastava et al. 2014 (§4), not the training-time operation. In the paper, $p$ is the
# probability of *retaining* a unit, and at test time the outgoing weights are scaled by it:
# $W_{\text{test}} = pW$. The article calls $p_j$ the *dropout* probability. With that
# meaning, even the test-time factor is wrong: it should be $1-p$. The two agree only at $p = 0.5$.
# The numbers in that column are the deterministic network with scaled weights; a real dropout
# network is trained on random masks, as in the last three columns.

# %% [markdown]
# ## 2. Dropout with a Bernoulli mask
#
# **Training.** For every example and every unit $j$, draw an independent keep variable
# $r_j \sim \mathrm{Bernoulli}(1-p)$, where $p$ is the drop probability:
#
# $$
# \tilde h_j = r_j\, h_j, \qquad z_i = \sum_j W_{ij}\,\tilde h_j + b_i .
# $$
#
# Each mask $r \in \{0,1\}^n$ selects one of $2^n$ *thinned* networks. All of them share the
# same weights, and each minibatch trains a few of them.
#
# **Test time: weight scaling.** $\mathbb E[\tilde h_j] = (1-p)\,h_j$, so the deterministic
# network that matches the training-time expectation uses
# $W_{\text{test}} = (1-p)\,W$ (Srivastava et al. 2014, §4; §10 gives the same rule for
# multiplicative noise in general).
#
# **Inverted dropout.** This is what every framework implements. The scaling moves to
# training time and the test-time network is left unchanged:
#
# $$
# \tilde h_j = \frac{r_j}{1-p}\, h_j \ \text{(train)}, \qquad \tilde h_j = h_j \ \text{(test)} .
# $$
#
# The two are the same model up to the constant $1/(1-p)$, which the next layer's weights
# absorb. `tests/test_analysis.py` checks that a weight-scaling network with $W_2/(1-p)$ gives
# exactly the predictions of the inverted one.
#
# **Moments.** For a fixed input $x$ and $r \sim \mathrm{Bernoulli}(1-p)$:
#
# | | train output | mean | variance | test output |
# |---|---|---|---|---|
# | inverted | $x\,r/(1-p)$ | $x$ | $\dfrac{p}{1-p}\,x^2$ | $x$ |
# | weight scaling | $x\,r$ | $(1-p)\,x$ | $p(1-p)\,x^2$ | $(1-p)\,x$ |
#
# Both keep the training-time mean equal to the test-time output. Dropout therefore adds
# **zero-mean multiplicative noise**. For inverted dropout the noise has relative variance
# $p/(1-p)$: 1 at $p=0.5$, 4 at $p=0.8$. We check this empirically with `n_masks` masks.

# %%
x = torch.rand(n_units, generator=new_gen(3)) * 2 + 0.25
rows = []
for mode in ("inverted", "weight_scaling"):
    emp_mean, emp_var = dropout_moments(x, p, n_masks, mode=mode, generator=new_gen(4))
    th_mean, th_var = analytic_dropout_moments(x, p, mode)
    rows.append(
        pd.DataFrame(
            {"mode": mode, "x2": (x**2).numpy(), "empirical var": emp_var.numpy(), "analytic var": th_var.numpy(),
             "empirical mean": emp_mean.numpy(), "analytic mean": th_mean.numpy()}
        )
    )
    # mean: each unit within 5 standard errors
    assert torch.all((emp_mean - th_mean).abs() <= 5 * (th_var / n_masks).sqrt()), f"{mode}: mean not preserved"
moments = pd.concat(rows, ignore_index=True)

# relative error of the variance, pooled over units (5-sigma tolerance from the Bernoulli kurtosis)
ratio = moments["empirical var"] / moments["analytic var"]
var_rel_error = float((ratio[moments["mode"] == "inverted"].mean()) - 1)
var_tol = 5 * variance_estimate_rel_se(p, n_masks) / math.sqrt(n_units)
for mode, r in ratio.groupby(moments["mode"]):
    assert abs(r.mean() - 1) <= var_tol, f"{mode}: variance ratio {r.mean():.4f} outside 1 ± {var_tol:.4f}"
seqdrop.record("var_rel_error", var_rel_error)
moments.groupby("mode")[["empirical mean", "analytic mean", "empirical var", "analytic var"]].mean()

# %% [markdown]
# The left panel plots each unit's empirical variance over `n_masks` masks against $x^2$, with
# the analytic slopes. The right panel sweeps $p$. The inverted noise factor $p/(1-p)$ diverges
# as $p \to 1$, which is why $p=1$ is not a valid dropout rate. The weight-scaling factor
# $p(1-p)$ is largest at $p = 0.5$, because there the output is unscaled.

# %%
p_grid = np.linspace(0.05, 0.9, 18)
sweep = []
for i, pg in enumerate(p_grid):
    for mode in ("inverted", "weight_scaling"):
        _, v = dropout_moments(x, float(pg), n_masks, mode=mode, generator=new_gen(100 + i))
        sweep.append({"p": pg, "mode": mode, "variance / x²": float((v / x**2).mean())})
sweep = pd.DataFrame(sweep)

fig, axes = plt.subplots(2, 1, figsize=(7, 7))
sns.scatterplot(data=moments, x="x2", y="empirical var", hue="mode", s=18, ax=axes[0])
xx = np.linspace(0, float((x**2).max()), 50)
axes[0].plot(xx, p / (1 - p) * xx, "k--", lw=1, label=r"$\frac{p}{1-p}x^2$")
axes[0].plot(xx, p * (1 - p) * xx, "k:", lw=1, label=r"$p(1-p)x^2$")
axes[0].set(xlabel=r"$x^2$", ylabel="variance over masks", title=f"per-unit variance, p = {p:g}")
axes[0].legend()
sns.scatterplot(data=sweep, x="p", y="variance / x²", hue="mode", ax=axes[1], legend=False)
pp = np.linspace(0.01, 0.9, 200)
axes[1].plot(pp, pp / (1 - pp), "C0-", lw=1, label=r"inverted: $p/(1-p)$")
axes[1].plot(pp, pp * (1 - pp), "C1-", lw=1, label=r"weight scaling: $p(1-p)$")
axes[1].axvline(p, color="grey", lw=0.8)
axes[1].set(yscale="log", xlabel="drop probability p", ylabel=r"variance / $x^2$", title="noise factor vs p")
axes[1].legend()
fig.tight_layout()
seqdrop.savefig(fig, "00_dropout_variance")
plt.show()

# %% [markdown]
# ## 3. The article's six steps are one operation
#
# The article lists six steps for a dropped unit: (1) give each unit a dropout probability,
# (2) sample which units to drop, (3) set the unit's output to 0, (4) set its weights in the
# next layer to 0, (5) set its bias in the next layer to 0, (6) set its input to the next layer
# to 0. Steps 3, 4 and 6 are the same operation written three ways. For the next layer,
#
# $$
# z = W\,(r \odot h) + b = (W \operatorname{diag}(r))\,h + b ,
# $$
#
# so zeroing unit $j$'s output, zeroing column $j$ of the next weight matrix (its *outgoing*
# weights) and zeroing the next layer's $j$-th input all give the same $z$. Step 5 is wrong. The next
# layer's bias $b_i$ belongs to the *receiving* unit $i$, not to the dropped unit $j$, and
# dropout leaves it untouched. Zeroing it changes the output of every unit in the next layer.
#
# The column view also links dropout to DropConnect: `drop_connect(W, p, dim=1)` drops whole
# columns. With the same random stream it draws the same mask as `dropout(h, p)`. There is one
# difference. Standard dropout draws a mask **per example**, while a masked weight matrix is shared
# by the whole minibatch. Sharing one mask across examples or time steps is a *different*
# regularizer, and it returns in the recurrent notebooks (weight dropping as in AWD-LSTM, locked masks).

# %%
n_out = 5
W2 = torch.randn(n_out, n_units, generator=new_gen(5)) / math.sqrt(n_units)
b2 = torch.randn(n_out, generator=new_gen(6))
r = bernoulli_mask((n_units,), p, generator=new_gen(7))  # 1 = keep (unscaled, as in the article)

z_outputs = W2 @ (r * h) + b2  # step 3: dropped units output 0
z_weights = (W2 * r[None, :]) @ h + b2  # step 4: their outgoing weights (columns) are 0
z_inputs = W2 @ torch.where(r.bool(), h, torch.zeros_like(h)) + b2  # step 6: next layer's inputs are 0
z_bias = W2 @ (r * h) + 0 * b2  # step 5 as written: the next layer's bias set to 0

assert torch.allclose(z_outputs, z_weights) and torch.allclose(z_outputs, z_inputs)
assert not torch.allclose(z_outputs, z_bias), "zeroing the next layer's bias is not part of dropout"

# the library's two views, drawn from the same random stream, agree exactly
z_dropout = W2 @ dropout(h, p, generator=new_gen(8)) + b2
z_dropconnect = drop_connect(W2, p, dim=1, generator=new_gen(8)) @ h + b2
assert torch.allclose(z_dropout, z_dropconnect)

pd.DataFrame(
    {"steps 3 (outputs)": z_outputs, "step 4 (columns of W)": z_weights, "step 6 (inputs)": z_inputs,
     "step 5 (bias := 0)": z_bias, "dropout(h)": z_dropout, "drop_connect(W, dim=1)": z_dropconnect},
    index=[f"z_{i}" for i in range(n_out)],
)

# %% [markdown]
# (The first three columns are unscaled, as in the article. The last two use inverted scaling
# and a different mask.)
#
# ## 4. Dropout as an ensemble: weight scaling vs Monte-Carlo averaging
#
# A network with $n$ droppable units defines $2^n$ thinned networks. Ideally one would predict
# with their average, $\bar p(y\mid x) = \mathbb E_r\, p(y \mid x, r)$. There are two practical
# estimates:
#
# * **Weight scaling** (the test-time network, one forward pass). For a single softmax layer it
#   gives *exactly* the renormalised weighted **geometric** mean of all sub-networks, because
#   the logits are linear in $r$: $\prod_r p(y\mid x,r)^{P(r)} \propto \exp \mathbb E_r[\text{logit}_y]$
#   (Hinton et al. 2012; Baldi & Sadowski 2013). For deeper networks it is only an approximation.
# * **Monte-Carlo averaging** over $N$ random masks. It is an unbiased estimate of the
#   arithmetic mean, and it costs $N$ forward passes. Srivastava et al. 2014 (§7.5) found that about 50
#   samples match weight scaling on MNIST.
#
# We train the article's MLP shape (784-128-10 with dropout 0.5 on the hidden layer), scaled to
# sklearn's 8×8 digits: 64-`n_units`-10, with dropout `p` on the hidden layer. A network of the
# same size without dropout serves as the baseline. Each class is split 75% train / 25% test
# (no validation set: nothing is tuned here), and the 8×8 images are flattened to 64 inputs.

# %%
digits = load_digits_rows(seed=seed, fractions=(0.75, 0.0, 0.25))
X_train, y_train = digits.train.x.flatten(1), digits.train.y
X_test, y_test = digits.test.x.flatten(1), digits.test.y

torch.manual_seed(seed)
model = FeedForwardNet(64, (n_units,), 10, dropout=p)
losses = train_classifier(model, X_train, y_train, steps=train_steps, lr=lr, batch_size=batch_size,
                          generator=new_gen(9))
torch.manual_seed(seed)
baseline = FeedForwardNet(64, (n_units,), 10, dropout=0.0)
base_losses = train_classifier(baseline, X_train, y_train, steps=train_steps, lr=lr, batch_size=batch_size,
                               generator=new_gen(9))

ws_probs = weight_scaling_probs(model, X_test)
mc_probs = mc_dropout_probs(model, X_test, n_masks, generator=new_gen(10))
curve = mc_convergence(mc_probs, ws_probs, y_test)

ws = classification_metrics(ws_probs, y_test)
base = classification_metrics(weight_scaling_probs(baseline, X_test), y_test)
mc_final = curve.iloc[-1]
single = curve.iloc[0]
print(f"train {X_train.shape[0]} / test {X_test.shape[0]} images; {train_steps} steps")
pd.DataFrame(
    [
        {"prediction": "no dropout (p = 0)", **base},
        {"prediction": "one random mask (N = 1)", "accuracy": single["accuracy"], "nll": single["nll"]},
        {"prediction": f"MC average (N = {n_masks})", "accuracy": mc_final["accuracy"], "nll": mc_final["nll"]},
        {"prediction": "weight scaling", **ws},
    ]
).set_index("prediction")

# %%
mc_gap = float(mc_final["mean_abs_diff"])
seqdrop.record("ws_accuracy", ws["accuracy"])
seqdrop.record("ws_nll", ws["nll"])
seqdrop.record("mc_accuracy", float(mc_final["accuracy"]))
seqdrop.record("mc_nll", float(mc_final["nll"]))
seqdrop.record("single_mask_accuracy", float(single["accuracy"]))
seqdrop.record("no_dropout_accuracy", base["accuracy"])
seqdrop.record("mc_gap", mc_gap)

assert ws["accuracy"] > 0.85, "the dropout MLP should learn the digits"
assert curve["mean_abs_diff"].iloc[-1] < curve["mean_abs_diff"].iloc[0], "MC average must approach weight scaling"
assert abs(mc_final["accuracy"] - ws["accuracy"]) < 0.03, "MC and weight scaling should agree on accuracy"
assert mc_final["agreement"] > 0.95
curve

# %%
fig, axes = plt.subplots(3, 1, figsize=(7, 9), sharex=True)
for ax, col, label, ref in (
    (axes[0], "accuracy", "test accuracy", ws["accuracy"]),
    (axes[1], "nll", "test NLL", ws["nll"]),
    (axes[2], "mean_abs_diff", r"mean $|p_{MC} - p_{WS}|$", None),
):
    sns.lineplot(data=curve, x="n_masks", y=col, marker="o", ax=ax, label="MC average of N masks")
    if ref is not None:
        ax.axhline(ref, color="C3", ls="--", label="weight scaling")
    ax.set(xscale="log", xlabel="N (masks averaged)", ylabel=label)
    ax.legend()
axes[0].axhline(base["accuracy"], color="grey", ls=":", label="no dropout")
axes[0].legend()
fig.suptitle(f"Digits MLP 64-{n_units}-10, p = {p:g}: Monte-Carlo dropout vs weight scaling")
fig.tight_layout()
seqdrop.savefig(fig, "00_mc_vs_weight_scaling")
plt.show()

# %% [markdown]
# **Reading the plot.** A single random mask (N = 1) predicts worse than weight scaling. Each
# thinned network is a weak model on its own. As $N$ grows, the MC average improves quickly. Its
# distance to the weight-scaled prediction falls, but it levels off at a **non-zero floor**
# (`mc_gap`). That floor is the real difference between the arithmetic mean of the ensemble and
# the one-pass approximation through the ReLU layer. Accuracy agrees once $N$ reaches a few
# dozen masks. In our runs of this small network the NLL slightly favoured weight scaling (see the table).
# MC averaging pays off mainly where predictive *uncertainty* is needed (Gal & Ghahramani 2016
# call it MC dropout). For recurrent language models Melis et al. 2017 measured only ~0.4
# perplexity gain at ~1000× the cost.

# %% [markdown]
# ## 5. Dropout vs L1/L2, early stopping and data augmentation
#
# The article (§2.2–2.3 and FAQ 1–2) distinguishes these methods only by how they are
# implemented: "a penalty in the loss" versus "deleting neurons". The relationship is closer
# than that:
#
# * **Dropout ≈ adaptive L2.** For a linear model with squared loss, averaging over inverted
#   dropout masks on the inputs gives *exactly*
#
#   $$
#   \mathbb E_r \big\|y - (X\odot R)\beta/(1-p)\big\|^2
#   = \|y - X\beta\|^2 + \frac{p}{1-p}\sum_j \beta_j^2 \sum_i X_{ij}^2 ,
#   $$
#
#   which is ridge regression with a per-feature strength proportional to the feature's energy
#   (Srivastava et al. 2014, §9.1). For generalised linear models Wager et al. 2013 show that
#   the quadratic approximation of the dropout penalty is an L2 penalty weighted by the
#   diagonal Fisher information. So dropout penalises weights of frequent, high-variance
#   features and of confident examples differently, and it is invariant to rescaling a
#   feature, which plain L2 is not. Unlike **L1**, dropout produces no exact zeros. It spreads
#   weight over redundant features instead of selecting one.
# * **Early stopping** limits *how long* we fit. For gradient descent on least squares it also
#   acts roughly like an L2 penalty. It complements dropout, and the two are used together:
#   dropout makes gradients noisier, so dropout networks typically need *more* epochs, and one
#   still stops on validation loss.
# * **Data augmentation** injects *domain knowledge* (shifts, crops, noise in the input
#   space). Dropout can be read as data-independent noise injected in the hidden
#   representation (Bouthillier et al. 2015, "Dropout as data augmentation"). It encodes no
#   invariance of the task, and the two combine well.
#
# Dropout does not "modify the model structure" either. All sub-networks share one set of
# weights, and the model used at test time is the original architecture.
#
# We check the linear-model identity numerically. The features have very different scales,
# and the Monte-Carlo average of the dropout loss matches the closed form.

# %%
n_obs, n_feat = 200, 6
scales = torch.tensor([0.1, 0.5, 1.0, 2.0, 5.0, 10.0])
X_lin = torch.randn(n_obs, n_feat, generator=new_gen(11)) * scales
beta = torch.randn(n_feat, generator=new_gen(12))
y_lin = X_lin @ beta + torch.randn(n_obs, generator=new_gen(13))

mc_losses = torch.stack([((y_lin - dropout(X_lin, p, generator=g) @ beta) ** 2).sum() for _ in range(n_masks)])
closed_form = ((y_lin - X_lin @ beta) ** 2).sum() + linear_dropout_penalty(X_lin, beta, p)
se = mc_losses.std() / math.sqrt(n_masks)
linear_rel_error = float(mc_losses.mean() / closed_form - 1)
assert abs(mc_losses.mean() - closed_form) <= 5 * se, "MC dropout loss must match the closed form"
seqdrop.record("linear_penalty_rel_error", linear_rel_error)

print(f"MC average of the dropout loss over {n_masks} masks: {float(mc_losses.mean()):.1f} ± {float(se):.1f}")
print(f"closed form ||y - Xβ||² + penalty:                {float(closed_form):.1f}")
pd.DataFrame(
    {"feature scale": scales.numpy(), "β_j": beta.numpy(),
     "L2 strength p/(1-p)·Σ_i X_ij²": (p / (1 - p) * (X_lin**2).sum(0)).numpy()}
).round(3)

# %% [markdown]
# The effective L2 strength grows with $\sum_i X_{ij}^2$. A feature ten times larger is penalised a
# hundred times more per unit of $\beta_j$, exactly what keeps its contribution
# $X_{ij}\beta_j$ in check. In other words, dropout behaves like ridge regression on
# *standardised* features.
#
# ## Summary
#
# * The article's $h = \sigma(\sum_j W h\, p)$ is a deterministic network with weights scaled by
#   $p$. It is the test-time rule of Srivastava et al. with $p$ as the **retention**
#   probability, misread as the training operation.
# * Dropout multiplies each activation by $r/(1-p)$ with $r\sim\mathrm{Bernoulli}(1-p)$ (inverted)
#   or by $r$ with $(1-p)$ at test time (weight scaling). The mean is unchanged, and the noise
#   variance is $\frac{p}{1-p}x^2$; the measured variance matches it within the sampling tolerance
#   (`var_rel_error`).
# * Dropping a unit means zeroing its output, which is the same as zeroing its outgoing weights.
#   The next layer's bias is never touched.
# * Weight scaling is a cheap one-pass approximation of the ensemble average. MC averaging over
#   tens of masks reaches its accuracy (within a test image or two) but not its NLL here.
#
# The next notebooks move to recurrent networks. There the question is *where* to put the mask
# and *whether to share it across time steps*: `seqdrop.dropout.locked_dropout`,
# `embedding_dropout`, `drop_connect` on $W_{hh}$ and `zoneout` implement the published answers.
