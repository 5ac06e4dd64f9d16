"""seqdrop.presets and the ``seqdrop train`` CLI: schema, construction, a few steps of each preset."""
from __future__ import annotations


import pytest
import torch

from seqdrop.data import load_ptb
from seqdrop.presets import PRESETS, build_model, get_preset, list_presets, train_config
from seqdrop.train import TrainConfig, fit
from seqdrop.utils import seed_everything

BASE = ["zaremba-small", "zaremba-medium", "zaremba-large", "gal-medium", "gal-large", "awd-lstm"]


def test_required_presets_and_schema():
    names = list_presets()
    for n in BASE:
        assert n in names
        p = get_preset(n)
        assert p.source and "Table" in p.source
        assert p.published_val is not None and p.published_test is not None
        assert p.published_test < p.published_val  # PTB test ppl is below val for all of these
    for base in BASE[:5]:
        for cell in ("gru", "rnn"):
            twin = get_preset(f"{base}-{cell}")
            assert twin.model["cell"] == cell and twin.twin_of == base and twin.train == get_preset(base).train
    for p in PRESETS.values():
        assert isinstance(train_config(p), TrainConfig)
    with pytest.raises(KeyError, match="zaremba-small"):
        get_preset("nope")


def test_published_numbers_and_key_hyperparameters():
    zs = get_preset("zaremba-small")
    assert (zs.published_val, zs.published_test) == (120.7, 114.5)
    c = train_config("zaremba-small")
    assert (c.lr, c.bptt, c.batch_size, c.clip, c.epochs, c.decay_start, c.lr_decay, c.lm_loss) == (1.0, 20, 20, 5.0, 13, 4, 0.5, "sum")
    assert get_preset("zaremba-medium").published_test == 82.7 and get_preset("zaremba-large").published_test == 78.4
    awd = train_config("awd-lstm")
    assert (awd.optimizer, awd.lr, awd.bptt, awd.variable_bptt, awd.clip, awd.lm_loss) == ("ntasgd", 30.0, 70, True, 0.25, "mean")
    assert get_preset("gal-large").model["dropouts"].recurrent_dropout == 0.3


def test_full_size_parameter_counts():
    counts = {n: sum(p.numel() for p in build_model(n, 10_000).parameters()) for n in ("zaremba-small", "zaremba-medium")}
    assert counts["zaremba-small"] == 4_653_200
    assert 19_000_000 < counts["zaremba-medium"] < 20_500_000
    assert 24_000_000 < sum(p.numel() for p in build_model("awd-lstm", 10_000).parameters()) < 24_500_000


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_runs_a_few_steps(name):
    p = get_preset(name)
    corpus = load_ptb("char", max_tokens=2000)  # real text; tiny vocabulary keeps this fast
    seed_everything(0)
    small = {"embedding_size": 8, "hidden_size": 8 if not p.model.get("tie_weights") else 12}
    model = build_model(p, corpus.vocab_size, **small)
    cfg = train_config(p, max_steps=3, max_eval_batches=2, bptt=min(p.train["bptt"], 10), batch_size=4, device="cpu")
    res = fit(model, corpus, cfg, progress=False)
    assert res.stopped == "max_steps" and len(res.history) == 1
    assert torch.isfinite(torch.tensor(res.history["val_loss"].iloc[0]))


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_names_the_registry_recipe_it_uses(name):
    from seqdrop.recipes import RECIPES, recipe

    p = get_preset(name)
    assert p.recipe in RECIPES, name
    cell = p.model["cell"]
    dropouts = p.model["dropouts"]
    if p.recipe_p is not None:  # exactly the registry recipe at that rate
        assert dropouts == recipe(p.recipe, p.recipe_p, cell), name
    else:  # the recipe's sites at the paper's own rates
        assert set(dropouts.active()) == set(recipe(p.recipe, 0.5, cell).active()), name
        assert dropouts != recipe(p.recipe, dropouts.model_input_dropout, cell)
    assert p.recipe in p.recipe_label


def test_recipe_labels():
    assert get_preset("zaremba-medium").recipe_label == "zaremba at p = 0.5"
    assert get_preset("awd-lstm").recipe_label == "awd at p = 0.5"
    assert get_preset("gal-large").recipe_label == "gal-half-recurrent's sites at the paper's own rates"
    assert get_preset("zaremba-small").recipe_label == "none (no dropout)"
