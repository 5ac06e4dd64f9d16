"""Weight drop (DropConnect on ``W_hh``) and the batch-shared recurrent mask, kept fused.

Merity et al. 2017 (AWD-LSTM) drop individual entries of the hidden-to-hidden matrix once per
forward call: the same dropped matrix is used at every time step and by every sequence of
the batch, so the recurrence is unchanged and torch's fused kernels (cuDNN / oneDNN / the
ATen CPU loop) can run it.

The same trick runs Gal's recurrent mask when it is shared by the whole batch
(``recurrent_dropout_mode="batch"``): ``W_hh (h ⊙ m) = (W_hh · diag(m)) h``, i.e. *column*
weight drop. With ``untied_masks=True`` each gate block ``W_hh[k*H:(k+1)*H]`` gets its own
column mask. Only the product ``W_hh h`` is masked (for the GRU the carry ``z ⊙ h`` is not).

How this differs from AWD's ``WeightDrop``:

* the stored parameter is never replaced or mutated: the dropped matrix is a new tensor
  built each forward, so ``state_dict`` keys stay torch's and gradients reach the parameter;
* ``flatten_parameters`` is never called on dropped weights. On CUDA the module's weights
  live in one cuDNN-layout buffer; :func:`rebuild_flat_buffer` builds a *new* buffer with
  the same layout (one ``torch.cat``, differentiable) holding the dropped ``W_hh``, so cuDNN
  takes its no-copy path and the "RNN module weights are not part of single contiguous
  chunk of memory" warning never fires.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..dropout import bernoulli_mask, drop_connect

__all__ = ["drop_weight", "recurrent_column_mask", "rebuild_flat_buffer"]


def drop_weight(w_hh: Tensor, p: float, *, generator: torch.Generator | None = None) -> Tensor:
    """Element-wise DropConnect with inverted scaling (AWD-LSTM WeightDrop, ``variational=False``).

    Same distribution as :func:`seqdrop.dropout.drop_connect` (keep ~ Bernoulli(1-p), scale
    ``1/(1-p)``), but the mask is drawn as ``rand >= p``: on CPU ``bernoulli_`` over a
    ``4H x H`` matrix costs ~2.5x more (24 vs 9 ms at H=650), which showed up as a 20 %
    slowdown of the recurrent stack. The uniform draw is turned into the scaled mask in place
    (``ge_`` then ``mul_``) and applied with one ``mul``: on CPU ``torch.where(keep, w * s, 0)``
    and its backward cost ~3 ms each at H=650, the in-place mask and ``w * m`` ~1 ms in all.
    """
    if p == 0.0:
        return drop_connect(w_hh, p, True, generator=generator)
    draw_device = generator.device if generator is not None else w_hh.device
    r = torch.rand(w_hh.shape, generator=generator, device=draw_device)
    if r.dtype == w_hh.dtype and r.device == w_hh.device:
        mask = r.ge_(p)  # in place: 1.0 where kept, 0.0 where dropped
    else:
        mask = (r >= p).to(device=w_hh.device, dtype=w_hh.dtype)
    return w_hh * mask.mul_(1.0 / (1.0 - p))


def recurrent_column_mask(
    hidden_size: int, num_gates: int, p: float, untied: bool, *, generator=None, device=None, dtype=None
) -> Tensor:
    """Scaled batch-shared recurrent mask shaped to multiply ``W_hh`` (G*H, H).

    Tied: ``(1, H)`` (one mask on ``h_{t-1}``); untied: ``(G*H, H)``-broadcastable
    ``(G, 1, H)`` reshaped by the caller (one mask per gate block).
    """
    shape = (num_gates, 1, hidden_size) if untied else (1, hidden_size)
    return bernoulli_mask(shape, p, generator=generator, device=device, dtype=dtype) * (1.0 / (1.0 - p))


def apply_column_mask(w_hh: Tensor, mask: Tensor) -> Tensor:
    """``W_hh · diag(m)`` (tied, mask (1, H)) or per-gate blocks (untied, mask (G, 1, H))."""
    if mask.dim() == 2:
        return w_hh * mask
    G = mask.shape[0]
    H = w_hh.shape[1]
    return (w_hh.view(G, -1, H) * mask).view_as(w_hh)


def _shares_one_storage(weights: Sequence[Tensor]) -> bool:
    ptr = weights[0].untyped_storage().data_ptr()
    return all(w.untyped_storage().data_ptr() == ptr for w in weights)


def rebuild_flat_buffer(originals: Sequence[Tensor], replaced: Sequence[Tensor]) -> list[Tensor]:
    """Views of one new buffer laid out exactly like ``originals``' shared storage.

    ``originals`` are the module's flat weights (views of one cuDNN buffer after
    ``flatten_parameters``); ``replaced`` the tensors to use (same shapes; some dropped).
    Gaps in the layout are zero-filled. Differentiable (``torch.cat`` + ``narrow``). If the
    originals do not share one storage (CPU, or not flattened) ``replaced`` is returned.
    """
    if not originals or not originals[0].is_cuda or not _shares_one_storage(originals):
        return list(replaced)
    offsets = [w.storage_offset() for w in originals]
    if any(not w.is_contiguous() for w in originals):
        return list(replaced)
    total = originals[0].untyped_storage().nbytes() // originals[0].element_size()
    order = sorted(range(len(originals)), key=offsets.__getitem__)
    pieces: list[Tensor] = []
    pos = 0
    ref = replaced[0]
    for k in order:
        if offsets[k] < pos:  # overlapping views: not a layout we understand
            return list(replaced)
        if offsets[k] > pos:
            pieces.append(ref.new_zeros(offsets[k] - pos))
        pieces.append(replaced[k].reshape(-1))
        pos = offsets[k] + originals[k].numel()
    if pos < total:
        pieces.append(ref.new_zeros(total - pos))
    buf = torch.cat(pieces)
    return [buf.narrow(0, offsets[k], originals[k].numel()).view(originals[k].shape) for k in range(len(originals))]
