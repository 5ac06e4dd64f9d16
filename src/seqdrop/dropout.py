"""Dropout primitives: standard, locked (variational), embedding, DropConnect and zoneout.

Every function takes the drop probability ``p`` in ``[0, 1)`` and an optional
``generator: torch.Generator`` so that masks are reproducible. A generator may live on a
different device than the data (e.g. a CPU generator with CUDA tensors): the mask is then
drawn on the generator's device and moved. Masks are always drawn in ``float32`` and cast,
so the same seed gives the same mask whatever the dtype of the data.

Conventions
-----------
- ``p`` is the probability of *dropping* a unit; a mask entry ``r ~ Bernoulli(1 - p)`` is
  1 for a kept unit (Srivastava et al. 2014, JMLR 15, §4).
- ``p == 0`` is an exact identity: the input object itself is returned and no random
  numbers are consumed. Evaluation mode (``training=False``) never consumes random numbers.
- Scaling is *inverted* (kept units are multiplied by ``1/(1-p)`` at training time, nothing
  is done at test time) unless stated otherwise, so ``E[output] = input``.
- Nothing here mutates its input; gradients reach the input through the kept units only.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._validation import check_float, check_probability

__all__ = [
    "check_probability",
    "bernoulli_mask",
    "dropout",
    "Dropout",
    "locked_dropout",
    "LockedDropout",
    "embedding_dropout",
    "EmbeddingDropout",
    "drop_connect",
    "zoneout",
    "masks_from",
]

DropoutMode = Literal["inverted", "weight_scaling"]
_MODES = ("inverted", "weight_scaling")


# --------------------------------------------------------------------------------------
# validation and masks
# --------------------------------------------------------------------------------------
def _check_generator(generator: torch.Generator | None) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _bernoulli(
    shape: Sequence[int] | torch.Size,
    prob_one: float,
    generator: torch.Generator | None,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> Tensor:
    """0/1 tensor with ``P(1) = prob_one``, drawn on the generator's device, then moved."""
    _check_generator(generator)
    target_device = torch.device(device) if device is not None else torch.device("cpu")
    draw_device = generator.device if generator is not None else target_device
    mask = torch.empty(tuple(shape), dtype=torch.float32, device=draw_device)
    mask.bernoulli_(prob_one, generator=generator)
    return mask.to(device=target_device, dtype=dtype if dtype is not None else torch.get_default_dtype())


def bernoulli_mask(
    shape: Sequence[int] | torch.Size,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Keep mask ``r ~ Bernoulli(1 - p)`` of the given shape: 1 = keep, 0 = drop.

    Unscaled (Srivastava et al. 2014, §4: ``r_j^{(l)} ~ Bernoulli(p_keep)``). ``p = 0`` gives
    all ones without consuming random numbers. ``dtype`` defaults to torch's default float
    dtype, ``device`` to CPU.
    """
    p = check_probability("p", p)
    if p == 0.0:
        _check_generator(generator)
        return torch.ones(
            tuple(shape), device=device, dtype=dtype if dtype is not None else torch.get_default_dtype()
        )
    return _bernoulli(shape, 1.0 - p, generator, device, dtype)


def _check_mode(mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {list(_MODES)}, got {mode!r}")
    return mode


# --------------------------------------------------------------------------------------
# standard dropout
# --------------------------------------------------------------------------------------
def dropout(
    x: Tensor,
    p: float,
    training: bool = True,
    *,
    mode: DropoutMode = "inverted",
    generator: torch.Generator | None = None,
) -> Tensor:
    """Standard (element-wise) dropout, Srivastava et al. 2014.

    With ``r ~ Bernoulli(1 - p)`` drawn independently for every element:

    - ``mode="inverted"`` (what every framework does): train ``x * r / (1 - p)``, eval ``x``.
    - ``mode="weight_scaling"`` (the paper's formulation, §4 and §10): train ``x * r``,
      eval ``x * (1 - p)`` — the test-time network uses weights scaled by the keep
      probability, which matches the expected training-time input.

    Both give the same expectation at train and test time; they differ by the constant
    ``1/(1-p)`` that the following layer's weights absorb. ``p = 1`` zeroes ``x`` in
    training (as ``torch.nn.functional.dropout`` does).
    """
    p = check_float("p", p, 0.0, 1.0)
    _check_mode(mode)
    _check_generator(generator)
    if p == 0.0:
        return x
    if not training:
        return x if mode == "inverted" else x * (1.0 - p)
    if p == 1.0:
        return x * 0.0
    mask = _bernoulli(x.shape, 1.0 - p, generator, x.device, x.dtype)
    if mode == "inverted":
        mask = mask * (1.0 / (1.0 - p))
    return x * mask


class Dropout(nn.Module):
    """Module form of :func:`dropout` (Srivastava et al. 2014) with a choice of scaling mode."""

    def __init__(
        self, p: float = 0.5, mode: DropoutMode = "inverted", generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.mode = _check_mode(mode)
        _check_generator(generator)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training, mode=self.mode, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode!r}"


# --------------------------------------------------------------------------------------
# locked / variational dropout
# --------------------------------------------------------------------------------------
def locked_dropout(
    x: Tensor,
    p: float,
    training: bool = True,
    *,
    batch_first: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Locked (variational) dropout: one mask per sequence, shared by every time step.

    Gal & Ghahramani 2016 ("A Theoretically Grounded Application of Dropout in RNNs", §3),
    as implemented by Merity et al. 2017 (AWD-LSTM ``LockedDropout``). Inverted scaling.

    Layouts: time-first ``(T, B, H, ...)`` (default) gets a mask of shape ``(1, B, H, ...)``;
    batch-first ``(B, T, H, ...)`` gets ``(B, 1, H, ...)``. A 2-D input ``(B, H)`` is treated
    as a single time step (an ordinary ``(B, H)`` mask); to lock a mask across the steps of
    a hand-written loop, draw it once with :func:`bernoulli_mask` and reuse it.
    """
    p = check_probability("p", p)
    _check_generator(generator)
    if x.dim() < 2:
        raise ValueError(
            f"locked_dropout expects (T, B, H), (B, T, H) or a single step (B, H); got shape {tuple(x.shape)}"
        )
    if p == 0.0 or not training:
        return x
    shape = list(x.shape)
    if x.dim() >= 3:
        shape[1 if batch_first else 0] = 1
    mask = _bernoulli(shape, 1.0 - p, generator, x.device, x.dtype) * (1.0 / (1.0 - p))
    return x * mask


class LockedDropout(nn.Module):
    """Module form of :func:`locked_dropout` (Gal & Ghahramani 2016; Merity et al. 2017)."""

    def __init__(self, p: float = 0.5, batch_first: bool = False, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.batch_first = bool(batch_first)
        _check_generator(generator)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return locked_dropout(x, self.p, self.training, batch_first=self.batch_first, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, batch_first={self.batch_first}"


# --------------------------------------------------------------------------------------
# embedding (word-type) dropout
# --------------------------------------------------------------------------------------
def embedding_dropout(
    embedding: nn.Embedding | Tensor,
    input: Tensor,
    p: float,
    training: bool = True,
    *,
    scale: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Embedding dropout: drop whole word types (rows of the embedding matrix).

    Gal & Ghahramani 2016 §4 ("word dropout" / dropout on the embedding matrix) and Merity et
    al. 2017 §4.3: one mask entry ``z_v ~ Bernoulli(1 - p)`` per vocabulary row, so every
    occurrence of a dropped word in the batch is zeroed, and kept rows are scaled by
    ``1/(1-p)`` (``scale=True``). One mask per call.

    ``embedding`` is an ``nn.Embedding`` (its ``padding_idx``, ``norm_type``,
    ``scale_grad_by_freq`` and ``sparse`` are honoured as ``F.embedding`` does) or a bare
    weight tensor ``(V, D)``. The padding row is never dropped or rescaled, so padding
    positions return ``weight[padding_idx]`` as usual. Implemented as ``F.embedding(input, W)
    * z[input]``, which equals ``F.embedding(input, W * z)`` without copying the matrix.

    ``max_norm`` follows the AWD-LSTM reference (``embedded_dropout``, which renormalises the
    *dropped* matrix ``W * z``): every output row has norm at most ``max_norm`` after the
    ``1/(1-p)`` scaling, and the stored weight is never modified while dropping. The factor
    ``min(1, max_norm / ||z_v W_v||)`` is a constant for autograd (AWD's in-place no-grad
    renormalisation passes the gradient unscaled; here it is scaled by that factor, as for
    any constant rescaling). Without dropping (evaluation, ``p = 0``) the call is exactly
    ``F.embedding``, which, like ``nn.Embedding``, renormalises the looked-up rows of the
    stored weight in place.
    """
    p = check_probability("p", p)
    _check_generator(generator)
    if isinstance(embedding, nn.Embedding):
        weight = embedding.weight
        kwargs = dict(
            padding_idx=embedding.padding_idx,
            max_norm=embedding.max_norm,
            norm_type=embedding.norm_type,
            scale_grad_by_freq=embedding.scale_grad_by_freq,
            sparse=embedding.sparse,
        )
    elif isinstance(embedding, Tensor):
        if embedding.dim() != 2:
            raise ValueError(f"embedding weight must be 2-D (num_embeddings, dim), got shape {tuple(embedding.shape)}")
        weight = embedding
        kwargs = {}
    else:
        raise TypeError(f"embedding must be an nn.Embedding or a weight Tensor, got {type(embedding).__name__}")
    if p == 0.0 or not training:
        return F.embedding(input, weight, **kwargs)
    max_norm = kwargs.pop("max_norm", None)
    out = F.embedding(input, weight, **kwargs)
    mask = _bernoulli((weight.shape[0],), 1.0 - p, generator, weight.device, out.dtype)
    if scale:
        mask = mask * (1.0 / (1.0 - p))
    padding_idx = kwargs.get("padding_idx")
    if padding_idx is not None:
        mask[padding_idx] = 1.0
    out = out * mask[input].unsqueeze(-1)
    if max_norm is not None:  # AWD: renormalise the dropped rows, not the stored weight
        with torch.no_grad():
            norms = out.norm(p=kwargs.get("norm_type", 2.0), dim=-1, keepdim=True)
            factor = (max_norm / (norms + 1e-7)).clamp(max=1.0)  # torch's embedding_renorm_
        out = out * factor
    return out


class EmbeddingDropout(nn.Module):
    """An ``nn.Embedding`` with embedding (word-type) dropout, see :func:`embedding_dropout`.

    Wraps the given embedding (exposed as ``.embedding``; ``.weight`` is its weight), so the
    parameters are shared, e.g. with a tied softmax layer (Merity et al. 2017 §4.3).
    """

    def __init__(self, embedding: nn.Embedding, p: float = 0.1, generator: torch.Generator | None = None) -> None:
        super().__init__()
        if not isinstance(embedding, nn.Embedding):
            raise TypeError(f"embedding must be an nn.Embedding, got {type(embedding).__name__}")
        self.embedding = embedding
        self.p = check_probability("p", p)
        _check_generator(generator)
        self.generator = generator

    @property
    def weight(self) -> nn.Parameter:
        return self.embedding.weight

    def forward(self, input: Tensor) -> Tensor:
        return embedding_dropout(self.embedding, input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# --------------------------------------------------------------------------------------
# DropConnect (weight dropping)
# --------------------------------------------------------------------------------------
def drop_connect(
    weight: Tensor,
    p: float,
    training: bool = True,
    *,
    dim: int | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """DropConnect (Wan et al. 2013): drop individual weights instead of activations.

    ``dim=None`` drops elements independently; ``dim=0`` drops whole rows (for a
    ``(out, in)`` matrix: whole output units, AWD-LSTM's ``variational=True``); ``dim=1``
    drops whole columns (input units). Any ``dim`` means "one mask entry per index along
    ``dim``". Inverted scaling ``1/(1-p)`` (as in Merity et al. 2017's WeightDrop, not the
    Gaussian moment-matching inference of Wan et al.). Returns a new tensor and never mutates
    ``weight``, so gradients flow back to the raw weight through the kept entries.
    """
    p = check_probability("p", p)
    _check_generator(generator)
    if p == 0.0 or not training:
        return weight
    if dim is None:
        shape = list(weight.shape)
    else:
        if isinstance(dim, bool) or not isinstance(dim, int) or not -weight.dim() <= dim < weight.dim():
            raise ValueError(f"dim must be None or an int in [{-weight.dim()}, {weight.dim()}), got {dim!r}")
        dim = dim % weight.dim()
        shape = [s if i == dim else 1 for i, s in enumerate(weight.shape)]
    mask = _bernoulli(shape, 1.0 - p, generator, weight.device, weight.dtype) * (1.0 / (1.0 - p))
    return weight * mask


# --------------------------------------------------------------------------------------
# zoneout
# --------------------------------------------------------------------------------------
def zoneout(
    h_prev: Tensor,
    h_new: Tensor,
    p: float,
    training: bool = True,
    *,
    mask: Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Zoneout (Krueger et al. 2016, eq. (5)): units randomly keep their previous value.

    Training: ``h = d * h_prev + (1 - d) * h_new`` with ``d ~ Bernoulli(p)``, i.e. ``d = 1``
    (probability ``p``) keeps the OLD value. Evaluation uses the expectation of the noise:
    ``h = p * h_prev + (1 - p) * h_new``. No rescaling.

    ``mask`` (bool or 0/1, broadcastable to ``h_new``; 1 = keep old) overrides the random
    draw in training mode, e.g. to share one zoneout mask across time steps. Without a mask,
    ``p = 0`` returns ``h_new`` itself.
    """
    p = check_float("p", p, 0.0, 1.0)  # p = 1: every unit keeps its previous value
    _check_generator(generator)
    if h_prev.shape != h_new.shape:
        raise ValueError(f"h_prev and h_new must have the same shape, got {tuple(h_prev.shape)} and {tuple(h_new.shape)}")
    if not training:
        if p == 0.0:
            return h_new
        return p * h_prev + (1.0 - p) * h_new
    if mask is None:
        if p == 0.0:
            return h_new
        keep_old = _bernoulli(h_new.shape, p, generator, h_new.device, torch.float32).bool()
    else:
        keep_old = mask.to(device=h_new.device).bool()
    return torch.where(keep_old, h_prev, h_new)


@contextlib.contextmanager
def masks_from(model: nn.Module, generator: torch.Generator | None) -> Iterator[nn.Module]:
    """Draw every mask of ``model`` from ``generator`` inside the block, then restore.

    Reaches every module with a ``generator`` attribute: the layers of this module
    (:class:`Dropout`, :class:`LockedDropout`, :class:`EmbeddingDropout`), the recurrent
    layers of :mod:`seqdrop.nn` and the models of :mod:`seqdrop.models` (their embedding
    dropout); torch's own ``nn.Dropout`` keeps drawing from the global generator.
    ``generator=None`` changes nothing.
    """
    _check_generator(generator)
    if generator is None:
        yield model
        return
    saved = [(m, m.generator) for m in model.modules() if hasattr(m, "generator")]
    try:
        for m, _ in saved:
            m.generator = generator
        yield model
    finally:
        for m, g in saved:
            m.generator = g
