import pytest
import torch

from seqdrop.course.gru_masks import PLACEMENTS, carry_identity_error, gru_cell_reset_before, gru_step, placement_noise
from seqdrop.nn import reference
from seqdrop.errors import ParameterError


def _weights(h=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(3 * h, h, generator=g) * 0.3, torch.randn(3 * h, h, generator=g) * 0.3,
            torch.randn(3 * h, generator=g) * 0.1, torch.randn(3 * h, generator=g) * 0.1]


def test_reset_before_without_reset_effect_equals_reset_after():
    # with W_hn = 0 and b_hn = 0 the two layouts compute the same candidate
    w = _weights()
    w[1][12:] = 0
    w[3][12:] = 0
    x, h = torch.randn(4, 6), torch.randn(4, 6)
    torch.testing.assert_close(gru_cell_reset_before(x, h, *w), reference.gru_cell(x, h, *w))


def test_reset_before_is_chos_gru_by_hand():
    w_ih, w_hh, b_ih, b_hh = _weights(seed=1)
    x, h = torch.randn(3, 6), torch.randn(3, 6)
    m = torch.bernoulli(torch.full((3, 6), 0.5)) * 2
    W = lambda w, k: w[6 * k : 6 * (k + 1)]  # noqa: E731
    B = lambda b, k: b[6 * k : 6 * (k + 1)]  # noqa: E731
    r = torch.sigmoid(x @ W(w_ih, 0).t() + B(b_ih, 0) + (m * h) @ W(w_hh, 0).t() + B(b_hh, 0))
    z = torch.sigmoid(x @ W(w_ih, 1).t() + B(b_ih, 1) + (m * h) @ W(w_hh, 1).t() + B(b_hh, 1))
    n = torch.tanh(x @ W(w_ih, 2).t() + B(b_ih, 2) + (r * m * h) @ W(w_hh, 2).t() + B(b_hh, 2))
    expected = (1 - z) * n + z * h
    torch.testing.assert_close(gru_cell_reset_before(x, h, w_ih, w_hh, b_ih, b_hh, recurrent_mask=m), expected)


def test_no_mask_kept_and_dropped_carry_agree_and_differ_by_the_carry():
    w = _weights()
    x, h = torch.randn(4, 6), torch.randn(4, 6)
    torch.testing.assert_close(gru_step("reset after, carry kept", x, h, w, None),
                               gru_step("reset after, carry dropped", x, h, w, None))
    assert carry_identity_error(0.5) < 1e-5
    with pytest.raises(ValueError, match="placement"):
        gru_step("carry only", x, h, w, None)


def test_dropping_the_carry_is_the_noisiest_placement():
    table = placement_noise(0.5, hidden=16, batch=16, n_masks=200).set_index("placement")
    assert list(table.index) == list(PLACEMENTS)
    assert table.loc["reset after, carry kept", "noise_ratio"] == 1.0
    assert table.loc["reset after, carry dropped", "noise_ratio"] > 2
    assert abs(table.loc["reset before, carry kept", "noise_ratio"] - 1) < 0.2
    with pytest.raises(ParameterError, match="'p'"):
        placement_noise(1.0)
