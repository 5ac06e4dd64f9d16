"""Step-loop recurrences for the variants that change the recurrence itself.

Gal's per-sequence recurrent mask on ``h_{t-1}``, Semeniuta's dropout on the candidate
update and zoneout cannot run inside cuDNN / oneDNN, so they need a loop over time. The loop
here is a custom :class:`torch.autograd.Function` per cell that keeps the Python-level work per
step to a handful of ATen calls:

* the input projection ``x_t W_ih^T + b`` for **all** time steps is one GEMM done *outside*
  (by :func:`torch.nn.functional.linear` on the whole ``(T, B, I)`` input, so autograd gives
  ``dX``, ``dW_ih`` and ``db_ih`` as single GEMMs too);
* the forward loop only does ``h_{t-1} W_hh^T`` (one ``addmm``) plus the gate nonlinearities,
  written in place into preallocated ``(T, B, ...)`` buffers;
* everything in the backward pass that does not depend on the incoming gradient (the gate
  derivatives) is precomputed for all steps at once, so the backward loop is ~6 ops per
  step, and ``dW_hh`` (and ``db_hh``) is one GEMM over all ``T*B`` rows after the loop.

CPU specifics (LSTM): the per-step GEMM uses a contiguous ``W_hh^T`` (an NN GEMM, 25-35 %
faster than the transposed view) and runs in place (``addmm_``) on a copy of ``xp``; tanh and
sigmoid only ever run on contiguous blocks (on strided slices ATen falls off its vectorised
path); every per-step view is made with one ``unbind`` before the loop; and the forward and
backward loops are TorchScript functions (compiled once per process in ~0.1 s, see
:data:`TORCHSCRIPT`), which dispatch the small ops with less overhead than Python.

Conventions shared by the three Functions (``G`` = number of gates: 4 LSTM, 3 GRU, 1 RNN):

``xp``        ``(T, B, G*H)`` input projection. LSTM/RNN: includes ``b_ih + b_hh``.
              GRU: includes ``b_ih`` only (``b_hh`` of the new gate sits inside ``r * (.)``).
``w_hh``      ``(G*H, H)`` effective recurrent weight (already weight-dropped if asked).
``rec``       recurrent mask on ``h_{t-1}`` *in the product* ``W_hh h_{t-1}`` only, scaled
              (``1/(1-p)`` on kept units): ``None``, ``(B, H)`` (tied) or ``(G, B, H)``
              (untied: one mask per gate, Gal's "untied weights" variant).
``upd``       update (candidate) mask, scaled: ``None``, ``(B, H)`` per sequence or
              ``(T, B, H)`` per step.
``zh``, ``zc`` zoneout *keep-old* selector for h / c: ``None``; a ``(T, B, H)`` (or
              broadcastable ``(T, B, 1)``) 0/1 tensor (1 = keep the previous value); or a
              Python float ``p`` (evaluation: expectation ``p*old + (1-p)*new``).

Cell equations (torch gate order):

LSTM: ``a = xp_t + W_hh (h⊙m)``; ``i,f,o = σ(a_i,a_f,a_o)``, ``g = tanh(a_g)``;
``c' = f⊙c + i⊙(g⊙d)``; ``h' = o⊙tanh(c')``; zoneout ``c_t = zc⊙c + (1-zc)⊙c'``,
``h_t = zh⊙h + (1-zh)⊙h'``.

GRU: ``u = W_hh (h⊙m) + b_hh``; ``r = σ(x_r + u_r)``, ``z = σ(x_z + u_z)``,
``n = tanh(x_n + r⊙u_n)``; ``h' = (1-z)⊙(n⊙d) + z⊙h`` -- the carry term ``z⊙h`` uses the
*undropped* ``h`` (Gal & Ghahramani / Keras semantics, not ``GRUCell(x, h*m)``).

RNN: ``a = xp_t + W_hh (h⊙m)``; ``h' = f(a⊙d)`` with ``f`` = tanh or relu (Semeniuta's mask
on the pre-activation, as the issue specifies); zoneout as above.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import List, Optional, Tuple

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["lstm_recurrence", "gru_recurrence", "rnn_recurrence"]


# --------------------------------------------------------------------------------------
# helpers shared by the cells
# --------------------------------------------------------------------------------------
def _at(mask, t: int):
    """Mask for step t: per-step masks are (T, B, H); per-sequence ones are (B, H)."""
    if mask is None or isinstance(mask, float):
        return mask
    return mask[t] if mask.dim() == 3 else mask


def _per_step(mask) -> bool:
    return isinstance(mask, Tensor) and mask.dim() == 3


def _hh_forward(h: Tensor, rec, wt: Tensor, wg_t, G: int, base=None, out=None):
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


def _hh_backward(dA: Tensor, rec, w: Tensor, wg, G: int, base=None) -> Tensor:
    """``base + dL/dh_{t-1}`` through ``W_hh (h⊙m)`` given dA (B, G*H); ``base`` may be None."""
    if rec is None:
        return dA.mm(w) if base is None else torch.addmm(base, dA, w)
    if rec.dim() == 2:
        return dA.mm(w).mul_(rec) if base is None else torch.addcmul(base, dA.mm(w), rec)
    B = dA.shape[0]
    dhm = torch.bmm(dA.view(B, G, -1).transpose(0, 1), wg)  # (G, B, H)
    dh = (dhm * rec).sum(0)
    return dh if base is None else dh.add_(base)


def _dout_at(dout, t: int):
    """Gradient flowing into h_{t-1} from the output at step t-1 (None for t = 0)."""
    return dout[t - 1] if (dout is not None and t > 0) else None


def _init_dh(dhT, dout, like: Tensor) -> Tensor:
    dh = dhT if dhT is not None else like.new_zeros(like.shape)
    return dh + dout[-1] if dout is not None else dh


def _hh_weight_grad(dA: Tensor, hms: Tensor, untied: bool, G: int) -> Tensor:
    """dW_hh from all steps at once. dA (T, B, G*H); hms (T, B, H) or (T, G, B, H)."""
    T, B, GH = dA.shape
    H = GH // G
    if not untied:
        return dA.reshape(T * B, GH).t().mm(hms.reshape(T * B, -1))
    dAg = dA.reshape(T * B, G, H).permute(1, 2, 0)  # (G, H, TB)
    hg = hms.permute(1, 0, 2, 3).reshape(G, T * B, H)  # (G, TB, H)
    return torch.bmm(dAg, hg).reshape(GH, H)


def _alloc_hms(xp: Tensor, rec, H: int):
    if rec is None:
        return None
    T, B = xp.shape[0], xp.shape[1]
    if rec.dim() == 2:
        return xp.new_empty(T, B, H)
    return xp.new_empty(T, rec.shape[0], B, H)


def _prev(first: Tensor, seq: Tensor) -> Tensor:
    """(T, B, H) sequence of previous values: [first, seq[0], ..., seq[T-2]]."""
    return torch.cat([first.unsqueeze(0), seq[:-1]], 0)


def _one_minus(z):
    if z is None:
        return None
    return 1.0 - z



# --------------------------------------------------------------------------------------
# CUDA graphs: replay the whole step loop as one graph launch
# --------------------------------------------------------------------------------------
#: Replay the forward and backward step loops as CUDA graphs (CUDA tensors only). The loop
#: is launch-bound on a GPU (~10 small kernels per step); a graph removes the per-kernel
#: CPU cost. A loop is captured the second time the same signature (shapes, dtypes, mask
#: layout, eval-mode zoneout value) is seen; at most ``CUDA_GRAPH_CACHE`` graphs are kept
#: (least recently used evicted). Set to False to always run eagerly.
CUDA_GRAPHS = True
CUDA_GRAPH_CACHE = 16

_graphs: "OrderedDict[tuple, object]" = OrderedDict()
_seen: dict = {}


def _sig(args) -> tuple:
    out = []
    for a in args:
        if isinstance(a, Tensor):
            out.append((tuple(a.shape), a.dtype, a.device, a.stride()))
        else:
            out.append(a)  # None, bool, float
    return tuple(out)


def _maybe_graphed(name: str, fn, args):
    if not (CUDA_GRAPHS and isinstance(args[0], Tensor) and args[0].is_cuda) or torch.cuda.is_current_stream_capturing():
        return fn(*args)
    key = (name, _sig(args))
    entry = _graphs.get(key)
    if entry is None:
        n = _seen.get(key, 0) + 1
        _seen[key] = n
        if n < 2 or n > 2 + 1:  # first sighting, or capture already failed
            return fn(*args)
        try:
            static_in = [a.clone() if isinstance(a, Tensor) else a for a in args]
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                fn(*static_in)  # warm-up outside the capture
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, capture_error_mode="thread_local"):
                static_out = fn(*static_in)
        except Exception:  # pragma: no cover - depends on the CUDA runtime
            _seen[key] = 10  # never try this signature again
            return fn(*args)
        entry = (graph, static_in, static_out)
        _graphs[key] = entry
        while len(_graphs) > CUDA_GRAPH_CACHE:
            _graphs.popitem(last=False)
    _graphs.move_to_end(key)
    graph, static_in, static_out = entry
    for dst, src in zip(static_in, args):
        if isinstance(dst, Tensor):
            dst.copy_(src)
    graph.replay()
    return tuple(o.clone() if isinstance(o, Tensor) else o for o in static_out)

# --------------------------------------------------------------------------------------
# LSTM
# --------------------------------------------------------------------------------------
#: Run the CPU step loops as TorchScript functions (compiled once per process, ~0.1 s). The
#: loops are a few dozen tiny ATen calls per step; the TorchScript interpreter dispatches
#: them with less overhead than Python (~20 % of the loop at B=20, H=200). Set to False
#: for plain Python loops (same code, same results). CUDA tensors always use the Python
#: loops (they are replayed as CUDA graphs there).
TORCHSCRIPT = True

_scripted: dict = {}


def _compiled(fn):
    """``torch.jit.script(fn)``, cached; ``fn`` itself if scripting is off or unavailable."""
    if not TORCHSCRIPT:
        return fn
    got = _scripted.get(fn)
    if got is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit.script is deprecated (still supported)
                got = torch.jit.script(fn)
        except Exception:  # pragma: no cover - depends on the torch build
            got = fn
        _scripted[fn] = got
    return got


def _loop_fn(fn, like: Tensor):
    return fn if like.is_cuda else _compiled(fn)


def _as_tensor(z, like: Tensor) -> Optional[Tensor]:
    """Zoneout selector as a tensor: None, a mask, or the eval-mode float as a 0-dim tensor."""
    if z is None or isinstance(z, Tensor):
        return z
    return torch.tensor(float(z), dtype=like.dtype, device=like.device)


def _steps(x) -> Optional[List[Tensor]]:
    """Per-step views of a (T, ...) tensor via one ``unbind`` (the loops then do no indexing)."""
    return None if x is None else x.unbind(0)


def _mask_steps(m, T: int) -> Optional[List[Tensor]]:
    """Per-step masks: a (T, B, .) mask unbound, a per-sequence (or 0-dim) one repeated."""
    if m is None:
        return None
    return m.unbind(0) if m.dim() == 3 else [m] * T


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


def _lstm_forward(xp, w_hh, h0, c0, rec, upd, zh, zc):
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
    hms = _alloc_hms(xp, rec, H)
    wt = w_hh.t().contiguous()  # NN GEMM per step: ~25-35 % faster on CPU than the transposed view
    wg_t = w_hh.view(4, H, H).transpose(1, 2).contiguous() if untied else None
    A4 = gates.view(T, B, 4, H).permute(0, 2, 1, 3).unbind(0) if untied else None  # (4, B, H) views
    loop = _loop_fn(_lstm_forward_loop, xp)
    h, c = loop(
        gates.unbind(0), gates[..., 2 * H : 3 * H].unbind(0), gates[..., :H].unbind(0),
        gates[..., H : 2 * H].unbind(0), gates[..., 3 * H :].unbind(0), gts.unbind(0),
        cns.unbind(0), cs.unbind(0), tcs.unbind(0), hns.unbind(0), out.unbind(0),
        _steps(hms), A4, wt, wg_t, h0, c0,
        rec, _mask_steps(upd, T), _mask_steps(_as_tensor(zh, xp), T), _mask_steps(_as_tensor(zc, xp), T),
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


def _lstm_backward(dout, dhT, dcT, w_hh, h0, c0, gates, gts, cs, tcs, out, hms, rec, upd, zh, zc):
    # Everything that does not depend on the incoming gradient is computed for all steps at
    # once (K, Kc); the loop is then ~6 small ops + one GEMM per step.
    T, B, G4 = gates.shape
    H = G4 // 4
    untied = rec is not None and rec.dim() == 3
    if rec is None:
        hms = _prev(h0, out)
    c_prev = _prev(c0, cs)
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
    dh = _init_dh(dhT, dout, h0)
    dc = dcT if dcT is not None else c0.new_zeros(B, H)
    zh_t, zc_t = _as_tensor(zh, gates), _as_tensor(zc, gates)
    loop = _loop_fn(_lstm_backward_loop, gates)
    dh, dc = loop(
        dA.unbind(0), dAv[:, :, :3].unbind(0), dAv[:, :, 3].unbind(0),
        dAv.transpose(1, 2).unbind(0) if untied else [],
        K[:, :, :3].unbind(0), K[:, :, 3].unbind(0), Kc.unbind(0), f.unbind(0),
        w_hh, w_hh.view(4, H, H) if untied else None, dh, dc, _steps(dout), rec,
        _mask_steps(zh_t, T), _mask_steps(zc_t, T), _mask_steps(1.0 - zc_t if zc_t is not None else None, T),
    )
    dW = _hh_weight_grad(dA, hms, untied, 4)
    return dA, dW, dh, dc


class _LSTMRecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, h0, c0, rec, upd, zh, zc):
        gates, gts, cs, tcs, out, hms, hT, cT = _maybe_graphed("lstm_f", _lstm_forward, (xp, w_hh, h0, c0, rec, upd, zh, zc))
        ctx.save_for_backward(w_hh, h0, c0, gates, gts, cs, tcs, out, hms)
        ctx.masks = (rec, upd, zh, zc)
        return out, hT, cT

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dhT, dcT):
        args = (dout, dhT, dcT, *ctx.saved_tensors, *ctx.masks)
        dA, dW, dh, dc = _maybe_graphed("lstm_b", _lstm_backward, args)
        return dA, dW, dh, dc, None, None, None, None


def lstm_recurrence(xp, w_hh, h0, c0, rec=None, upd=None, zh=None, zc=None):
    """Run the LSTM recurrence over ``xp`` (T, B, 4H). Returns ``(out, h_T, c_T)``."""
    return _LSTMRecurrence.apply(xp, w_hh, h0, c0, rec, upd, zh, zc)


# --------------------------------------------------------------------------------------
# GRU
# --------------------------------------------------------------------------------------
def _gru_forward(xp, w_hh, b_hh, h0, rec, upd, zh):
    T, B, G3 = xp.shape
    H = G3 // 3
    G = 3
    wt = w_hh.t().contiguous()  # NN GEMM per step: ~25-35 % faster on CPU than the transposed view
    wg_t = w_hh.view(G, H, H).transpose(1, 2).contiguous() if (rec is not None and rec.dim() == 3) else None
    rz = xp.new_empty(T, B, 2 * H)
    ns = xp.new_empty(T, B, H)
    ahn = xp.new_empty(T, B, H)
    out = xp.new_empty(T, B, H)
    hms = _alloc_hms(xp, rec, H)
    h = h0
    for t in range(T):
        hm, u = _hh_forward(h, rec, wt, wg_t, G, b_hh)
        if hms is not None:
            hms[t] = hm
        x = xp[t]
        torch.add(x[:, : 2 * H], u[:, : 2 * H], out=rz[t]).sigmoid_()
        r, z = rz[t, :, :H], rz[t, :, H:]
        un = u[:, 2 * H :]
        ahn[t] = un
        n = torch.addcmul(x[:, 2 * H :], r, un, out=ns[t]).tanh_()
        d = _at(upd, t)
        if d is not None:
            n = n * d
        zz = _at(zh, t)
        if zz is not None:
            hn = torch.lerp(n, h, z)  # (1-z) n + z h
            h = torch.lerp(hn, h, zz, out=out[t])
        else:
            h = torch.lerp(n, h, z, out=out[t])
    return rz, ns, ahn, out, hms if hms is not None else out, h.clone()


def _gru_backward(dout, dhT, w_hh, h0, rz, ns, ahn, out, hms, rec, upd, zh, has_bias):
    T, B, H2 = rz.shape
    H = H2 // 2
    G = 3
    untied = rec is not None and rec.dim() == 3
    wg = w_hh.view(G, H, H) if untied else None
    h_prev = _prev(h0, out)
    if rec is None:
        hms = h_prev
    r, z = rz[..., :H], rz[..., H:]
    nd = ns * upd if upd is not None else ns
    Kz = (h_prev - nd) * z * (1 - z)
    Kn = (1 - z) * (1 - ns * ns)
    if upd is not None:
        Kn = Kn * upd
    Kr = ahn * r * (1 - r)
    zhc = _one_minus(zh)
    dA = torch.empty(T, B, 3 * H, dtype=rz.dtype, device=rz.device)
    dAv = dA.view(T, B, 3, H)
    dPn = torch.empty(T, B, H, dtype=rz.dtype, device=rz.device)
    dh = _init_dh(dhT, dout, h0)
    for t in range(T - 1, -1, -1):
        if zh is not None:
            dhn = dh * _at(zhc, t)
            direct_h = dh * _at(zh, t)
        else:
            dhn = dh
        dpn = torch.mul(dhn, Kn[t], out=dPn[t])
        torch.mul(dpn, Kr[t], out=dAv[t, :, 0])
        torch.mul(dhn, Kz[t], out=dAv[t, :, 1])
        torch.mul(dpn, r[t], out=dAv[t, :, 2])
        dh_new = _hh_backward(dA[t], rec, w_hh, wg, G, _dout_at(dout, t))
        dh_new.addcmul_(dhn, z[t])
        if zh is not None:
            dh_new.add_(direct_h)
        dh = dh_new
    dW = _hh_weight_grad(dA, hms, untied, G)
    db = dA.sum((0, 1)) if has_bias else None
    dxp = torch.cat([dA[..., : 2 * H], dPn], -1)
    return dxp, dW, db, dh


class _GRURecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, b_hh, h0, rec, upd, zh):
        rz, ns, ahn, out, hms, hT = _maybe_graphed("gru_f", _gru_forward, (xp, w_hh, b_hh, h0, rec, upd, zh))
        ctx.save_for_backward(w_hh, h0, rz, ns, ahn, out, hms)
        ctx.masks = (rec, upd, zh, b_hh is not None)
        return out, hT

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dhT):
        dxp, dW, db, dh = _maybe_graphed("gru_b", _gru_backward, (dout, dhT, *ctx.saved_tensors, *ctx.masks))
        return dxp, dW, db, dh, None, None, None


def gru_recurrence(xp, w_hh, b_hh, h0, rec=None, upd=None, zh=None):
    """Run the GRU recurrence over ``xp`` (T, B, 3H) = ``x W_ih^T + b_ih``. Returns ``(out, h_T)``."""
    return _GRURecurrence.apply(xp, w_hh, b_hh, h0, rec, upd, zh)


# --------------------------------------------------------------------------------------
# Elman RNN (tanh / relu)
# --------------------------------------------------------------------------------------
def _rnn_forward(xp, w_hh, h0, rec, upd, zh, relu):
    T, B, H = xp.shape
    wt = w_hh.t().contiguous()  # NN GEMM per step: ~25-35 % faster on CPU than the transposed view
    hns = xp.new_empty(T, B, H)
    out = xp.new_empty(T, B, H) if zh is not None else hns
    hms = _alloc_hms(xp, rec, H)
    h = h0
    for t in range(T):
        hm, a = _hh_forward(h, rec, wt, None, 1, xp[t], hns[t])
        if hms is not None:
            hms[t] = hm
        d = _at(upd, t)
        if d is not None:
            a.mul_(d)
        hn = a.relu_() if relu else a.tanh_()
        zz = _at(zh, t)
        if zz is not None:
            h = torch.lerp(hn, h, zz, out=out[t])
        else:
            h = hn
    return hns, out, hms if hms is not None else out, h.clone()


def _rnn_backward(dout, dhT, w_hh, h0, hns, out, hms, rec, upd, zh, relu):
    T, B, H = hns.shape
    if rec is None:
        hms = _prev(h0, out)
    K = (hns > 0).to(hns.dtype) if relu else 1 - hns * hns
    if upd is not None:
        K = K * upd
    zhc = _one_minus(zh)
    dA = torch.empty_like(hns)
    dh = _init_dh(dhT, dout, h0)
    for t in range(T - 1, -1, -1):
        if zh is not None:
            dhn = dh * _at(zhc, t)
            direct_h = dh * _at(zh, t)
        else:
            dhn = dh
        torch.mul(dhn, K[t], out=dA[t])
        dh_new = _hh_backward(dA[t], rec, w_hh, None, 1, _dout_at(dout, t))
        if zh is not None:
            dh_new.add_(direct_h)
        dh = dh_new
    dW = _hh_weight_grad(dA, hms, False, 1)
    return dA, dW, dh


class _RNNRecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, h0, rec, upd, zh, relu):
        hns, out, hms, hT = _maybe_graphed("rnn_f", _rnn_forward, (xp, w_hh, h0, rec, upd, zh, relu))
        ctx.save_for_backward(w_hh, h0, hns, out, hms)
        ctx.masks = (rec, upd, zh, relu)
        return out, hT

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, dhT):
        dA, dW, dh = _maybe_graphed("rnn_b", _rnn_backward, (dout, dhT, *ctx.saved_tensors, *ctx.masks))
        return dA, dW, dh, None, None, None, None


def rnn_recurrence(xp, w_hh, h0, rec=None, upd=None, zh=None, relu=False):
    """Run the Elman recurrence over ``xp`` (T, B, H) (biases included). Returns ``(out, h_T)``."""
    return _RNNRecurrence.apply(xp, w_hh, h0, rec, upd, zh, relu)
