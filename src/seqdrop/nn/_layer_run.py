"""Pieces of :meth:`SeqdropRNNBase.forward`: the hidden-state check, locked masks, the fused
``_VF`` call, and the layer-by-layer run (fused per layer, or the step loop)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import Tensor, _VF
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ..dropout import bernoulli_mask, dropout as _dropout, locked_dropout
from . import reference
from .recurrence import StepMasks, gru_recurrence, lstm_recurrence, reference_masks, rnn_recurrence

if TYPE_CHECKING:
    from .rnn_base import SeqdropRNNBase

_VF_FN = {"LSTM": _VF.lstm, "GRU": _VF.gru, "RNN_TANH": _VF.rnn_tanh, "RNN_RELU": _VF.rnn_relu}
GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def permute(state: Tensor, permutation: Tensor | None) -> Tensor:
    """Reorder the batch dimension of one ``(L*D, B, .)`` state (packed-sequence sorting)."""
    return state if permutation is None else state.index_select(1, permutation)


def check_hidden(mod: SeqdropRNNBase, x: Tensor, batch_sizes, hx, is_batched: bool, sorted_indices) -> Any:
    """torch's checks of ``hx`` (zeros when None), with torch's messages; batched and sorted."""
    is_lstm = mod.mode == "LSTM"
    B = int(batch_sizes[0]) if batch_sizes is not None else x.shape[0 if mod.batch_first else 1]
    LD = mod.num_layers * mod.num_directions
    expected = [(LD, B, mod.state_size)] + ([(LD, B, mod.hidden_size)] if is_lstm else [])
    if hx is None:
        z = [torch.zeros(e, dtype=x.dtype, device=x.device) for e in expected]
        return tuple(z) if is_lstm else z[0]
    if is_lstm and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
        raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
    states = tuple(hx) if is_lstm else (hx,)
    want = 3 if is_batched else 2
    if any(s.dim() != want for s in states):
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        got = ", ".join(f"{s.dim()}-D" for s in states)
        what = f"hx and cx should also be {want}-D but got ({got}) tensors" if is_lstm else (
            f"hx should also be {want}-D but got {got} tensor")
        raise RuntimeError(f"For {kind} input, {what}")
    if not is_batched:
        states = tuple(s.unsqueeze(1) for s in states)
    for k, (s, e) in enumerate(zip(states, expected)):
        mod.check_hidden_size(s, e, f"Expected hidden[{k}] size {{}}, got {{}}" if is_lstm else
                              "Expected hidden size {}, got {}")
    if batch_sizes is not None:
        states = tuple(permute(s, sorted_indices) for s in states)
    return states if is_lstm else states[0]


def scaled_mask(mod: SeqdropRNNBase, shape, p: float, like: Tensor, scale: bool = True) -> Tensor:
    m = bernoulli_mask(shape, p, generator=mod.generator, device=like.device, dtype=like.dtype)
    return m * (1.0 / (1.0 - p)) if scale else m


def locked(mod: SeqdropRNNBase, x: Tensor, p: float, batch_sizes, batch_first: bool) -> Tensor:
    """Locked dropout (one mask per sequence) on padded or packed data, in training only."""
    if p == 0.0 or not mod.training:
        return x
    if batch_sizes is None:
        return locked_dropout(x, p, True, batch_first=batch_first, generator=mod.generator)
    mask = scaled_mask(mod, (int(batch_sizes[0]), x.shape[-1]), p, x)
    return x * mask[_packed_rows(batch_sizes, x.device)]


def fused_call(mod: SeqdropRNNBase, x, batch_sizes, hx, weights, num_layers, dropout, batch_first):
    """torch's fused kernel, with ``weights`` in place of the module's."""
    fn = _VF_FN[mod.mode]
    if batch_sizes is None:
        res = fn(x, hx, weights, mod.bias, num_layers, dropout, mod.training, mod.bidirectional, batch_first)
    else:
        res = fn(x, batch_sizes, hx, weights, mod.bias, num_layers, dropout, mod.training, mod.bidirectional)
    if mod.mode == "LSTM":
        return res[0], (res[1], res[2])
    return res[0], res[1]


def layer_masks(mod: SeqdropRNNBase, T: int, B: int, like: Tensor) -> StepMasks:
    """The step-loop masks of one layer and direction (fresh draws in training)."""
    o = mod.dropouts
    H, P, G = mod.hidden_size, mod.state_size, GATES[mod.mode]  # h has P units, c and g have H
    if not mod.training:  # only zoneout acts at evaluation: its expectation
        return StepMasks(None, None, o.zoneout or None, o.zoneout_cell or None)
    rec = upd = zh = zc = None
    if o.sequence_recurrent:
        rec = scaled_mask(mod, (G, B, P) if o.untied_masks else (B, P), o.recurrent_dropout, like)
    if o.update_dropout > 0:
        upd = scaled_mask(mod, (T, B, H) if o.update_dropout_per_step else (B, H), o.update_dropout, like)
    if o.zoneout > 0:  # 1 = keep the old value, with probability zoneout
        zh = scaled_mask(mod, (T, B, P), 1.0 - o.zoneout, like, scale=False)
    if o.zoneout_cell > 0:
        zc = scaled_mask(mod, (T, B, H), 1.0 - o.zoneout_cell, like, scale=False)
    return StepMasks(rec, upd, zh, zc)


class PerLayerRun:
    """Run a module layer by layer, time-first, on padded ``(T, B, .)`` or packed data."""

    def __init__(self, mod: SeqdropRNNBase, batch_sizes) -> None:
        self.mod, self.batch_sizes = mod, batch_sizes
        self.step_loop = mod._step_loop_now()

    def run(self, x: Tensor, hx):
        mod, bs, o = self.mod, self.batch_sizes, self.mod.dropouts
        is_lstm, D = mod.mode == "LSTM", mod.num_directions
        time_major = bs is None and mod.batch_first
        if time_major:
            x = x.transpose(0, 1)
        x = locked(mod, x, o.input_dropout, bs, False)
        hs, cs = [], []
        for layer in range(mod.num_layers):
            if layer > 0 and o.layer_dropout > 0:
                x = locked(mod, x, o.layer_dropout, bs, False)
            elif layer > 0 and o.dropout > 0:
                x = _dropout(x, o.dropout, mod.training, generator=mod.generator)
            sl = slice(layer * D, (layer + 1) * D)
            h0, c0 = (hx[0][sl], hx[1][sl]) if is_lstm else (hx[sl], None)
            if self.step_loop:
                x, hid = self.loop_layer(layer, x, h0, c0)
            else:
                w = mod.effective_weights(mod.layer_weights(layer))
                x, hid = fused_call(mod, x, bs, (h0, c0) if is_lstm else h0, w, 1, 0.0, False)
            hs.append(hid[0] if is_lstm else hid)
            if is_lstm:
                cs.append(hid[1])
        x = locked(mod, x, o.output_dropout, bs, False)
        out = x.transpose(0, 1) if time_major else x
        h_n = torch.cat(hs, 0)
        return out, ((h_n, torch.cat(cs, 0)) if is_lstm else h_n)

    def loop_layer(self, layer: int, x: Tensor, h0: Tensor, c0):
        """The step loop for one layer, all directions (the reverse one on flipped time)."""
        mod, nw = self.mod, self.mod.weights_per_direction
        weights = mod.effective_weights(mod.layer_weights(layer))
        lengths = valid = rev_idx = None
        if self.batch_sizes is not None:
            x, lengths = pad_packed_sequence(PackedSequence(x, self.batch_sizes), batch_first=False)
        T, B = x.shape[0], x.shape[1]
        if lengths is not None:
            t_idx = torch.arange(T, device=x.device).unsqueeze(1)
            lens = lengths.to(x.device).unsqueeze(0)
            valid = (t_idx < lens).to(x.dtype).unsqueeze(-1)  # (T, B, 1)
            rev_idx = torch.where(t_idx < lens, lens - 1 - t_idx, t_idx)  # (T, B)
        outs, hs, cs = [], [], []
        for d in range(mod.num_directions):
            xin = x if d == 0 else _reverse(x, rev_idx)
            masks = layer_masks(mod, T, B, x)
            if valid is not None:  # finished sequences keep their state (keep-old = 1)
                masks = masks._replace(
                    zoneout_h=_freeze(masks.zoneout_h, valid),
                    zoneout_c=_freeze(masks.zoneout_c, valid) if mod.mode == "LSTM" else None,
                )
            out, h, c = _one_direction(mod.mode, xin, weights[d * nw : (d + 1) * nw], mod.bias, h0[d],
                                       None if c0 is None else c0[d], masks)
            outs.append(out if d == 0 else _reverse(out, rev_idx))
            hs.append(h)
            cs.append(c)
        out = outs[0] if len(outs) == 1 else torch.cat(outs, -1)
        if lengths is not None:
            out = pack_padded_sequence(out, lengths, enforce_sorted=True).data
        h_n = torch.stack(hs, 0)
        return out, ((h_n, torch.stack(cs, 0)) if mod.mode == "LSTM" else h_n)


def _one_direction(mode: str, x: Tensor, w: list[Tensor], bias: bool, h0: Tensor, c0, masks: StepMasks):
    """Input projection as one GEMM, then the recurrence. Returns ``(out, h_T, c_T or None)``.

    LSTM projections (a ``w_hr`` after the biases), empty batches and ``torch.jit.trace``
    (which records the ops inside a custom autograd Function, not its backward) run the
    plain-autograd recurrence of :mod:`seqdrop.nn.reference`; everything else the fast loop.
    """
    w_ih, w_hh = w[0], w[1]
    b_ih, b_hh = (w[2], w[3]) if bias else (None, None)
    w_hr = w[-1] if len(w) in (3, 5) else None
    if mode == "GRU":
        xp = F.linear(x, w_ih, b_ih)
    else:
        xp = F.linear(x, w_ih, b_ih + b_hh if bias else None)
        b_hh = None
    if w_hr is not None or x.shape[1] == 0 or torch.jit.is_tracing():
        cell = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}[mode]
        return reference.projected_recurrence(cell, xp, h0, w_hh, b_hh, c0=c0, w_hr=w_hr, **reference_masks(*masks))
    if mode == "GRU":
        out, h = gru_recurrence(xp, w_hh, b_hh, h0, masks)
        return out, h, None
    if mode == "LSTM":
        return lstm_recurrence(xp, w_hh, h0, c0, masks)
    out, h = rnn_recurrence(xp, w_hh, h0, masks, relu=mode == "RNN_RELU")
    return out, h, None


def _reverse(x: Tensor, rev_idx: Tensor | None) -> Tensor:
    """Time-reverse ``(T, B, .)``; with ``rev_idx`` each sequence within its own length."""
    if rev_idx is None:
        return x.flip(0)
    return x.gather(0, rev_idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


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
