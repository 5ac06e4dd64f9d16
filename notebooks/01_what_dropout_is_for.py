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
# # 01 · What is dropout for, and is it better than the alternatives?
#
# The source article of this course (a Chinese blog article on dropout in RNN/LSTM/GRU)
# shows one network, 784-128-10 with a ReLU and `Dropout(0.5)`, in Keras and in PyTorch,
# and says that dropout "prevents overfitting". Its FAQ then asks how dropout differs from
# L1/L2 regularisation (question 1) and from early stopping and data augmentation
# (question 2), and answers with how each is implemented.
# This chapter answers both with numbers. We train the article's network on real MNIST
# digits in a regime where it overfits (a small training set), watch the overfitting happen,
# sweep the dropout rate, and compare dropout with L1, L2, early stopping, augmentation and
# their combinations, each tuned on a validation split with the same budget, over several
# seeds.
#
# **Learning goals.** After this chapter you can
#
# - read the article's Keras and PyTorch code as the same model, and say what Keras' `rate`
#   and PyTorch's `p` mean;
# - recognise overfitting in training and test curves, and measure what dropout changes;
# - choose a dropout rate from a validation curve with confidence intervals;
# - compare regularisers fairly (same budget, tuned on validation, paired over seeds).
#
# **Prerequisites and run time.** Chapter 00 (what dropout computes). Run time, measured
# in CPU seconds with one thread per worker on a shared 2-core machine: smoke about
# 11 CPU-s; course profile (the defaults: 85 short trainings) about 360 CPU-s (398 CPU-s
# measured with the two rates 0.1 and 0.3 that are now only in the paper profile), i.e.
# about 3 minutes on 2 idle cores with two workers; paper profile (`params/paper.yaml`:
# 10 seeds, 7 rates, more epochs) about 15 minutes on 8 cores (an estimate).

# %% tags=["parameters"]
p = 0.5  # the article's dropout rate (probability of dropping a hidden unit)
train_size = 1000  # MNIST training images (of 4,000); 500 validate, the rest test
epochs = 30  # passes over the training set (Adam, batch 32, lr 1e-3)
hidden = 128  # hidden units (the article's 128)
rates = [0.0, 0.2, 0.5, 0.7, 0.9]  # dropout rates of the rate sweep
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 5  # trainings per configuration
scheduler = None  # None: a local Dask cluster; "serial"; or tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (
    ParameterError,
    check_bool,
    check_float,
    check_int,
    check_probability,
    check_scheduler,
)

p = check_probability("p", p)
train_size = check_int("train_size", train_size, 100, 4000)
epochs = check_int("epochs", epochs, 1, 10_000)
hidden = check_int("hidden", hidden, 1, 4096)
if not isinstance(rates, list) or len(rates) < 2 or 0.0 not in rates or p not in rates:
    raise ParameterError(
        f"parameter 'rates' = {rates!r} must be a list holding 0.0 and p"
    )
rates = [check_probability(f"rates[{i}]", r) for i, r in enumerate(rates)]
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
from torch import nn

import seqdrop
from seqdrop.course import record_finding, setup_figures
from seqdrop.experiments.evidence import Claims, excludes_zero, interval, mean_interval
from seqdrop.models import FeedForwardNet
from seqdrop.course.regularizers import mnist_subset, train_regularized_mlp
from seqdrop.sweep import mean_ci, paired_difference, sweep

torch.set_num_threads(1)
setup_figures()  # the course style: seaborn theme, 100 dpi
pd.set_option("display.precision", 4)
claims = Claims(check=check_claims)
seeds = list(range(base_seed, base_seed + n_seeds))
common = {"hidden": hidden, "train_size": train_size, "epochs": epochs}

# %% [markdown]
# ## 1. The article's network, in Keras and in PyTorch
#
# The article's Keras model, as printed there:
#
# ```python
# model = Sequential()
# model.add(Dense(128, input_dim=784, activation='relu'))
# model.add(Dropout(0.5))
# model.add(Dense(10, activation='softmax'))
# model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
# model.fit(X_train, y_train, epochs=10, batch_size=128)
# ```
#
# and the same network in PyTorch, as `seqdrop.models.FeedForwardNet` builds it:

# %%
model = FeedForwardNet(784, (hidden,), 10, dropout=p)
model

# %% [markdown]
# The two are the same model:
#
# - Keras' `Dropout(rate)` and PyTorch's `nn.Dropout(p)` both take the **drop** probability
#   and both use **inverted** scaling: kept units are multiplied by $1/(1-\text{rate})$ in
#   training, nothing happens at test time (Keras switches with `training=`, PyTorch with
#   `model.train()`/`model.eval()`).
# - Keras' `softmax` output with `categorical_crossentropy` is PyTorch's linear output with
#   `nn.CrossEntropyLoss` (which applies `log_softmax` itself).
#
# The article's PyTorch class, however, has **no ReLU** between `fc1` and `fc2`. Without a
# nonlinearity the two linear layers collapse into one linear map at test time, so that
# listing is a linear classifier (multinomial logistic regression) with dropout in the
# middle, not the network of the Keras listing:

# %%
fc1, fc2 = nn.Linear(784, hidden), nn.Linear(hidden, 10)
article_pytorch = nn.Sequential(fc1, nn.Dropout(p), fc2).eval()  # the article's forward
one_linear = nn.Linear(784, 10)
with torch.no_grad():
    one_linear.weight.copy_(fc2.weight @ fc1.weight)
    one_linear.bias.copy_(fc2.weight @ fc1.bias + fc2.bias)
x = torch.rand(5, 784)
assert torch.allclose(article_pytorch(x), one_linear(x), atol=1e-5)
print("the article's PyTorch listing = one Linear(784, 10) at test time")

# %% [markdown]
# ## 2. A regime where the network overfits
#
# Dropout regularises: it should help when the model fits its training set better than
# the data justify. With the 5,000-image MNIST subset that installs offline
# (`seqdrop.data.load_mnist_rows`), we keep `train_size` training images, 500 for
# validation and the rest for testing, and train for `epochs` epochs with Adam (the
# article's optimizer). One sweep trains the network at every rate in `rates` over
# `n_seeds` seeds; each trial records its learning curves.

# %%
data = mnist_subset(train_size)
print(f"train {len(data.train)} / validation {len(data.valid)} / test {len(data.test)}")
rate_sweep = sweep(
    train_regularized_mlp,
    {"p": rates, **common},
    seeds=seeds,
    scheduler=scheduler,
    name="01_what_dropout_is_for",
    progress=False,
)
rate_trials, curves = rate_sweep.trials, rate_sweep.history
long = curves[curves["p"].isin([0.0, p])].melt(
    id_vars=["p", "seed", "epoch"],
    value_vars=["train_loss", "test_loss"],
    var_name="split",
    value_name="loss",
)
long["split"] = long["split"].str.replace("_loss", "")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
sns.lineplot(
    data=long,
    x="epoch",
    y="loss",
    hue="p",
    style="split",
    palette="deep",
    errorbar=("ci", 95),
    ax=ax,
)
ax.set(
    yscale="log",
    ylabel="cross-entropy",
    title=f"{train_size} training images: training vs test loss, {n_seeds} seeds",
)
fig.tight_layout()
seqdrop.savefig(fig, "01_train_vs_test")
plt.show()


# %%
def turn_epoch(df: pd.DataFrame, rate: float) -> pd.Series:
    """Per seed, the epoch of the lowest test loss (where the curve turns up)."""
    part = df[df["p"] == rate]
    return part.loc[part.groupby("seed")["test_loss"].idxmin()].set_index("seed")[
        "epoch"
    ]


def at_last_epoch(rate: float, col: str) -> pd.Series:
    return rate_trials[rate_trials["p"] == rate].set_index("seed")[col]


turn_none, turn_drop = turn_epoch(curves, 0.0), turn_epoch(curves, p)
gap_none = at_last_epoch(0.0, "test_loss") - at_last_epoch(0.0, "train_loss")
rise_none = (
    at_last_epoch(0.0, "test_loss")
    - curves[curves["p"] == 0.0].groupby("seed")["test_loss"].min()
)
claims.add(
    bool((turn_none < epochs).all() and (rise_none > 0).all()),
    f"Without dropout the test loss turns up: its minimum comes at epoch "
    f"{int(turn_none.min())}–{int(turn_none.max())} of {epochs} for every seed, "
    "and it ends "
    f"{mean_ci(rise_none)[0]:.3f} above that minimum on average.",
)
claims.add(
    bool((turn_drop > turn_none).all()),
    f"With dropout {p:g} the minimum of the test loss comes later for every seed "
    f"(epoch {int(turn_drop.min())}–{int(turn_drop.max())}).",
)
display(Markdown(claims.markdown()))

# %% [markdown]
# Training loss falls towards zero while test loss turns up: the textbook picture of
# overfitting. Dropout keeps the training loss higher (each step trains a thinned network)
# and delays the turn. Test *accuracy* is what we report below; it keeps improving slightly
# after the test loss turns, because the loss also punishes confident mistakes.
#
# ## 3. Test accuracy against the dropout rate
#
# The same sweep, read at the last epoch. Rates are paired by seed (same initialisation
# and data order), so the difference to $p=0$ has a paired confidence interval.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
sns.pointplot(
    data=rate_trials,
    x="p",
    y="test_acc",
    errorbar=("ci", 95),
    ax=ax,
    native_scale=True,
    label="test",
)
sns.pointplot(
    data=rate_trials,
    x="p",
    y="val_acc",
    errorbar=("ci", 95),
    ax=ax,
    native_scale=True,
    color="C1",
    markers="s",
    label="validation",
)
ax.set(
    xlabel="dropout rate p",
    ylabel="accuracy after the last epoch",
    title=f"784-{hidden}-10 on {train_size} MNIST images, {n_seeds} seeds",
)
ax.legend()
fig.tight_layout()
seqdrop.savefig(fig, "01_accuracy_vs_p")
plt.show()

vs_none = pd.concat(
    [
        paired_difference(rate_trials, "test_acc", by="p", a=r, b=0.0, within=[])
        for r in rates
        if r != 0.0
    ]
)
best_rate = float(rate_trials.groupby("p")["val_acc"].mean().idxmax())
seqdrop.record("best_rate_on_validation", best_rate)
vs_none[["a", "mean", "ci_low", "ci_high", "significant"]].rename(columns={"a": "p"})

# %%
row = vs_none.set_index("a").loc[p]
loss_row = paired_difference(
    rate_trials, "test_loss", by="p", a=p, b=0.0, within=[]
).iloc[0]
seqdrop.record("dropout_gain", float(row["mean"]))
claims.add(
    excludes_zero(loss_row) and loss_row["mean"] < 0,
    f"After {epochs} epochs, dropout {p:g} lowers the test loss: "
    f"{interval(loss_row, 3)} against no dropout (paired over {n_seeds} seeds).",
)
acc_sentence = claims.add(
    not (excludes_zero(row) and row["mean"] > 0),
    "Its effect on test accuracy is not measurable: "
    f"{interval(row, 2, scale=100, unit=' pt')}, an interval that does not lie above "
    "zero.",
)
worst = vs_none.set_index("a").loc[max(rates)]
claims.add(
    worst["mean"] < row["mean"] and worst["mean"] < 0,
    f"Too much dropout costs accuracy: p = {max(rates):g} changes it by "
    f"{interval(worst, 2, scale=100, unit=' pt')}.",
)


def finding(name: str, r: pd.Series | dict, sentence: str, scale: float = 1.0,
            unit: str = "") -> None:
    """Record a paired-difference row (mean, 95% CI over seeds) as a finding."""
    record_finding(name, *(scale * float(r[k]) for k in ("mean", "ci_low", "ci_high")),
                   unit=unit, n_seeds=int(r["n"]), claim=sentence)


finding("mlp_dropout_test_loss_change", loss_row, claims.sentences[-3])
finding("mlp_dropout_test_acc_change", row, acc_sentence, 100, "pt")
finding("mlp_high_rate_test_acc_change", worst, claims.sentences[-1], 100, "pt")
display(Markdown(claims.markdown()))

# %% [markdown]
# At this size (128 hidden units, the article's choice) dropout mostly improves the
# *confidence* of the predictions, which the loss measures, and moves accuracy much less.
# The validation curve picks the rate; rates near 0.9 starve the network. Whether a
# wider network gains more is exercise 4.
# %% [markdown]
# ## 4. Dropout vs L1, L2, early stopping and augmentation (the article's FAQ 1–2)
#
# A fair comparison gives every method the same training budget (`epochs` epochs at the
# same learning rate and batch size) and the same tuning budget: three candidate
# strengths per method, chosen by mean **validation** accuracy, then reported on the test
# images. Early stopping needs no extra training: it keeps the epoch of best validation
# accuracy of a run (the `es_*` columns). Augmentation moves each training image by up to
# `shift` pixels and adds Gaussian pixel noise (`seqdrop.course.regularizers.RandomShift`, a
# training-only layer like dropout).

# %%
methods = {
    "none": [{}],
    "dropout": [{"p": r} for r in (0.2, 0.5, 0.7)],
    "L2": [{"l2": v} for v in (3e-4, 1e-3, 3e-3)],
    "L1": [{"l1": v} for v in (1e-5, 3e-5, 1e-4)],
    "augmentation": [{"shift": 1}, {"shift": 2}, {"shift": 1, "noise": 0.2}],
    "dropout + augmentation": [{"p": r, "shift": 1} for r in (0.2, 0.5, 0.7)],
}
grid = [
    {k: [v] for k, v in {**common, **cand}.items()}
    for cands in methods.values()
    for cand in cands
]
comparison = sweep(
    train_regularized_mlp,
    grid,
    seeds=seeds,
    scheduler=scheduler,
    name="01_what_dropout_is_for",
    progress=False,
).trials
print(
    f"{len(comparison)} trainings, {len(comparison[comparison.status != 'ok'])} failed"
)

# %%
keys = ["p", "l1", "l2", "shift", "noise"]


def candidates(method: str) -> pd.DataFrame:
    """The method's trials: rows whose regularisation keys match a candidate."""
    parts = []
    for i, cand in enumerate(methods[method]):
        full = {k: 0.0 for k in keys} | cand
        mask = pd.Series(True, index=comparison.index)
        for k, v in full.items():
            mask &= comparison[k] == v
        parts.append(comparison[mask].assign(candidate=i))
    return pd.concat(parts)


def tuned(method: str, early_stop: bool = False) -> pd.DataFrame:
    """The candidate with the best mean validation accuracy; its test accuracy."""
    pre = "es_" if early_stop else ""
    df = candidates(method)
    best = df.groupby("candidate")[pre + "val_acc"].mean().idxmax()
    pick = df[df["candidate"] == best]
    name = method + (" + early stopping" if early_stop else "")
    setting = ", ".join(f"{k}={v:g}" for k, v in methods[method][best].items()) or "–"
    return pd.DataFrame(
        {
            "method": name,
            "setting": setting,
            "seed": pick["seed"],
            "test_acc": pick[pre + "test_acc"],
            "w_near_zero": pick["w_near_zero"],
            "w_l2": pick["w_l2"],
        }
    )


table = pd.concat(
    [tuned(m) for m in methods]
    + [
        tuned("none", True),
        tuned("dropout", True),
        tuned("dropout + augmentation", True),
    ],
    ignore_index=True,
)
order = table.groupby("method")["test_acc"].mean().sort_values().index

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
sns.pointplot(
    data=table,
    y="method",
    x="test_acc",
    order=order,
    errorbar=("ci", 95),
    linestyle="none",
    ax=ax,
)
ax.set(
    xlabel="test accuracy (each method tuned on validation)",
    ylabel="",
    title=f"same budget, {n_seeds} seeds, mean and 95% CI",
)
fig.tight_layout()
seqdrop.savefig(fig, "01_regularizers")
plt.show()


# %%
def against(a: str, b: str) -> dict:
    """Paired (same seed) test-accuracy difference a − b with its 95% CI."""
    x = table[table["method"] == a].set_index("seed")["test_acc"]
    y = table[table["method"] == b].set_index("seed")["test_acc"]
    m, lo, hi, n = mean_ci((x - y).dropna().to_numpy())
    return {
        "a": a,
        "b": b,
        "mean": m,
        "ci_low": lo,
        "ci_high": hi,
        "n": n,
        "significant": lo > 0 or hi < 0,
    }


pairs = pd.DataFrame(
    [
        against("dropout", "none"),
        against("L2", "none"),
        against("L1", "none"),
        against("none + early stopping", "none"),
        against("augmentation", "none"),
        against("dropout", "L2"),
        against("augmentation", "dropout"),
        against("dropout + augmentation", "augmentation"),
        against("dropout + augmentation", "dropout"),
    ]
)
settings = table.groupby("method")["setting"].first()
pairs

# %% [markdown]
# **FAQ 1: how does dropout differ from L1 and L2?** In what it does to the weights, not
# only in where it is written. The first layer's weights after training, per method:
# L1 drives many weights to (near) zero, L2 shrinks all of them, dropout leaves their size
# and sparsity close to the unregularised net's and instead makes hidden units robust to
# losing their partners (chapter 00 shows that for a linear model it *is* an L2 penalty,
# scaled per feature).

# %%
weights = table[table["method"].isin(["none", "dropout", "L1", "L2"])]
weights.groupby("method")[["test_acc", "w_near_zero", "w_l2"]].agg(["mean", "sem"])


# %%
def share(method: str) -> float:
    return float(weights[weights["method"] == method]["w_near_zero"].mean())


claims.add(
    share("L1") > 2 * share("none") and share("L1") > 2 * share("dropout"),
    f"L1 makes the first layer sparse: {share('L1'):.0%} of its weights are below "
    f"1e-3 in size, against {share('none'):.0%} without regularisation and "
    f"{share('dropout'):.0%} "
    "with dropout.",
)
display(Markdown(claims.sentences[-1]))

# %% [markdown]
# **FAQ 2: and from early stopping and data augmentation?** Early stopping limits how long
# we fit; augmentation adds knowledge about the task (a digit moved by a pixel is the same
# digit); dropout adds noise that knows nothing about the task. They are not alternatives:
# the paired differences above say which ones help here, and whether they add up.


# %%
def pair(a: str, b: str) -> pd.Series:
    return pairs[(pairs["a"] == a) & (pairs["b"] == b)].iloc[0]


aug_vs_drop = pair("augmentation", "dropout")
combo_vs_aug = pair("dropout + augmentation", "augmentation")
es_vs_none = pair("none + early stopping", "none")
drop_tuned = pair("dropout", "none")
claims.add(
    excludes_zero(aug_vs_drop) and aug_vs_drop["mean"] > 0,
    f"Augmentation, which knows that digits may shift, beats dropout here by "
    f"{interval(aug_vs_drop, 2, scale=100, unit=' pt')}.",
)
finding("mlp_augmentation_minus_dropout_acc", aug_vs_drop, claims.sentences[-1], 100,
        "pt")
claims.add(
    not (excludes_zero(drop_tuned) and drop_tuned["mean"] > 0),
    f"Tuned dropout ({settings['dropout']}) does not measurably beat no regularisation "
    f"in accuracy: {interval(drop_tuned, 2, scale=100, unit=' pt')} (the interval does "
    "not lie above zero).",
)
finding("mlp_tuned_dropout_minus_none_acc", drop_tuned, claims.sentences[-1], 100, "pt")
claims.add(
    not (excludes_zero(combo_vs_aug) and combo_vs_aug["mean"] > 0),
    "Dropout does not measurably add to augmentation: dropout + augmentation − "
    f"augmentation = {interval(combo_vs_aug, 2, scale=100, unit=' pt')} (the interval "
    "does not lie above zero).",
)
claims.add(
    not excludes_zero(es_vs_none),
    f"Early stopping on validation accuracy alone changes test accuracy by "
    f"{interval(es_vs_none, 2, scale=100, unit=' pt')}: within noise (the interval "
    "includes zero).",
)
display(Markdown(claims.markdown()))

# %% [markdown]
# ## What we found

# %%
recap = table.groupby("method")["test_acc"].apply(mean_interval, digits=2, scale=100)
found = pd.DataFrame(
    {"setting (tuned on validation)": settings, "test accuracy, % (95% CI)": recap}
).loc[order[::-1]]
display(found)
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we
#
# * read the article's Keras and PyTorch listings as one model (drop probability, inverted
#   scaling in both) and found that its PyTorch listing lacks the ReLU;
# * trained it where it overfits and saw dropout delay the turn of the test loss;
# * swept the rate and compared dropout with L1, L2, early stopping and augmentation,
#   each tuned on validation with the same budget, with paired intervals over seeds.
#
# The answer to the article's FAQ is quantitative: on this problem task knowledge
# (augmentation) is worth more than dropout, and the recap says whether adding dropout to
# augmentation helped. The next chapter moves to recurrent networks, where the question
# becomes *where* the mask goes.
#
# ## Exercises
#
# 1. **Predict, then run.** With `train_size = 4000` (all training images), will the gain
#    of dropout 0.5 over no dropout grow or shrink? Predict, then run with
#    `papermill -p train_size 4000`.
#
# ```{admonition} Hint
# :class: dropdown
# More data means less overfitting, so less for a regulariser to fix: expect a smaller gain
# (and a later turn of the test loss without dropout).
# ```
#
# 2. **Extend the code.** Add "L2 + augmentation" to `methods` with three candidate
#    strengths. Does it beat "dropout + augmentation"?
#
# ```{admonition} Hint
# :class: dropdown
# Add `"L2 + augmentation": [{"l2": v, "shift": 1} for v in (3e-4, 1e-3, 3e-3)]` and an
# `against(...)` row; the sweep reuses every trial it already has.
# ```
#
# 3. **Question a claim.** Early stopping here selects the epoch by validation *accuracy*.
#    Select it by validation *loss* instead (the usual default): what happens to the test
#    accuracy, and why, given the curves of section 2?
#
# ```{admonition} Hint
# :class: dropdown
# Use `seqdrop.course.regularizers.early_stopping_point(history, "val_loss")` on the per-trial
# history (`rate_sweep.history`). The loss turns up several epochs before accuracy stops
# improving, so a loss-based stop comes earlier.
# ```
#
# 4. **Wider network.** {cite:t}`srivastava2014dropout` used 1024–8192 units per layer.
#    Set `hidden = 1024`: does the best rate on validation move?
#
# ```{admonition} Hint
# :class: dropdown
# Larger networks overfit more and tolerate more dropout; expect the best rate to stay at
# 0.5 or move up, and a larger gain.
# ```
#
# ## References
#
# - {cite:t}`srivastava2014dropout`: dropout on MNIST and the rates it recommends.
# - {cite:t}`lecun1998gradient`: the MNIST digits; {cite:t}`simard2003best`: distortions of
#   the digit images as augmentation.
# - {cite:t}`prechelt1998early`: early stopping; {cite:t}`kingma2015adam`: the optimizer.
# - {cite:t}`goodfellow2016deep`, chapter 7: L1 and L2 penalties, early stopping, dataset
#   augmentation and dropout side by side.
