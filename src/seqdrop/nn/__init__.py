"""seqdrop.nn -- recurrent layers with every dropout variant, drop-in for ``torch.nn``.

README
======

Layers
------
``LSTM``, ``GRU``, ``RNN`` take torch's arguments (``input_size, hidden_size, num_layers=1,
bias=True, batch_first=False, dropout=0.0, bidirectional=False``; ``RNN`` also
``nonlinearity`` in torch's position) and return exactly what torch returns
(``output, h_n`` / ``output, (h_n, c_n)``). Same parameters, ``state_dict`` keys and
initialisation: ``seqdrop.nn.LSTM(...).load_state_dict(torch.nn.LSTM(...).state_dict())``
and back. Keyword-only dropout options, all off by default:

================================  ==========================================================
``dropout``                       between layers, fresh mask per step (Zaremba 2014; torch)
``input_dropout``                 locked mask on the input (Gal & Ghahramani 2016)
``layer_dropout``                 locked mask between layers (exclusive with ``dropout``)
``output_dropout``                locked mask on the last layer's output
``recurrent_dropout``             Gal's mask on ``h_{t-1}`` in ``W_hh h_{t-1}``
``recurrent_dropout_mode``        ``"sequence"`` (per sequence; step loop) or ``"batch"``
                                  (shared by the batch = column weight drop; fused kernel)
``untied_masks``                  one recurrent mask per gate (LSTM/GRU)
``update_dropout``                Semeniuta 2016: LSTM ``g_t``, GRU ``n_t``, RNN pre-activation
``update_dropout_per_step``       fresh update mask each step (default: per sequence)
``weight_dropout``                DropConnect on ``W_hh`` (Merity 2017), fused kernel kept
``zoneout`` / ``zoneout_cell``    Krueger 2016 on h / on c (LSTM only); expectation at eval
``generator``                     ``torch.Generator`` for every mask
================================  ==========================================================

Invalid values raise :class:`seqdrop.params.ParameterError` (a ``ValueError``) naming the
argument: probabilities outside ``[0, 1)``, ``dropout`` together with ``layer_dropout``,
``zoneout_cell`` on a GRU/RNN, ``untied_masks`` on the Elman RNN, an unknown
``recurrent_dropout_mode``. Flags such as ``untied_masks`` or ``update_dropout_per_step``
with their probability at 0 are accepted and do nothing (so sweeps can reach p = 0).

Semantics decisions
-------------------
* GRU recurrent dropout masks only ``W_hh h_{t-1}`` (all three gates); the carry
  ``z ⊙ h_{t-1}`` uses the undropped state (Gal / Keras), unlike ``GRUCell(x, h*m)``.
* Masks are drawn independently per layer and per direction.
* Zoneout: keep-old probability ``p`` per unit and step, no rescaling; eval uses
  ``p·h_{t-1} + (1-p)·h_t`` (so it runs the step loop in eval too).
* ``recurrent_dropout_mode="batch"`` has Gal's per-unit expectation but one mask for the
  whole batch per forward call (AWD-style variance, cuDNN speed).
* ``weight_dropout``: a fresh element mask on each ``W_hh`` every forward call; stored
  weights are never modified; gradients reach them through the kept entries.

Speed paths: see :mod:`seqdrop.nn.rnn` (fused single call / per-layer fused / step loop) and
:mod:`seqdrop.nn.recurrence` (custom-backward step loop). ``PackedSequence`` works everywhere.

Other pieces
------------
``EmbeddingDropout`` (word-type dropout wrapping an ``nn.Embedding``; from
:mod:`seqdrop.dropout`), ``mc_dropout(model)`` context manager and
``mc_predict(model, fn_or_inputs, n_samples) -> (mean, std)`` for Monte-Carlo dropout.
"""
from __future__ import annotations

from ..dropout import EmbeddingDropout, LockedDropout
from .mc import is_stochastic, mc_dropout, mc_predict
from .rnn import GRU, LSTM, RNN, SeqdropRNNBase

__all__ = [
    "LSTM",
    "GRU",
    "RNN",
    "SeqdropRNNBase",
    "EmbeddingDropout",
    "LockedDropout",
    "mc_dropout",
    "mc_predict",
    "is_stochastic",
]
