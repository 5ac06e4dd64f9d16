"""Helpers shared by the step loops of :mod:`seqdrop.nn.recurrence` (masks, ``W_hh`` products).

Mask conventions are those of :class:`seqdrop.nn.recurrence.StepMasks`.
"""
from __future__ import annotations

from typing import List, Optional

import torch
from torch import Tensor

def at(mask, t: int):
    """Mask for step t: per-step masks are (T, B, H); per-sequence ones are (B, H)."""
    if mask is None or isinstance(mask, float):
        return mask
    return mask[t] if mask.dim() == 3 else mask


def hh_forward(h: Tensor, rec, wt: Tensor, wg_t, G: int, base=None, out=None):
    """Return (hm, base + hm W^T) for the recurrent input ``h`` with mask ``rec``.

    ``base`` (B, G*H) is added (fused into ``addmm`` where possible); ``out`` receives it.
    """
    if rec is None:
        hm = h
    elif rec.dim() == 2:  # tied
        hm = h * rec
    else:  # untied: one mask per gate
        hm = h.unsqueeze(0) * rec  # (G, B, H)
        prod = torch.bmm(hm, wg_t).transpose(0, 1).reshape(h.shape[0], -1)
        if base is None:
            return hm, prod
        return hm, torch.add(base, prod, out=out)
    if base is None:
        return hm, hm.mm(wt)
    return hm, torch.addmm(base, hm, wt, out=out)


def hh_backward(dA: Tensor, rec, w: Tensor, wg, G: int, base=None) -> Tensor:
    """``base + dL/dh_{t-1}`` through ``W_hh (h⊙m)`` given dA (B, G*H); ``base`` may be None."""
    if rec is None:
        return dA.mm(w) if base is None else torch.addmm(base, dA, w)
    if rec.dim() == 2:
        return dA.mm(w).mul_(rec) if base is None else torch.addcmul(base, dA.mm(w), rec)
    B = dA.shape[0]
    dhm = torch.bmm(dA.view(B, G, -1).transpose(0, 1), wg)  # (G, B, H)
    dh = (dhm * rec).sum(0)
    return dh if base is None else dh.add_(base)


def dout_at(dout, t: int):
    """Gradient flowing into h_{t-1} from the output at step t-1 (None for t = 0)."""
    return dout[t - 1] if (dout is not None and t > 0) else None


def init_dh(dhT, dout, like: Tensor) -> Tensor:
    dh = dhT if dhT is not None else like.new_zeros(like.shape)
    return dh + dout[-1] if dout is not None else dh


def hh_weight_grad(dA: Tensor, hms: Tensor, untied: bool, G: int) -> Tensor:
    """dW_hh from all steps at once. dA (T, B, G*H); hms (T, B, H) or (T, G, B, H)."""
    T, B, GH = dA.shape
    H = GH // G
    if not untied:
        return dA.reshape(T * B, GH).t().mm(hms.reshape(T * B, -1))
    dAg = dA.reshape(T * B, G, H).permute(1, 2, 0)  # (G, H, TB)
    hg = hms.permute(1, 0, 2, 3).reshape(G, T * B, H)  # (G, TB, H)
    return torch.bmm(dAg, hg).reshape(GH, H)


def alloc_hms(xp: Tensor, rec, H: int):
    if rec is None:
        return None
    T, B = xp.shape[0], xp.shape[1]
    if rec.dim() == 2:
        return xp.new_empty(T, B, H)
    return xp.new_empty(T, rec.shape[0], B, H)


def prev(first: Tensor, seq: Tensor) -> Tensor:
    """(T, B, H) sequence of previous values: [first, seq[0], ..., seq[T-2]]."""
    return torch.cat([first.unsqueeze(0), seq[:-1]], 0)


def zoneout_split(dh: Tensor, zh, zhc, t: int):
    """Split dL/dh_t through ``h_t = z h_{t-1} + (1 - z) h'``: ``(dL/dh', direct dL/dh_{t-1})``."""
    if zh is None:
        return dh, None
    return dh * at(zhc, t), dh * at(zh, t)


def one_minus(z):
    if z is None:
        return None
    return 1.0 - z


def as_tensor(z, like: Tensor) -> Optional[Tensor]:
    """Zoneout selector as a tensor: None, a mask, or the eval-mode float as a 0-dim tensor."""
    if z is None or isinstance(z, Tensor):
        return z
    return torch.tensor(float(z), dtype=like.dtype, device=like.device)


def steps(x) -> Optional[List[Tensor]]:
    """Per-step views of a (T, ...) tensor via one ``unbind`` (the loops then do no indexing)."""
    return None if x is None else x.unbind(0)


def mask_steps(m, T: int) -> Optional[List[Tensor]]:
    """Per-step masks: a (T, B, .) mask unbound, a per-sequence (or 0-dim) one repeated."""
    if m is None:
        return None
    return m.unbind(0) if m.dim() == 3 else [m] * T
