"""Models for dropout experiments: language model, sequence classifier/regressor, feed-forward net.

The recurrent models take every dropout option as one argument, ``dropouts=`` (a
:class:`seqdrop.nn.RecurrentDropout`, or a dict of its fields), and always build
:mod:`seqdrop.nn` layers (bit-identical to ``torch.nn`` when no option is on). The model
applies the *model* fields around its recurrent stack and hands the recurrence options
(``recurrent_dropout``, ``update_dropout``, ``weight_dropout``, ``zoneout``, ...) to every
layer; the table of fields is :func:`seqdrop.nn.options_table`. Site names follow Zaremba
et al. 2014, Gal & Ghahramani 2016 and Merity et al. 2017 (AWD-LSTM ``dropoute``,
``dropouti``, ``dropouth``, ``dropout``):

========================  =============================================================
``embedding_dropout``     word-type dropout, whole rows of the embedding matrix (AWD ``dropoute``)
``model_input_dropout``   on the recurrent stack's input (AWD ``dropouti``)
``model_layer_dropout``   between recurrent layers (AWD ``dropouth``; ``nn.LSTM(dropout=)``)
``model_output_dropout``  on the stack's output, before the decoder (AWD ``dropout``)
``locked``                ``False``: a fresh mask every time step (Zaremba);
                          ``True``: one mask per sequence (Gal; AWD ``LockedDropout``)
========================  =============================================================
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import torch
from torch import Tensor, nn

from . import nn as snn
from .dropout import Dropout, DropoutMode, LockedDropout, _check_generator, _check_mode, check_probability, embedding_dropout
from .nn import RecurrentDropout
from .nn.options import CLOSED_AT_ONE
from .errors import ParameterError

__all__ = [
    "CELLS",
    "make_rnn",
    "detach_state",
    "RNNLanguageModel",
    "SequenceClassifier",
    "SequenceRegressor",
    "FeedForwardNet",
]

CELLS = ("lstm", "gru", "rnn", "rnn_tanh", "rnn_relu")
Cell = Literal["lstm", "gru", "rnn", "rnn_tanh", "rnn_relu"]
Dropouts = Union[RecurrentDropout, Mapping[str, Any], None]

#: layer fields that act where a model's own sites act: a model names them ``model_*``
_STACK_SITES = {
    "dropout": "model_layer_dropout",
    "input_dropout": "model_input_dropout",
    "layer_dropout": "model_layer_dropout",
    "output_dropout": "model_output_dropout",
}


def make_rnn(
    cell: Cell, input_size: int, hidden_size: int, num_layers: int = 1, *, batch_first: bool = False,
    generator: torch.Generator | None = None, **options: Any,
) -> snn.SeqdropRNNBase:
    """A :mod:`seqdrop.nn` LSTM/GRU/RNN by cell name; ``options`` are its keyword options."""
    cell = cell.lower()  # type: ignore[assignment]
    if cell not in CELLS:
        raise ParameterError(f"cell must be one of {CELLS}, got {cell!r}")
    kwargs: dict[str, Any] = dict(num_layers=num_layers, batch_first=batch_first, generator=generator, **options)
    if cell == "lstm":
        return snn.LSTM(input_size, hidden_size, **kwargs)
    if cell == "gru":
        return snn.GRU(input_size, hidden_size, **kwargs)
    return snn.RNN(input_size, hidden_size, nonlinearity="relu" if cell == "rnn_relu" else "tanh", **kwargs)


def model_dropouts(dropouts: Dropouts) -> RecurrentDropout:
    """``dropouts`` as a :class:`RecurrentDropout`, rejecting the layer names of model sites."""
    opts = RecurrentDropout.coerce(dropouts)
    for name in CLOSED_AT_ONE:  # legal on a torch-compatible layer, useless in a model
        if getattr(opts, name) == 1.0:
            raise ParameterError(
                f"parameter {name!r} = 1.0 is outside the allowed range [0, 1) for a model: it would "
                "drop every unit between layers (dropout) or never update the state (zoneout)"
            )
    clash = [name for name in _STACK_SITES if name in opts.active()]
    if clash:
        hints = ", ".join(f"{n} -> {_STACK_SITES[n]}" for n in clash)
        raise ParameterError(
            f"{clash} are layer options; a model's dropout sites are named model_* ({hints}), "
            "with locked=True for one mask per sequence"
        )
    return opts


def recurrence_options(opts: RecurrentDropout) -> dict[str, Any]:
    """The layer fields a model hands to each recurrent layer (all but the stack sites)."""
    return {k: v for k, v in opts.layer_kwargs().items() if k not in _STACK_SITES}


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


def _split_layers(state: Any, num_layers: int) -> list[Any]:
    """A stacked ``h`` or ``(h, c)`` of shape ``(L, B, H)`` as one ``(1, B, H)`` state per layer."""
    if isinstance(state, Tensor):
        return list(state.split(1, 0))
    h, c = state
    return list(zip(h.split(1, 0), c.split(1, 0)))


def _join_layers(states: Sequence[Any]) -> Any:
    """The inverse of :func:`_split_layers`."""
    if isinstance(states[0], Tensor):
        return torch.cat(list(states), 0)
    return torch.cat([s[0] for s in states], 0), torch.cat([s[1] for s in states], 0)


class RNNLanguageModel(nn.Module):
    """Embedding → recurrent stack → (dropout) → linear decoder; input and output ``(T, B)``.

    Zaremba et al. 2014 (``model_*_dropout`` with ``locked=False``, ``init_range``), Gal &
    Ghahramani 2016 (``locked=True``, ``recurrent_dropout``, ``embedding_dropout``), Merity
    et al. 2017 AWD-LSTM (``weight_dropout``, ``tie_weights`` with a last layer of
    ``embedding_size`` units, AR/TAR through ``return_hidden``). ``dropouts`` holds every
    dropout option (see the module doc). ``forward`` returns logits ``(T, B, V)`` and the
    new state to carry into the next window: always a list with one state per layer
    (``h`` or ``(h, c)``, each ``(1, B, H_layer)``).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_size: int = 200,
        hidden_size: int = 200,
        num_layers: int = 2,
        cell: Cell = "lstm",
        *,
        dropouts: Dropouts = None,
        tie_weights: bool = False,
        init_range: float | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.embedding_size, self.hidden_size = vocab_size, embedding_size, hidden_size
        self.num_layers, self.cell, self.tie_weights = num_layers, cell, tie_weights
        self.dropouts = opts = model_dropouts(dropouts)
        self.generator = generator
        layer_opts = recurrence_options(opts)
        self.encoder = nn.Embedding(vocab_size, embedding_size)
        self.drop_in = _site_dropout(opts.model_input_dropout, opts.locked, False, generator)
        last = embedding_size if tie_weights else hidden_size
        sizes = [embedding_size] + [hidden_size] * (num_layers - 1) + [last]
        self.per_layer = opts.locked or last != hidden_size
        if self.per_layer:
            # one module per layer (AWD-LSTM layout): locked masks between layers, own last size
            self.rnns = nn.ModuleList(
                make_rnn(cell, sizes[i], sizes[i + 1], 1, generator=generator, **layer_opts) for i in range(num_layers)
            )
            self.drop_between = _site_dropout(opts.model_layer_dropout, opts.locked, False, generator)
        else:
            between = opts.model_layer_dropout if num_layers > 1 else 0.0
            self.rnn = make_rnn(
                cell, embedding_size, hidden_size, num_layers, dropout=between, generator=generator, **layer_opts
            )
        self.drop_out = _site_dropout(opts.model_output_dropout, opts.locked, False, generator)
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
        p = self.dropouts.embedding_dropout
        return embedding_dropout(self.encoder, x, p, self.training, generator=self.generator)

    def forward(
        self, x: Tensor, state: list[Any] | None = None, *, return_hidden: bool = False
    ) -> tuple[Tensor, list[Any]] | tuple[Tensor, list[Any], tuple[Tensor, Tensor]]:
        """``x (T, B)`` ids → logits ``(T, B, V)``, new state[, (last raw output, its dropped form)]."""
        h = self.drop_in(self.embed(x))
        if self.per_layer:
            states = state if state is not None else [None] * self.num_layers
            new_state = []
            for i, rnn in enumerate(self.rnns):
                h, s = rnn(h, states[i])
                new_state.append(s)
                if i < self.num_layers - 1:
                    h = self.drop_between(h)
        else:
            h, stacked = self.rnn(h, None if state is None else _join_layers(state))
            new_state = _split_layers(stacked, self.num_layers)
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
    unidirectional RNN, so no packing is needed. ``dropouts``: ``model_input_dropout`` on
    the features, ``model_layer_dropout`` between layers (locked if ``locked``),
    ``model_output_dropout`` on the pooled state, and the recurrence options.
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
        dropouts: Dropouts = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if pooling not in ("last", "mean"):
            raise ParameterError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.dropouts = opts = model_dropouts(dropouts)
        self.generator = generator
        self.drop_in = _site_dropout(opts.model_input_dropout, opts.locked, True, generator)
        between = opts.model_layer_dropout if num_layers > 1 else 0.0
        site = "layer_dropout" if opts.locked else "dropout"
        self.rnn = make_rnn(cell, input_size, hidden_size, num_layers, batch_first=True, generator=generator,
                            **{site: between}, **recurrence_options(opts))
        p_out = opts.model_output_dropout
        self.drop_out = nn.Dropout(p_out) if p_out > 0 else nn.Identity()
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


class SequenceRegressor(SequenceClassifier):
    """Recurrent encoder → ``output_size`` real values per sequence: forecasting and regression.

    The encoder, pooling and dropout sites of :class:`SequenceClassifier`; the linear head's
    ``(B, output_size)`` output is a point forecast (e.g. the next ``output_size`` values of a
    series), fit with the mean squared error by :class:`seqdrop.train.Regression`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int = 1,
        num_layers: int = 1,
        cell: Cell = "lstm",
        *,
        pooling: Literal["last", "mean"] = "last",
        dropouts: Dropouts = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(input_size, hidden_size, output_size, num_layers, cell, pooling=pooling,
                         dropouts=dropouts, generator=generator)


class FeedForwardNet(nn.Module):
    """A feed-forward baseline: 784-128-10 with dropout 0.5 after the hidden layer by default.

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
