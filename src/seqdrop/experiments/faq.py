"""The source article's FAQ, answered from a course run's findings.

Each answer is computed text: it cites the means, 95% intervals and seed counts recorded by
the chapters (:class:`~seqdrop.experiments.findings.RunFindings`), says where the evidence
contradicts the article, and names the notebooks to run where a finding is missing.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..dropout import dropout
from .findings import RunFindings

__all__ = ["QUESTIONS", "Answer", "answer_faq", "formula_check", "interval"]

#: the article's six FAQ questions (English translation) and, in brief, its own answers
QUESTIONS = (
    ("What is the difference between dropout and other regularization methods?",
     "L1 and L2 add a penalty term to the loss; dropout instead randomly deletes neurons "
     "during training, so that the model learns more robust representations."),
    ("What is the difference between dropout and other methods of preventing overfitting?",
     "Early stopping is a training strategy and data augmentation a data-processing method; "
     "dropout directly modifies the model structure during training."),
    ("What are the applications of dropout in sequence models?",
     "RNNs, LSTMs and GRUs overfit easily on sequence data (natural language, audio, "
     "images); adding dropout layers to them lets them learn more robust representations."),
    ("How does dropout affect model performance?",
     "Dropout prevents the model from relying on particular neurons, improves its ability "
     "to generalise, and thereby improves its performance."),
    ("How is dropout implemented?",
     "Six steps: give each neuron a fixed dropout probability; randomly delete neurons at "
     "every iteration; set a deleted neuron's output, its weights in the next layer, its "
     "bias in the next layer and its input to the next layer to 0."),
    ("What is the mathematical formula of dropout?",
     "h_i = σ(Σ_j W_ij · h_j · p_j), where p_j is the dropout probability of unit j."),
)

F00, F01 = "00_dropout_formula", "01_what_dropout_is_for"
VARIANT_CHAPTERS = ("02_vanilla_rnn", "03_lstm_variants", "04_gru", "05_data_types",
                    "06_tasks")


@dataclass(frozen=True)
class Answer:
    """One FAQ entry: the question, the article's answer, the evidence, what is missing."""

    number: int
    question: str
    article: str
    text: str
    sources: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    contradicts: bool = False
    command: str = field(default="", compare=False)

    def markdown(self) -> str:
        verdict = " **The evidence contradicts the article here.**" if self.contradicts else ""
        todo = (f" *Missing: run {', '.join(self.missing)}* (`{self.command}`)."
                if self.missing else "")
        return (f"**{self.number}. {self.question}**\n\n> The article: {self.article}\n\n"
                f"{self.text}{verdict}{todo}")


def interval(mean: float, low: float, high: float, digits: int = 3) -> str:
    """``mean [low, high]`` with ``digits`` significant digits."""
    return f"{mean:.{digits}g} [{low:.{digits}g}, {high:.{digits}g}]"


def _pct(r: Any) -> str:
    return f"{r['mean']:+.1f}% [{r['low']:+.1f}, {r['high']:+.1f}]"


def _cite(f: dict[str, Any]) -> str:
    """A recorded finding as text: its sentence (which states its number), seeds, chapter."""
    claim = str(f["claim"]).rstrip(".")
    return f"{claim} ({f['n_seeds']} seeds; chapter {f['notebook'][:2]})."


def _about(run: RunFindings, notebook: str, *words: str) -> dict[str, Any] | None:
    """The first finding of ``notebook`` whose sentence mentions every word of ``words``."""
    t = run.table[run.table["notebook"] == notebook]
    for _, row in t.iterrows():
        if all(w.lower() in str(row["claim"]).lower() for w in words):
            return row.to_dict()
    return None


def _record(run: RunFindings, notebook: str, name: str) -> Any:
    return run.records.get(notebook, {}).get(name)


def formula_check(p: float = 0.3, n_units: int = 200, n_masks: int = 2000,
                  seed: int = 0) -> dict[str, float]:
    """Mean activation relative to no dropout: the article's ``h·p`` against a Bernoulli
    keep-mask scaled by ``1/(1-p)`` (Srivastava et al. 2014, eq. 2 with inverted scaling),
    averaged over ``n_masks`` masks; ``inverted_low``/``high`` is a 95% normal interval."""
    g = torch.Generator().manual_seed(seed)
    h = torch.rand(n_units, generator=g) + 0.5
    masks = torch.stack([dropout(h, p, generator=g) for _ in range(n_masks)])
    ratio = (masks.sum(1) / h.sum()).double()
    half = 1.96 * float(ratio.std()) / np.sqrt(n_masks)
    m = float(ratio.mean())
    return {"p": p, "article": float((h * p).sum() / h.sum()), "inverted": m,
            "inverted_low": m - half, "inverted_high": m + half,
            "inverted_sd": float(ratio.std())}


def _q1(run: RunFindings) -> tuple[str, tuple[str, ...], bool]:
    parts, used = [], []
    rel = _record(run, F00, "linear_penalty_rel_error")
    if rel is not None:
        used.append(F00)
        parts.append("Not only in how it is implemented: for a linear model, averaging the "
                     "loss over dropout masks gives exactly an L2 (ridge) penalty scaled by "
                     f"each feature's energy (Monte Carlo vs closed form: {100 * rel:+.2f}%, "
                     "chapter 00).")
    f = _about(run, F01, "L2", "shrinks")
    if f is not None:
        used.append(F01)
        parts.append("What differs is the effect on the weights: " + _cite(f))
    return " ".join(parts), tuple(used), False


def _q2(run: RunFindings) -> tuple[str, tuple[str, ...], bool]:
    found = [run.finding(n) for n in ("mlp_dropout_test_acc_gain",
                                      "mlp_augmentation_test_acc_gain")]
    parts = [_cite(f) for f in found if f is not None]
    if parts:
        parts.insert(0, "In what they know: augmentation encodes that a shifted digit is the "
                        "same digit, early stopping only limits training time, dropout adds "
                        "noise that knows nothing about the task. Measured on one problem "
                        "where the network overfits, every model early-stopped on validation "
                        "and tested on held-out test images:")
    return " ".join(parts), (F01,) if parts else (), False


def _gain_counts(g: pd.DataFrame) -> tuple[int, int, int]:
    helps, hurts = int((g["low"] > 0).sum()), int((g["high"] < 0).sum())
    return helps, hurts, len(g) - helps - hurts


def _where(g: pd.DataFrame) -> str:
    rows = g.sort_values("mean", ascending=False)
    return "; ".join(f"{r['variant']} on {r['cell']}/{r['data']} ({r['task']}), "
                     f"{_pct(r)}"
                     for _, r in rows.head(3).iterrows())


def _q3(run: RunFindings) -> tuple[str, tuple[str, ...], bool]:
    g = run.variant_gains()
    if g.empty:
        return "", (), False
    helps, hurts, flat = _gain_counts(g)
    used = tuple(sorted(set(g["notebook"])))
    cells, data = sorted(set(g["cell"])), sorted(set(g["data"]))
    text = (f"Chapters {', '.join(c[:2] for c in used)} put dropout into "
            f"{', '.join(cells)} cells on {', '.join(data)}: of {len(g)} variant × cell × "
            f"data comparisons against no dropout (relative test gain, paired over seeds), "
            f"{helps} gain beyond noise, {hurts} lose and {flat} are within noise.")
    if helps:
        text += " The clearest gains: " + _where(g[g["low"] > 0]) + "."
    gaps = run.table[run.table["name"].str.startswith("repro_gap_")]
    if not gaps.empty:
        used = (*used, "09_reproductions")
        text += (f" Rerun with the published recipes (chapter 09), {len(gaps)} reproductions "
                 f"land {gaps['mean'].min():+.1f}% to {gaps['mean'].max():+.1f}% from the "
                 "papers' test perplexities (positive: worse"
                 + ("; this profile shortens their schedules)" if run.profile != "paper"
                    else ")") + ".")
    else:
        text += (" None gains at this scale: adding dropout to a recurrent model is not by "
                 "itself an improvement; it needs a model that overfits.")
    return text, used, helps == 0


def _q4(run: RunFindings) -> tuple[str, tuple[str, ...], bool]:
    g = run.variant_gains()
    if g.empty:
        return "", (), False
    helps, hurts, flat = _gain_counts(g)
    by_task = g.groupby("task")["low"].apply(lambda low: int((low > 0).sum()))
    tasks = ", ".join(f"{t}: {n} of {int((g['task'] == t).sum())}" for t, n in by_task.items())
    contradicts = helps < len(g) / 2
    used = set(g["notebook"])
    text = (f"At the measured scale ({run.profile} profile), dropout improves the test "
            f"metric beyond noise in {helps} of {len(g)} comparisons ({tasks}) and makes "
            f"it worse in {hurts}.")
    data, model = (run.finding(f"scale_benefit_per_{k}_doubling") for k in ("data", "model"))
    if data is not None and model is not None:
        used.add(data["notebook"])
        text += (" Its benefit changes by "
                 f"{interval(data['mean'], data['low'], data['high'], digits=2)} perplexity "
                 "points per doubling of the training data and by "
                 f"{interval(model['mean'], model['low'], model['high'], digits=2)} per "
                 f"doubling of the model ({data['n_seeds']} seeds, chapter 07).")
    if contradicts:
        text += (" So \"dropout improves performance\" holds only where the model overfits; "
                 "elsewhere the rate must be chosen on validation data"
                 + _none_wins(run) + ".")
    return text, tuple(sorted(used)), contradicts


def _none_wins(run: RunFindings) -> str:
    """How often "no dropout" won the choice on validation data (``best_setting_*`` records)."""
    picks = [v for rec in run.records.values() for k, v in rec.items()
             if k.startswith("best_setting_")]
    if not picks:
        return ""
    none = sum(p == "none" for p in picks)
    return f", where no dropout won {none} of the {len(picks)} choices recorded in this run"


def _q5(run: RunFindings) -> tuple[str, tuple[str, ...], bool]:
    if run.status.get(F00) != "ok":
        return "", (), False
    text = ("Steps 3, 4 and 6 are one operation (zeroing a unit's output, its outgoing "
            "weights or the next layer's input give identical pre-activations, asserted in "
            "chapter 00), and step 5 is not dropout: the next layer's bias belongs to the "
            "receiving unit and is never dropped.")
    forgot, flips = run.finding("dropout_forgot_eval_acc"), _record(run, F00, "flip_rate")
    if forgot is not None:
        text += (" The steps also omit what matters: scaling kept units by 1/(1−p) and "
                 "switching dropout off at test time. Forgetting `eval()` changes test "
                 f"accuracy by {interval(forgot['mean'], forgot['low'], forgot['high'])} "
                 f"points ({forgot['n_seeds']} seeds"
                 + (f"; {100 * flips:.1f}% of the predictions flip" if flips else "")
                 + ", chapter 00).")
    return text, (F00,), True


def _q6(run: RunFindings, p: float = 0.3) -> tuple[str, tuple[str, ...], bool]:
    c = formula_check(p)
    text = (f"The formula multiplies each input by the probability itself, so nothing is "
            f"random: at p = {c['p']:g} it shrinks the mean input to {c['article']:.2f} of "
            f"its value at every call, whereas dropout draws a Bernoulli keep-mask "
            f"r_j ~ Bernoulli(1−p) and scales by 1/(1−p), keeping the mean at "
            f"{c['inverted']:.3f} [{c['inverted_low']:.3f}, {c['inverted_high']:.3f}] "
            f"(over 2000 masks) with a spread of {c['inverted_sd']:.3f} from call to call.")
    noise = _record(run, F00, "noise_ratio_max_error")
    if noise is None:
        return text, (), True
    text += (" The noise that is dropout's point, with relative variance p/(1−p), is "
             f"measured in chapter 00 within {100 * noise:.1f}% of that value.")
    return text, (F00,), True


Builder = Callable[[RunFindings], tuple[str, tuple[str, ...], bool]]


def answer_faq(run: RunFindings, *, formula_p: float = 0.3) -> list[Answer]:
    """The six answers, each from the findings of ``run``; missing chapters are named.

    ``formula_p``: the drop probability of the formula check in answer 6.
    """
    builders: tuple[tuple[Builder, tuple[str, ...]], ...] = (
        (_q1, (F00, F01)), (_q2, (F01,)), (_q3, (*VARIANT_CHAPTERS, "09_reproductions")),
        (_q4, (*VARIANT_CHAPTERS, "07_scale")), (_q5, (F00,)),
        (partial(_q6, p=formula_p), (F00,)),
    )
    answers = []
    for i, ((question, article), (build, needs)) in enumerate(zip(QUESTIONS, builders), 1):
        text, used, contradicts = build(run)
        missing = tuple(run.missing(needs))
        if not text and not missing:
            text = (f"Chapter{'s' * (len(needs) > 1)} {', '.join(n[:2] for n in needs)} "
                    "ran, but recorded no finding that answers it: rerun with the current "
                    f"notebooks (`{run.command(needs)} --overwrite`).")
        elif not text:
            text = "This run folder holds no finding that answers it yet."
        answers.append(Answer(i, question, article, text, used, missing, contradicts,
                              run.command(missing) if missing else ""))
    return answers
