"""Unit tests for seqdrop.dropout: statistics with binomial tolerances, structure of masks,
gradients, reproducibility and validation."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqdrop.dropout import (
    _bernoulli,
    Dropout,
    EmbeddingDropout,
    LockedDropout,
    bernoulli_mask,
    check_probability,
    drop_connect,
    dropout,
    embedding_dropout,
    locked_dropout,
    zoneout,
)
from seqdrop.errors import ParameterError


def gen(seed: int = 0) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def assert_keep_rate(kept: int, n: int, p: float, sigmas: float = 5.0) -> None:
    """Number of kept units is Binomial(n, 1-p): allow `sigmas` standard deviations."""
    mean = n * (1 - p)
    sd = math.sqrt(n * p * (1 - p))
    assert abs(kept - mean) <= sigmas * sd, f"kept {kept} of {n}, expected {mean:.0f} ± {sigmas}·{sd:.1f}"


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), True, "0.5", None])
def test_check_probability_rejects(bad):
    with pytest.raises(ValueError, match=r"parameter 'rate' = .* (is outside the allowed range|must be a number in) \[0, 1[)\]]"):
        check_probability("rate", bad)


def test_check_probability_accepts_and_is_parameter_error():
    assert check_probability("p", 0) == 0.0 and isinstance(check_probability("p", 0), float)
    assert check_probability("p", 0.999) == 0.999
    assert issubclass(ParameterError, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: dropout(torch.ones(3), 1.5),  # p = 1 zeroes x, as in torch
        lambda: Dropout(p=-0.2),
        lambda: locked_dropout(torch.ones(2, 3, 4), 1.2),
        lambda: LockedDropout(p=1.0),
        lambda: embedding_dropout(nn.Embedding(5, 2), torch.tensor([1]), 2.0),
        lambda: EmbeddingDropout(nn.Embedding(5, 2), p=1.0),
        lambda: drop_connect(torch.ones(3, 3), float("nan")),
        lambda: zoneout(torch.ones(3), torch.ones(3), 1.5),  # p = 1 keeps the old value
        lambda: bernoulli_mask((3,), 1.0),
    ],
)
def test_every_entry_point_validates_p(call):
    with pytest.raises(ValueError, match=r"parameter 'p' = .* (is outside the allowed range|must be a number in) \[0, 1[)\]]"):
        call()


def test_other_validation_errors():
    with pytest.raises(ValueError, match="mode"):
        dropout(torch.ones(3), 0.5, mode="scaled")
    with pytest.raises(ValueError, match="mode"):
        Dropout(0.5, mode="nope")
    with pytest.raises(ValueError, match="shape"):
        locked_dropout(torch.ones(5), 0.5)
    with pytest.raises(ValueError, match="dim"):
        drop_connect(torch.ones(3, 3), 0.5, dim=2)
    with pytest.raises(ValueError, match="same shape"):
        zoneout(torch.ones(3), torch.ones(4), 0.5)
    with pytest.raises(TypeError, match="generator"):
        dropout(torch.ones(3), 0.5, generator=0)


# ---------------------------------------------------------------- identities
def test_p_zero_is_exact_identity_without_rng():
    x = torch.randn(4, 5, 6)
    w = torch.randn(7, 3)
    emb = nn.Embedding(10, 4)
    idx = torch.randint(0, 10, (3, 5))
    h_new = torch.randn_like(x)
    g = gen(1)
    state = g.get_state()
    global_state = torch.get_rng_state()
    assert dropout(x, 0.0, generator=g) is x
    assert dropout(x, 0, mode="weight_scaling", generator=g) is x
    assert locked_dropout(x, 0.0, generator=g) is x
    assert drop_connect(w, 0.0, generator=g) is w
    assert zoneout(x, h_new, 0.0, generator=g) is h_new
    assert torch.equal(embedding_dropout(emb, idx, 0.0, generator=g), emb(idx))
    assert torch.equal(bernoulli_mask((3, 4), 0.0, generator=g), torch.ones(3, 4))
    assert torch.equal(g.get_state(), state)
    assert torch.equal(torch.get_rng_state(), global_state)


def test_eval_mode():
    x = torch.randn(3, 4, 5)
    assert dropout(x, 0.3, training=False) is x
    assert torch.allclose(dropout(x, 0.3, training=False, mode="weight_scaling"), 0.7 * x)
    assert locked_dropout(x, 0.3, training=False) is x
    w = torch.randn(4, 4)
    assert drop_connect(w, 0.3, training=False) is w
    emb = nn.Embedding(8, 3)
    idx = torch.randint(0, 8, (4, 6))
    assert torch.equal(embedding_dropout(emb, idx, 0.5, training=False), emb(idx))
    for mod in (Dropout(0.4), LockedDropout(0.4), LockedDropout(0.4, batch_first=True)):
        mod.eval()
        assert mod(x) is x
    ed = EmbeddingDropout(emb, 0.5).eval()
    assert torch.equal(ed(idx), emb(idx))


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_bernoulli_mask_keep_rate(p):
    n = 200_000
    m = bernoulli_mask((n,), p, generator=gen(2))
    assert set(m.unique().tolist()) <= {0.0, 1.0}
    assert_keep_rate(int(m.sum()), n, p)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_inverted_dropout_rate_values_and_expectation(p):
    n = 200_000
    x = torch.full((n,), 2.0)
    y = dropout(x, p, generator=gen(3))
    kept = y != 0
    assert_keep_rate(int(kept.sum()), n, p)
    assert torch.allclose(y[kept], torch.full_like(y[kept], 2.0 / (1 - p)))
    # mean of n iid values 2*r/(1-p): sd = 2*sqrt(p/(1-p)/n)
    assert abs(float(y.mean()) - 2.0) <= 5 * 2 * math.sqrt(p / (1 - p) / n)


def test_weight_scaling_matches_eval_expectation():
    p, n = 0.3, 200_000
    x = torch.full((n,), 1.5)
    y = dropout(x, p, mode="weight_scaling", generator=gen(4))
    kept = y != 0
    assert_keep_rate(int(kept.sum()), n, p)
    assert torch.allclose(y[kept], torch.full_like(y[kept], 1.5))  # unscaled at train time
    eval_out = dropout(x, p, training=False, mode="weight_scaling")
    assert abs(float(y.mean()) - float(eval_out[0])) <= 5 * 1.5 * math.sqrt(p * (1 - p) / n)


def test_dropout_module_and_dtype():
    d = Dropout(0.5, generator=gen(5))
    assert "p=0.5" in repr(d) and "inverted" in repr(d)
    x = torch.ones(1000, dtype=torch.float64)
    y = d(x)
    assert y.dtype == torch.float64
    assert set(y.unique().tolist()) <= {0.0, 2.0}


# ---------------------------------------------------------------- reproducibility
def test_same_seed_same_mask_different_seed_different():
    x = torch.randn(50, 40)
    a = dropout(x, 0.5, generator=gen(7))
    b = dropout(x, 0.5, generator=gen(7))
    c = dropout(x, 0.5, generator=gen(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    for f in (
        lambda g: locked_dropout(torch.ones(5, 8, 16), 0.5, generator=g),
        lambda g: drop_connect(torch.ones(20, 20), 0.5, dim=0, generator=g),
        lambda g: zoneout(torch.zeros(30, 30), torch.ones(30, 30), 0.5, generator=g),
        lambda g: embedding_dropout(nn.Embedding(50, 3), torch.arange(50), 0.5, generator=g) != 0,
    ):
        assert torch.equal(f(gen(11)), f(gen(11)))
        assert not torch.equal(f(gen(11)), f(gen(12)))


def test_same_mask_whatever_the_dtype():
    a = bernoulli_mask((100,), 0.5, generator=gen(9), dtype=torch.float64)
    b = bernoulli_mask((100,), 0.5, generator=gen(9), dtype=torch.bfloat16)
    assert torch.equal(a, b.double())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.cuda
def test_cpu_generator_with_cuda_tensor():
    x = torch.ones(64, 32, device="cuda")
    y = dropout(x, 0.5, generator=gen(3))
    z = dropout(x.cpu(), 0.5, generator=gen(3))
    assert y.device.type == "cuda" and torch.equal(y.cpu(), z)
    lk = locked_dropout(torch.ones(4, 3, 2, device="cuda"), 0.5, generator=gen(1))
    assert lk.is_cuda and torch.equal(lk.cpu(), locked_dropout(torch.ones(4, 3, 2), 0.5, generator=gen(1)))
    w = torch.randn(6, 5)
    dc = drop_connect(w.cuda(), 0.5, dim=0, generator=gen(2))
    assert dc.is_cuda and torch.equal(dc.cpu(), drop_connect(w, 0.5, dim=0, generator=gen(2)))
    emb = nn.Embedding(20, 4)
    idx = torch.randint(0, 20, (5, 3))
    ref = embedding_dropout(emb, idx, 0.5, generator=gen(4))
    out = embedding_dropout(emb.cuda(), idx.cuda(), 0.5, generator=gen(4))
    assert out.is_cuda and torch.allclose(out.cpu(), ref)
    zo = zoneout(torch.zeros(8, 8, device="cuda"), torch.ones(8, 8, device="cuda"), 0.5, generator=gen(5))
    assert zo.is_cuda and torch.equal(zo.cpu(), zoneout(torch.zeros(8, 8), torch.ones(8, 8), 0.5, generator=gen(5)))
    cg = torch.Generator(device="cuda").manual_seed(0)  # a CUDA generator with CUDA data
    assert dropout(x, 0.5, generator=cg).is_cuda


# ---------------------------------------------------------------- gradients
def test_gradients_flow_only_through_kept_units():
    x = torch.randn(200, 30, requires_grad=True)
    y = dropout(x, 0.4, generator=gen(13))
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.6))
    assert torch.all(x.grad[~kept] == 0)


# ---------------------------------------------------------------- locked dropout
@pytest.mark.parametrize("batch_first", [False, True])
def test_locked_mask_constant_over_time_and_varies_over_batch(batch_first):
    T, B, H, p = 12, 16, 64, 0.5
    shape = (B, T, H) if batch_first else (T, B, H)
    y = locked_dropout(torch.ones(shape), p, batch_first=batch_first, generator=gen(17))
    mask = y if not batch_first else y.transpose(0, 1)  # (T, B, H)
    assert torch.equal(mask, mask[:1].expand_as(mask)), "mask must be the same at every time step"
    assert not torch.equal(mask[0, 0], mask[0, 1]), "different sequences must get different masks"
    assert set(mask.unique().tolist()) <= {0.0, 1 / (1 - p)}
    assert_keep_rate(int((mask[0] != 0).sum()), B * H, p)


def test_locked_module_and_2d_single_step():
    m = LockedDropout(0.5, batch_first=True, generator=gen(19))
    assert "batch_first=True" in repr(m)
    y = m(torch.ones(4, 9, 8))
    assert torch.equal(y, y[:, :1].expand_as(y))
    s = locked_dropout(torch.ones(32, 64), 0.5, generator=gen(19))  # (B, H): one step
    assert s.shape == (32, 64) and set(s.unique().tolist()) == {0.0, 2.0}


# ---------------------------------------------------------------- embedding dropout
def test_embedding_dropout_drops_whole_word_types():
    V, D, p = 40, 6, 0.5
    emb = nn.Embedding(V, D)
    idx = torch.randint(0, V, (30, 8), generator=gen(23))
    out = embedding_dropout(emb, idx, p, generator=gen(29))
    full = emb(idx)
    dropped_any = kept_any = False
    for w in idx.unique().tolist():
        rows = out[idx == w]
        assert torch.equal(rows, rows[:1].expand_as(rows)), "all positions of a word must be identical"
        if torch.all(rows == 0):
            dropped_any = True
        else:
            kept_any = True
            assert torch.allclose(rows, full[idx == w] / (1 - p))
    assert dropped_any and kept_any
    unscaled = embedding_dropout(emb, idx, p, scale=False, generator=gen(29))
    assert torch.allclose(unscaled * 2, out)
    assert torch.equal(embedding_dropout(emb.weight, idx, p, generator=gen(29)), out)  # weight tensor form


def test_embedding_dropout_padding_and_gradients():
    V, D, pad = 30, 4, 0
    emb = nn.Embedding(V, D, padding_idx=pad)
    with torch.no_grad():
        emb.weight[pad] = 1.0  # a non-zero padding vector must come back unchanged
    idx = torch.randint(0, V, (20, 5), generator=gen(31))
    idx[:, -1] = pad
    ed = EmbeddingDropout(emb, p=0.6, generator=gen(37))
    assert ed.weight is emb.weight and ed.embedding is emb
    out = ed(idx)
    assert torch.equal(out[idx == pad], torch.ones_like(out[idx == pad]))
    out.sum().backward()
    assert torch.all(emb.weight.grad[pad] == 0)
    dropped = [w for w in idx.unique().tolist() if w != pad and torch.all(out[idx == w] == 0)]
    assert dropped, "expected some dropped words at p=0.6"
    assert torch.all(emb.weight.grad[dropped] == 0)


def _awd_embedded_dropout(embed, words, dropout, mask):
    """salesforce/awd-lstm-lm ``embed_regularize.embedded_dropout`` with a given row mask."""
    masked = (mask.unsqueeze(1) / (1 - dropout)).expand_as(embed.weight) * embed.weight
    return F.embedding(words, masked, embed.padding_idx, embed.max_norm, embed.norm_type,
                       embed.scale_grad_by_freq, embed.sparse)


def test_embedding_dropout_max_norm_matches_awd_and_keeps_the_weight():
    emb = nn.Embedding(10, 5, max_norm=1.0)
    with torch.no_grad():
        emb.weight.mul_(10)
    stored = emb.weight.detach().clone()
    idx = torch.tensor([0, 3, 3, 7, 9, 1, 2, 5])
    out = embedding_dropout(emb, idx, 0.5, generator=gen(41))
    mask = _bernoulli((10,), 0.5, gen(41), emb.weight.device, emb.weight.dtype)
    torch.testing.assert_close(out, _awd_embedded_dropout(emb, idx, 0.5, mask))
    norms = out.norm(dim=-1)
    assert torch.all((norms < 1e-6) | ((norms - 1.0).abs() < 1e-4))  # max_norm, not max_norm/(1-p)
    assert torch.equal(emb.weight.detach(), stored)  # the stored weight is not renormalised
    out.sum().backward()
    assert emb.weight.grad is not None


def test_embedding_dropout_max_norm_without_dropping_is_nn_embedding():
    emb = nn.Embedding(10, 5, max_norm=1.0)
    with torch.no_grad():
        emb.weight.mul_(10)
    idx = torch.arange(10)
    expected = nn.Embedding.from_pretrained(emb.weight.detach().clone(), freeze=False, max_norm=1.0)(idx)
    torch.testing.assert_close(embedding_dropout(emb, idx, 0.5, training=False), expected)
    assert torch.all(emb.weight.norm(dim=-1) <= 1.0 + 1e-4)  # as nn.Embedding: in place


# ---------------------------------------------------------------- DropConnect
def test_drop_connect_structure_and_no_mutation():
    w = torch.randn(40, 30)
    before = w.clone()
    rows = drop_connect(w, 0.5, dim=0, generator=gen(43))
    cols = drop_connect(w, 0.5, dim=1, generator=gen(43))
    elem = drop_connect(w, 0.5, generator=gen(43))
    assert torch.equal(w, before)
    rz = (rows == 0).all(dim=1)
    assert rz.any() and (~rz).any()
    assert torch.allclose(rows[~rz], 2 * w[~rz])
    cz = (cols == 0).all(dim=0)
    assert cz.any() and (~cz).any()
    assert torch.allclose(cols[:, ~cz], 2 * w[:, ~cz])
    assert not (elem == 0).all(dim=1).any()  # element-wise: no whole row dropped at this size
    assert_keep_rate(int((elem != 0).sum()), w.numel(), 0.5)
    assert torch.equal(drop_connect(w, 0.5, dim=-1, generator=gen(43)), cols)


def test_drop_connect_gradients_reach_weight():
    w = nn.Parameter(torch.randn(8, 6))
    out = drop_connect(w, 0.5, dim=0, generator=gen(47))
    assert out is not w
    (out @ torch.ones(6)).sum().backward()
    kept_rows = (out.detach() != 0).any(dim=1)
    assert torch.allclose(w.grad[kept_rows], torch.full_like(w.grad[kept_rows], 2.0))
    assert torch.all(w.grad[~kept_rows] == 0)


# ---------------------------------------------------------------- zoneout
def test_zoneout_train_and_eval():
    n, p = 100_000, 0.3
    h_prev, h_new = torch.zeros(n), torch.ones(n)
    h = zoneout(h_prev, h_new, p, generator=gen(53))
    assert set(h.unique().tolist()) <= {0.0, 1.0}
    kept_old = int((h == 0).sum())
    assert_keep_rate(n - kept_old, n, p)  # d=1 (keep OLD) with probability p
    he = zoneout(torch.full((4,), 2.0), torch.full((4,), 10.0), p, training=False)
    assert torch.allclose(he, torch.full((4,), 0.3 * 2 + 0.7 * 10))


def test_zoneout_explicit_mask_and_gradients():
    h_prev = torch.randn(3, 5, requires_grad=True)
    h_new = torch.randn(3, 5, requires_grad=True)
    mask = torch.zeros(3, 5, dtype=torch.bool)
    mask[:, :2] = True
    h = zoneout(h_prev, h_new, 0.5, mask=mask)
    assert torch.equal(h[:, :2], h_prev[:, :2]) and torch.equal(h[:, 2:], h_new[:, 2:])
    h.sum().backward()
    assert torch.equal(h_prev.grad, mask.float()) and torch.equal(h_new.grad, (~mask).float())
    shared = zoneout(h_prev, h_new, 0.5, mask=torch.tensor([1.0, 0, 1, 0, 1]))  # broadcast (H,)
    assert torch.equal(shared[:, 0], h_prev[:, 0]) and torch.equal(shared[:, 1], h_new[:, 1])
