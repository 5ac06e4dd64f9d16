"""Offline sequence data: Penn Treebank (word/char), MNIST rows, sklearn digits, FSDD MFCCs, sunspots.

Every loader verifies its source (MD5/SHA-256), caches tensors under ``data/cache/`` (git-ignored,
SHA-256-checked) and raises :class:`DataError` with the fix when a source is missing or corrupt.
See ``data/README.md`` for sources, licences, sizes and checksums.
"""
from __future__ import annotations

from .audio import load_fsdd_mfcc
from .batching import (
    LMBatch,
    SequenceDataset,
    SequenceSplit,
    batchify,
    bptt_lengths,
    classification_batches,
    lm_batches,
    num_lm_batches,
    pack,
    pad_sequences,
    stratified_split,
)
from .cache import DataError, cached
from .images import load_digits_rows, load_mnist_rows
from .ptb import LMCorpus, cap_vocabulary, char_ptb_text, load_ptb, ptb_text
from .timeseries import ForecastDataset, load_sunspots, make_forecast_dataset, persistence_forecast, sunspots_series

__all__ = [
    "DataError",
    "cached",
    "LMCorpus",
    "load_ptb",
    "cap_vocabulary",
    "ptb_text",
    "char_ptb_text",
    "load_mnist_rows",
    "load_digits_rows",
    "load_fsdd_mfcc",
    "ForecastDataset",
    "sunspots_series",
    "load_sunspots",
    "make_forecast_dataset",
    "persistence_forecast",
    "SequenceDataset",
    "SequenceSplit",
    "LMBatch",
    "batchify",
    "bptt_lengths",
    "lm_batches",
    "num_lm_batches",
    "classification_batches",
    "pad_sequences",
    "pack",
    "stratified_split",
    "load_dataset",
]


def load_dataset(name: str, **kwargs: object) -> LMCorpus | SequenceDataset:
    """Load by name: ``ptb-word``, ``ptb-char``, ``mnist-rows``, ``mnist-pixels``, ``digits-rows``,
    ``fsdd-mfcc``, ``sunspots`` (forecasting windows)."""
    if name in ("ptb", "ptb-word"):
        return load_ptb("word", **kwargs)  # type: ignore[arg-type]
    if name == "ptb-char":
        return load_ptb("char", **kwargs)  # type: ignore[arg-type]
    if name in ("mnist", "mnist-rows"):
        return load_mnist_rows(**kwargs)  # type: ignore[arg-type]
    if name == "mnist-pixels":
        return load_mnist_rows(order="pixels", **kwargs)  # type: ignore[arg-type]
    if name in ("digits", "digits-rows"):
        return load_digits_rows(**kwargs)  # type: ignore[arg-type]
    if name in ("fsdd", "fsdd-mfcc"):
        return load_fsdd_mfcc(**kwargs)  # type: ignore[arg-type]
    if name == "sunspots":
        return load_sunspots(**kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown data set {name!r}")
