"""Where dropout masks go in a stacked Elman RNN, and whether they change over time.

Sites (the course vocabulary): **input** (``x_t`` into layer 1), **between** layers
(``h^1_t`` into layer 2), **output** (the last state into the classifier), **recurrent**
(``h_{t-1}`` inside ``W_hh h_{t-1}``), **weights** (``W_hh`` itself, DropConnect). Each mask
is drawn **per step** (a fresh mask at every ``t``; Zaremba et al. 2014 for the non-recurrent
sites, the "naive" recurrent dropout that Bayer et al. 2013 found harmful) or **per sequence**
(one mask reused at every step: locked / variational dropout, Gal & Ghahramani 2016).

:data:`VARIANTS` names the published combinations compared in the course; :func:`sample_masks`
draws their masks (scaled by ``1/(1-p)``), :func:`plot_masks` and :func:`mask_viewer` show
them, :func:`draw_mask_sites` draws the labelled unrolled network.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import torch
from torch import Tensor

from ..dropout import bernoulli_mask
from .._validation import check_choice, check_int, check_probability

__all__ = ["Variant", "VARIANTS", "SITES", "sample_masks", "plot_masks", "draw_mask_sites",
           "mask_viewer", "widgets_available"]

SITES = ("input", "between", "output", "recurrent", "weights")


@dataclass(frozen=True)
class Variant:
    """A dropout scheme: the masked sites, and whether their masks are drawn per step."""

    label: str
    sites: tuple[str, ...]
    per_step: tuple[str, ...] = ()  # sites whose mask is fresh at every time step
    reference: str = ""


VARIANTS: dict[str, Variant] = {
    "none": Variant("no dropout", ()),
    "between": Variant("between layers, per step", ("between", "output"), ("between", "output"),
                       "Zaremba et al. 2014"),
    "locked": Variant("between layers, per sequence", ("between", "output"), (),
                      "Gal & Ghahramani 2016 (non-recurrent part)"),
    "recurrent_step": Variant("locked + recurrent per step", ("between", "output", "recurrent"),
                              ("recurrent",), "naive; Bayer et al. 2013"),
    "gal": Variant("locked + recurrent per sequence", ("between", "output", "recurrent"), (),
                   "Gal & Ghahramani 2016"),
    "weight_drop": Variant("locked + weight drop on W_hh", ("between", "output", "weights"), (),
                           "Merity et al. 2017"),
}


def _mask(shape: tuple[int, ...], p: float, steps: int | None, g: torch.Generator | None) -> Tensor:
    """``(steps, *shape)`` keep-masks scaled by ``1/(1-p)``: fresh per step if ``steps``,
    else one mask repeated (``steps`` None → no time axis)."""
    m = bernoulli_mask(shape if steps is None else (steps, *shape), p, generator=g)
    return m / (1.0 - p)


def sample_masks(
    variant: str, p: float, *, steps: int, batch: int, input_size: int, hidden: int,
    layers: int = 2, generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """The masks of one forward pass of ``variant`` at rate ``p``, scaled by ``1/(1-p)``.

    Shapes: ``between`` ``(T, B, H)`` (layers − 1 of them stacked on a first axis when
    ``layers > 2``), ``output`` ``(B, H)``, ``recurrent`` ``(layers, T, B, H)``, ``weights``
    ``(layers, H, H)``. A per-sequence mask is one draw expanded over ``T``.
    """
    v = VARIANTS[check_choice("variant", variant, VARIANTS)]
    p = check_probability("p", p)
    T, B = check_int("steps", steps, 1), check_int("batch", batch, 1)
    H, L = check_int("hidden", hidden, 1), check_int("layers", layers, 1)
    check_int("input_size", input_size, 1)
    if p == 0.0:
        return {}

    def over_time(site: str, shape: tuple[int, ...]) -> Tensor:
        if site in v.per_step:
            return _mask(shape, p, T, generator)
        return _mask(shape, p, None, generator).expand(T, *shape)

    out: dict[str, Tensor] = {}
    if "input" in v.sites:
        out["input"] = over_time("input", (B, input_size))
    if "between" in v.sites and L > 1:
        out["between"] = torch.stack([over_time("between", (B, H)) for _ in range(L - 1)])
    if "output" in v.sites:
        out["output"] = _mask((B, H), p, None, generator)
    if "recurrent" in v.sites:
        out["recurrent"] = torch.stack([over_time("recurrent", (B, H)) for _ in range(L)])
    if "weights" in v.sites:
        out["weights"] = torch.stack([_mask((H, H), p, None, generator) for _ in range(L)])
    return out


def plot_masks(masks: dict[str, Tensor], *, example: int = 0, units: int = 32,
               title: str = "", axes: Any = None) -> plt.Figure:
    """Heat maps (unit × time step) of one example's masks at the time-varying sites."""
    shown = [(k, m) for k, m in masks.items() if k in ("input", "between", "recurrent")]
    if axes is None:
        fig, axes = plt.subplots(1, max(1, len(shown)), figsize=(6.5, 2.6), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    if not shown:
        axes[0].text(0.5, 0.5, "no time-varying mask", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, (site, m) in zip(axes, shown):
        grid = (m[0] if m.dim() == 4 else m)[:, example, :units]  # (T, units), first layer
        ax.imshow((grid > 0).T.float().numpy(), aspect="auto", cmap="Greys", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set(title=site, xlabel="time step t", ylabel="unit")
        ax.grid(False)
    fig.suptitle(title or "black = kept, white = dropped", fontsize=10)
    fig.tight_layout()
    return fig


def draw_mask_sites(ax: Any, steps: int = 3) -> None:
    """An unrolled 2-layer RNN with every mask site labelled (input, between, output,
    recurrent, weights)."""
    colours = {"input": "C0", "between": "C1", "output": "C2", "recurrent": "C3",
               "weights": "C4"}
    for t in range(steps):
        x = 2.2 * t
        ax.text(x, 0, f"$x_{{{t + 1}}}$", ha="center", va="center", fontsize=11)
        for layer, y in ((1, 1.4), (2, 2.8)):
            ax.add_patch(plt.Rectangle((x - 0.45, y - 0.3), 0.9, 0.6, fc="white", ec="black"))
            ax.text(x, y, f"$h^{{{layer}}}_{{{t + 1}}}$", ha="center", va="center")
        for y0, y1, site in ((0.25, 1.1, "input"), (1.7, 2.5, "between")):
            ax.annotate("", (x, y1), (x, y0), arrowprops=dict(arrowstyle="->", color="black"))
            ax.plot(x, (y0 + y1) / 2, "o", color=colours[site], ms=8)
        if t < steps - 1:
            for y in (1.4, 2.8):
                ax.annotate("", (x + 1.75, y), (x + 0.45, y),
                            arrowprops=dict(arrowstyle="->", color="black"))
                ax.plot(x + 1.1, y, "s", color=colours["recurrent"], ms=8)
                ax.text(x + 1.1, y + 0.22, "$W_{hh}$", ha="center", fontsize=9,
                        color=colours["weights"])
    last = 2.2 * (steps - 1)
    ax.annotate("", (last, 4.0), (last, 3.1), arrowprops=dict(arrowstyle="->", color="black"))
    ax.plot(last, 3.55, "o", color=colours["output"], ms=8)
    ax.text(last, 4.2, "classifier", ha="center")
    handles = [plt.Line2D([], [], ls="", marker="s" if s == "recurrent" else "o", color=c,
                          label=s + (" ($h_{t-1}$)" if s == "recurrent" else "")
                          + (" (on $W_{hh}$)" if s == "weights" else ""))
               for s, c in colours.items()]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    ax.set(xlim=(-0.8, last + 0.8), ylim=(-0.4, 4.5))
    ax.set_axis_off()


def widgets_available() -> bool:
    """True in a JupyterLab/Notebook kernel with ipywidgets (``JPY_SESSION_NAME`` is set by
    the Jupyter server); False under papermill, nbval and the book build."""
    if not os.environ.get("JPY_SESSION_NAME"):
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def mask_viewer(*, p: float = 0.5, variant: str = "recurrent_step", seed: int = 0,
                steps: int = 28, hidden: int = 32, interactive: bool | None = None) -> Any:
    """Show the masks of ``variant`` over time for one example.

    ``interactive`` None: sliders (p, variant, seed) when :func:`widgets_available`, else a
    static figure of the given setting. Returns the widget or the figure.
    """
    def draw(p: float, variant: str, seed: int) -> plt.Figure:
        masks = sample_masks(variant, p, steps=steps, batch=1, input_size=hidden, hidden=hidden,
                             generator=torch.Generator().manual_seed(seed))
        return plot_masks(masks, units=hidden, title=f"{VARIANTS[variant].label}, p = {p:g}")

    if interactive is None:
        interactive = widgets_available()
    if not interactive:
        return draw(p, variant, seed)
    import ipywidgets as w

    def show(p: float, variant: str, seed: int) -> None:
        draw(p, variant, seed)
        plt.show()

    return w.interact(show, p=w.FloatSlider(value=p, min=0.05, max=0.9, step=0.05),
                      variant=w.Dropdown(options=list(VARIANTS), value=variant),
                      seed=w.IntSlider(value=seed, min=0, max=20))
