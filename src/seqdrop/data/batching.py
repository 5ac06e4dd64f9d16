"""Batching for language models (BPTT streams) and sequence classification (padded batches).

Language models follow ``pytorch/examples/word_language_model``: the token stream is cut into
``B`` contiguous columns (``batchify`` → shape ``(T, B)``), and windows of ``bptt`` rows are read
in order, so the hidden state can be carried from one window to the next (Zaremba et al. 2014).
AWD-LSTM's variable BPTT (Merity et al. 2017, §4.1) draws each window length as
``N(bptt, 5)`` (``bptt/2`` with probability 0.05), at least 5, and rescales the learning rate by
``seq_len / bptt``.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

__all__ = [
    "batchify",
    "LMBatch",
    "bptt_lengths",
    "lm_batches",
    "num_lm_batches",
    "SequenceSplit",
    "SequenceDataset",
    "pad_sequences",
    "classification_batches",
    "pack",
    "stratified_split",
]


def batchify(data: torch.Tensor, batch_size: int) -> torch.Tensor:
    """1-D stream → ``(T, B)``: column ``b`` is the ``b``-th contiguous slice; the tail is dropped."""
    if data.dim() != 1:
        raise ValueError(f"expected a 1-D token stream, got shape {tuple(data.shape)}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    nrows = data.numel() // batch_size
    if nrows < 2:
        raise ValueError(f"stream of {data.numel()} tokens is too short for batch size {batch_size}")
    return data[: nrows * batch_size].view(batch_size, nrows).t().contiguous()


@dataclass
class LMBatch:
    """One BPTT window: inputs ``x`` and next-token targets ``y``, both ``(seq_len, B)``."""

    x: torch.Tensor
    y: torch.Tensor
    seq_len: int
    lr_scale: float = 1.0


def bptt_lengths(
    n_rows: int,
    bptt: int,
    *,
    variable: bool = False,
    generator: torch.Generator | None = None,
    p_full: float = 0.95,
    std: float = 5.0,
    min_len: int = 5,
) -> list[int]:
    """Window lengths covering ``n_rows - 1`` predictable rows (fixed, or AWD-style variable)."""
    total = n_rows - 1
    out: list[int] = []
    i = 0
    while i < total:
        if variable:
            base = bptt if torch.rand((), generator=generator).item() < p_full else bptt / 2
            sl = max(min_len, int(base + std * torch.randn((), generator=generator).item()))
        else:
            sl = bptt
        sl = min(sl, total - i)
        out.append(sl)
        i += sl
    return out


def num_lm_batches(source: torch.Tensor, bptt: int) -> int:
    """Number of fixed-length windows in a ``(T, B)`` source."""
    return math.ceil((source.size(0) - 1) / bptt)


def lm_batches(
    source: torch.Tensor,
    bptt: int,
    *,
    variable: bool = False,
    generator: torch.Generator | None = None,
    lengths: list[int] | None = None,
) -> Iterator[LMBatch]:
    """Yield consecutive windows of a ``(T, B)`` source; targets are inputs shifted by one row."""
    if lengths is None:
        lengths = bptt_lengths(source.size(0), bptt, variable=variable, generator=generator)
    i = 0
    for sl in lengths:
        yield LMBatch(source[i : i + sl], source[i + 1 : i + 1 + sl], sl, sl / bptt if variable else 1.0)
        i += sl


@dataclass
class SequenceSplit:
    """Right-padded sequences ``x (N, T, F)``, labels ``y (N,)`` (or real targets ``(N, H)``) and
    true ``lengths (N,)``."""

    x: torch.Tensor
    y: torch.Tensor
    lengths: torch.Tensor

    def __len__(self) -> int:
        return int(self.y.shape[0])  # samples (regression targets may be (N, horizon))


@dataclass
class SequenceDataset:
    """A classification data set of variable-length sequences with deterministic splits."""

    train: SequenceSplit
    valid: SequenceSplit
    test: SequenceSplit
    num_classes: int
    num_features: int
    name: str = ""

    def __repr__(self) -> str:
        return (
            f"SequenceDataset({self.name!r}, train={len(self.train)}, valid={len(self.valid)}, "
            f"test={len(self.test)}, features={self.num_features}, classes={self.num_classes}, "
            f"max_len={self.train.x.size(1)})"
        )


def pad_sequences(seqs: list[torch.Tensor], value: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """List of ``(T_i, F)`` tensors → right-padded ``(N, T_max, F)`` and ``lengths (N,)``."""
    lengths = torch.tensor([s.size(0) for s in seqs], dtype=torch.long)
    out = seqs[0].new_full((len(seqs), int(lengths.max()), *seqs[0].shape[1:]), value)
    for i, s in enumerate(seqs):
        out[i, : s.size(0)] = s
    return out, lengths


def classification_batches(
    split: SequenceSplit,
    batch_size: int,
    *,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
    trim: bool = True,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield ``(x (B, T, F), y (B,), lengths (B,))``; ``trim`` cuts padding to the batch's max length."""
    n = len(split)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if drop_last and idx.numel() < batch_size:
            break
        lengths = split.lengths[idx]
        x = split.x[idx]
        if trim:
            x = x[:, : int(lengths.max())]
        yield x, split.y[idx], lengths


def pack(x: torch.Tensor, lengths: torch.Tensor, batch_first: bool = True) -> PackedSequence:
    """``pack_padded_sequence`` with ``enforce_sorted=False`` (lengths on CPU, as torch requires)."""
    return pack_padded_sequence(x, lengths.cpu(), batch_first=batch_first, enforce_sorted=False)


def stratified_split(
    y: torch.Tensor, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1), seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Deterministic stratified train/valid/test indices (each class split in the given fractions).

    ``fractions`` are three numbers in ``[0, 1]`` summing to 1; a zero fraction gives an empty
    split. Per class, train and valid get ``round(fraction * class size)`` examples, test the rest.
    """
    if len(fractions) != 3 or any(not 0.0 <= f <= 1.0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three numbers in [0, 1] summing to 1, got {tuple(fractions)!r}")
    g = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[], [], []]
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(idx.numel(), generator=g)]
        n_tr = round(fractions[0] * idx.numel())
        n_va = round(fractions[1] * idx.numel())
        parts[0].append(idx[:n_tr])
        parts[1].append(idx[n_tr : n_tr + n_va])
        parts[2].append(idx[n_tr + n_va :])
    return tuple(torch.sort(torch.cat(p)).values for p in parts)  # type: ignore[return-value]
