"""Named dropout recipes for recurrent networks: one registry, one meaning per name.

A *recipe* is where the masks of a recurrent network go and at which rates, as a function of
one rate ``p``: :func:`recipe` turns a name, ``p`` and the cell into a frozen
:class:`seqdrop.nn.RecurrentDropout` that every model of :mod:`seqdrop.models` takes as
``dropouts=``. The other rates of a recipe are fixed multiples of ``p`` (the ``p/2`` of
``gal-half-recurrent`` is part of its name's definition), so a rate sweep moves every site of
a recipe together, as Gal & Ghahramani (2016) tied their grid.

Rules of the registry (tested in ``tests/test_recipe_registry.py``):

- every name is unique and means one definition; a variation gets its own name
  (``gal`` vs ``gal-half-recurrent``), never a reused one;
- a compound is named by its parts, ``a+b``, and is exactly the union of its parts at their
  rate factors (``zaremba+zoneout`` is Zaremba's masks *and* zoneout, so its gain is not
  credited to zoneout alone);
- a recipe's identity is its definition (:func:`definition`: the ``RecurrentDropout``'s active
  fields), not its name: findings carry it, and results are pooled only where it is equal
  (:func:`identity`).

``embedding=False`` builds a recipe for a model without a word embedding (a classifier of
features): word-type embedding dropout is left out, and ``input-types`` drops whole feature
channels instead of word types. :func:`recipe_table` tabulates sites, rates and scopes,
:func:`recipe_source` is the code that defines a recipe (what a chapter shows its reader).

The factors ``p/2`` (Gal: the large model uses 0.3 for x and h beside 0.5 for i and o),
``p/2`` for Semeniuta's update mask in a compound and ``p/10`` for zoneout on ``h`` (Krueger
et al. recommend ``z_c = 0.5, z_h = 0.05``) are the course's choices where a paper gives one
setting; they are stated once, here.
"""
from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._validation import ParameterError, check_choice, check_probability
from .nn import RecurrentDropout

__all__ = ["Recipe", "RECIPES", "CELLS", "SITES", "recipe", "definition", "identity",
           "recipe_names", "recipe_table", "recipe_source", "recipe_markdown"]

#: the cells a recipe can be built for (torch's names, lower case)
CELLS = ("lstm", "gru", "rnn", "rnn_tanh", "rnn_relu")

Fields = dict[str, Any]
Builder = Callable[[float, str, bool], Fields]


@dataclass(frozen=True)
class Recipe:
    """One named recipe: its fields at rate ``p`` (``build(p, cell, embedding)``), a one-line
    description, the paper (a key of ``book/references.bib``) and, for a compound, its parts
    as ``(name, rate factor)``."""

    name: str
    description: str
    paper: str
    build: Builder
    parts: tuple[tuple[str, float], ...] = ()

    def __call__(self, p: float, cell: str = "lstm", *, embedding: bool = True) -> RecurrentDropout:
        return recipe(self.name, p, cell, embedding=embedding)

    @property
    def compound(self) -> bool:
        return bool(self.parts)


RECIPES: dict[str, Recipe] = {}


def _register(name: str, description: str, paper: str) -> Callable[[Builder], Builder]:
    def add(build: Builder) -> Builder:
        if name in RECIPES:
            raise ValueError(f"recipe {name!r} is registered twice")
        RECIPES[name] = Recipe(name, description, paper, build)
        return build
    return add


def _compound(parts: Mapping[str, float], description: str) -> None:
    """Register ``a+b``: the union of the parts' fields, each part at ``factor × p``."""
    name = "+".join(parts)
    missing = [n for n in parts if n not in RECIPES]
    if missing or name in RECIPES:
        raise ValueError(f"compound {name!r}: unknown part(s) {missing} or registered twice")

    def build(p: float, cell: str, embedding: bool) -> Fields:
        out: Fields = {}
        for part, factor in parts.items():
            for key, value in RECIPES[part].build(p * factor, cell, embedding).items():
                if key in out and out[key] != value:
                    raise ValueError(f"compound {name!r}: parts disagree on {key}")
                out[key] = value
        return out

    papers = ", ".join(dict.fromkeys(RECIPES[n].paper for n in parts if RECIPES[n].paper))
    RECIPES[name] = Recipe(name, description, papers, build, tuple(parts.items()))


def _stack(p: float, locked: bool, *, inputs: bool = True) -> Fields:
    """Zaremba's non-recurrent sites at ``p``: the stack's input (unless ``inputs`` is
    False), between layers, its output; ``locked``: one mask per sequence."""
    sites = dict(model_layer_dropout=p, model_output_dropout=p, locked=locked)
    return dict(model_input_dropout=p) | sites if inputs else sites


# -------------------------------------------------------------------------- the recipes
@_register("none", "no dropout (the baseline every gain is measured against)", "")
def _none(p: float, cell: str, embedding: bool) -> Fields:
    return {}


@_register("zaremba", "input, between layers and output at p, a fresh mask every step; "
           "nothing on the recurrent connection", "zaremba2014recurrent")
def _zaremba(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=False)


@_register("locked", "input, between layers and output at p, one mask per sequence "
           "(Gal's non-recurrent sites)", "gal2016theoretically")
def _locked(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=True)


@_register("gal", "locked input, between layers and output, and the recurrent h_{t-1}, all "
           "at p, one mask per sequence", "gal2016theoretically")
def _gal(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=True) | dict(recurrent_dropout=p)


@_register("gal-half-recurrent", "locked input, between layers and output at p; recurrent "
           "h_{t-1} and word types at p/2", "gal2016theoretically")
def _gal_half_recurrent(p: float, cell: str, embedding: bool) -> Fields:
    out = _stack(p, locked=True) | dict(recurrent_dropout=p / 2)
    return out | dict(embedding_dropout=p / 2) if embedding else out


@_register("gal-untied", "gal with one recurrent mask per gate (untied weights; gated cells "
           "only)", "gal2016theoretically")
def _gal_untied(p: float, cell: str, embedding: bool) -> Fields:
    if cell.startswith("rnn"):
        raise ParameterError("recipe 'gal-untied' needs a gated cell (lstm or gru): the Elman "
                             "RNN has a single gate")
    return _gal(p, cell, embedding) | dict(untied_masks=True)


@_register("gal-batch", "gal with the recurrent mask shared by the whole batch (column weight "
           "drop, runs fused)", "merity2018regularizing")
def _gal_batch(p: float, cell: str, embedding: bool) -> Fields:
    return _gal(p, cell, embedding) | dict(recurrent_dropout_mode="batch")


@_register("input-types", "whole input types at p: word types (embedding rows) with an "
           "embedding, else feature channels, one mask per sequence", "gal2016theoretically")
def _input_types(p: float, cell: str, embedding: bool) -> Fields:
    return dict(embedding_dropout=p) if embedding else dict(model_input_dropout=p, locked=True)


@_register("weight-drop", "DropConnect on the recurrent weights W_hh at p, one mask per "
           "forward pass; nothing else", "merity2018regularizing")
def _weight_drop(p: float, cell: str, embedding: bool) -> Fields:
    return dict(weight_dropout=p)


@_register("semeniuta", "the candidate update (LSTM g_t, GRU n_t, RNN pre-activation) at p, "
           "a fresh mask every step", "semeniuta2016recurrent")
def _semeniuta(p: float, cell: str, embedding: bool) -> Fields:
    return dict(update_dropout=p, update_dropout_per_step=True)


@_register("zoneout", "zoneout: LSTM cell c at p and h at p/10; GRU and RNN h at p/2",
           "krueger2017zoneout")
def _zoneout(p: float, cell: str, embedding: bool) -> Fields:
    return dict(zoneout_cell=p, zoneout=p / 10) if cell == "lstm" else dict(zoneout=p / 2)


@_register("awd", "AWD-LSTM: locked input 0.8p, between 0.6p, output 0.8p, word types 0.2p, "
           "weight drop p (p = 0.5 gives 0.4/0.3/0.4/0.1/0.5)", "merity2018regularizing")
def _awd(p: float, cell: str, embedding: bool) -> Fields:
    out = dict(model_input_dropout=0.8 * p, model_layer_dropout=0.6 * p,
               model_output_dropout=0.8 * p, locked=True, weight_dropout=p)
    return out | dict(embedding_dropout=0.2 * p) if embedding else out


_compound({"zaremba": 1.0, "semeniuta": 0.5},
          "Zaremba's masks at p plus Semeniuta's update mask at p/2 (fresh every step)")
_compound({"zaremba": 1.0, "weight-drop": 1.0},
          "Zaremba's masks at p plus DropConnect on W_hh at p")
_compound({"zaremba": 1.0, "zoneout": 1.0},
          "Zaremba's masks at p plus zoneout (LSTM c at p, h at p/10; GRU/RNN h at p/2)")


# The hidden-site recipes of chapter 02 (a classifier of raw pixels: the input is not dropped)
@_register("zaremba-hidden", "between layers and output at p, a fresh mask every step; the "
           "input is not dropped", "zaremba2014recurrent")
def _zaremba_hidden(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=False, inputs=False)


@_register("locked-hidden", "between layers and output at p, one mask per sequence; the input "
           "is not dropped", "gal2016theoretically")
def _locked_hidden(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=True, inputs=False)


@_register("gal-hidden", "locked between layers and output, and the recurrent h_{t-1}, all at "
           "p; the input is not dropped", "gal2016theoretically")
def _gal_hidden(p: float, cell: str, embedding: bool) -> Fields:
    return _stack(p, locked=True, inputs=False) | dict(recurrent_dropout=p)


_compound({"locked-hidden": 1.0, "weight-drop": 1.0},
          "locked between layers and output at p plus DropConnect on W_hh at p")


# -------------------------------------------------------------------------- building
def recipe_names(*, compound: bool | None = None) -> list[str]:
    """The registered names (only compounds, or only non-compounds, if ``compound`` is set)."""
    return [n for n, r in RECIPES.items() if compound is None or r.compound == compound]


def _fields(name: str, p: float, cell: str, embedding: bool) -> Fields:
    name = check_choice("recipe", name, list(RECIPES))
    p = check_probability("p", p)
    cell = check_choice("cell", cell, list(CELLS))
    return {} if p == 0 else RECIPES[name].build(p, cell, bool(embedding))


def recipe(name: str, p: float, cell: str = "lstm", *, embedding: bool = True) -> RecurrentDropout:
    """The :class:`~seqdrop.nn.RecurrentDropout` of recipe ``name`` at rate ``p`` for ``cell``.

    ``p = 0`` is every recipe's no-dropout point. ``embedding=False``: a model without a word
    embedding (see the module docstring). Unknown names, rates outside ``[0, 1)`` and cells a
    recipe cannot run on raise :class:`seqdrop.ParameterError` naming the value.

    >>> recipe("gal-half-recurrent", 0.5).active()["recurrent_dropout"]
    0.25
    """
    dropouts = RecurrentDropout(**_fields(name, p, cell, embedding))
    dropouts.check_cell({"lstm": "LSTM", "gru": "GRU"}.get(cell, "RNN_TANH"))
    return dropouts


def definition(name: str, p: float, cell: str = "lstm", *, embedding: bool = True) -> dict[str, Any]:
    """The canonical, JSON-ready definition of a recipe as run: ``{"recipe", "p", "cell",
    "dropouts"}``, ``dropouts`` being the ``RecurrentDropout``'s active fields. A finding
    carries it, so that two results are pooled only when :func:`identity` is equal."""
    dropouts = recipe(name, p, cell, embedding=embedding)
    return {"recipe": name, "p": float(p), "cell": cell, "dropouts": dropouts.active()}


def identity(defn: Mapping[str, Any] | RecurrentDropout | None) -> str | None:
    """What makes two recipes the same: the canonical JSON of the dropout fields (of a
    :func:`definition`, a ``dropouts`` mapping, or a ``RecurrentDropout``); None for None.

    Equal identities mean the same masks at the same rates whatever the names: the name, the
    rate ``p`` and the cell are left out. Any other key of a definition (e.g. chapter 02's
    ``"recurrent_mask": "per step"``, a scheme no library option implements) is part of it.
    """
    if defn is None:
        return None
    if isinstance(defn, RecurrentDropout):
        return json.dumps({"dropouts": defn.active()}, sort_keys=True)
    if not isinstance(defn, Mapping):
        raise ParameterError(f"a recipe definition must be a mapping, got {defn!r}")
    if "dropouts" not in defn:
        defn = {"dropouts": defn}
    fields = defn["dropouts"]
    if not isinstance(fields, Mapping):
        raise ParameterError(f"a recipe definition's dropouts must be a mapping, got {fields!r}")
    extra = {k: v for k, v in defn.items() if k not in ("recipe", "p", "cell", "dropouts")}
    fields = RecurrentDropout.coerce(dict(fields)).active()  # validated, defaults dropped
    return json.dumps({"dropouts": fields, **extra}, sort_keys=True)


# -------------------------------------------------------------------------- showing
#: mask sites (the course's words) -> (RecurrentDropout field(s), how often a mask is drawn)
SITES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "embedding": (("embedding_dropout",), "per batch"),
    "input": (("model_input_dropout",), None),
    "between layers": (("model_layer_dropout",), None),
    "output": (("model_output_dropout",), None),
    "recurrent": (("recurrent_dropout",), None),
    "update": (("update_dropout",), None),
    "weights": (("weight_dropout",), "per batch"),
    "state": (("zoneout_cell", "zoneout"), "per step"),
}


def _scope(f: RecurrentDropout, site: str) -> str:
    scope = SITES[site][1]
    if scope is not None:
        return scope
    if site == "recurrent":
        base = "per batch" if f.recurrent_dropout_mode == "batch" else "per sequence"
        return base + (", per gate" if f.untied_masks else "")
    if site == "update":
        return "per step" if f.update_dropout_per_step else "per sequence"
    return "per sequence" if f.locked else "per step"


def site_rates(name: str, p: float, cell: str = "lstm", *,
               embedding: bool = True) -> dict[str, tuple[float, str]]:
    """``{site: (rate, scope)}`` for the sites recipe ``name`` masks at ``p`` (the state site
    gives zoneout's rate on ``c`` for the LSTM)."""
    f = recipe(name, p, cell, embedding=embedding)
    out = {}
    for site, (keys, _) in SITES.items():
        rate = next((float(getattr(f, k)) for k in keys if getattr(f, k)), 0.0)
        if rate:
            out[site] = (rate, _scope(f, site))
    return out


def recipe_table(names: Iterable[str] | None = None, p: float = 0.5, cell: str = "lstm", *,
                 embedding: bool = True) -> tuple[Any, Any]:
    """``(rates, scopes)``: two recipe × site DataFrames computed from the registry, the drop
    rate at each site (0 = no mask) and how often its mask is drawn."""
    import pandas as pd

    names = list(RECIPES if names is None else names)
    rates, scopes = {}, {}
    for name in names:
        sites = site_rates(name, p, cell, embedding=embedding)
        rates[name] = {s: sites.get(s, (0.0, ""))[0] for s in SITES}
        scopes[name] = {s: sites.get(s, (0.0, ""))[1] for s in SITES}
    columns = [s for s in SITES if embedding or s != "embedding"]
    return (pd.DataFrame(rates).T.reindex(columns=columns),
            pd.DataFrame(scopes).T.reindex(columns=columns))


def recipe_source(name: str) -> str:
    """The code that defines recipe ``name``: its builder function, and for a compound the
    rule that joins its parts followed by each part's code (what a chapter shows)."""
    r = RECIPES[check_choice("recipe", name, list(RECIPES))]
    if not r.compound:
        return inspect.getsource(r.build).rstrip()
    join = " + ".join(part if f == 1 else f"{part} at {f:g}·p" for part, f in r.parts)
    head = f"# {name} = {join}: the union of its parts' fields"
    return "\n\n".join([head, *(recipe_source(part) for part, _ in r.parts)])


def recipe_markdown(p: float = 0.5, cell: str = "lstm") -> str:
    """The registry as a Markdown table: name, sites with rate and scope at ``p``, paper."""
    lines = [f"| recipe | sites: rate, scope (p = {p:g}, {cell}) | paper | description |",
             "|---|---|---|---|"]
    for name, r in RECIPES.items():
        try:
            sites = site_rates(name, p, cell)
        except ParameterError as exc:
            cell_text = f"({exc})"
        else:
            cell_text = "; ".join(f"{s} {v:g} {scope}" for s, (v, scope) in sites.items()) or "–"
        lines.append(f"| `{name}` | {cell_text} | {r.paper or '–'} | {r.description} |")
    return "\n".join(lines)
