import pytest
import torch

from seqdrop.course.gru_carry import PlacementGRUClassifier, carry_trial
from seqdrop.errors import ParameterError


def model(placement, p=0.5):
    torch.manual_seed(0)
    return PlacementGRUClassifier(3, 5, 4, placement=placement, p=p)


def test_without_dropout_the_placements_are_torch_gru():
    x = torch.randn(2, 7, 3)
    kept = model("carry kept").eval()
    gru = torch.nn.GRU(3, 5, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(gru, f"{name}_l0").copy_(getattr(kept, name))
        out, _ = gru(x)
        lengths = torch.tensor([7, 4])
        want = kept.head(out[torch.arange(2), lengths - 1])
        assert torch.allclose(kept(x, lengths), want, atol=1e-6)
    dropped = model("carry dropped").eval()
    assert torch.equal(dropped(x, lengths), kept(x, lengths))  # eval: no mask, same weights


def test_in_training_the_placements_differ_and_the_mask_is_per_sequence():
    x = torch.randn(4, 6, 3)
    kept, dropped = model("carry kept").train(), model("carry dropped").train()
    torch.manual_seed(1)
    a = kept(x)
    torch.manual_seed(1)
    b = dropped(x)
    assert not torch.allclose(a, b)
    torch.manual_seed(1)
    assert torch.equal(kept(x), a)  # the same seed draws the same masks


def test_gradients_reach_every_weight():
    m = model("carry dropped").train()
    m(torch.randn(3, 5, 3)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


@pytest.mark.parametrize("kw", [dict(placement="carry"), dict(p=1.0), dict(p=-0.1)])
def test_bad_arguments_are_refused(kw):
    with pytest.raises(ParameterError):
        PlacementGRUClassifier(3, 5, 4, **({"placement": "carry kept", "p": 0.2} | kw))


def test_carry_trial_reports_test_error_at_the_best_validation_epoch():
    cfg = dict(carry_trial.defaults) | dict(placement="carry dropped", hidden_size=8,
                                           train_fraction=0.05, epochs=2, seed=0)
    out = carry_trial(cfg)
    best = out["history"][out["best_epoch"] - 1]
    assert out["test_acc"] == pytest.approx(best["test_acc"])
    assert out["val_loss"] == min(r["val_loss"] for r in out["history"])
    assert out["test_error"] == pytest.approx(1 - out["test_acc"])
