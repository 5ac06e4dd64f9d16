"""``LSTM``, ``GRU`` and ``RNN`` with every published dropout variant, drop-in for ``torch.nn``.

Same arguments, shapes, ``state_dict`` keys and initialisation as ``torch.nn``; weights load
both ways. The dropout options are keyword-only, all off by default (then the layers make
exactly torch's fused call); their table is :func:`seqdrop.nn.options_table`.
"""
from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from ..errors import ParameterError
from .options import RecurrentDropout
from .rnn_base import SeqdropRNNBase

__all__ = ["LSTM", "GRU", "RNN", "SeqdropRNNBase"]

_OPTIONS_DOC = r"""
    Args:
        input_size: The number of expected features in the input `x`.
        hidden_size: The number of features in the hidden state `h`.
        num_layers: Number of recurrent layers. Default: 1
        {extra_args}bias: If ``False``, the layer does not use bias weights `b_ih` and `b_hh`.
            Default: ``True``
        batch_first: If ``True``, input and output tensors are ``(batch, seq, feature)``
            instead of ``(seq, batch, feature)``. Does not apply to hidden states.
            Default: ``False``
        dropout: Dropout between layers, a fresh mask every time step (torch's; Zaremba et
            al. 2014). Default: 0
        bidirectional: If ``True``, becomes a bidirectional layer. Default: ``False``

    Keyword-only dropout options (all off by default; see
    :class:`seqdrop.nn.RecurrentDropout` for the table):
        input_dropout, layer_dropout, output_dropout: locked masks (one per sequence, Gal &
            Ghahramani 2016) on the input, between layers (exclusive with ``dropout``) and
            on the last layer's output.
        recurrent_dropout: the mask :math:`m^h` on :math:`h_{{t-1}}` in
            :math:`W_{{h\cdot}} (m^h \odot h_{{t-1}})`; ``recurrent_dropout_mode="sequence"``
            (one mask per sequence, step loop) or ``"batch"`` (shared by the batch, fused);
            ``untied_masks=True`` draws one per gate.
        update_dropout: the mask :math:`d` on the candidate (Semeniuta et al. 2016), per
            sequence or, with ``update_dropout_per_step=True``, per step.
        weight_dropout: DropConnect on :math:`W_{{hh}}` (Merity et al. 2017), one mask per call.
        {zoneout_args}
        generator: a ``torch.Generator`` that draws every mask.

    Inputs: input, {hx_name}
        * **input**: tensor of shape :math:`(L, H_{{in}})` (unbatched), :math:`(L, N, H_{{in}})`
          or, with ``batch_first=True``, :math:`(N, L, H_{{in}})`; or a packed sequence
          (:func:`torch.nn.utils.rnn.pack_padded_sequence`).
        {hx_doc}

    Outputs: output, {out_name}
        * **output**: :math:`(L, D \cdot H_{{out}})`, :math:`(L, N, D \cdot H_{{out}})` or, with
          ``batch_first=True``, :math:`(N, L, D \cdot H_{{out}})`: the last layer's
          :math:`h_t` for every `t` (a packed sequence if the input was packed).
        {out_doc}

    where :math:`N` = batch size, :math:`L` = sequence length, :math:`D` = 2 if
    bidirectional else 1, :math:`H_{{out}}` = ``hidden_size``.
"""

_H_DOC = (
    "* **h_0**: :math:`(D \\cdot \\text{num\\_layers}, H_{out})` or "
    ":math:`(D \\cdot \\text{num\\_layers}, N, H_{out})`, the initial hidden state "
    "(zeros if not given)."
)
_HN_DOC = "* **h_n**: same shape as ``h_0``: the final hidden state of every layer and direction."


def _doc(head: str, example: str, *, extra_args: str = "", zoneout_args: str, lstm: bool) -> str:
    hx_doc = _H_DOC + ("\n        * **c_0**: same shape as ``h_0``, the initial cell state." if lstm else "")
    out_doc = _HN_DOC + ("\n        * **c_n**: same shape as ``h_0``: the final cell state." if lstm else "")
    body = _OPTIONS_DOC.format(
        extra_args=extra_args, zoneout_args=zoneout_args, hx_doc=hx_doc, out_doc=out_doc,
        hx_name="(h_0, c_0)" if lstm else "h_0", out_name="(h_n, c_n)" if lstm else "h_n",
    )
    return head + body + example


def _no_projections(kwargs: dict) -> None:
    if "proj_size" in kwargs:  # torch's check and message
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


class _GatedRNN(SeqdropRNNBase):
    """torch's signature for the gated cells; ``MODE`` names the cell."""

    MODE = ""

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, **kwargs: Any,
    ) -> None:
        if self.MODE != "LSTM":
            _no_projections(kwargs)
        SeqdropRNNBase.__init__(
            self, self.MODE, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            **kwargs,
        )


class LSTM(_GatedRNN, nn.LSTM):
    MODE = "LSTM"

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
            proj_size=proj_size, **kwargs,
        )


LSTM.__doc__ = _doc(
    r"""A multi-layer LSTM, drop-in for :class:`torch.nn.LSTM`, with every dropout variant.

    For each element of the input sequence each layer computes (torch's gate order; the
    masks, drawn only in training, are marked with the option that draws them)::

        x̃_t = m^x ⊙ x_t                                   input_dropout (layer 1),
                                                             layer_dropout / dropout (others)
        h̃   = m^h_k ⊙ h_{t-1}                              recurrent_dropout (m^h_k = m^h
                                                             for every gate k unless untied)
        i_t = σ(W_ii x̃_t + b_ii + W_hi h̃ + b_hi)
        f_t = σ(W_if x̃_t + b_if + W_hf h̃ + b_hf)
        g_t = tanh(W_ig x̃_t + b_ig + W_hg h̃ + b_hg) ⊙ d   update_dropout (Semeniuta)
        o_t = σ(W_io x̃_t + b_io + W_ho h̃ + b_ho)
        c'_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        h'_t = o_t ⊙ tanh(c'_t)
        c_t = z^c ⊙ c_{t-1} + (1 - z^c) ⊙ c'_t              zoneout_cell (z^c ~ Bernoulli)
        h_t = z^h ⊙ h_{t-1} + (1 - z^h) ⊙ h'_t              zoneout (z^h ~ Bernoulli)

    ``W_h·`` is replaced by its DropConnect version when ``weight_dropout`` is set (one mask
    per forward call) and the last layer's output by ``m^y ⊙ h_t`` (``output_dropout``).
    With ``proj_size = P > 0`` (torch's 8th argument; Sak et al. 2014)
    ``h'_t = W_hr (o_t ⊙ tanh(c'_t))`` has ``P`` units: the recurrent mask and zoneout act on
    them, ``update_dropout`` and ``zoneout_cell`` on the ``hidden_size`` units of ``g``, ``c``.
    Dropout masks are scaled by ``1/(1-p)``; zoneout is not, and at evaluation it uses
    its expectation ``z = p``. Every other mask is off at evaluation.
""",
    r"""
    Example::

        >>> import torch, seqdrop.nn as snn
        >>> lstm = snn.LSTM(10, 20, num_layers=2, recurrent_dropout=0.25, zoneout=0.1)
        >>> x = torch.randn(5, 3, 10)                       # (L, N, H_in)
        >>> output, (h_n, c_n) = lstm(x)
        >>> output.shape, h_n.shape
        (torch.Size([5, 3, 20]), torch.Size([2, 3, 20]))
        >>> lstm.load_state_dict(torch.nn.LSTM(10, 20, num_layers=2).state_dict())
        <All keys matched successfully>
""",
    zoneout_args="zoneout, zoneout_cell: Krueger et al.'s zoneout on h and on c.",
    lstm=True,
)


class GRU(_GatedRNN, nn.GRU):
    MODE = "GRU"


GRU.__doc__ = _doc(
    r"""A multi-layer GRU, drop-in for :class:`torch.nn.GRU`, with every dropout variant.

    For each element of the input sequence each layer computes (masks as in :class:`LSTM`)::

        x̃_t = m^x ⊙ x_t                                   input / layer_dropout / dropout
        h̃   = m^h_k ⊙ h_{t-1}                              recurrent_dropout (per gate k
                                                             if untied_masks)
        r_t = σ(W_ir x̃_t + b_ir + W_hr h̃ + b_hr)
        z_t = σ(W_iz x̃_t + b_iz + W_hz h̃ + b_hz)
        n_t = tanh(W_in x̃_t + b_in + r_t ⊙ (W_hn h̃ + b_hn)) ⊙ d   update_dropout
        h'_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
        h_t = z^h ⊙ h_{t-1} + (1 - z^h) ⊙ h'_t              zoneout

    The recurrent mask acts only on the product ``W_h· h_{t-1}``: the carry
    ``z_t ⊙ h_{t-1}`` keeps the undropped state (Gal & Ghahramani 2016, Keras), unlike
    ``GRUCell(x, m ⊙ h)``. A GRU has no cell state, so ``zoneout_cell`` is rejected.
""",
    r"""
    Example::

        >>> import torch, seqdrop.nn as snn
        >>> gru = snn.GRU(10, 20, batch_first=True, recurrent_dropout=0.3,
        ...               recurrent_dropout_mode="batch")    # fused kernel kept
        >>> output, h_n = gru(torch.randn(3, 5, 10))       # (N, L, H_in)
        >>> output.shape, h_n.shape
        (torch.Size([3, 5, 20]), torch.Size([1, 3, 20]))
""",
    zoneout_args="zoneout: Krueger et al.'s zoneout on h.",
    lstm=False,
)


class RNN(SeqdropRNNBase, nn.RNN):
    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
        bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
        **kwargs: Any,
    ) -> None:
        _no_projections(kwargs)
        if nonlinearity not in ("tanh", "relu"):
            raise ParameterError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        SeqdropRNNBase.__init__(
            self, mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, **kwargs
        )
        self.nonlinearity = nonlinearity


RNN.__doc__ = _doc(
    r"""A multi-layer Elman RNN, drop-in for :class:`torch.nn.RNN`, with every dropout variant.

    For each element of the input sequence each layer computes (masks as in :class:`LSTM`;
    ``f`` is tanh or ReLU)::

        x̃_t = m^x ⊙ x_t                                   input / layer_dropout / dropout
        h̃   = m^h ⊙ h_{t-1}                                recurrent_dropout
        h'_t = f(d ⊙ (W_ih x̃_t + b_ih + W_hh h̃ + b_hh))   update_dropout (pre-activation)
        h_t = z^h ⊙ h_{t-1} + (1 - z^h) ⊙ h'_t              zoneout

    Positional order is torch's: ``(input_size, hidden_size, num_layers, nonlinearity,
    bias, batch_first, dropout, bidirectional)``. A single-gate cell has neither
    ``untied_masks`` nor ``zoneout_cell``.
""",
    r"""
    Example::

        >>> import torch, seqdrop.nn as snn
        >>> rnn = snn.RNN(10, 20, 2, "relu", update_dropout=0.2)
        >>> output, h_n = rnn(torch.randn(5, 3, 10), torch.zeros(2, 3, 20))
        >>> output.shape
        torch.Size([5, 3, 20])
""",
    extra_args="nonlinearity: The non-linearity to use, ``'tanh'`` or ``'relu'``. Default: ``'tanh'``\n        ",
    zoneout_args="zoneout: Krueger et al.'s zoneout on h.",
    lstm=False,
)


def _with_options_signature(cls: type, without: tuple[str, ...] = ()) -> None:
    """Show the keyword options in ``inspect.signature``/``help`` (``**kwargs`` in the code)."""
    params = [p for p in inspect.signature(cls.__init__).parameters.values()
              if p.kind is not p.VAR_KEYWORD and p.name != "self"]
    defaults = RecurrentDropout()
    for name in RecurrentDropout.field_names("layer"):
        if name != "dropout" and name not in without:
            value = getattr(defaults, name)
            params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=value,
                                            annotation=type(value).__name__))
    params.append(inspect.Parameter("generator", inspect.Parameter.KEYWORD_ONLY, default=None,
                                    annotation="torch.Generator | None"))
    for name in ("device", "dtype"):
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None))
    cls.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]


_with_options_signature(LSTM)
_with_options_signature(GRU, without=("zoneout_cell",))
_with_options_signature(RNN, without=("zoneout_cell", "untied_masks"))
