"""Where dropout masks go in a stacked Elman RNN, and whether they change over time (chapter 02).

Sites (the course vocabulary): **input** (``x_t`` into layer 1), **between** layers
(``h^1_t`` into layer 2), **output** (the last state into the classifier), **recurrent**
(``h_{t-1}`` inside ``W_hh h_{t-1}``), **weights** (``W_hh`` itself, DropConnect). Each mask
is drawn **per step** (a fresh mask at every ``t``; Zaremba et al. 2014 for the non-recurrent
sites) or **per sequence** (one mask reused at every step: locked / variational dropout, Gal &
Ghahramani 2016).

The schemes are recipes of the registry (:mod:`seqdrop.recipes`): chapter 02's hand-written
Elman model draws the masks of any recipe whose sites it has (:func:`elman_dropouts`). One
scheme is not a recipe, because no library option implements it: :data:`NAIVE_RECURRENT`,
``gal-hidden`` with its recurrent mask redrawn at every step (the "naive" recurrent dropout
that Bayer et al. 2013 found harmful), the chapter's counter-example; its definition says so
(``"recurrent_mask": "per step"``). :func:`sample_masks` draws a scheme's masks (scaled by
``1/(1-p)``), :func:`plot_masks` and :func:`mask_viewer` show them, :func:`draw_mask_sites`
draws the labelled unrolled network.

Chapters: 02.
"""
from __future__ import annotations

import os
from typing import Any

import matplotlib.pyplot as plt
import torch
from torch import Tensor

from ..dropout import bernoulli_mask
from ..nn import RecurrentDropout
from ..recipes import RECIPES, definition, recipe
from .._validation import ParameterError, check_choice, check_int, check_probability

__all__ = ["NAIVE_RECURRENT", "CHAPTER_SCHEMES", "SITES", "check_scheme", "elman_dropouts",
           "scheme_definition", "scheme_table", "sample_masks", "plot_masks", "draw_mask_sites",
           "mask_viewer", "widgets_available"]

SITES = ("input", "between", "output", "recurrent", "weights")
#: gal-hidden with a fresh recurrent mask every step: no library option, the counter-example
NAIVE_RECURRENT = "naive-recurrent"
#: the schemes chapter 02 compares, in its order
CHAPTER_SCHEMES = ("none", "zaremba-hidden", "locked-hidden", NAIVE_RECURRENT, "gal-hidden",
                   "locked-hidden+weight-drop")
#: what the naive scheme is, in the registry's words
NAIVE_DESCRIPTION = ("gal-hidden with a fresh recurrent mask at every step (no library option; "
                     "Bayer et al. 2013 found it harmful)")
# RecurrentDropout fields the Elman model draws masks for: between layers, output, recurrent
# h_{t-1}, weights (the input x_t is never masked here: see the chapter's exercise 2)
_ELMAN_FIELDS = {"model_layer_dropout", "model_output_dropout", "locked", "recurrent_dropout",
                 "weight_dropout"}


def _elman_names() -> list[str]:
    names = [NAIVE_RECURRENT]
    for name in RECIPES:
        try:
            if set(recipe(name, 0.5, "rnn", embedding=False).active()) <= _ELMAN_FIELDS:
                names.append(name)
        except ParameterError:
            continue
    return names


def check_scheme(name: str, value: Any) -> str:
    """A scheme the Elman model can draw: a registry recipe with only its sites (between,
    output, recurrent, weights), or :data:`NAIVE_RECURRENT` (a :class:`ParameterError` naming
    the parameter and the choices otherwise)."""
    return check_choice(name, value, _elman_names())


def elman_dropouts(scheme: str, p: float) -> tuple[RecurrentDropout, bool]:
    """``(dropouts, recurrent_per_step)``: the registry recipe of ``scheme`` at ``p`` for a
    tanh RNN without an embedding, and whether its recurrent mask is fresh at every step."""
    scheme = check_scheme("scheme", scheme)
    if scheme == NAIVE_RECURRENT:
        return recipe("gal-hidden", p, "rnn", embedding=False), True
    return recipe(scheme, p, "rnn", embedding=False), False


def scheme_definition(scheme: str, p: float) -> dict[str, Any]:
    """The canonical definition of ``scheme`` at ``p`` (:func:`seqdrop.recipes.definition`);
    the naive scheme adds ``"recurrent_mask": "per step"``, so that it pools with nothing else."""
    dropouts, per_step = elman_dropouts(scheme, p)
    if not per_step:
        return definition(scheme, p, "rnn", embedding=False)
    return {"recipe": NAIVE_RECURRENT, "p": float(p), "cell": "rnn",
            "dropouts": dropouts.active(), "recurrent_mask": "per step"}


def scheme_table(schemes: list[str], p: float) -> Any:
    """One row per scheme, computed from the registry: each masked site's rate and scope at
    ``p`` (e.g. ``"0.2 per step"``), the description and the paper."""
    import pandas as pd

    from ..recipes import site_rates

    rows = {}
    for scheme in schemes:
        check_scheme("scheme", scheme)
        base = "gal-hidden" if scheme == NAIVE_RECURRENT else scheme
        sites = {s: f"{r:g} {scope}" for s, (r, scope) in site_rates(base, p, "rnn", embedding=False).items()}
        if scheme == NAIVE_RECURRENT:
            sites["recurrent"] = sites["recurrent"].replace("per sequence", "per step")
        r = RECIPES[base]
        rows[scheme] = {"between layers": "", "output": "", "recurrent": "", "weights": "", **sites,
                        "what": NAIVE_DESCRIPTION if scheme == NAIVE_RECURRENT else r.description,
                        "paper": "bayer2013fast" if scheme == NAIVE_RECURRENT else (r.paper or "–")}
    return pd.DataFrame(rows).T.rename_axis("scheme")


def _mask(shape: tuple[int, ...], p: float, steps: int | None, g: torch.Generator | None) -> Tensor:
    """``(steps, *shape)`` keep-masks scaled by ``1/(1-p)``: fresh per step if ``steps``,
    else one mask repeated (``steps`` None → no time axis)."""
    m = bernoulli_mask(shape if steps is None else (steps, *shape), p, generator=g)
    return m / (1.0 - p)


def sample_masks(
    scheme: str, p: float, *, steps: int, batch: int, input_size: int, hidden: int,
    layers: int = 2, generator: torch.Generator | None = None,
) -> dict[str, Tensor]:
    """The masks of one forward pass of ``scheme`` at rate ``p``, each site at its recipe's
    rate and scaled by ``1/(1-rate)``.

    Shapes: ``between`` ``(layers − 1, T, B, H)``, ``output`` ``(B, H)``, ``recurrent``
    ``(layers, T, B, H)``, ``weights`` ``(layers, H, H)``. A per-sequence mask is one draw
    expanded over ``T``; between layers the mask is per step unless the recipe is ``locked``.
    """
    p = check_probability("p", p)
    d, recurrent_per_step = elman_dropouts(scheme, p)
    T, B = check_int("steps", steps, 1), check_int("batch", batch, 1)
    H, L = check_int("hidden", hidden, 1), check_int("layers", layers, 1)
    check_int("input_size", input_size, 1)
    if p == 0.0:
        return {}

    def over_time(rate: float, shape: tuple[int, ...], per_step: bool) -> Tensor:
        if per_step:
            return _mask(shape, rate, T, generator)
        return _mask(shape, rate, None, generator).expand(T, *shape)

    out: dict[str, Tensor] = {}
    if d.model_layer_dropout and L > 1:
        out["between"] = torch.stack([over_time(d.model_layer_dropout, (B, H), not d.locked)
                                      for _ in range(L - 1)])
    if d.model_output_dropout:
        out["output"] = _mask((B, H), d.model_output_dropout, None, generator)
    if d.recurrent_dropout:
        out["recurrent"] = torch.stack([over_time(d.recurrent_dropout, (B, H), recurrent_per_step)
                                        for _ in range(L)])
    if d.weight_dropout:
        out["weights"] = torch.stack([_mask((H, H), d.weight_dropout, None, generator)
                                      for _ in range(L)])
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


def mask_viewer(*, p: float = 0.5, scheme: str = NAIVE_RECURRENT, seed: int = 0,
                steps: int = 28, hidden: int = 32, interactive: bool | None = None) -> Any:
    """Show the masks of ``scheme`` over time for one example.

    ``interactive`` None: sliders (p, scheme, seed) when :func:`widgets_available`, else a
    static figure of the given setting. Returns the widget or the figure.
    """
    def draw(p: float, scheme: str, seed: int) -> plt.Figure:
        masks = sample_masks(scheme, p, steps=steps, batch=1, input_size=hidden, hidden=hidden,
                             generator=torch.Generator().manual_seed(seed))
        return plot_masks(masks, units=hidden, title=f"{scheme}, p = {p:g}")

    if interactive is None:
        interactive = widgets_available()
    if not interactive:
        return draw(p, scheme, seed)
    import ipywidgets as w

    def show(p: float, scheme: str, seed: int) -> None:
        draw(p, scheme, seed)
        plt.show()

    return w.interact(show, p=w.FloatSlider(value=p, min=0.05, max=0.9, step=0.05),
                      scheme=w.Dropdown(options=list(CHAPTER_SCHEMES), value=scheme),
                      seed=w.IntSlider(value=seed, min=0, max=20))
