"""Figures of chapter 08 (seqdrop.course.uncertainty_plots) draw from the trials' tables."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from seqdrop.course.calibration import pool_reliability, reliability_bins  # noqa: E402
from seqdrop.course.uncertainty_plots import (convergence_panels, coverage_diagram,  # noqa: E402
                                                   reliability_diagram)


def test_convergence_panels_one_axis_per_metric_with_reference():
    conv = pd.DataFrame([{"seed": s, "n_samples": n, "nll": 1 / n + s, "acc": 0.5}
                         for s in range(3) for n in (1, 2, 4, 8, 16)])
    ref = pd.DataFrame({"nll": [0.5, 0.6, 0.7]})
    fig = convergence_panels(conv, {"nll": "NLL", "acc": "accuracy"}, ref)
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1", "4", "16"]
    assert len(fig.axes[0].lines) >= 2  # MC curve and the weight-scaling line
    plt.close(fig)


def test_reliability_and_coverage_diagrams():
    g = torch.Generator().manual_seed(0)
    probs = torch.softmax(torch.randn(200, 3, generator=g), 1)
    y = torch.randint(0, 3, (200,), generator=g)
    bins = pd.concat([reliability_bins(probs, y, 5).assign(method=m) for m in ("ws", "mc")])
    fig = reliability_diagram(pool_reliability(bins, by=["method"]))
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 5
    plt.close(fig)
    cov = pd.DataFrame([{"seed": s, "method": m, "level": lv, "coverage": lv * 0.9, "width": lv}
                        for s in range(2) for m in ("mc", "mc+noise") for lv in (0.5, 0.9)])
    fig = coverage_diagram(cov, {"mc": "MC"})
    assert len(fig.axes) == 2
    plt.close(fig)
