"""The published recipes of dropout in recurrent networks, as :class:`seqdrop.nn.RecurrentDropout` fields.

One rate ``p`` per recipe; the other rates of a recipe are fixed multiples of ``p`` taken from
its paper, so a rate sweep moves every site of a recipe together (as Gal & Ghahramani 2016
tied their grid: x with h, i with o). Recipes that add a recurrent-site method (Semeniuta,
weight drop, zoneout) put it on top of Zaremba's masks on the non-recurrent connections, so
that a paired difference against ``zaremba`` measures what the recurrent site adds.

=============  ===================================================================  ===============================
recipe         sites (``p`` = the recipe's rate)                                    paper
=============  ===================================================================  ===============================
none           --                                                                   --
zaremba        input, between layers, output: ``p``, a fresh mask every step        Zaremba et al. 2014
gal            the same sites locked (one mask per sequence) at ``p``; recurrent    Gal & Ghahramani 2016
               ``h_{t-1}`` and embedding (word types) at ``p/2``
semeniuta      zaremba + the candidate update (LSTM ``g_t``, GRU ``n_t``) at        Semeniuta et al. 2016
               ``p/2``, a fresh mask every step
weight_drop    zaremba + DropConnect on ``W_hh`` at ``p``                           Merity et al. 2017 (Wan 2013)
zoneout        zaremba + zoneout: LSTM ``c`` at ``p`` and ``h`` at ``p/10``; GRU    Krueger et al. 2017
               and RNN ``h`` at ``p/2``
awd            locked input/output ``0.8p``, between ``0.6p``, embedding ``0.2p``,   Merity et al. 2017
               weight drop ``p`` (``p = 0.5`` gives AWD-LSTM's 0.4/0.3/0.4/0.1/0.5)
=============  ===================================================================  ===============================

The factors ``p/2`` (Gal: the large model uses 0.3 for x and h beside 0.5 for i and o),
``p/2`` for the update mask and ``p/10`` for zoneout on h (Krueger et al. recommend
``z_c = 0.5, z_h = 0.05``) are our choices where a paper gives one setting, stated here once.
For a classifier (no embedding) the ``embedding_dropout`` entry is left out.
"""
from __future__ import annotations

from typing import Any

from .._validation import check_choice, check_probability

__all__ = ["RECIPES", "PAPERS", "SITES", "recipe", "site_table", "site_matrix"]

RECIPES = ("none", "zaremba", "gal", "semeniuta", "weight_drop", "zoneout", "awd")
PAPERS = {
    "none": "",
    "zaremba": "zaremba2014recurrent",
    "gal": "gal2016theoretically",
    "semeniuta": "semeniuta2016recurrent",
    "weight_drop": "merity2018regularizing",
    "zoneout": "krueger2017zoneout",
    "awd": "merity2018regularizing",
}


#: mask sites (the course's words) -> (RecurrentDropout field(s), how often a mask is drawn)
SITES = {
    "embedding": (("embedding_dropout",), "per batch"),
    "input": (("model_input_dropout",), None),
    "between layers": (("model_layer_dropout",), None),
    "output": (("model_output_dropout",), None),
    "recurrent": (("recurrent_dropout",), "per sequence"),
    "update": (("update_dropout",), None),
    "weights": (("weight_dropout",), "per batch"),
    "state": (("zoneout_cell", "zoneout"), "per step"),
}


def _sites(p: float, locked: bool) -> dict[str, Any]:
    return dict(model_input_dropout=p, model_layer_dropout=p, model_output_dropout=p, locked=locked)


def recipe(name: str, p: float, cell: str = "lstm", *, embedding: bool = True) -> dict[str, Any]:
    """The ``RecurrentDropout`` fields of recipe ``name`` at rate ``p`` for ``cell``.

    ``embedding=False`` (a classifier) leaves out word-type embedding dropout. The result
    goes to a model as ``dropouts=`` (a dict is accepted there).
    """
    name = check_choice("recipe", name, RECIPES)
    p = check_probability("p", p)
    cell = check_choice("cell", cell, ["lstm", "gru", "rnn", "rnn_tanh", "rnn_relu"])
    if name == "none" or p == 0:
        return {}
    if name == "zaremba":
        out = _sites(p, False)
    elif name == "gal":
        out = _sites(p, True) | dict(recurrent_dropout=p / 2, embedding_dropout=p / 2)
    elif name == "semeniuta":
        out = _sites(p, False) | dict(update_dropout=p / 2, update_dropout_per_step=True)
    elif name == "weight_drop":
        out = _sites(p, False) | dict(weight_dropout=p)
    elif name == "zoneout":
        state = dict(zoneout_cell=p, zoneout=p / 10) if cell == "lstm" else dict(zoneout=p / 2)
        out = _sites(p, False) | state
    else:  # awd
        out = dict(model_input_dropout=0.8 * p, model_layer_dropout=0.6 * p, model_output_dropout=0.8 * p,
                   locked=True, embedding_dropout=0.2 * p, weight_dropout=p)
    if not embedding:
        out.pop("embedding_dropout", None)
    return out


def site_table(p: float = 0.5, cell: str = "lstm") -> list[dict[str, Any]]:
    """One row per recipe: its active fields at rate ``p`` (for a table in a notebook)."""
    return [{"recipe": name, "paper": PAPERS[name], **recipe(name, p, cell)} for name in RECIPES]


def _scope(fields: dict[str, Any], site: str) -> str:
    scope = SITES[site][1]
    if scope is not None:
        return scope
    if site == "update":
        return "per step" if fields.get("update_dropout_per_step") else "per sequence"
    return "per sequence" if fields.get("locked") else "per step"


def site_matrix(p: float = 0.5, cell: str = "lstm", *, embedding: bool = True) -> tuple[Any, Any]:
    """``(rates, scopes)``: two recipe × site DataFrames, the drop rate at each site (0 = no
    mask; zoneout lists the rate on ``c`` for the LSTM) and how often its mask is drawn."""
    import pandas as pd

    rates, scopes = {}, {}
    for name in RECIPES:
        f = recipe(name, p, cell, embedding=embedding)
        rates[name] = {site: next((float(f[k]) for k in keys if f.get(k)), 0.0) for site, (keys, _) in SITES.items()}
        scopes[name] = {site: _scope(f, site) if rates[name][site] else "" for site in SITES}
    columns = [s for s in SITES if embedding or s != "embedding"]
    return (pd.DataFrame(rates).T[columns], pd.DataFrame(scopes).T[columns])

