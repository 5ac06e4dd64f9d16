"""Shared pieces of the drop-in conformance suite.

Every ported test receives an :class:`Impl` and builds its layers with ``impl.LSTM(...)``,
``impl.GRU(...)``, ``impl.RNN(...)`` or ``impl.cls(mode)`` where the upstream test writes
``nn.LSTM(...)`` or ``getattr(nn, mode)``. The same test body then runs against

* ``torch``            -- ``torch.nn`` itself (the test must pass here, or the port is wrong);
* ``seqdrop``          -- ``seqdrop.nn`` with every option off (one fused ``_VF`` call);
* ``seqdrop-loop``     -- ``seqdrop.nn`` forced onto the custom-backward step loop that
                          recurrent/update dropout and zoneout use (all probabilities 0;
                          the test runs inside ``seqdrop.nn.force_step_loop()``);
* ``seqdrop-zeros``    -- ``seqdrop.nn`` with *every* dropout option given explicitly at
                          p = 0 (and the flags ``untied_masks``/``update_dropout_per_step``/
                          ``recurrent_dropout_mode="batch"`` set), which must change nothing.

:data:`OPTION_IMPLS` has one ``seqdrop`` variant per option at p = 0 for the cheaper
ModuleInfo forward test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest
import torch
from torch import nn as tnn

import seqdrop.nn as snn

__all__ = ["Impl", "IMPLS", "SEQDROP_IMPLS", "OPTION_IMPLS", "upstream", "cuda", "multi_gpu", "cudnn"]

_MODES = {"LSTM": "LSTM", "GRU": "GRU", "RNN": "RNN", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}

#: every seqdrop option that has a "nothing happens" value (probabilities at 0)
ZERO_OPTIONS: dict[str, Any] = {
    "input_dropout": 0.0,
    "layer_dropout": 0.0,
    "output_dropout": 0.0,
    "recurrent_dropout": 0.0,
    "recurrent_dropout_mode": "batch",
    "untied_masks": True,
    "update_dropout": 0.0,
    "update_dropout_per_step": True,
    "weight_dropout": 0.0,
    "zoneout": 0.0,
    "zoneout_cell": 0.0,
}
#: options that only exist for some cells
_ONLY = {"untied_masks": ("LSTM", "GRU"), "zoneout_cell": ("LSTM",)}


@dataclass(frozen=True)
class Impl:
    """One implementation of the recurrent layers the suite runs against."""

    name: str
    seqdrop: bool = False
    options: dict = field(default_factory=dict)
    loop: bool = False

    def __repr__(self) -> str:  # pytest ids
        return self.name

    def cls(self, mode: str) -> Callable[..., tnn.Module]:
        """The class (or a factory with the class's signature) for ``mode``."""
        kind = _MODES[mode]
        if not self.seqdrop:
            return getattr(tnn, kind)
        base = getattr(snn, kind)

        def make(*args: Any, **kwargs: Any) -> tnn.Module:
            opts = {k: v for k, v in self.options.items() if kind in _ONLY.get(k, (kind,))}
            return base(*args, **kwargs, **opts)

        make.__name__ = kind
        return make

    def LSTM(self, *args: Any, **kwargs: Any) -> tnn.Module:  # noqa: N802 - torch's name
        return self.cls("LSTM")(*args, **kwargs)

    def GRU(self, *args: Any, **kwargs: Any) -> tnn.Module:  # noqa: N802
        return self.cls("GRU")(*args, **kwargs)

    def RNN(self, *args: Any, **kwargs: Any) -> tnn.Module:  # noqa: N802
        return self.cls("RNN")(*args, **kwargs)


IMPLS = [
    Impl("torch"),
    Impl("seqdrop", seqdrop=True),
    Impl("seqdrop-loop", seqdrop=True, loop=True),
    Impl("seqdrop-zeros", seqdrop=True, options=dict(ZERO_OPTIONS)),
]
SEQDROP_IMPLS = IMPLS[1:]
OPTION_IMPLS = [Impl(f"seqdrop-{k}={v}", seqdrop=True, options={k: v}) for k, v in ZERO_OPTIONS.items()]


def upstream(*names: str) -> Callable:
    """Record which upstream PyTorch test(s) a conformance test is adapted from."""

    def mark(fn: Callable) -> Callable:
        fn.__upstream__ = names
        return fn

    return mark


def _needs(ok: bool, reason: str) -> Callable:
    def mark(fn: Callable) -> Callable:
        return pytest.mark.cuda(pytest.mark.skipif(not ok, reason=reason)(fn))

    return mark


#: decorators for the CUDA variants: marked ``cuda`` and skipped without the hardware
cuda = _needs(torch.cuda.is_available(), "needs a CUDA device")
cudnn = _needs(torch.cuda.is_available() and torch.backends.cudnn.is_available(), "needs cuDNN")
multi_gpu = _needs(torch.cuda.device_count() >= 2, "needs two CUDA devices")


#: dropout option sets with p > 0, by execution path (the last entry: cells it applies to)
FUSED_SETS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "none": ({}, ("LSTM", "GRU", "RNN")),
    "dropout": ({"dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "input+output": ({"input_dropout": 0.3, "output_dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "layer": ({"layer_dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "weight": ({"weight_dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "recurrent-batch": ({"recurrent_dropout": 0.3, "recurrent_dropout_mode": "batch"}, ("LSTM", "GRU", "RNN")),
    "proj-fused": ({"proj_size": 1, "weight_dropout": 0.3, "recurrent_dropout": 0.3,
                    "recurrent_dropout_mode": "batch"}, ("LSTM",)),
}
LOOP_SETS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "recurrent": ({"recurrent_dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "recurrent-untied": ({"recurrent_dropout": 0.3, "untied_masks": True}, ("LSTM", "GRU")),
    "update": ({"update_dropout": 0.3}, ("LSTM", "GRU", "RNN")),
    "update-per-step": ({"update_dropout": 0.3, "update_dropout_per_step": True}, ("LSTM", "GRU", "RNN")),
    "zoneout": ({"zoneout": 0.3}, ("LSTM", "GRU", "RNN")),
    "zoneout-cell": ({"zoneout_cell": 0.3}, ("LSTM",)),
    "proj-loop": ({"proj_size": 1, "recurrent_dropout": 0.3, "update_dropout": 0.3, "zoneout": 0.3,
                   "zoneout_cell": 0.3}, ("LSTM",)),
}
OPTION_SETS = {**FUSED_SETS, **LOOP_SETS}


def option_cases(sets: dict[str, tuple[dict, tuple[str, ...]]] = OPTION_SETS) -> list:
    """``pytest.param(mode, options, id=...)`` for every (cell, option set) that exists."""
    return [
        pytest.param(mode, opts, id=f"{mode}-{name}")
        for name, (opts, modes) in sets.items()
        for mode in modes
    ]
