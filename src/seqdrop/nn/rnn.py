"""``LSTM``, ``GRU`` and ``RNN`` with every published dropout variant, drop-in for ``torch.nn``.

The classes subclass :class:`torch.nn.RNNBase`, so parameters, ``state_dict`` keys/shapes,
initialisation, ``flatten_parameters``/``.to()``/``.cuda()`` handling, unbatched input and
``PackedSequence`` behave as in torch; weights load both ways between ``torch.nn.LSTM`` and
``seqdrop.nn.LSTM``. Every dropout option is off by default; with all of them off the module
makes exactly the same fused call as ``torch.nn`` (``torch._VF.lstm/gru/rnn_tanh/rnn_relu``).

Options (probabilities are drop probabilities in ``[0, 1)``; masks use inverted scaling
``1/(1-p)`` except zoneout; every mask is drawn from ``generator`` if one is given):

``dropout``                 torch's between-layer dropout, a **fresh mask every time step**,
                            not after the last layer (Zaremba et al. 2014).
``input_dropout``           locked (variational) dropout on the layer input: one mask per
                            sequence, shared by all steps (Gal & Ghahramani 2016).
``layer_dropout``           locked dropout between stacked layers (AWD-LSTM ``dropouth``).
``output_dropout``          locked dropout on the output of the last layer.
``recurrent_dropout``       Gal's variational dropout on ``h_{t-1}`` where it enters
                            ``W_hh h_{t-1}``. ``recurrent_dropout_mode="sequence"``: one mask
                            per sequence (step loop). ``"batch"``: one mask shared by the whole
                            batch, run as column weight drop ``W_hh·diag(m)`` through the fused
                            kernel (same expectation, masks correlated across the batch).
``untied_masks``            one recurrent mask per gate (Gal's "untied" LSTM, Keras'
                            ``recurrent_dropout`` with implementation 1). LSTM/GRU only.
``update_dropout``          Semeniuta et al. 2016: dropout on the candidate only -- ``g_t``
                            (LSTM), the new-gate candidate ``n_t`` (GRU), the pre-activation
                            (RNN: ``h' = f(d ⊙ a)``). Per sequence by default,
                            ``update_dropout_per_step=True`` for a fresh mask every step.
``weight_dropout``          DropConnect on ``W_hh`` (Merity et al. 2017): one element mask per
                            forward call per layer/direction; fused kernel kept.
``zoneout``/``zoneout_cell``  Krueger et al. 2016: each unit of h (c, LSTM only) keeps its
                            previous value with probability p, fresh draw every step; at eval
                            the expectation ``p·old + (1-p)·new`` is used (so zoneout changes
                            the eval recurrence too and always runs the step loop).

GRU recurrent dropout masks **only the product** ``W_hh h_{t-1}`` (all three gates' recurrent
inputs); the carry term ``z ⊙ h_{t-1}`` keeps the undropped state (Gal & Ghahramani's and
Keras' semantics; ``GRUCell(x, h*m)`` would also drop the carry and is *not* what we do).
For the LSTM, masking ``W_hh h_{t-1}`` is the same as ``LSTMCell(x, (h*m, c))``.

Execution paths
---------------
* **single fused call** (``dropout``, ``input/output_dropout``, ``weight_dropout``,
  batch-mode ``recurrent_dropout``): locked masks outside, one ``_VF`` call for all layers.
* **per-layer fused calls** when masks between layers are locked (``layer_dropout``) or a
  ``generator`` must drive ``dropout``.
* **step loop** (sequence-mode ``recurrent_dropout``, ``update_dropout``, ``zoneout``) during
  training -- and for zoneout also at eval: :mod:`seqdrop.nn.recurrence` (input projection
  and ``dW_hh`` as single GEMMs, custom backward). In eval mode, recurrent/update dropout
  vanish and the layers run fused again.

``PackedSequence`` input works on every path (the step loop freezes finished sequences).
On CUDA, modules that run per layer keep **one cuDNN weight buffer per layer**
(``flatten_parameters`` is overridden) so cuDNN never copies; weight-dropped matrices are
placed in a fresh buffer with the same layout (:mod:`seqdrop.nn.weight_drop`), so the
"not part of single contiguous chunk of memory" warning is never raised.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, _VF, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ..dropout import bernoulli_mask, check_probability, dropout as _dropout, locked_dropout
from ..params import ParameterError
from .recurrence import gru_recurrence, lstm_recurrence, rnn_recurrence
from .weight_drop import apply_column_mask, drop_weight, rebuild_flat_buffer, recurrent_column_mask

__all__ = ["LSTM", "GRU", "RNN", "SeqdropRNNBase"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_OPTIONS = (
    "input_dropout",
    "layer_dropout",
    "output_dropout",
    "recurrent_dropout",
    "recurrent_dropout_mode",
    "untied_masks",
    "update_dropout",
    "update_dropout_per_step",
    "weight_dropout",
    "zoneout",
    "zoneout_cell",
)


class SeqdropRNNBase(nn.RNNBase):
    """Common implementation of :class:`LSTM`, :class:`GRU` and :class:`RNN` (see module doc)."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        *,
        input_dropout: float = 0.0,
        layer_dropout: float = 0.0,
        output_dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        recurrent_dropout_mode: str = "sequence",
        untied_masks: bool = False,
        update_dropout: float = 0.0,
        update_dropout_per_step: bool = False,
        weight_dropout: float = 0.0,
        zoneout: float = 0.0,
        zoneout_cell: float = 0.0,
        generator: torch.Generator | None = None,
        device=None,
        dtype=None,
    ) -> None:
        opts = dict(
            dropout=check_probability("dropout", dropout),
            input_dropout=check_probability("input_dropout", input_dropout),
            layer_dropout=check_probability("layer_dropout", layer_dropout),
            output_dropout=check_probability("output_dropout", output_dropout),
            recurrent_dropout=check_probability("recurrent_dropout", recurrent_dropout),
            update_dropout=check_probability("update_dropout", update_dropout),
            weight_dropout=check_probability("weight_dropout", weight_dropout),
            zoneout=check_probability("zoneout", zoneout),
            zoneout_cell=check_probability("zoneout_cell", zoneout_cell),
        )
        if recurrent_dropout_mode not in ("sequence", "batch"):
            raise ParameterError(
                f"recurrent_dropout_mode must be 'sequence' (one mask per sequence, step loop) or "
                f"'batch' (one mask shared by the batch, fused), got {recurrent_dropout_mode!r}"
            )
        for flag_name, flag in (("untied_masks", untied_masks), ("update_dropout_per_step", update_dropout_per_step)):
            if not isinstance(flag, bool):
                raise ParameterError(f"{flag_name} must be a bool, got {flag!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        if opts["dropout"] > 0 and opts["layer_dropout"] > 0:
            raise ParameterError(
                "dropout and layer_dropout are both dropout between layers (per-step vs locked "
                "masks); set only one of them"
            )
        if mode != "LSTM" and opts["zoneout_cell"] > 0:
            raise ParameterError(f"zoneout_cell applies to the LSTM cell state c only; {_name(mode)} has no cell state (use zoneout)")
        if _GATES[mode] == 1 and untied_masks:
            raise ParameterError("untied_masks=True needs a gated cell (LSTM or GRU); the Elman RNN has a single gate")
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, opts["dropout"], bidirectional,
            proj_size=0, device=device, dtype=dtype,
        )
        self.input_dropout = opts["input_dropout"]
        self.layer_dropout = opts["layer_dropout"]
        self.output_dropout = opts["output_dropout"]
        self.recurrent_dropout = opts["recurrent_dropout"]
        self.recurrent_dropout_mode = recurrent_dropout_mode
        self.untied_masks = untied_masks
        self.update_dropout = opts["update_dropout"]
        self.update_dropout_per_step = update_dropout_per_step
        self.weight_dropout = opts["weight_dropout"]
        self.zoneout = opts["zoneout"]
        self.zoneout_cell = opts["zoneout_cell"]
        self.generator = generator
        self._force_loop = False  # testing hook: run the step loop even with nothing to drop
        self._init_flat_weights()  # re-flatten now that the execution plan is known

    # ------------------------------------------------------------------ plan
    @property
    def _seq_recurrent(self) -> bool:
        return self.recurrent_dropout > 0 and self.recurrent_dropout_mode == "sequence"

    @property
    def _batch_recurrent(self) -> bool:
        return self.recurrent_dropout > 0 and self.recurrent_dropout_mode == "batch"

    @property
    def _has_zoneout(self) -> bool:
        return self.zoneout > 0 or self.zoneout_cell > 0

    @property
    def _per_layer(self) -> bool:
        """Run layer by layer (locked masks between layers, or a step loop)."""
        return bool(
            getattr(self, "layer_dropout", 0.0) > 0
            or getattr(self, "_force_loop", False)
            or (getattr(self, "generator", None) is not None and self.dropout > 0)
            or (hasattr(self, "zoneout") and (self._seq_recurrent or self.update_dropout > 0 or self._has_zoneout))
        )

    def _loop_now(self) -> bool:
        if self._force_loop or self._has_zoneout:
            return True
        return self.training and (self._seq_recurrent or self.update_dropout > 0)

    # ------------------------------------------------------------------ cuDNN buffers
    def flatten_parameters(self) -> None:
        """As torch's, but with one cuDNN buffer per layer when the module runs per layer."""
        if not self._per_layer:
            return super().flatten_parameters()
        fw = self._flat_weights
        if len(fw) != len(self._flat_weights_names) or not all(isinstance(w, Tensor) for w in fw):
            return
        dtype = fw[0].dtype
        if any(w.dtype != dtype or not w.is_cuda or not torch.backends.cudnn.is_acceptable(w) for w in fw):
            return
        if len({w.data_ptr() for w in fw}) != len(fw):
            return
        if not torch._use_cudnn_rnn_flatten_weight():
            return
        import torch.backends.cudnn.rnn as cudnn_rnn

        nw = 4 if self.bias else 2
        D = 2 if self.bidirectional else 1
        with torch.cuda.device_of(fw[0]), torch.no_grad():
            for layer in range(self.num_layers):
                torch._cudnn_rnn_flatten_weight(
                    fw[layer * D * nw : (layer + 1) * D * nw],
                    nw,
                    self.input_size if layer == 0 else self.hidden_size * D,
                    cudnn_rnn.get_cudnn_mode(self.mode),
                    self.hidden_size,
                    0,
                    1,
                    self.batch_first,
                    bool(self.bidirectional),
                )

    # ------------------------------------------------------------------ masks
    def _mask(self, shape, p: float, like: Tensor, scale: bool = True) -> Tensor:
        m = bernoulli_mask(shape, p, generator=self.generator, device=like.device, dtype=like.dtype)
        return m * (1.0 / (1.0 - p)) if scale else m

    def _effective_weights(self, weights: list[Tensor], D: int) -> list[Tensor]:
        """Replace each W_hh by its weight-dropped / column-masked version (training only)."""
        if not self.training or not (self.weight_dropout > 0 or self._batch_recurrent):
            return weights
        nw = 4 if self.bias else 2
        new = list(weights)
        G = _GATES[self.mode]
        for k in range(1, len(weights), nw):
            w = weights[k]
            if self.weight_dropout > 0:
                w = drop_weight(w, self.weight_dropout, generator=self.generator)
            if self._batch_recurrent:
                m = recurrent_column_mask(
                    self.hidden_size, G, self.recurrent_dropout, self.untied_masks,
                    generator=self.generator, device=w.device, dtype=w.dtype,
                )
                w = apply_column_mask(w, m)
            new[k] = w
        return rebuild_flat_buffer(weights, new)

    def _layer_masks(self, T: int, B: int, like: Tensor) -> dict:
        """Masks of one layer and direction for the step loop (``rec``, ``upd``, ``zh``, ``zc``)."""
        H = self.hidden_size
        G = _GATES[self.mode]
        rec = upd = zh = zc = None
        if self.training:
            if self._seq_recurrent:
                shape = (G, B, H) if self.untied_masks else (B, H)
                rec = self._mask(shape, self.recurrent_dropout, like)
            if self.update_dropout > 0:
                shape = (T, B, H) if self.update_dropout_per_step else (B, H)
                upd = self._mask(shape, self.update_dropout, like)
            if self.zoneout > 0:  # 1 = keep the old value, P = zoneout
                zh = self._mask((T, B, H), 1.0 - self.zoneout, like, scale=False)
            if self.zoneout_cell > 0:
                zc = self._mask((T, B, H), 1.0 - self.zoneout_cell, like, scale=False)
        else:
            zh = self.zoneout if self.zoneout > 0 else None
            zc = self.zoneout_cell if self.zoneout_cell > 0 else None
        return {"rec": rec, "upd": upd, "zh": zh, "zc": zc}

    def _locked(self, x: Tensor, p: float, batch_sizes, batch_first: bool) -> Tensor:
        if p == 0.0 or not self.training:
            return x
        if batch_sizes is None:
            return locked_dropout(x, p, True, batch_first=batch_first, generator=self.generator)
        B = int(batch_sizes[0])
        mask = self._mask((B, x.shape[-1]), p, x)
        return x * mask[_packed_rows(batch_sizes, x.device)]

    # ------------------------------------------------------------------ kernels
    def _fused(self, x, batch_sizes, hx, weights, num_layers, dropout, batch_first):
        fn = _VF_FN[self.mode]
        if batch_sizes is None:
            res = fn(x, hx, weights, self.bias, num_layers, dropout, self.training, self.bidirectional, batch_first)
        else:
            res = fn(x, batch_sizes, hx, weights, self.bias, num_layers, dropout, self.training, self.bidirectional)
        if self.mode == "LSTM":
            return res[0], (res[1], res[2])
        return res[0], res[1]

    def _loop_layer(self, layer: int, x: Tensor, batch_sizes, h0: Tensor, c0):
        """Step loop for one layer, all directions. x time-first (T, B, I) or packed data."""
        D = 2 if self.bidirectional else 1
        nw = 4 if self.bias else 2
        weights = self._flat_weights[layer * D * nw : (layer + 1) * D * nw]
        weights = self._effective_weights(weights, D)
        lengths = None
        if batch_sizes is not None:
            x, lengths = pad_packed_sequence(PackedSequence(x, batch_sizes), batch_first=False)
        T, B = x.shape[0], x.shape[1]
        valid = rev_idx = None
        if lengths is not None:
            t_idx = torch.arange(T, device=x.device).unsqueeze(1)
            lens = lengths.to(x.device).unsqueeze(0)
            valid = (t_idx < lens).to(x.dtype).unsqueeze(-1)  # (T, B, 1)
            rev_idx = torch.where(t_idx < lens, lens - 1 - t_idx, t_idx)  # (T, B)
        outs, hs, cs = [], [], []
        for d in range(D):
            w_ih, w_hh = weights[d * nw], weights[d * nw + 1]
            b_ih, b_hh = (weights[d * nw + 2], weights[d * nw + 3]) if self.bias else (None, None)
            if d == 0:
                xin = x
            elif rev_idx is None:
                xin = x.flip(0)
            else:
                xin = x.gather(0, rev_idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
            m = self._layer_masks(T, B, x)
            zh, zc = m["zh"], m["zc"]
            if valid is not None:  # finished sequences keep their state (keep-old = 1)
                zh = _freeze(zh, valid)
                zc = _freeze(zc, valid) if self.mode == "LSTM" else None
            if self.mode == "GRU":
                xp = F.linear(xin, w_ih, b_ih)
                out, h = gru_recurrence(xp, w_hh, b_hh, h0[d], m["rec"], m["upd"], zh)
            elif self.mode == "LSTM":
                xp = F.linear(xin, w_ih, b_ih + b_hh if self.bias else None)
                out, h, c = lstm_recurrence(xp, w_hh, h0[d], c0[d], m["rec"], m["upd"], zh, zc)
                cs.append(c)
            else:
                xp = F.linear(xin, w_ih, b_ih + b_hh if self.bias else None)
                out, h = rnn_recurrence(xp, w_hh, h0[d], m["rec"], m["upd"], zh, self.mode == "RNN_RELU")
            if d == 1:
                out = out.flip(0) if rev_idx is None else out.gather(0, rev_idx.unsqueeze(-1).expand_as(out))
            outs.append(out)
            hs.append(h)
        out = outs[0] if D == 1 else torch.cat(outs, -1)
        if lengths is not None:
            out = pack_padded_sequence(out, lengths, enforce_sorted=True).data
        h_n = torch.stack(hs, 0)
        if self.mode == "LSTM":
            return out, (h_n, torch.stack(cs, 0))
        return out, h_n

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        self._update_flat_weights()
        is_lstm = self.mode == "LSTM"
        D = 2 if self.bidirectional else 1
        H = self.hidden_size
        packed = isinstance(input, PackedSequence)
        if packed:
            x, batch_sizes, sorted_indices, unsorted_indices = input
            B = int(batch_sizes[0])
            is_batched = True
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{_name(self.mode)}: Expected input to be 2D or 3D, got {input.dim()}D instead")
            batch_sizes = sorted_indices = unsorted_indices = None
            is_batched = input.dim() == 3
            x = input if is_batched else input.unsqueeze(0 if self.batch_first else 1)
            B = x.shape[0 if self.batch_first else 1]
        self.check_input(x, batch_sizes)
        expected = (self.num_layers * D, B, H)
        if hx is None:
            z = torch.zeros(expected, dtype=x.dtype, device=x.device)
            hx = (z, torch.zeros_like(z)) if is_lstm else z
        else:
            states = hx if is_lstm else (hx,)
            if is_lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            want = 3 if is_batched else 2
            for s in states:
                if s.dim() != want:
                    raise RuntimeError(
                        f"For {'batched 3-D' if is_batched else 'unbatched 2-D'} input, hx should also be "
                        f"{want}-D but got {s.dim()}-D tensor"
                    )
            if not is_batched:
                states = tuple(s.unsqueeze(1) for s in states)
            for s in states:
                self.check_hidden_size(s, expected)
            if packed:
                states = tuple(self.permute_hidden(s, sorted_indices) for s in states)
            hx = tuple(states) if is_lstm else states[0]

        if not self._per_layer:
            weights = self._effective_weights(self._flat_weights, D)
            x = self._locked(x, self.input_dropout, batch_sizes, self.batch_first)
            out, hidden = self._fused(x, batch_sizes, hx, weights, self.num_layers, self.dropout, self.batch_first)
            out = self._locked(out, self.output_dropout, batch_sizes, self.batch_first)
        else:
            if batch_sizes is None and self.batch_first:
                x = x.transpose(0, 1)
            x = self._locked(x, self.input_dropout, batch_sizes, False)
            nw = 4 if self.bias else 2
            loop = self._loop_now()
            h_list, c_list = [], []
            for layer in range(self.num_layers):
                if layer > 0:
                    if self.layer_dropout > 0:
                        x = self._locked(x, self.layer_dropout, batch_sizes, False)
                    elif self.dropout > 0:
                        x = _dropout(x, self.dropout, self.training, generator=self.generator)
                sl = slice(layer * D, (layer + 1) * D)
                h0 = hx[0][sl] if is_lstm else hx[sl]
                c0 = hx[1][sl] if is_lstm else None
                if loop:
                    x, hid = self._loop_layer(layer, x, batch_sizes, h0, c0)
                else:
                    w = self._flat_weights[layer * D * nw : (layer + 1) * D * nw]
                    w = self._effective_weights(w, D)
                    x, hid = self._fused(x, batch_sizes, (h0, c0) if is_lstm else h0, w, 1, 0.0, False)
                if is_lstm:
                    h_list.append(hid[0])
                    c_list.append(hid[1])
                else:
                    h_list.append(hid)
            x = self._locked(x, self.output_dropout, batch_sizes, False)
            out = x.transpose(0, 1) if (batch_sizes is None and self.batch_first) else x
            h_n = torch.cat(h_list, 0) if len(h_list) > 1 else h_list[0]
            hidden = (h_n, torch.cat(c_list, 0) if len(c_list) > 1 else c_list[0]) if is_lstm else h_n

        if packed:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
            if is_lstm:
                hidden = tuple(self.permute_hidden(s, unsorted_indices) for s in hidden)
            else:
                hidden = self.permute_hidden(hidden, unsorted_indices)
            return out, hidden
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
            hidden = tuple(s.squeeze(1) for s in hidden) if is_lstm else hidden.squeeze(1)
        return out, hidden

    def extra_repr(self) -> str:
        s = super().extra_repr()
        for name in _OPTIONS:
            v = getattr(self, name)
            default = {"recurrent_dropout_mode": "sequence"}.get(name, False if isinstance(v, bool) else 0.0)
            if v != default:
                s += f", {name}={v!r}"
        return s


def _name(mode: str) -> str:
    return {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")


_VF_FN = {"LSTM": _VF.lstm, "GRU": _VF.gru, "RNN_TANH": _VF.rnn_tanh, "RNN_RELU": _VF.rnn_relu}


def _packed_rows(batch_sizes: Tensor, device) -> Tensor:
    """Batch index of every row of a PackedSequence's data."""
    bs = batch_sizes.to(device)
    B = int(batch_sizes[0])
    ar = torch.arange(B, device=device)
    grid = ar.unsqueeze(0).expand(bs.shape[0], B)
    return grid[ar.unsqueeze(0) < bs.unsqueeze(1)]


def _freeze(z, valid: Tensor):
    """Combine a zoneout keep-old selector with 'keep the state after the sequence ended'."""
    if z is None:
        return 1.0 - valid
    return 1.0 - (1.0 - z) * valid


class LSTM(SeqdropRNNBase):
    """``torch.nn.LSTM`` with every dropout variant (see :mod:`seqdrop.nn.rnn`).

    Returns ``output, (h_n, c_n)`` exactly like torch.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, **kwargs) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, **kwargs)


class GRU(SeqdropRNNBase):
    """``torch.nn.GRU`` with every dropout variant (no ``zoneout_cell``). Returns ``output, h_n``."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, **kwargs) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, **kwargs)


class RNN(SeqdropRNNBase):
    """``torch.nn.RNN`` (``nonlinearity`` "tanh" or "relu") with every dropout variant.

    Positional order is torch's: ``(input_size, hidden_size, num_layers, nonlinearity, bias,
    batch_first, dropout, bidirectional)``; all the dropout options are keyword-only.

    ``update_dropout`` masks the pre-activation: ``h' = f(d ⊙ (W_ih x + W_hh h + b))``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, **kwargs) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ParameterError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self_mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(self_mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, **kwargs)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity='relu'"
