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
# # 08 · Monte-Carlo dropout: uncertainty you can use?
#
# A network trained with dropout is usually evaluated with dropout *off*: the eval-mode
# network is the "weight-scaled" average of all its thinned sub-networks
# {cite}`srivastava2014dropout`. Gal and Ghahramani read dropout as approximate Bayesian
# inference and keep it *on* at test time: the average of many stochastic passes is a
# predictive mean, and their spread is a measure of the model's uncertainty
# {cite}`gal2016dropout`; for recurrent networks they sample one mask per sequence and
# report lower perplexities on the Penn Treebank this way {cite}`gal2016theoretically`.
# This chapter asks whether that uncertainty is *usable* with the suite's own models: are
# the averaged probabilities better calibrated, do prediction intervals cover what they
# promise, does the perplexity drop, what does it cost, and does the uncertainty rise on
# inputs unlike the training data?
#
# **Learning goals.** After this chapter you can
#
# - run Monte-Carlo (MC) dropout on any seqdrop model with `seqdrop.nn.mc_predict` /
#   `mc_dropout`, and choose the number of samples from a convergence curve;
# - measure calibration with a reliability diagram and the expected calibration error
#   (ECE), and compare two predictors on the same seeds with a paired interval;
# - build prediction intervals for a forecast, check their empirical coverage, and explain
#   why the MC spread alone is too narrow;
# - weigh MC averaging's change in perplexity against its cost in CPU seconds;
# - test whether predictive entropy flags out-of-distribution inputs.
#
# **Prerequisites and run time.** Chapters 03 (Gal's variant) and 06 (the forecasting task).
# Run time: smoke about 15 s; course profile (the defaults: 3 seeds × 3 trained models, each
# evaluated with up to 64 MC passes) about 2.5–3 minutes on 2 idle cores (two workers with
# one thread each), estimated from the 280 CPU-seconds it took on a shared machine; paper
# profile (`params/paper.yaml`: 256 units, longer training, a larger PTB slice, 5 seeds,
# 100–256 MC passes; the trials train on the CPU, one thread each, so the paper profile
# wants many cores rather than a GPU) an estimated one to two hours on 16 cores, not measured.

# %% tags=["parameters"]
cell = "lstm"  # "lstm" or "gru"
hidden_size = 64  # recurrent units (every model)
variant = "gal"  # dropout recipe of seqdrop.experiments.recipes.VARIANTS (not "none")
rate = 0.25  # drop probability of the recipe
n_samples = 64  # MC passes for the classifier and the forecaster
classify_data = "mnist-rows"  # "mnist-rows", "fsdd-mfcc" or "digits-rows"
classify_fraction = 1.0  # share of the training split used
classify_epochs = 10  # passes over the training images
n_bins = 10  # confidence bins of the reliability diagram and the ECE
window = 48  # forecasting: months of history per sample
forecast_epochs = 6  # passes over the sunspot training windows
lm_tokens = 20_000  # leading PTB words of each split (of 929,589)
lm_epochs = 2  # passes over the PTB slice
lm_samples = 16  # MC passes over the PTB test windows
lm_eval_batches = 10  # test windows of 10 × 35 words scored
base_seed = 0  # first seed; seeds are base_seed, ..., base_seed + n_seeds - 1
n_seeds = 3  # trainings per model
scheduler = None  # None: local Dask cluster; "serial"; or a Dask address tcp://host:8786
check_claims = True  # assert every claim of the text (the smoke profile turns this off)

# %%
from seqdrop.course import (check_all, check_bool, check_choice, check_float, check_int,
                            check_probability, check_scheduler)
from seqdrop.experiments.recipes import VARIANTS

globals().update(check_all({
    "cell": lambda: check_choice("cell", cell, ["lstm", "gru"]),
    "hidden_size": lambda: check_int("hidden_size", hidden_size, 1, 4096),
    "variant": lambda: check_choice("variant", variant, list(VARIANTS[1:])),
    "rate": lambda: check_float("rate", rate, 0.0, 0.95, low_closed=False),
    "n_samples": lambda: check_int("n_samples", n_samples, 2, 100_000),
    "classify_data": lambda: check_choice("classify_data", classify_data,
                                          ["mnist-rows", "fsdd-mfcc", "digits-rows"]),
    "classify_fraction": lambda: check_float("classify_fraction", classify_fraction, 0.0, 1.0,
                                             low_closed=False),
    "classify_epochs": lambda: check_int("classify_epochs", classify_epochs, 1, 1000),
    "n_bins": lambda: check_int("n_bins", n_bins, 1, 1000),
    "window": lambda: check_int("window", window, 2, 600),
    "forecast_epochs": lambda: check_int("forecast_epochs", forecast_epochs, 1, 1000),
    "lm_tokens": lambda: check_int("lm_tokens", lm_tokens, 1_000, 929_589),
    "lm_epochs": lambda: check_int("lm_epochs", lm_epochs, 1, 1000),
    "lm_samples": lambda: check_int("lm_samples", lm_samples, 2, 100_000),
    "lm_eval_batches": lambda: check_int("lm_eval_batches", lm_eval_batches, 1, 10_000),
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
from IPython.display import Markdown, display

from seqdrop.course import record, record_finding, savefig, setup_figures
from seqdrop.course.paths import output_dir
from seqdrop.data import sunspots_series
from seqdrop.course.calibration import pool_reliability
from seqdrop.experiments.evidence import Claims, interval, mean_interval
from seqdrop.course.mc_perplexity import mc_lm
from seqdrop.course.uncertainty import (by_method, fit_forecaster, history_table,
                                             mc_classifier, mc_forecaster)
from seqdrop.course.uncertainty_plots import (convergence_panels, coverage_diagram,
                                                   reliability_diagram)
from seqdrop.nn import mc_predict
from seqdrop.sweep import mean_ci, paired_difference, sweep

torch.set_num_threads(1)
setup_figures()
pd.set_option("display.precision", 3)
seeds = list(range(base_seed, base_seed + n_seeds))
recipe = dict(variant=variant, rate=rate, cell=cell, hidden_size=hidden_size)
store = output_dir() / "sweeps"
claims = Claims(check=check_claims)
METHOD = {"ws": "weight scaling", "mc": f"MC ({n_samples} passes)"}


found = []


def finding(name: str, values, sentence: str, unit: str = "") -> str:
    """Record a finding (mean and 95% CI over seeds) with the sentence that states it."""
    m, lo, hi, n = mean_ci(list(values))
    record_finding(f"mc_{name}", m, lo, hi, claim=sentence, unit=unit, n_seeds=n,
                   tags={"cell": cell, "variant": variant})
    found.append({"finding": f"mc_{name}", "mean": m, "95% CI": f"[{lo:.3g}, {hi:.3g}]",
                  "unit": unit, "seeds": n})
    return sentence


# %% [markdown]
# ## 1. Two ways to predict with a dropout network
#
# With inverted dropout, the eval-mode network is the weight-scaled network: one
# deterministic pass. MC dropout instead samples $S$ masks and averages the *predicted
# distributions* {cite}`gal2016dropout`:
#
# $$
# p_{\text{MC}}(y \mid x) = \frac{1}{S}\sum_{s=1}^{S} p(y \mid x, \hat\omega_s),
# \qquad \hat\omega_s \sim q(\omega),
# $$
#
# where $\hat\omega_s$ are the weights with the $s$-th set of masks applied. In seqdrop this
# is one call: `mc_predict(model, inputs, n_samples, transform=softmax)` switches only the
# dropout layers to train mode, runs the passes without gradients and returns the mean and
# the standard deviation of the outputs. Every experiment below trains a model once per seed
# with the `gal` recipe (one mask per sequence on the input, the output and $h_{t-1}$) and
# predicts the test split both ways from the *same* weights, so the two methods are paired
# by seed.
#
# We start with a sequence classifier (MNIST digits read row by row,
# {cite}`lecun1998gradient`): how many passes does the MC average need?

# %%
cls = sweep(mc_classifier, recipe | {"data": classify_data, "train_fraction": classify_fraction,
                                     "epochs": classify_epochs, "n_samples": n_samples,
                                     "n_bins": n_bins},
            seeds=seeds, scheduler=scheduler, progress=False, store=store / "08_classifier")
assert cls.failed.empty, cls.failed[["error"]]
ct = cls.trials
conv = history_table(cls.history, "convergence")
ws_ref = ct.rename(columns={"ws_nll": "nll", "ws_ece": "ece", "ws_acc": "acc"})
fig = convergence_panels(conv, {"acc": "test accuracy", "nll": "test NLL",
                                "spread": "std of top-class prob."}, ws_ref)
savefig(fig, "08_convergence")
plt.show()
conv.groupby("n_samples")[["acc", "nll", "ece", "change", "spread"]].mean()

# %% [markdown]
# The orange curves are the MC average after the first $n$ passes (mean and 95% interval
# over seeds); the dashed blue line is the weight-scaled network. `change` is the mean
# total-variation distance between the average of the first $n$ passes and of all of them;
# `spread` is the standard deviation of the top class's probability across passes, the
# per-input uncertainty MC dropout provides. A single pass is one thinned sub-network:

# %%
at = conv.pivot_table(index="seed", columns="n_samples", values=["nll", "change"])
nll_drop = at["nll"][1] - at["nll"][n_samples]
half = max(n for n in at["change"].columns if n <= n_samples // 2)
claims.add(bool((nll_drop > 0).all()), finding(
    "single_pass_nll_excess", nll_drop,
    f"One stochastic pass predicts worse than the average of {n_samples}: its test NLL is "
    f"higher on every seed, by {mean_interval(nll_drop)} on average (paired over seeds)."))
claims.add(
    at["change"][half].max() < 0.05,
    f"The average has settled by {half} passes: on every seed it differs from the "
    f"{n_samples}-pass average by less than 0.05 in total variation "
    f"(at most {at['change'][half].max():.3f}).")
display(Markdown(claims.markdown()))

# %% [markdown]
# ## 2. Calibration: weight scaling against MC averaging
#
# A classifier is *calibrated* when, among the inputs it labels with confidence 0.8, 80%
# are right. The reliability diagram bins the test images by confidence (the top
# probability) and plots the accuracy in each bin; the expected calibration error is the
# bin-weighted gap {cite}`naeini2015obtaining,guo2017calibration`:
#
# $$
# \mathrm{ECE} = \sum_{b} \frac{n_b}{N}\,\bigl|\mathrm{acc}_b - \mathrm{conf}_b\bigr| .
# $$
#
# Bars below the diagonal are over-confident, bars above it under-confident. The bins are
# pooled over seeds; the table gives each metric per method with its 95% interval and the
# paired difference MC − weight scaling.

# %%
bins = history_table(cls.history, "reliability")
fig = reliability_diagram(pool_reliability(bins, by=["method"]), labels=METHOD)
savefig(fig, "08_reliability")
plt.show()
long = by_method(ct, ["acc", "nll", "ece", "entropy"])
diffs = pd.concat([paired_difference(long, m, by="method", a="mc", b="ws", within=[])
                   for m in ("acc", "nll", "ece", "entropy")]).set_index("metric")
table = long.groupby("method")[["acc", "nll", "ece", "entropy"]].mean().T
table.assign(**{"MC − WS [95% CI]": [mean_interval(ct[f"mc_{m}"] - ct[f"ws_{m}"])
                                     for m in table.index]})

# %%
ece, nll, acc = (diffs.loc[m] for m in ("ece", "nll", "acc"))
worse = "less" if ece["mean"] > 0 else "better"
claims.add(bool(ece["significant"]), finding(
    "ece_difference", ct["mc_ece"] - ct["ws_ece"],
    f"MC averaging leaves the classifier {worse} calibrated than weight scaling: the "
    f"paired ECE difference (MC − weight scaling) is {interval(ece)}, an interval that "
    "excludes zero."))
claims.add(bool(nll["significant"]) and np.sign(nll["mean"]) == np.sign(ece["mean"]), finding(
    "nll_difference", ct["mc_nll"] - ct["ws_nll"],
    f"The test NLL moves the same way: MC − weight scaling = {interval(nll)}."))
claims.add(not acc["significant"], finding(
    "acc_difference", ct["mc_acc"] - ct["ws_acc"],
    f"The accuracy is the same within noise ({interval(acc)}).", unit="fraction"))
rel = bins.groupby(["seed", "method"])[["confidence", "correct", "count"]].sum()
under = ((rel["correct"] - rel["confidence"]) / rel["count"]).unstack("method")
span = {m: f"{under[m].min():+.3f} to {under[m].max():+.3f}" for m in ("ws", "mc")}
claims.add(bool((under > 0).all().all() and (under["mc"] > under["ws"]).all()),
           "On every seed both predictors are under-confident, MC more so: accuracy minus "
           f"mean confidence is {span['ws']} for weight scaling and {span['mc']} for MC. "
           "Averaging over masks flattens probabilities that were not over-confident to "
           "begin with.")
display(Markdown("\n".join(f"- {s}" for s in claims.sentences[-4:])))

# %% [markdown]
# ## 3. Inputs unlike the training data
#
# If the spread of the sampled networks is model uncertainty, it should grow on inputs the
# model has never seen. Two kinds of such inputs: the test images with their **rows
# shuffled** (the same pixels per image, without the stroke structure) and **Gaussian
# noise** with the per-feature mean and standard deviation of the training images. We
# compare the predictive entropy $H[p] = -\sum_c p_c \log p_c$ (nats; at most
# $\log 10 \approx 2.30$) on them with that on the test images, and summarise how well the
# entropy separates the two sets by the area under the ROC curve (AUROC; 0.5 = no
# separation) {cite}`hendrycks2017baseline`.

# %%
ood = pd.DataFrame([
    {"seed": r["seed"], "method": METHOD[m], "inputs": kind,
     "entropy": r[f"{m}_entropy" if kind == "test images" else f"{m}_entropy_{key}"]}
    for _, r in ct.iterrows() for m in ("ws", "mc")
    for kind, key in (("test images", ""), ("rows shuffled", "shuffled"),
                      ("Gaussian noise", "noise"))])
fig, ax = plt.subplots(figsize=(7, 3))
sns.barplot(ood, x="inputs", y="entropy", hue="method", errorbar=("ci", 95), ax=ax)
ax.set(ylabel="mean predictive entropy (nats)", xlabel="")
fig.tight_layout()
savefig(fig, "08_ood_entropy")
plt.show()
ct[["seed", "ws_auroc_shuffled", "mc_auroc_shuffled", "ws_auroc_noise", "mc_auroc_noise"]]

# %%
rises = {}
for m in ("ws", "mc"):
    for key in ("shuffled", "noise"):
        rises[m, key] = ct[f"{m}_entropy_{key}"] - ct[f"{m}_entropy"]
low_rise = min(mean_ci(v)[1] for v in rises.values())
claims.add(low_rise > 0, finding(
    "ood_entropy_rise_noise", rises["mc", "noise"],
    "Both methods give out-of-distribution inputs a higher predictive entropy than test "
    "images, for shuffled rows and for noise: every paired increase has a 95% interval above "
    f"zero (MC on noise: {mean_interval(rises['mc', 'noise'])} nats; MC on shuffled rows: "
    f"{mean_interval(rises['mc', 'shuffled'])}).", unit="nats"))
auc_gain = ct["mc_auroc_noise"] - ct["ws_auroc_noise"]
lo, hi = mean_ci(auc_gain)[1:3]
claims.add(hi > 0, finding(
    "auroc_noise_difference", auc_gain,
    "As a detector of noise inputs, the MC entropy is " + (
        "better than the weight-scaled entropy" if lo > 0 else
        "no worse than the weight-scaled entropy beyond noise")
    + f" (AUROC difference {mean_interval(auc_gain)})."))
display(Markdown("\n".join(f"- {s}" for s in claims.sentences[-2:])))

# %% [markdown]
# ## 4. Prediction intervals for a forecast
#
# For regression the MC passes give a mean and a standard deviation per input, hence an
# interval $\hat\mu \pm z\,\hat\sigma$. But the spread of the sampled networks is only the
# *model* (epistemic) part of the uncertainty; the data have noise of their own. Gal and
# Ghahramani's predictive variance adds it, $\tau^{-1} + \widehat{\mathrm{Var}}$
# {cite}`gal2016dropout,kendall2017what`. We estimate the noise variance $\tau^{-1}$ on the
# validation months (mean squared residual of the MC mean minus the mean MC variance) and
# compare three intervals on the test months of the sunspot forecaster of chapter 06:
#
# - **MC**: MC mean ± $z$ × MC spread;
# - **MC + noise**: MC mean ± $z\sqrt{\tau^{-1} + \widehat{\mathrm{Var}}}$;
# - **WS + noise**: the weight-scaled forecast ± $z$ × its validation RMSE (one width for all
#   months, no MC).
#
# First, one forecaster and its MC band, from a single call of `mc_predict`:

# %%
config = dict(mc_forecaster.defaults) | recipe | {"window": window, "epochs": forecast_epochs,
                                                  "seed": base_seed}
model, fc, _ = fit_forecaster(config)
torch.manual_seed(base_seed)
mean, std = mc_predict(model, (fc.test.x, fc.test.lengths), n_samples)
mean, y = (v.flatten() * fc.scale + fc.offset for v in (mean, fc.test.y))
std = std.flatten() * fc.scale  # a spread is scaled, not shifted
years = 1749 + (len(sunspots_series()) - len(y) + np.arange(len(y))) / 12  # last months
fig, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(years, y, "k", lw=0.7, label="observed")
ax.plot(years, mean, color="C1", lw=0.9, label="MC mean")
ax.fill_between(years, mean - 1.645 * std, mean + 1.645 * std, color="C1", alpha=0.3,
                label="MC 90% band (model uncertainty only)")
ax.set(xlabel="year (test months)", ylabel="sunspot number")
ax.legend(fontsize=8, ncols=3, loc="upper left")
fig.tight_layout()
savefig(fig, "08_forecast_band")
plt.show()

# %% [markdown]
# The band is narrow where the model is sure of itself, which is not the same as where the
# observations are predictable. Coverage over seeds, per interval kind and nominal level:

# %%
fcs = sweep(mc_forecaster, recipe | {"window": window, "epochs": forecast_epochs,
                                     "n_samples": n_samples},
            seeds=seeds, scheduler=scheduler, progress=False, store=store / "08_forecaster")
assert fcs.failed.empty, fcs.failed[["error"]]
ft = fcs.trials
cov = history_table(fcs.history, "coverage")
LABELS = {"mc": "MC", "mc+noise": "MC + noise", "ws+noise": "WS + noise"}
fig = coverage_diagram(cov, LABELS)
savefig(fig, "08_coverage")
plt.show()
cov.pivot_table(index="method", columns="level", values=["coverage", "width"]).round(3)

# %%
c90 = {m: ft[f"cov90_{m}"] for m in LABELS}
gap = {m: (c90[m] - 0.9).abs() for m in LABELS}
closer = gap["mc"] - gap["mc+noise"]
claims.add(mean_ci(c90["mc"])[2] < 0.9, finding(
    "coverage90_mc", c90["mc"],
    f"Intervals from the MC spread alone are too narrow: the nominal 90% intervals cover "
    f"{mean_interval(c90['mc'], 2)} of the test months.", unit="fraction"))
claims.add(bool((closer > 0).all()), finding(
    "coverage90_mc_noise", c90["mc+noise"],
    f"Adding the noise variance estimated on validation data brings the coverage to "
    f"{mean_interval(c90['mc+noise'], 2)}, closer to 90% on every seed (the distance to "
    f"90% shrinks by {mean_interval(closer, 2)} on average).", unit="fraction"))
vs_ws = gap["ws+noise"] - gap["mc+noise"]
claims.add(mean_ci(vs_ws)[2] > 0, finding(
    "coverage90_ws_noise", c90["ws+noise"],
    f"The constant-width interval around the weight-scaled forecast covers "
    f"{mean_interval(c90['ws+noise'], 2)}; MC + noise is "
    + ("closer to 90%" if mean_ci(vs_ws)[1] > 0 else "not further from 90% beyond noise")
    + f" (distance to 90%, WS + noise − MC + noise: {mean_interval(vs_ws, 2)}).",
    unit="fraction"))
display(Markdown("\n".join(f"- {s}" for s in claims.sentences[-3:])))

# %% [markdown]
# ## 5. Perplexity: the gain and its price
#
# Gal and Ghahramani evaluate their PTB language models both ways and report that averaging
# the probabilities of 1000 passes lowers the test perplexity by about a point
# {cite}`gal2016theoretically`; Melis et al. found a similar small gain at about a thousand
# times the evaluation cost {cite}`melis2018state`. Here a one-layer word model trained on
# a slice of PTB (chapter 06's setting) is scored on the same test windows with the
# weight-scaled network and with the average of `lm_samples` passes, and each evaluation is
# timed in CPU seconds.

# %%
lms = sweep(mc_lm, recipe | {"max_tokens": lm_tokens, "epochs": lm_epochs,
                             "n_samples": lm_samples, "eval_batches": lm_eval_batches},
            seeds=seeds, scheduler=scheduler, progress=False, store=store / "08_lm")
assert lms.failed.empty, lms.failed[["error"]]
lt = lms.trials.assign(gain=lambda t: t["ws_ppl"] - t["mc_ppl"],
                       cost=lambda t: t["mc_seconds"] / t["ws_seconds"])
lconv = history_table(lms.history, "convergence")
fig = convergence_panels(lconv, {"ppl": "test perplexity"},
                         lt.rename(columns={"ws_ppl": "ppl"}), width=4.5)
savefig(fig, "08_lm_convergence")
plt.show()
lt[["seed", "ws_ppl", "mc_ppl", "gain", "ws_seconds", "mc_seconds", "cost"]]

# %%
g_lo = mean_ci(lt["gain"])[1]
rel_gain = 100 * lt["gain"] / lt["ws_ppl"]
claims.add(g_lo > 0, finding(
    "ppl_gain", rel_gain,
    f"Averaging {lm_samples} passes lowers the test perplexity by "
    f"{mean_interval(lt['gain'], 1)} points ({mean_interval(rel_gain, 1)} %), an interval "
    "above zero.", unit="%"))
claims.add(mean_ci(lt["cost"])[1] > lm_samples / 2, finding(
    "ppl_cost_ratio", lt["cost"],
    f"It costs {mean_interval(lt['cost'], 1)} times the CPU time of one weight-scaled "
    f"evaluation; even the interval's lower end is above half the number of passes "
    f"({lm_samples}).", unit="×"))
display(Markdown("\n".join(f"- {s}" for s in claims.sentences[-2:])))

# %% [markdown]
# ## What we found
#
# The recap is computed from this run's sweeps; every sentence was checked by an assertion
# above (course and paper profiles) and is stored with `record_finding` for chapter 10.

# %%
record("classifier_ws_ece", float(ct["ws_ece"].mean()))
record("classifier_mc_ece", float(ct["mc_ece"].mean()))
record("lm_ws_ppl", float(lt["ws_ppl"].mean()))
record("lm_mc_ppl", float(lt["mc_ppl"].mean()))
display(Markdown(claims.markdown()))
pd.DataFrame(found).set_index("finding")

# %% [markdown]
# In this chapter we kept dropout on at test time and asked what the extra passes buy. The
# answer depends on what is asked of them: the average of a few dozen passes settles
# quickly; its calibration and perplexity must be measured against the deterministic
# network on the same seeds rather than assumed better; its spread rises on inputs unlike
# the training data; and as a regression interval it covers too little until the data's
# own noise is added. Chapter 09 puts Gal's published MC perplexities next to
# reproductions, and chapter 10 collects the findings above.
#
# ## Exercises
#
# 1. **Predict, then run.** Halve the dropout `rate` to 0.1. Will the calibration gap
#    between MC and weight scaling (section 2) grow or shrink? Check with the paired ECE
#    difference.
#
#    ```{admonition} Hint
#    :class: dropdown
#    With a smaller rate the sampled sub-networks are closer to the eval network, so both
#    the MC spread and the MC − WS differences shrink towards zero. MC averaging can only
#    improve calibration where the weight-scaled network is over-confident; here it is
#    under-confident already (section 2). Try `rate=0.1` with `classify_epochs=30`, where
#    the network fits the training images more closely.
#    ```
#
# 2. **Temperature scaling.** Guo et al. fix calibration with one parameter: divide the
#    logits by a temperature $T$ fitted on validation data {cite}`guo2017calibration`.
#    Fit $T$ for the weight-scaled classifier and compare its ECE with that of MC dropout.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Train one model with `seqdrop.course.uncertainty.mc_classifier`'s code (or
#    `SequenceClassifier` and `seqdrop.train.fit`), collect the validation logits, and
#    minimise the NLL of `softmax(logits / T)` over a grid of `T` in [0.5, 3]. Then use
#    `expected_calibration_error` from `seqdrop.course.calibration` on the test split.
#    ```
#
# 3. **Cheaper passes.** The MC passes of section 5 run one after another. Repeat each
#    test window $S$ times along the batch dimension instead (one pass, $S\times$ the batch)
#    and measure the CPU seconds again. Why are the results the same in distribution?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Gal's masks are sampled per sequence, i.e. per batch row, so the $S$ copies of a
#    window get independent masks. The hidden state must be repeated too. Expect a large
#    speed-up on a GPU and a smaller one on a CPU, where the work per token is the same.
#    ```
#
# 4. **Question the intervals.** The "MC + noise" interval uses one noise variance for all
#    months. Sunspot numbers are noisier near the maximum of a cycle. Plot the test
#    residuals against the forecast and decide whether a heteroscedastic model (predicting
#    a variance per month, {cite}`kendall2017what`) would be worth its extra output.
#
#    ```{admonition} Hint
#    :class: dropdown
#    Use `model`, `fc`, `mean` and `y` from section 4; bin the months by `mean` and compare
#    the residual standard deviation per bin. Coverage per bin (not only overall) shows
#    where the constant-noise interval fails.
#    ```
#
# ## References
#
# - {cite:t}`gal2016dropout`: dropout as approximate Bayesian inference; MC dropout and the
#   predictive variance.
# - {cite:t}`gal2016theoretically`: per-sequence masks in RNNs (`gal`) and MC perplexity.
# - {cite:t}`srivastava2014dropout`: the weight-scaling rule.
# - {cite:t}`guo2017calibration` and {cite:t}`naeini2015obtaining`: reliability diagrams
#   and the expected calibration error.
# - {cite:t}`kendall2017what`: model (epistemic) and data (aleatoric) uncertainty.
# - {cite:t}`hendrycks2017baseline`: detecting out-of-distribution inputs from the
#   predicted distribution; {cite:t}`houlsby2011bayesian`: the mutual information
#   (`mc_mi_*` columns) as a measure of disagreement between sampled networks.
# - {cite:t}`melis2018state`: the cost of MC evaluation for language models.
# - Data: {cite:t}`lecun1998gradient` (MNIST), {cite:t}`andrews1985data` (monthly sunspot
#   numbers; source: WDC-SILSO, Royal Observatory of Belgium, Brussels),
#   {cite:t}`marcus1993building` (Penn Treebank).
