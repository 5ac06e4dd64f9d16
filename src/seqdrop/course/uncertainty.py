"""Monte-Carlo dropout against weight scaling on a trained model: the trials of chapter 08.

Each trial trains one of the suite's models with a dropout recipe
(:func:`seqdrop.experiments.recipes.recipe_dropouts`), then predicts the test split twice: once with
the deterministic eval-mode network (*weight scaling*, Srivastava et al. 2014 §4) and once
as the average of ``n_samples`` passes with dropout kept on (*MC dropout*, Gal &
Ghahramani 2016, eq. 8, through :func:`seqdrop.nn.mc_dropout`). Both predictions come from
the same weights, so per seed the two methods are paired.

- :func:`mc_classifier`: accuracy, NLL and expected calibration error (Guo et al. 2017) of
  both methods; predictive entropy on in-distribution and on out-of-distribution inputs
  (time steps shuffled, or Gaussian noise with the training moments).
- :func:`mc_forecaster`: the sunspot forecaster's prediction intervals and their empirical
  coverage: MC spread alone, MC spread plus the observation noise estimated on validation
  data (Gal & Ghahramani 2016, "Dropout as a Bayesian approximation", §4: the
  predictive variance is τ⁻¹ plus the sample variance; Kendall & Gal 2017), and a constant-width
  interval around the weight-scaled forecast.

Besides scalar metrics, each trial returns ``history`` rows tagged by ``table``
(``"convergence"``: the MC estimate after the first n samples; ``"reliability"`` or
``"coverage"``); :func:`history_table` selects one. :func:`by_method` turns the paired
``ws_*``/``mc_*`` columns into a long table with a ``method`` column.

Chapters: 08.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from .._validation import check_choice, check_float, check_int
from ..data import SequenceSplit, load_sunspots
from ..models import SequenceClassifier, SequenceRegressor
from ..nn import RecurrentDropout, mc_dropout
from ..experiments.recipes import VARIANTS, recipe_dropouts
from ..sweep import trial_function
from ..trials import TRAIN_CHECKS, TRAIN_DEFAULTS, fit_trial, sequence_data, train_subset
from ..utils import seed_everything
from .calibration import (expected_calibration_error, gaussian_interval, interval_coverage,
                          mutual_information, ood_auroc, predictive_entropy, reliability_bins)

__all__ = ["mc_samples", "sample_counts", "shuffle_steps", "noise_like", "mc_classifier",
           "mc_forecaster", "fit_forecaster", "history_table", "by_method", "LEVELS"]

#: nominal levels of the forecaster's central prediction intervals
LEVELS = (0.5, 0.8, 0.9, 0.95)


def mc_samples(model: nn.Module, run: Callable[[nn.Module], Tensor], n_samples: int, *,
               transform: Callable[[Tensor], Tensor] | None = None) -> Tensor:
    """``n_samples`` stochastic outputs ``run(model)`` stacked on a new first dimension.

    Unlike :func:`seqdrop.nn.mc_predict` (streaming mean and std), this keeps every sample,
    so that the estimate after the first n of them can be studied. Runs under
    :func:`seqdrop.nn.mc_dropout` and ``torch.no_grad``.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    with torch.no_grad(), mc_dropout(model):
        outs = [run(model) for _ in range(n_samples)]
    return torch.stack([o if transform is None else transform(o) for o in outs])


def sample_counts(n_samples: int) -> list[int]:
    """1, 2, 4, ... up to ``n_samples``, and ``n_samples`` itself: where convergence is read."""
    n_samples = check_int("n_samples", n_samples, 1)
    return sorted({2 ** k for k in range(int(math.log2(n_samples)) + 1)} | {n_samples})


def shuffle_steps(split: SequenceSplit, generator: torch.Generator) -> Tensor:
    """The inputs with the valid time steps of each sequence in a random order (padding
    stays at the end): the same values per sequence, without their temporal structure."""
    n, t = split.x.shape[:2]
    keys = torch.rand(n, t, generator=generator)
    keys[torch.arange(t)[None, :] >= split.lengths[:, None]] = 2.0  # padding sorts last
    order = keys.argsort(dim=1)
    return split.x.gather(1, order[..., None].expand_as(split.x))


def noise_like(split: SequenceSplit, reference: SequenceSplit, generator: torch.Generator) -> Tensor:
    """Gaussian noise of ``split.x``'s shape with the per-feature mean and standard deviation
    of the valid steps of ``reference`` (e.g. the training split)."""
    valid = torch.arange(reference.x.shape[1])[None, :] < reference.lengths[:, None]
    steps = reference.x[valid]
    noise = torch.randn(split.x.shape, generator=generator)
    return steps.mean(0) + steps.std(0) * noise


def _recipe(config: dict[str, Any], *, text: bool) -> RecurrentDropout:
    return RecurrentDropout(**recipe_dropouts(config["variant"], config["rate"], text=text))


_COMMON = dict(variant="gal", rate=0.25, cell="lstm", hidden_size=64, n_samples=64)
_COMMON_CHECKS = dict(
    variant=lambda k, v: check_choice(k, v, VARIANTS), rate=lambda k, v: check_float(k, v, 0.0, 0.95),
    cell=lambda k, v: check_choice(k, v, ["lstm", "gru"]), hidden_size=lambda k, v: check_int(k, v, 1),
    n_samples=lambda k, v: check_int(k, v, 2, 100_000))


def _timed(fn: Callable[[], Tensor]) -> tuple[Tensor, float]:
    """``fn()`` and the CPU seconds this process spent on it."""
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def _class_metrics(probs: Tensor, y: Tensor, n_bins: int) -> dict[str, float]:
    nll = -probs.gather(1, y[:, None]).clamp_min(1e-12).log().mean()
    return {"acc": float((probs.argmax(1) == y).double().mean()), "nll": float(nll),
            "ece": expected_calibration_error(probs, y, n_bins),
            "entropy": float(predictive_entropy(probs).mean())}


def _class_convergence(samples: Tensor, y: Tensor, n_bins: int) -> list[dict[str, Any]]:
    final = samples.mean(0)
    rows = []
    for n in sample_counts(len(samples)):
        mean = samples[:n].mean(0)
        top = samples[:n].gather(2, final.argmax(1)[None, :, None].expand(n, -1, 1))
        rows.append({"table": "convergence", "n_samples": n, **_class_metrics(mean, y, n_bins),
                     "change": float((mean - final).abs().sum(1).mean() / 2),
                     "spread": float(top.std(0, correction=0).mean())})
    return rows


def _ood_metrics(model: nn.Module, data: Any, c: dict[str, Any],
                 in_ws: Tensor, in_mc: Tensor) -> dict[str, float]:
    gen = torch.Generator().manual_seed(c["seed"])
    inputs = {"shuffled": shuffle_steps(data.test, gen), "noise": noise_like(data.test, data.train, gen)}
    lengths = data.test.lengths
    out: dict[str, float] = {}
    for kind, x in inputs.items():
        model.eval()
        with torch.no_grad():
            ws = model(x, lengths).softmax(-1)
        samples = mc_samples(model, lambda m: m(x, lengths), c["n_samples"], transform=lambda z: z.softmax(-1))
        for method, probs, ref in (("ws", ws, in_ws), ("mc", samples.mean(0), in_mc)):
            h = predictive_entropy(probs)
            out[f"{method}_entropy_{kind}"] = float(h.mean())
            out[f"{method}_auroc_{kind}"] = ood_auroc(predictive_entropy(ref), h)
        out[f"mc_mi_{kind}"] = float(mutual_information(samples).mean())
    return out


@trial_function(
    defaults=dict(data="mnist-rows", **_COMMON, n_bins=10,
                  **(TRAIN_DEFAULTS | dict(epochs=10, batch_size=64, lr=3e-3, optimizer="adam", clip=5.0))),
    checks=dict(data=lambda k, v: check_choice(k, v, ["mnist-rows", "fsdd-mfcc", "digits-rows"]),
                **_COMMON_CHECKS, n_bins=lambda k, v: check_int(k, v, 1, 1000), **TRAIN_CHECKS),
    validate=lambda c: _recipe(c, text=False),
)
def mc_classifier(config: dict[str, Any]) -> dict[str, Any]:
    """Sequence classifier: weight scaling vs MC dropout on the test split (``ws_*``/``mc_*``
    accuracy, NLL, ECE, entropy, CPU seconds) and on out-of-distribution inputs
    (``*_entropy_shuffled/noise``, ``*_auroc_*`` of the entropy, ``mc_mi_*``)."""
    c = config
    data = train_subset(sequence_data(c["data"]), c["train_fraction"])
    seed_everything(c["seed"])
    model = SequenceClassifier(data.num_features, c["hidden_size"], data.num_classes, 1, c["cell"],
                               dropouts=_recipe(c, text=False))
    result = fit_trial(model, data, c)
    x, y, lengths = data.test.x, data.test.y, data.test.lengths
    torch.manual_seed(c["seed"])  # the MC masks
    model.eval()
    with torch.no_grad():
        ws, ws_s = _timed(lambda: model(x, lengths).softmax(-1))
    samples, mc_s = _timed(lambda: mc_samples(model, lambda m: m(x, lengths), c["n_samples"],
                                              transform=lambda z: z.softmax(-1)))
    mc = samples.mean(0)
    out: dict[str, Any] = {"best_epoch": int(result.best["epoch"]), "ws_seconds": ws_s, "mc_seconds": mc_s}
    hist = _class_convergence(samples, y, c["n_bins"])
    for method, probs in (("ws", ws), ("mc", mc)):
        out |= {f"{method}_{k}": v for k, v in _class_metrics(probs, y, c["n_bins"]).items()}
        bins = reliability_bins(probs, y, c["n_bins"]).assign(table="reliability", method=method)
        hist += bins.to_dict("records")
    out |= _ood_metrics(model, data, c, ws, mc)
    out["mc_mi_in"] = float(mutual_information(samples).mean())
    out["history"] = hist
    return out


def _interval_rows(mean: Tensor, std: Tensor, y: Tensor, method: str, scale: float) -> list[dict[str, Any]]:
    rows = []
    for level in LEVELS:
        low, high = gaussian_interval(mean, std, level)
        rows.append({"table": "coverage", "method": method, "level": level,
                     "coverage": interval_coverage(low, high, y),
                     "width": float((high - low).mean()) * scale})
    return rows


def _forecast_intervals(val: Tensor, test: Tensor, ws_val: Tensor, ws_test: Tensor,
                        data: Any) -> list[dict[str, Any]]:
    """Coverage rows of the three interval kinds; noise variances are fitted on validation."""
    yv, yt = data.valid.y.flatten(), data.test.y.flatten()
    noise_var = max(0.0, float((val.mean(0) - yv).pow(2).mean() - val.var(0, correction=0).mean()))
    ws_sd = torch.full_like(yt, float((ws_val - yv).pow(2).mean().sqrt()))
    mc_mean, mc_var = test.mean(0), test.var(0, correction=0)
    return (_interval_rows(mc_mean, mc_var.sqrt(), yt, "mc", data.scale)
            + _interval_rows(mc_mean, (mc_var + noise_var).sqrt(), yt, "mc+noise", data.scale)
            + _interval_rows(ws_test, ws_sd, yt, "ws+noise", data.scale))


def fit_forecaster(config: dict[str, Any]) -> tuple[nn.Module, Any, Any]:
    """Train the sunspot forecaster of a :func:`mc_forecaster` config (its defaults plus
    ``seed``): ``(model, data, TrainResult)``, the weights after the last epoch."""
    c = config
    data = load_sunspots(window=c["window"])
    seed_everything(c["seed"])
    model = SequenceRegressor(1, c["hidden_size"], 1, 1, c["cell"], dropouts=_recipe(c, text=False))
    return model, data, fit_trial(model, data, c, task="regression")


@trial_function(
    defaults=dict(data="sunspots", window=48, **_COMMON,
                  **(TRAIN_DEFAULTS | dict(epochs=6, batch_size=16, lr=1e-2, optimizer="adam", clip=1.0))),
    checks=dict(data=lambda k, v: check_choice(k, v, ["sunspots"]), window=lambda k, v: check_int(k, v, 2, 600),
                **_COMMON_CHECKS, **TRAIN_CHECKS),
    validate=lambda c: _recipe(c, text=False),
)
def mc_forecaster(config: dict[str, Any]) -> dict[str, Any]:
    """Sunspot forecaster: test RMSE of weight scaling and MC (``ws_rmse``/``mc_rmse``, sunspot
    numbers), and per interval kind and level the empirical coverage and mean width
    (``history`` rows ``table == "coverage"``; ``cov90_*``/``width90_*`` for 90%)."""
    c = config
    model, data, result = fit_forecaster(c)
    torch.manual_seed(c["seed"])
    preds = {}
    for split in ("valid", "test"):
        s = getattr(data, split)
        model.eval()
        with torch.no_grad():
            preds[f"ws_{split}"] = model(s.x, s.lengths).flatten()
        preds[f"mc_{split}"] = mc_samples(model, lambda m: m(s.x, s.lengths).flatten(), c["n_samples"])
    yt = data.test.y.flatten()
    rows = _forecast_intervals(preds["mc_valid"], preds["mc_test"], preds["ws_valid"], preds["ws_test"], data)
    out: dict[str, Any] = {"best_epoch": int(result.best["epoch"]),
                           "ws_rmse": float((preds["ws_test"] - yt).pow(2).mean().sqrt()) * data.scale,
                           "mc_rmse": float((preds["mc_test"].mean(0) - yt).pow(2).mean().sqrt()) * data.scale}
    for r in rows:
        if r["level"] == 0.9:
            out[f"cov90_{r['method']}"], out[f"width90_{r['method']}"] = r["coverage"], r["width"]
    for n in sample_counts(c["n_samples"]):
        part = preds["mc_test"][:n]
        rows.append({"table": "convergence", "n_samples": n,
                     "rmse": float((part.mean(0) - yt).pow(2).mean().sqrt()) * data.scale,
                     "spread": float(part.std(0, correction=0).mean()) * data.scale})
    out["history"] = rows
    return out


def history_table(history: pd.DataFrame, table: str) -> pd.DataFrame:
    """The rows of one kind (``"convergence"``, ``"reliability"``, ``"coverage"``) of a
    sweep's ``history``, without the columns that are empty for it."""
    if "table" not in history:
        raise ValueError("this history has no 'table' column: it is not from a chapter-08 trial")
    part = history[history["table"] == table]
    if part.empty:
        raise ValueError(f"no history rows of table {table!r}; tables: {sorted(history['table'].unique())}")
    return part.dropna(axis=1, how="all").drop(columns="table")


def by_method(trials: pd.DataFrame, metrics: Sequence[str], methods: Sequence[str] = ("ws", "mc")) -> pd.DataFrame:
    """Long table of ``{method}_{metric}`` columns: one row per trial and method, with a
    ``method`` column, ready for :func:`seqdrop.sweep.paired_difference` (``by="method"``)."""
    keep = [k for k in trials.columns if not any(k.startswith(f"{m}_") for m in methods)]
    parts = []
    for m in methods:
        cols = {f"{m}_{k}": k for k in metrics}
        missing = [col for col in cols if col not in trials]
        if missing:
            raise ValueError(f"columns {missing} are not in the table")
        parts.append(trials[keep + list(cols)].rename(columns=cols).assign(method=m))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["grid_keys"] = list(trials.attrs.get("grid_keys", []))
    return out
