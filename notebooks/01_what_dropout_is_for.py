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
# This chapter answers both with numbers. We put a network where dropout has something to
# fix: the layout of {cite:t}`srivastava2014dropout` (two hidden ReLU layers, dropout on the
# pixels and on the hidden units) trained long on a small MNIST training set, so that
# without dropout it memorises the training images while its validation loss turns up. We
# check that it beats the trivial baseline, measure what dropout gains on held-out test
# images at the epoch chosen on validation data (early stopping for every model), and put
# L2 and augmentation beside it with the same budget, over several seeds.
#
# **Learning goals.** After this chapter you can
#
# - read the article's Keras and PyTorch code as the same model, and say what Keras' `rate`
#   and PyTorch's `p` mean;
# - recognise overfitting in learning curves, and the trivial baseline a model must beat
#   before any comparison means something;
# - measure dropout's gain on test data at the validation-selected epoch, paired over seeds;
# - compare dropout with early stopping, L2 and augmentation fairly (same budget, same
#   selection on validation data).
#
# **Prerequisites and run time.** Chapter 00 (what dropout computes). Run time, measured
# in CPU seconds with one thread per process on a shared 2-core machine (load 8–12, so the
# wall times there were 4–6× longer): smoke about 19 CPU-s (the nbval run, kernel start
# included); course profile (the defaults: 4 recipes × 5 seeds of a 784-256-256-10 net,
# 100 epochs on 1,000 images; 14–16 CPU-s per training) about 300 CPU-s, i.e. about
# 2.5–3 minutes on 2 idle cores with two workers; paper profile (`params/paper.yaml`:
# 1,024 units per layer as in {cite:t}`srivastava2014dropout`, 10 seeds) about 10 minutes
# on 8 cores (an estimate: 40 trainings of about 100 CPU-s).

# %% tags=["parameters"]
train_size = 1000  # MNIST training images (of a 2,000-image pool); 500 validate, 2,500 test
hidden = 256  # units per hidden layer (Srivastava et al. used 1,024 and more)
layers = 2  # hidden layers
input_p = 0.2  # dropout rate on the pixels (Srivastava et al.)
p = 0.5  # dropout rate after every hidden layer (the article's and Srivastava et al.'s)
l2 = 3e-4  # L2 penalty of the comparison: l2 · ΣW² over the weight matrices
shift = 1  # augmentation of the comparison: random shifts by up to `shift` pixels
epochs = 100  # passes over the training set (Adam lr 1e-3, batch 100)
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 5  # trainings per recipe
scheduler = None  # None: a local Dask cluster; "serial"; or tcp://host:8786

# %%
from seqdrop.course import (check_parameters, check_probability, check_scheduler, integer,
                            number)

params = check_parameters(globals(), {
    "train_size": integer(10, 2000),
    "hidden": integer(1, 8192),
    "layers": integer(1, 8),
    "input_p": check_probability,
    "p": check_probability,
    "l2": number(0.0, 1.0),
    "shift": integer(0, 8),
    "epochs": integer(1, 10_000),
    "base_seed": integer(0, 2**31 - 1),
    "n_seeds": integer(2, 100),
    "scheduler": check_scheduler,
}, rules=[("p", lambda v: v["p"] > 0 or v["input_p"] > 0, "be > 0 or input_p > 0 (a "
           "dropout recipe to compare)")])

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
import torch
from IPython.display import Markdown, display
from torch import nn

import seqdrop
from seqdrop.course import (excludes_zero, interval, mean_interval, record_finding, setup)
from seqdrop.course.overfitting import nested_mnist, train_mlp_regime
from seqdrop.models import FeedForwardNet
from seqdrop.sweep import mean_ci, minimum_detectable_effect, paired_difference, sweep

seeds, claims = setup("01_what_dropout_is_for", params, precision=4)

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
model = FeedForwardNet(784, (128,), 10, dropout=0.5)  # the article's 784-128-10
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
fc1, fc2 = nn.Linear(784, 128), nn.Linear(128, 10)
article_pytorch = nn.Sequential(fc1, nn.Dropout(0.5), fc2).eval()  # the article's forward
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
# Dropout regularises: it can only help a model that fits its training set better than the
# data justify. So we first build one that does. From the 5,000-image MNIST subset that
# installs offline, `seqdrop.course.overfitting.nested_mnist` keeps a fixed validation set
# (500 images), a fixed test set (2,500) and `train_size` training images. The network is
# Srivastava et al.'s layout scaled to a laptop: 784-`hidden`-`hidden`-10 with ReLUs, trained
# for `epochs` epochs with Adam; its dropout recipe drops pixels with probability `input_p`
# and hidden units with probability `p` {cite}`srivastava2014dropout`.
#
# One sweep trains four recipes on `n_seeds` seeds (same initialisation and data order per
# seed, so differences are paired): no regularisation, dropout, and the two alternatives of
# section 4. Every training keeps the epoch of best **validation** accuracy and tests only
# that one on the **test** images: early stopping is part of every recipe, and the test set
# plays no part in any choice.

# %%
data = nested_mnist(train_size)
print(f"train {len(data.train)} / validation {len(data.valid)} / test {len(data.test)}")
recipes = {
    "none": {},
    "dropout": {"input_p": input_p, "p": p},
    "L2": {"l2": l2},
    "augmentation": {"shift": shift},
}
common = {"train_size": train_size, "hidden": hidden, "layers": layers, "epochs": epochs}
res = sweep(
    train_mlp_regime,
    [{k: [v] for k, v in (common | r).items()} for r in recipes.values()],
    seeds=seeds,
    scheduler=scheduler,
    name="01_what_dropout_is_for",
    progress=False,
)


def recipe_of(row: pd.Series) -> str:
    """The recipe a trial ran: the one whose settings its config has (others at 0)."""
    keys = ("input_p", "p", "l2", "shift")
    for name, r in recipes.items():
        if all(row[k] == r.get(k, 0) for k in keys):
            return name
    raise ValueError(f"trial matches no recipe: {dict(row[list(keys)])}")


trials, history = res.trials.copy(), res.history.copy()
trials["recipe"] = trials.apply(recipe_of, axis=1)
history["recipe"] = history.apply(recipe_of, axis=1)
print(f"{len(trials)} trainings, {len(res.failed)} failed")
majority = float(trials["majority_acc"].iloc[0])

# %% [markdown]
# The learning curves of the network without dropout and with it. The dotted line is the
# trivial baseline: always answering the most frequent training class.

# %%
two = history[history["recipe"].isin(["none", "dropout"])].copy()
two["validation error"] = 1 - two["val_acc"]
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
sns.lineplot(data=two, x="epoch", y="train_loss", hue="recipe", errorbar=("ci", 95),
             ax=axes[0], legend=False)
sns.lineplot(data=two, x="epoch", y="val_loss", hue="recipe", errorbar=("ci", 95),
             ax=axes[0], linestyle="--", legend=False)
axes[0].set(yscale="log", ylabel="cross-entropy", title="training (solid), validation (dashed)")
sns.lineplot(data=two, x="epoch", y="validation error", hue="recipe", errorbar=("ci", 95),
             ax=axes[1])
axes[1].axhline(1 - majority, color="k", ls=":", lw=1.2, label="majority class")
axes[1].set(yscale="log", title="validation error")
axes[1].legend(fontsize=9)
fig.suptitle(f"784-{hidden}×{layers}-10 on {train_size} MNIST images, {n_seeds} seeds",
             fontsize=10)
fig.tight_layout()
seqdrop.savefig(fig, "01_learning_curves")
plt.show()

# %%
by = {name: part.set_index("seed") for name, part in trials.groupby("recipe")}
none, drop = by["none"], by["dropout"]


def finding(name: str, values: pd.Series | list, sentence: str, *, scale: float = 1.0,
            unit: str = "", **tags: str) -> None:
    """Record the mean and 95% CI over seeds of ``values`` as a finding."""
    m, lo, hi, n = mean_ci(list(values))
    record_finding(name, scale * m, scale * lo, scale * hi, unit=unit, n_seeds=int(n),
                   claim=sentence, tags={"data": "mnist", "cell": "mlp",
                                         "task": "classification", **tags})


margin = none["es_test_acc"] - none["majority_acc"]
m_margin = mean_ci(margin.to_numpy())
claims.claim(
    m_margin[1] > 0,
    f"Without dropout the network is far from trivial: its test accuracy at the "
    f"validation-selected epoch, {none['es_test_acc'].mean():.1%}, is "
    f"{mean_interval(margin, 1, scale=100, unit=' pt')} above the majority-class baseline "
    f"({majority:.1%}).",
)
finding("mlp_none_margin_over_majority", margin, claims.sentences[-1], scale=100, unit="pt",
        baseline="majority", split="test", recipe="none", metric="test_acc")
turn = none["val_loss_best_epoch"]
rise = none["val_loss_excess"]
claims.claim(
    bool((turn < epochs).all() and (none["train_loss"] < 0.01).all())
    and mean_ci(rise.to_numpy())[1] > 0,
    f"And it overfits: its training loss falls to {none['train_loss'].max():.4f} or less, "
    f"while its validation loss reaches its minimum at epoch {int(turn.min())}–"
    f"{int(turn.max())} of {epochs} and ends {mean_interval(rise, 3)} above it.",
)
finding("mlp_none_overfitting_val_loss", rise, claims.sentences[-1], split="validation",
        recipe="none", metric="val_loss: last − best epoch")
acc_drop = none["val_acc_excess"]
claims.note(
    f"Its validation accuracy peaks at epoch {int(none['es_epoch'].min())}–"
    f"{int(none['es_epoch'].max())} and ends "
    f"{mean_interval(acc_drop, 1, scale=100, unit=' pt')} below its best.",
)
finding("mlp_none_overfitting_val_acc", acc_drop, claims.sentences[-1], scale=100, unit="pt",
        split="validation", recipe="none", metric="val_acc: best − last epoch")
slower = drop["val_loss_excess"] - none["val_loss_excess"]
claims.claim(
    mean_ci(slower.to_numpy())[2] < 0,
    f"Dropout tames the overfitting: its validation loss ends "
    f"{drop['val_loss_excess'].mean():.3f} above its minimum, "
    f"{mean_interval(-slower, 3)} less than without dropout (paired over seeds).",
)
claims.claim(
    bool((drop["train_loss"] > none["train_loss"]).all()),
    f"With dropout the training loss stays higher on every seed "
    f"({drop['train_loss'].mean():.3f} against {none['train_loss'].mean():.4f} at the last "
    "epoch).",
)
later = drop["es_epoch"] - none["es_epoch"]
claims.note(
    f"Its validation accuracy peaks {mean_interval(later, 0, unit=' epochs')} after the "
    "peak without dropout (paired over seeds; a later peak on average when the interval "
    "lies above zero).",
)
display(Markdown(claims.markdown(last=6)))

# %% [markdown]
# This is the textbook picture of overfitting: the network without dropout memorises its
# training images, and what it learns after its first few epochs makes it more confident
# on the validation images, not more often right (the loss punishes confident mistakes,
# the error rate does not). Each dropout step trains a thinned network, which cannot
# memorise as fast: its training loss stays higher.
#
# ## 3. What dropout gains on test data
#
# The headline comparison: test accuracy at each training's validation-selected epoch,
# dropout against no dropout, paired by seed. The dotted line is again the majority-class
# baseline (the axis shows the error, on a log scale, so that both fit).

# %%
order = list(recipes)
errors = trials.assign(test_error=1 - trials["es_test_acc"])
fig, ax = plt.subplots(figsize=(6.5, 3.4))
sns.pointplot(data=errors, y="recipe", x="test_error", order=order, errorbar=("ci", 95),
              linestyle="none", ax=ax)
sns.stripplot(data=errors, y="recipe", x="test_error", order=order, color="0.6", size=3,
              ax=ax)
ax.axvline(1 - majority, color="k", ls=":", lw=1.2, label="majority class")
ax.set(xscale="log", xlabel="test error at the validation-selected epoch", ylabel="",
       title=f"{n_seeds} seeds, mean and 95% CI")
ax.legend(fontsize=9, loc="center right")
fig.tight_layout()
seqdrop.savefig(fig, "01_test_error")
plt.show()

# %%
vs_none = pd.concat(
    [paired_difference(trials, "es_test_acc", by="recipe", a=r, b="none", within=[])
     for r in order if r != "none"], ignore_index=True)
vs_none[["a", "b", "mean", "ci_low", "ci_high", "significant"]]

# %%
gain = vs_none.set_index("a").loc["dropout"]
claims.claim(
    excludes_zero(gain) and gain["mean"] > 0,
    f"Dropout ({input_p:g} on the pixels, {p:g} on the hidden units) raises test accuracy at "
    f"the validation-selected epoch by {interval(gain, 2, scale=100, unit=' pt')} over the "
    f"early-stopped network without dropout (paired over {int(gain['n'])} seeds).",
)
record_finding("mlp_dropout_test_acc_gain", 100 * gain["mean"], 100 * gain["ci_low"],
               100 * gain["ci_high"], unit="pt", n_seeds=int(gain["n"]),
               claim=claims.sentences[-1],
               tags={"data": "mnist", "cell": "mlp", "task": "classification",
                     "split": "test", "recipe": f"dropout input {input_p:g} hidden {p:g}",
                     "metric": "test_acc", "baseline": "none"},
               definition={"input_dropout": input_p, "hidden_dropout": p,
                           "layers": layers, "hidden": hidden})
seqdrop.record("dropout_gain", float(gain["mean"]))
display(Markdown(claims.markdown(last=1)))

# %% [markdown]
# This is the effect the article promises, measured where it can appear. It is a gain over
# an early-stopped network: the no-dropout model already keeps its best validation epoch, so
# **FAQ 2's early stopping is in the baseline**, and dropout adds to it.
#
# ## 4. Dropout, L2 and augmentation (the article's FAQ 1–2)
#
# The same sweep trained the two alternatives with the same budget and the same selection:
# an L2 penalty `l2`·ΣW² on the weights, and augmentation that moves each training image by
# up to `shift` pixels (`seqdrop.course.regularizers.RandomShift`, a training-only layer like
# dropout). Each has one setting here, fixed in advance (tuning any of them on validation is
# exercise 2). The paired differences:

# %%
pairs = pd.concat(
    [vs_none]
    + [paired_difference(trials, "es_test_acc", by="recipe", a="dropout", b=b, within=[])
       for b in ("L2", "augmentation")], ignore_index=True)


def verdict(row: pd.Series) -> str:
    """"better"/"worse" when the interval excludes zero; else the null with the smallest
    effect that these seeds would have detected (80% power)."""
    if not excludes_zero(row):
        mde = 100 * minimum_detectable_effect(row)
        return f"within noise; {int(row['n'])} seeds detect effects of ±{mde:.1f} pt"
    return "better" if row["mean"] > 0 else "worse"


sentences = [
    claims.note(f"{r['a']} − {r['b']}: {interval(r, 2, scale=100, unit=' pt')} test "
                f"accuracy ({verdict(r)})")
    for _, r in pairs.iterrows() if not (r["a"] == "dropout" and r["b"] == "none")
]
for _, r in pairs.iterrows():
    if r["b"] == "none" and r["a"] != "dropout":
        record_finding(f"mlp_{r['a'].lower()}_test_acc_gain", 100 * r["mean"],
                       100 * r["ci_low"], 100 * r["ci_high"], unit="pt", n_seeds=int(r["n"]),
                       claim=next(s for s in sentences if s.startswith(f"{r['a']} − none")),
                       tags={"data": "mnist", "cell": "mlp", "task": "classification",
                             "split": "test", "recipe": r["a"], "metric": "test_acc",
                             "baseline": "none"})
display(Markdown("\n".join(f"- {s}" for s in sentences)))

# %% [markdown]
# **FAQ 1: how does dropout differ from L1 and L2?** In what it does to the weights, not
# only in where it is written. L2 shrinks every weight towards zero; dropout does not
# shrink them, it makes each hidden unit useful without its partners (chapter 00 shows that
# for a linear model dropout *is* an L2 penalty, but one scaled per feature by the data).
# The size of the first layer's weights after training:

# %%
w = trials.groupby("recipe")[["es_test_acc", "w_l2", "w_near_zero"]].mean().loc[order]
w

# %%
shrink = by["L2"]["w_l2"] / none["w_l2"]
kept = drop["w_l2"] / none["w_l2"]
claims.claim(
    bool((shrink < 1).all()) and kept.mean() >= 1,
    f"L2 shrinks the first layer: the RMS of its weights is {shrink.mean():.0%} of the "
    f"unregularised network's, on every seed; dropout does not shrink it "
    f"({kept.mean():.0%}).",
)
finding("mlp_l2_first_layer_rms_ratio", shrink, claims.sentences[-1], recipe="L2",
        metric="first-layer weight RMS, L2 / none")
display(Markdown(claims.markdown(last=1)))

# %% [markdown]
# **FAQ 2: and from early stopping and data augmentation?** Early stopping limits how long
# we fit (every recipe here has it); augmentation adds knowledge about the task (a digit
# moved by a pixel is the same digit); dropout adds noise that knows nothing about the task.
# They are not alternatives to choose between once and for all: the intervals above say
# which ones help here, at the strengths we gave them.
#
# ## What we found

# %%
recap = pd.DataFrame({
    "test accuracy, % (95% CI)": trials.groupby("recipe")["es_test_acc"].apply(
        mean_interval, digits=1, scale=100),
    "selected epoch (mean)": trials.groupby("recipe")["es_epoch"].mean().round(0),
    "− no dropout, pt (95% CI)": vs_none.set_index("a").apply(
        lambda r: interval(r, 2, scale=100), axis=1),
}).loc[order].fillna("–")
display(recap)
display(Markdown(claims.markdown()))

# %% [markdown]
# In this chapter we
#
# * read the article's Keras and PyTorch listings as one model (drop probability, inverted
#   scaling in both) and found that its PyTorch listing lacks the ReLU;
# * built a regime where a network overfits — it beats the trivial baseline by a wide
#   margin, memorises its training set, and its validation loss turns up — and measured
#   dropout's gain there, on test data, at the epoch chosen on validation data;
# * put L2 and augmentation beside dropout with the same budget and selection.
#
# Dropout can only help a model that overfits — a model that does not gives it nothing to
# fix — which is why every chapter of this course first shows its baseline overfitting. The
# next chapter moves to recurrent networks, where the question becomes *where* the mask
# goes.
#
# ## Exercises
#
# 1. **Predict, then run.** With `train_size = 2000`, will dropout's gain grow or shrink?
#    And with `train_size = 250`? Predict, then run with `papermill -p train_size 2000`.
#
# ```{admonition} Hint
# :class: dropdown
# More data means less overfitting, so less for a regulariser to fix — but with very few
# images, even the thinned networks cannot learn much, and {cite:t}`srivastava2014dropout`
# (Fig. 10) found the gain smallest at the smallest sizes. The gain is largest in between;
# where exactly is what the run tells you.
# ```
#
# 2. **Extend the code.** Tune L2 and the shift on validation: add recipes with
#    `l2` in (1e-4, 3e-4, 1e-3) and `shift` in (1, 2), pick each method's setting by mean
#    validation accuracy (`best_val_acc`), and compare the winners on test data.
#
# ```{admonition} Hint
# :class: dropdown
# Add entries to `recipes` (e.g. `"L2 1e-3": {"l2": 1e-3}`); the sweep reuses every trial it
# already has. Choose by `trials.groupby("recipe")["best_val_acc"].mean()`, never by test
# accuracy.
# ```
#
# 3. **Question a claim.** The headline compares *early-stopped* networks. Compare the last
#    epoch instead (the `history` has `val_acc` per epoch): does dropout's advantage grow or
#    shrink, and why?
#
# ```{admonition} Hint
# :class: dropdown
# Without early stopping the no-dropout network pays for its late, over-confident epochs;
# dropout's curve is flatter. Compare `history[history.epoch == epochs]` per recipe.
# ```
#
# 4. **Wider network.** {cite:t}`srivastava2014dropout` used 1,024–8,192 units per layer.
#    Set `hidden = 1024` (about 4× the run time): does dropout's gain grow?
#
# ```{admonition} Hint
# :class: dropdown
# A larger network memorises more easily, so it overfits more and has more for dropout to
# fix; expect a larger gain, and a later selected epoch with dropout.
# ```
#
# ## References
#
# - {cite:t}`srivastava2014dropout`: dropout on MNIST, its layout and rates, and how its
#   gain depends on the training-set size.
# - {cite:t}`lecun1998gradient`: the MNIST digits; {cite:t}`simard2003best`: distortions of
#   the digit images as augmentation.
# - {cite:t}`prechelt1998early`: early stopping; {cite:t}`kingma2015adam`: the optimizer.
# - {cite:t}`goodfellow2016deep`, chapter 7: L1 and L2 penalties, early stopping, dataset
#   augmentation and dropout side by side.
