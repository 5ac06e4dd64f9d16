"""seqdrop.nn -- recurrent layers with every dropout variant, drop-in for ``torch.nn``.

``LSTM``, ``GRU``, ``RNN`` take torch's arguments and return exactly what torch returns
(same parameters, ``state_dict`` keys and initialisation; weights load both ways), plus
keyword-only dropout options, all off by default. With every option off they make torch's
fused call and are bit-identical to ``torch.nn``. ``help(seqdrop.nn.LSTM)`` shows the cell
equations with every mask site.

Modules
-------
:mod:`~seqdrop.nn.options`      :class:`RecurrentDropout`, the one definition of the options
:mod:`~seqdrop.nn.rnn`          the layers ``LSTM``, ``GRU``, ``RNN``
:mod:`~seqdrop.nn.rnn_base`     their shared implementation and execution paths
:mod:`~seqdrop.nn.reference`    plain-autograd cells and loop with every mask site (teaching, oracle)
:mod:`~seqdrop.nn.recurrence`   the fast custom-backward step loops and :class:`StepMasks`
:mod:`~seqdrop.nn.weight_drop`  DropConnect on ``W_hh`` and the batch-shared recurrent mask, fused
:mod:`~seqdrop.nn.mc`           Monte-Carlo dropout: ``mc_dropout``, ``mc_passes``, ``mc_samples``, ``mc_predict``

:func:`accelerators` and :func:`force_step_loop` switch the step loop's accelerators
(CUDA graphs) and force the loop for testing. ``EmbeddingDropout`` and
``LockedDropout`` come from :mod:`seqdrop.dropout`.
"""
from __future__ import annotations

from ..dropout import EmbeddingDropout, LockedDropout
from . import reference
from ._accel import accelerators, force_step_loop
from .mc import is_stochastic, mc_dropout, mc_passes, mc_predict, mc_samples
from .options import RecurrentDropout, options_table
from .rnn import GRU, LSTM, RNN, SeqdropRNNBase

__all__ = [
    "LSTM",
    "GRU",
    "RNN",
    "SeqdropRNNBase",
    "RecurrentDropout",
    "options_table",
    "accelerators",
    "force_step_loop",
    "reference",
    "EmbeddingDropout",
    "LockedDropout",
    "mc_dropout",
    "mc_passes",
    "mc_samples",
    "mc_predict",
    "is_stochastic",
]

__doc__ += "\nOptions\n-------\n\n" + options_table() + "\n"
