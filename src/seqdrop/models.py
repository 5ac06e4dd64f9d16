"""Models for dropout experiments: word/char language model, sequence classifier, feed-forward net.

Every dropout site is a constructor argument. Recurrent layers come from ``torch.nn`` (fused
cuDNN / oneDNN kernels) or from ``seqdrop.nn`` (drop-in replacements with recurrent-dropout
options), chosen by ``rnn_impl``:

- ``"auto"`` (default): ``torch.nn`` unless an option only ``seqdrop.nn`` has is set
  (``recurrent_dropout``, ``update_dropout``, ``weight_dropout``, ``zoneout``, ...);
- ``"torch"``: always ``torch.nn`` (an error if such an option is set);
- ``"seqdrop"``: always ``seqdrop.nn``.

Dropout sites of :class:`RNNLanguageModel` (names as in Zaremba et al. 2014, Gal & Ghahramani
2016, Merity et al. 2017):

===================  ==================================================================
``embedding_dropout`` word-type dropout: whole rows of the embedding matrix (Gal §4; AWD §4.3)
``input_dropout``    on the embedding output (AWD ``dropouti``)
``layer_dropout``    between recurrent layers (AWD ``dropouth``; ``nn.LSTM(dropout=)``)
``output_dropout``   on the last layer's output, before the decoder (AWD ``dropout``)
``dropout``          default for the three above (Zaremba's single ``p``)
``locked``           ``False``: a fresh mask at every time step (Zaremba);
                     ``True``: one mask per sequence, shared over time (Gal; AWD ``LockedDropout``)
``recurrent_dropout`` & co.  passed to ``seqdrop.nn`` (Gal's h_{t-1} masks, Semeniuta, DropConnect
                     on W_hh, zoneout)
===================  ==================================================================
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import torch
from torch import Tensor, nn

from .dropout import (
    Dropout,
    DropoutMode,
    LockedDropout,
    _check_generator,
    _check_mode,
    check_probability,
    embedding_dropout,
)

__all__ = [
    "RNN_IMPLS",
    "CELLS",
    "make_rnn",
    "uses_seqdrop",
    "detach_state",
    "RNNLanguageModel",
    "SequenceClassifier",
    "FeedForwardNet",
]

RNN_IMPLS = ("auto", "torch", "seqdrop")
CELLS = ("lstm", "gru", "rnn", "rnn_tanh", "rnn_relu")
RnnImpl = Literal["auto", "torch", "seqdrop"]
Cell = Literal["lstm", "gru", "rnn", "rnn_tanh", "rnn_relu"]

#: keyword options that only ``seqdrop.nn`` layers accept, with their "off" values
SEQDROP_OPTIONS: dict[str, Any] = {
    "input_dropout": 0.0,
    "layer_dropout": 0.0,
    "output_dropout": 0.0,
    "recurrent_dropout": 0.0,
    "recurrent_dropout_mode": "sequence",
    "untied_masks": False,
    "update_dropout": 0.0,
    "update_dropout_per_step": False,
    "weight_dropout": 0.0,
    "zoneout": 0.0,
    "zoneout_cell": None,
    "generator": None,
}
_ACTIVE_KEYS = ("input_dropout", "layer_dropout", "output_dropout", "recurrent_dropout", "update_dropout", "weight_dropout", "zoneout", "zoneout_cell")


#: options the models hand to every recurrent layer (they apply input/between/output dropout themselves)
LAYER_OPTIONS = (
    "recurrent_dropout",
    "recurrent_dropout_mode",
    "untied_masks",
    "update_dropout",
    "weight_dropout",
    "zoneout",
    "zoneout_cell",
    "generator",
)


def layer_options(arguments: Mapping[str, Any], rnn_kwargs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The :data:`LAYER_OPTIONS` among a model constructor's ``arguments``, plus ``rnn_kwargs``."""
    return {name: arguments[name] for name in LAYER_OPTIONS} | dict(rnn_kwargs or {})


def uses_seqdrop(options: dict[str, Any], rnn_impl: str = "auto") -> bool:
    """Whether the recurrent layers must come from ``seqdrop.nn`` for these options."""
    if rnn_impl not in RNN_IMPLS:
        raise ValueError(f"rnn_impl must be one of {RNN_IMPLS}, got {rnn_impl!r}")
    unknown = set(options) - set(SEQDROP_OPTIONS)
    if unknown:
        raise TypeError(f"unknown recurrent-layer options {sorted(unknown)}; known: {sorted(SEQDROP_OPTIONS)}")
    active = [k for k in _ACTIVE_KEYS if options.get(k) not in (None, 0, 0.0)]
    if rnn_impl == "torch" and active:
        raise ValueError(f"rnn_impl='torch' cannot apply {active}: torch.nn has no such option; use rnn_impl='seqdrop' or 'auto'")
    return rnn_impl == "seqdrop" or bool(active)


def _seqdrop_nn() -> Any:
    try:
        return importlib.import_module("seqdrop.nn")
    except ImportError as exc:  # pragma: no cover - depends on the tree
        raise ImportError("seqdrop.nn is not available; use rnn_impl='torch' without recurrent-dropout options") from exc


def make_rnn(
    cell: Cell,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    *,
    dropout: float = 0.0,
    batch_first: bool = False,
    rnn_impl: RnnImpl = "auto",
    **options: Any,
) -> nn.Module:
    """A ``torch.nn`` or ``seqdrop.nn`` RNN/LSTM/GRU with the same constructor arguments.

    ``dropout`` is torch's between-layer dropout (fresh mask per step, Zaremba et al. 2014);
    ``options`` are ``seqdrop.nn``'s extra keyword-only options (non-default ones are passed).
    """
    cell = cell.lower()  # type: ignore[assignment]
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {CELLS}, got {cell!r}")
    seq = uses_seqdrop(options, rnn_impl)
    lib: Any = _seqdrop_nn() if seq else nn
    kwargs: dict[str, Any] = dict(num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0, batch_first=batch_first)
    if cell == "lstm":
        cls = lib.LSTM
    elif cell == "gru":
        cls = lib.GRU
    else:
        cls = lib.RNN
        kwargs["nonlinearity"] = "relu" if cell == "rnn_relu" else "tanh"
    if seq:
        kwargs.update({k: v for k, v in options.items() if v != SEQDROP_OPTIONS[k]})
    return cls(input_size, hidden_size, **kwargs)


def detach_state(state: Any) -> Any:
    """Detach a hidden state (tensor, tuple or list of them) from the graph: truncated BPTT."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return type(state)(detach_state(s) for s in state)


def _site_dropout(p: float, locked: bool, batch_first: bool, generator: torch.Generator | None) -> nn.Module:
    if p == 0:
        return nn.Identity()
    return LockedDropout(p, batch_first=batch_first, generator=generator) if locked else nn.Dropout(p)


class RNNLanguageModel(nn.Module):
    """Embedding → recurrent stack → (dropout) → linear decoder; input and output ``(T, B)``.

    Zaremba et al. 2014 (``dropout``, ``init_range``), Gal & Ghahramani 2016 (``locked=True``,
    ``recurrent_dropout``, ``embedding_dropout``), Merity et al. 2017 AWD-LSTM (``weight_dropout``,
    ``tie_weights`` with a last layer of ``embedding_size`` units, AR/TAR through ``return_hidden``).
    ``forward`` returns logits ``(T, B, V)`` and the new state to carry into the next window.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int = 200,
        hidden_size: int = 200,
        num_layers: int = 2,
        cell: Cell = "lstm",
        *,
        dropout: float = 0.0,
        input_dropout: float | None = None,
        layer_dropout: float | None = None,
        output_dropout: float | None = None,
        locked: bool = False,
        embedding_dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        recurrent_dropout_mode: Literal["sequence", "batch"] = "sequence",
        untied_masks: bool = False,
        update_dropout: float = 0.0,
        weight_dropout: float = 0.0,
        zoneout: float = 0.0,
        zoneout_cell: float | None = None,
        tie_weights: bool = False,
        init_range: float | None = None,
        rnn_impl: RnnImpl = "auto",
        rnn_kwargs: dict[str, Any] | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.embedding_size, self.hidden_size = vocab_size, embedding_size, hidden_size
        self.num_layers, self.cell = num_layers, cell
        self.input_dropout = dropout if input_dropout is None else input_dropout
        self.layer_dropout = dropout if layer_dropout is None else layer_dropout
        self.output_dropout = dropout if output_dropout is None else output_dropout
        self.embedding_dropout_p = embedding_dropout
        self.locked, self.tie_weights = locked, tie_weights
        self.generator = generator
        options = layer_options(locals(), rnn_kwargs)
        self.rnn_impl_used = "seqdrop" if uses_seqdrop(options, rnn_impl) else "torch"

        self.encoder = nn.Embedding(vocab_size, embedding_size)
        self.drop_in = _site_dropout(self.input_dropout, locked, False, generator)
        last = embedding_size if tie_weights else hidden_size
        sizes = [embedding_size] + [hidden_size] * (num_layers - 1) + [last]
        self.per_layer = locked or last != hidden_size
        if self.per_layer:
            # one module per layer (AWD-LSTM layout): locked masks between layers, own last size
            self.rnns = nn.ModuleList(
                make_rnn(cell, sizes[i], sizes[i + 1], 1, rnn_impl=rnn_impl, **options) for i in range(num_layers)
            )
            self.drop_between = _site_dropout(self.layer_dropout, locked, False, generator)
        else:
            self.rnn = make_rnn(cell, embedding_size, hidden_size, num_layers, dropout=self.layer_dropout, rnn_impl=rnn_impl, **options)
        self.drop_out = _site_dropout(self.output_dropout, locked, False, generator)
        self.decoder = nn.Linear(last, vocab_size)
        if tie_weights:
            self.decoder.weight = self.encoder.weight  # Press & Wolf 2017; Inan et al. 2016
        self.reset_parameters(init_range)

    def reset_parameters(self, init_range: float | None = None) -> None:
        """``init_range``: every parameter ~ U(−r, r) (Zaremba et al. 2014); else encoder/decoder
        U(−0.1, 0.1), decoder bias 0, recurrent layers keep their default init (pytorch/examples)."""
        if init_range is not None:
            for p in self.parameters():
                nn.init.uniform_(p, -init_range, init_range)
            return
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if not self.tie_weights:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def embed(self, x: Tensor) -> Tensor:
        return embedding_dropout(self.encoder, x, self.embedding_dropout_p, self.training, generator=self.generator)

    def forward(
        self, x: Tensor, state: Any = None, *, return_hidden: bool = False
    ) -> tuple[Tensor, Any] | tuple[Tensor, Any, tuple[Tensor, Tensor]]:
        """``x (T, B)`` ids → logits ``(T, B, V)``, new state[, (last raw output, its dropped form)]."""
        h = self.drop_in(self.embed(x))
        if self.per_layer:
            states = state if state is not None else [None] * self.num_layers
            new_states = []
            for i, rnn in enumerate(self.rnns):
                h, s = rnn(h, states[i])
                new_states.append(s)
                if i < self.num_layers - 1:
                    h = self.drop_between(h)
            new_state: Any = new_states
        else:
            h, new_state = self.rnn(h, state)
        raw = h
        dropped = self.drop_out(raw)
        logits = self.decoder(dropped)
        if return_hidden:
            return logits, new_state, (raw, dropped)
        return logits, new_state


class SequenceClassifier(nn.Module):
    """Recurrent encoder over right-padded ``(B, T, F)`` input → class logits ``(B, C)``.

    ``pooling="last"`` reads the output at each sequence's last valid step (``lengths − 1``);
    ``"mean"`` averages the valid steps. Padding never reaches the valid outputs of a
    unidirectional RNN, so no packing is needed (and ``seqdrop.nn`` layers plug in unchanged).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_classes: int,
        num_layers: int = 1,
        cell: Cell = "lstm",
        *,
        pooling: Literal["last", "mean"] = "last",
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        output_dropout: float = 0.0,
        locked: bool = False,
        recurrent_dropout: float = 0.0,
        recurrent_dropout_mode: Literal["sequence", "batch"] = "sequence",
        untied_masks: bool = False,
        update_dropout: float = 0.0,
        weight_dropout: float = 0.0,
        zoneout: float = 0.0,
        zoneout_cell: float | None = None,
        rnn_impl: RnnImpl = "auto",
        rnn_kwargs: dict[str, Any] | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.pooling = pooling
        options = layer_options(locals(), rnn_kwargs)
        self.rnn_impl_used = "seqdrop" if uses_seqdrop(options, rnn_impl) else "torch"
        self.drop_in = _site_dropout(input_dropout, locked, True, generator)
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, dropout=dropout, batch_first=True, rnn_impl=rnn_impl, **options)
        self.drop_out = nn.Dropout(output_dropout) if output_dropout > 0 else nn.Identity()
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        out, _ = self.rnn(self.drop_in(x))
        B, T = out.shape[:2]
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long, device=out.device)
        lengths = lengths.to(out.device)
        if self.pooling == "last":
            pooled = out[torch.arange(B, device=out.device), lengths - 1]
        else:
            mask = (torch.arange(T, device=out.device)[None, :] < lengths[:, None]).to(out.dtype)
            pooled = (out * mask.unsqueeze(-1)).sum(1) / lengths.to(out.dtype).unsqueeze(-1)
        return self.head(self.drop_out(pooled))


class FeedForwardNet(nn.Module):
    """The source article's feed-forward baseline: 784-128-10 with dropout 0.5 after the hidden layer.

    ``[Dropout(input_dropout)] → (Linear → ReLU → Dropout(dropout)) per hidden size → Linear``
    (logits). Input of any shape ``(B, ...)`` is flattened; ``lengths`` is ignored (it is there
    so the net is a drop-in for :class:`SequenceClassifier`).

    The dropout layers are :class:`seqdrop.dropout.Dropout` (Srivastava et al. 2014): ``mode``
    selects ``"inverted"`` (default; ``1/(1-p)`` at training time) or ``"weight_scaling"``
    (``(1-p)`` at test time); ``generator`` (shared by every dropout layer) makes the masks
    reproducible. A rate of 0 adds no layer.
    """

    def __init__(
        self,
        input_size: int = 784,
        hidden_sizes: Sequence[int] = (128,),
        num_classes: int = 10,
        *,
        dropout: float = 0.5,
        input_dropout: float = 0.0,
        mode: DropoutMode = "inverted",
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        dropout = check_probability("dropout", dropout)
        input_dropout = check_probability("input_dropout", input_dropout)
        _check_mode(mode)
        _check_generator(generator)

        def drop(p: float) -> list[nn.Module]:
            return [Dropout(p, mode=mode, generator=generator)] if p > 0 else []

        layers: list[nn.Module] = drop(input_dropout)
        prev = input_size
        for h in hidden_sizes:
            layers += [nn.Linear(prev, h), nn.ReLU(), *drop(dropout)]
            prev = h
        layers.append(nn.Linear(prev, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.net(x.flatten(1))
