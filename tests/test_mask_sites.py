"""Mask sites of a stacked Elman RNN: shapes, per-step vs per-sequence, viewer fallback."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from seqdrop.course.mask_sites import (CHAPTER_SCHEMES, NAIVE_RECURRENT, draw_mask_sites,  # noqa: E402
                                            elman_dropouts, mask_viewer, plot_masks, sample_masks,
                                            scheme_definition, scheme_table, widgets_available)
from seqdrop.recipes import identity  # noqa: E402
from seqdrop._validation import ParameterError  # noqa: E402


def _masks(scheme: str, p: float = 0.5, seed: int = 0, layers: int = 2) -> dict:
    return sample_masks(scheme, p, steps=6, batch=3, input_size=5, hidden=8, layers=layers,
                        generator=torch.Generator().manual_seed(seed))


def test_sites_and_shapes_per_scheme():
    assert _masks("none") == {}
    m = _masks("gal-hidden")
    assert set(m) == {"between", "output", "recurrent"}
    assert m["between"].shape == (1, 6, 3, 8) and m["output"].shape == (3, 8)
    assert m["recurrent"].shape == (2, 6, 3, 8)
    assert _masks("locked-hidden+weight-drop")["weights"].shape == (2, 8, 8)
    assert "between" not in _masks("locked-hidden", layers=1)


def test_per_step_masks_change_over_time_and_per_sequence_masks_do_not():
    step, seq = _masks(NAIVE_RECURRENT)["recurrent"], _masks("gal-hidden")["recurrent"]
    assert not torch.equal(step[0, 0], step[0, 1])
    assert all(torch.equal(seq[0, 0], seq[0, t]) for t in range(6))
    assert not torch.equal(_masks("zaremba-hidden")["between"][0, 0], _masks("zaremba-hidden")["between"][0, 1])
    assert torch.equal(_masks("locked-hidden")["between"][0, 0], _masks("locked-hidden")["between"][0, 5])


def test_masks_are_scaled_and_reproducible():
    m = _masks(NAIVE_RECURRENT, p=0.25)["recurrent"]
    assert torch.allclose(m.unique(), torch.tensor([0.0, 1 / 0.75]))
    assert torch.equal(m, _masks(NAIVE_RECURRENT, p=0.25)["recurrent"])
    big = sample_masks(NAIVE_RECURRENT, 0.25, steps=50, batch=40, input_size=1, hidden=50)
    assert abs(float(big["recurrent"].mean()) - 1.0) < 0.03  # E[m] = 1


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ParameterError, match="scheme"):
        _masks("zoneout")
    with pytest.raises(ParameterError, match="'p'"):
        _masks("gal-hidden", p=1.0)


def test_figures_and_static_viewer(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not widgets_available()
    fig = mask_viewer(p=0.3, scheme="gal-hidden", hidden=8, steps=5)
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 2  # between + recurrent
    assert isinstance(plot_masks({}), plt.Figure)
    fig, ax = plt.subplots()
    draw_mask_sites(ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [lab.split()[0] for lab in labels] == ["input", "between", "output", "recurrent", "weights"]
    plt.close("all")


def test_schemes_are_registry_recipes_except_the_naive_one():
    assert CHAPTER_SCHEMES[0] == "none" and NAIVE_RECURRENT in CHAPTER_SCHEMES
    for scheme in CHAPTER_SCHEMES:
        if scheme != NAIVE_RECURRENT:
            assert scheme_definition(scheme, 0.2)["recipe"] == scheme
    d, per_step = elman_dropouts("locked-hidden+weight-drop", 0.2)
    assert d.locked and d.weight_dropout == 0.2 and d.model_input_dropout == 0 and not per_step
    naive, gal = scheme_definition(NAIVE_RECURRENT, 0.2), scheme_definition("gal-hidden", 0.2)
    assert naive["dropouts"] == gal["dropouts"] and naive["recurrent_mask"] == "per step"
    assert identity(naive) != identity(gal)  # never pooled with gal-hidden
    # registry recipes that mask sites the Elman model does not have are refused
    for name in ("zaremba", "gal", "zaremba+zoneout", "semeniuta"):
        with pytest.raises(ParameterError, match="scheme"):
            _masks(name)
    # the table is computed from the registry: rates and scopes per site
    table = scheme_table(list(CHAPTER_SCHEMES), 0.2)
    assert table.loc["zaremba-hidden", "between layers"] == "0.2 per step"
    assert table.loc["gal-hidden", "recurrent"] == "0.2 per sequence"
    assert table.loc[NAIVE_RECURRENT, "recurrent"] == "0.2 per step"
    assert table.loc["locked-hidden+weight-drop", "weights"] == "0.2 per batch"
    assert table.loc["none"].iloc[:4].tolist() == ["", "", "", ""]
