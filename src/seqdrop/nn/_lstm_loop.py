"""The LSTM step loop: forward and backward over all time steps (see :mod:`seqdrop.nn.recurrence`).

CPU specifics: the per-step GEMM uses a contiguous ``W_hh^T`` (an NN GEMM, 25-35 % faster
than the transposed view) and runs in place (``addmm_``) on a copy of ``xp``; tanh and
sigmoid only ever run on contiguous blocks (on strided slices ATen falls off its vectorised
path); every per-step view is made with one ``unbind`` before the loop, so the inner
loops do no indexing.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import Tensor

from ._loop_common import alloc_hms, as_tensor, hh_weight_grad, init_dh, mask_steps, prev, steps

def _lstm_forward_loop(
    A: List[Tensor], Ag: List[Tensor], I_: List[Tensor], F_: List[Tensor], O_: List[Tensor], GT: List[Tensor],
    CN: List[Tensor], CS: List[Tensor], TC: List[Tensor], HN: List[Tensor], OUT: List[Tensor],
    HM: Optional[List[Tensor]], A4: Optional[List[Tensor]], wt: Tensor, wg_t: Optional[Tensor], h: Tensor, c: Tensor,
    rec: Optional[Tensor], D: Optional[List[Tensor]], ZH: Optional[List[Tensor]], ZC: Optional[List[Tensor]],
) -> Tuple[Tensor, Tensor]:
    # Per step: one in-place addmm into the copy of xp, then activations and the cell update,
    # each on a contiguous (B, .) block: on CPU, tanh/sigmoid on a strided slice of the
    # (B, 4H) gate row take the slow non-VML path (2-3x slower with 2 threads), so the g slot
    # is first copied into its own buffer and sigmoid runs over the whole row (the sigmoid
    # written into the g slot is never read).
    for t in range(len(A)):
        a = A[t]
        if rec is None:
            a.addmm_(h, wt)
        elif A4 is not None and wg_t is not None and HM is not None:  # untied: a mask and a block per gate
            A4[t].baddbmm_(torch.mul(h.unsqueeze(0), rec, out=HM[t]), wg_t)
        elif HM is not None:
            a.addmm_(torch.mul(h, rec, out=HM[t]), wt)
        g = GT[t].copy_(Ag[t]).tanh_()
        a.sigmoid_()
        if D is not None:
            g = g * D[t]
        cn = torch.mul(F_[t], c, out=CN[t]).addcmul_(I_[t], g)
        hn = torch.mul(O_[t], torch.tanh(cn, out=TC[t]), out=HN[t])
        c = cn if ZC is None else torch.lerp(cn, c, ZC[t], out=CS[t])
        h = hn if ZH is None else torch.lerp(hn, h, ZH[t], out=OUT[t])
    return h, c


def lstm_forward(xp, w_hh, h0, c0, rec, upd, zh, zc):
    T, B, G4 = xp.shape
    H = G4 // 4
    untied = rec is not None and rec.dim() == 3
    gates = xp.clone()  # addmm_ into it: ~25 % cheaper than addmm(xp[t], ..., out=)
    gts = xp.new_empty(T, B, H)  # g = tanh(a_g)
    cns = xp.new_empty(T, B, H)  # pre-zoneout cell
    cs = xp.new_empty(T, B, H) if zc is not None else cns  # carried cell
    tcs = xp.new_empty(T, B, H)  # tanh(c'), reused by the backward
    out = xp.new_empty(T, B, H)
    hns = xp.new_empty(T, B, H) if zh is not None else out  # pre-zoneout h
    hms = alloc_hms(xp, rec, H)
    wt = w_hh.t().contiguous()  # NN GEMM per step: ~25-35 % faster on CPU than the transposed view
    wg_t = w_hh.view(4, H, H).transpose(1, 2).contiguous() if untied else None
    A4 = gates.view(T, B, 4, H).permute(0, 2, 1, 3).unbind(0) if untied else None  # (4, B, H) views
    h, c = _lstm_forward_loop(
        gates.unbind(0), gates[..., 2 * H : 3 * H].unbind(0), gates[..., :H].unbind(0),
        gates[..., H : 2 * H].unbind(0), gates[..., 3 * H :].unbind(0), gts.unbind(0),
        cns.unbind(0), cs.unbind(0), tcs.unbind(0), hns.unbind(0), out.unbind(0),
        steps(hms), A4, wt, wg_t, h0, c0,
        rec, mask_steps(upd, T), mask_steps(as_tensor(zh, xp), T), mask_steps(as_tensor(zc, xp), T),
    )
    return gates, gts, cs, tcs, out, hms if hms is not None else out, h.clone(), c.clone()


def _lstm_backward_loop(
    DA: List[Tensor], DA3: List[Tensor], DAo: List[Tensor], DA4: List[Tensor], K3: List[Tensor], Ko: List[Tensor],
    KC: List[Tensor], F_: List[Tensor], w_hh: Tensor, wg: Optional[Tensor], dh: Tensor, dc: Tensor,
    DO: Optional[List[Tensor]], rec: Optional[Tensor], ZH: Optional[List[Tensor]], ZC: Optional[List[Tensor]],
    ZCC: Optional[List[Tensor]],
) -> Tuple[Tensor, Tensor]:
    # dh, dc: gradients w.r.t. the carried h_t, c_t. K3 / Ko: the gate derivatives (zoneout's
    # 1 - z_h folded into Ko), KC = o (1 - tanh(c')^2) (1 - z_h). DO[t] = dL/dout[t].
    for t in range(len(DA) - 1, -1, -1):
        if ZC is not None and ZCC is not None:
            dcn = torch.addcmul(dc * ZCC[t], dh, KC[t])
        else:
            dcn = torch.addcmul(dc, dh, KC[t])
        torch.mul(dcn.unsqueeze(1), K3[t], out=DA3[t])
        torch.mul(dh, Ko[t], out=DAo[t])
        dc_new = dcn * F_[t]
        if ZC is not None:
            dc_new.addcmul_(dc, ZC[t])
        dc = dc_new
        base: Optional[Tensor] = None
        if DO is not None and t > 0:
            base = DO[t - 1]
        if ZH is not None:  # direct path of h_t = z h_{t-1} + (1 - z) h'
            base = dh * ZH[t] if base is None else torch.addcmul(base, dh, ZH[t])
        if rec is None:
            dh = DA[t].mm(w_hh) if base is None else torch.addmm(base, DA[t], w_hh)
        elif wg is not None:  # untied
            dh = torch.bmm(DA4[t], wg).mul_(rec).sum(0)
            if base is not None:
                dh.add_(base)
        else:
            m = DA[t].mm(w_hh)
            dh = m.mul_(rec) if base is None else torch.addcmul(base, m, rec)
    return dh, dc


def lstm_backward(dout, dhT, dcT, w_hh, h0, c0, gates, gts, cs, tcs, out, hms, rec, upd, zh, zc):
    # Everything that does not depend on the incoming gradient is computed for all steps at
    # once (K, Kc); the loop is then ~6 small ops + one GEMM per step.
    T, B, G4 = gates.shape
    H = G4 // 4
    untied = rec is not None and rec.dim() == 3
    if rec is None:
        hms = prev(h0, out)
    c_prev = prev(c0, cs)
    gv = gates.view(T, B, 4, H)
    i, f, _, o = gv.unbind(2)  # the g slot holds sigmoid(a_g), unused; g = tanh(a_g) is gts
    g = gts
    gd = g * upd if upd is not None else g
    S = torch.addcmul(gv, gv, gv, value=-1)  # s (1 - s) for the sigmoid gates
    K = torch.empty_like(gv)
    torch.mul(gd, S[:, :, 0], out=K[:, :, 0])
    torch.mul(c_prev, S[:, :, 1], out=K[:, :, 1])
    kg = torch.addcmul(i, i, g * g, value=-1)  # i (1 - g^2)
    torch.mul(kg, upd, out=K[:, :, 2]) if upd is not None else K[:, :, 2].copy_(kg)
    torch.mul(tcs, S[:, :, 3], out=K[:, :, 3])
    Kc = torch.addcmul(o, o, tcs * tcs, value=-1)  # o (1 - tanh(c')^2)
    if zh is not None:  # dL/dh' = (1 - z_h) dL/dh
        zhc = 1.0 - zh
        K[:, :, 3].mul_(zhc)
        Kc.mul_(zhc)
    dA = torch.empty_like(gates)
    dAv = dA.view(T, B, 4, H)
    dh = init_dh(dhT, dout, h0)
    dc = dcT if dcT is not None else c0.new_zeros(B, H)
    zh_t, zc_t = as_tensor(zh, gates), as_tensor(zc, gates)
    dh, dc = _lstm_backward_loop(
        dA.unbind(0), dAv[:, :, :3].unbind(0), dAv[:, :, 3].unbind(0),
        dAv.transpose(1, 2).unbind(0) if untied else [],
        K[:, :, :3].unbind(0), K[:, :, 3].unbind(0), Kc.unbind(0), f.unbind(0),
        w_hh, w_hh.view(4, H, H) if untied else None, dh, dc, steps(dout), rec,
        mask_steps(zh_t, T), mask_steps(zc_t, T), mask_steps(1.0 - zc_t if zc_t is not None else None, T),
    )
    dW = hh_weight_grad(dA, hms, untied, 4)
    return dA, dW, dh, dc
