"""Chapter 04's question, tested by training: should a GRU's recurrent mask drop the carry?

A GRU reads ``h_{t-1}`` in the gates, in the candidate and in the carry ``z ⊙ h_{t-1}``
(Cho et al. 2014). Gal & Ghahramani (2016) and Keras put the recurrent mask on ``h_{t-1}``
where it enters the weight products only, so the carry keeps the undropped state (seqdrop's
:class:`seqdrop.nn.GRU`); ``torch.nn.GRUCell(x, m ⊙ h)`` drops the carry too, which erases
the state the way a mask on the LSTM's ``c_t`` does (Semeniuta et al. 2016, §3).
:mod:`seqdrop.course.gru_masks` measures one step; this module trains both.

:class:`PlacementGRUClassifier` is a one-layer GRU sequence classifier whose step is
:func:`seqdrop.course.gru_masks.gru_step` at a chosen placement, with one recurrent mask
per sequence (Gal's scope) drawn at rate ``p`` in training and none in evaluation, so the
two placements differ in nothing else. It is a plain autograd step loop (slow, but the
spoken digits are short). :func:`carry_trial` is the sweep trial on FSDD's MFCCs with a
stratified share of the training recordings, as :func:`seqdrop.trials.train_classifier` uses them.

Chapters: 04.
"""
from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ..dropout import bernoulli_mask
from .gru_masks import gru_step
from .._validation import ParameterError, check_float, check_int, check_probability
from ..trials import fraction, integer, one_of, sequence_data, train_subset
from ..sweep import trial_function
from ..train import fit
from ..utils import seed_everything

__all__ = ["PLACEMENTS", "PlacementGRUClassifier", "carry_trial"]

#: the trial's placement names -> :data:`seqdrop.course.gru_masks.PLACEMENTS` keys
PLACEMENTS = {"carry kept": "reset after, carry kept", "carry dropped": "reset after, carry dropped"}


class PlacementGRUClassifier(nn.Module):
    """GRU over right-padded ``(B, T, F)`` input → class logits from each sequence's last valid
    step; a recurrent mask on ``h_{t-1}`` at ``placement`` (a key of :data:`PLACEMENTS`), one
    per sequence, rate ``p``, scaled by ``1/(1-p)``, active in training only. Weights are
    initialised as ``torch.nn.GRU``'s (U(±1/√H)) from ``torch``'s global generator."""

    def __init__(self, input_size: int, hidden_size: int, num_classes: int, *,
                 placement: str = "carry kept", p: float = 0.0) -> None:
        super().__init__()
        if placement not in PLACEMENTS:
            raise ParameterError(f"placement must be one of {list(PLACEMENTS)}, got {placement!r}")
        self.placement, self.p = placement, check_probability("p", p)
        if self.p >= 1:
            raise ParameterError("p must be below 1 (a mask that drops every unit)")
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        H = hidden_size
        bound = 1 / math.sqrt(H)
        self.weight_ih = nn.Parameter(torch.empty(3 * H, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(3 * H, H).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.empty(3 * H).uniform_(-bound, bound))
        self.bias_hh = nn.Parameter(torch.empty(3 * H).uniform_(-bound, bound))
        self.head = nn.Linear(H, num_classes)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        B, T, _ = x.shape
        h = x.new_zeros(B, self.hidden_size)
        mask = None
        if self.training and self.p > 0:
            mask = bernoulli_mask((B, self.hidden_size), self.p, device=x.device,
                                  dtype=x.dtype) / (1 - self.p)
        weights = [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]
        outs = []
        for t in range(T):
            h = gru_step(PLACEMENTS[self.placement], x[:, t], h, weights, mask)
            outs.append(h)
        out = torch.stack(outs, 1)
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long, device=x.device)
        last = out[torch.arange(B, device=x.device), lengths.to(x.device) - 1]
        return self.head(last)


@trial_function(
    defaults=dict(placement="carry kept", p=0.25, hidden_size=64, train_fraction=0.1, epochs=30,
                  batch_size=32, lr=3e-3),
    checks=dict(placement=one_of(*PLACEMENTS),
                p=lambda k, v: check_float(k, v, 0.0, 1.0, high_closed=False),
                hidden_size=integer(1), train_fraction=fraction, epochs=integer(1),
                batch_size=integer(1), lr=fraction),
)
def carry_trial(config: dict[str, Any]) -> dict[str, Any]:
    """:class:`PlacementGRUClassifier` on FSDD (13 MFCCs per frame), ``train_fraction`` of the
    training recordings (stratified, the same selection for every seed), Adam, clip 5.
    Returns ``val_loss``, ``val_acc``, ``test_acc`` and ``test_error`` at the epoch of lowest
    validation loss (``best_epoch``), ``train_loss`` (last epoch) and the ``history``."""
    c = config
    data = train_subset(sequence_data("fsdd-mfcc"), c["train_fraction"])
    seed_everything(c["seed"])
    model = PlacementGRUClassifier(data.num_features, c["hidden_size"], data.num_classes,
                                   placement=c["placement"], p=c["p"])
    result = fit(model, data, seed=c["seed"], device="cpu", progress=False, verbose=False,
                 epochs=c["epochs"], batch_size=c["batch_size"], eval_batch_size=300,
                 optimizer="adam", lr=c["lr"], clip=5.0)
    best, hist = result.best, result.history
    out: dict[str, Any] = {k: float(best[k]) for k in ("val_loss", "val_acc", "test_acc")}
    out["test_error"] = 1 - out["test_acc"]
    out["best_epoch"] = int(best["epoch"])
    out["train_loss"] = float(hist["train_loss"].iloc[-1])
    out["history"] = hist[["epoch", "train_loss", "val_loss", "val_acc", "test_acc"]].to_dict("records")
    return out
