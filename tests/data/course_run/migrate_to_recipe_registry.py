"""Rewrite this fixture's gain findings for the recipe registry (seqdrop.recipes), once.

The fixture was recorded before the registry, when chapters named recipes by old, ambiguous
names (03's ``gal`` was what the registry calls ``gal-half-recurrent``; 05's ``gal`` is the
registry's ``gal``). For each gain finding this script

- renames the recipe to its registry name (tag ``variant`` → ``recipe``, the finding's name
  and the recipe's name in its sentence), as the chapters now record it;
- adds the ``split`` tag, read from the metric (``val_*``: validation, ``test_*``: test);
- adds the recipe's canonical definition (``seqdrop.recipes.definition``) where the run's
  parameters fix the rate: chapters 02, 03 and 04 ran every recipe at one rate (the notebooks'
  defaults, which this run used). Chapters 05 and 06 chose each recipe's rate on validation
  data and did not record it, so their gains keep no definition: chapter 10 pools them with
  nothing.

Numbers are not touched. Run from the repository root: ``python
tests/data/course_run/migrate_to_recipe_registry.py``; a second run changes nothing.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from seqdrop.course.mask_sites import NAIVE_RECURRENT, scheme_definition
from seqdrop.course.recipe_gains import gain_name, split_of
from seqdrop.recipes import definition

PATH = Path(__file__).with_name("summary.json")
PUBLISHED_03_04 = {"zaremba": "zaremba", "gal": "gal-half-recurrent",
                   "semeniuta": "zaremba+semeniuta", "weight_drop": "zaremba+weight-drop",
                   "zoneout": "zaremba+zoneout", "awd": "awd"}
ONE_RECIPE_05_06 = {"zaremba": "zaremba", "gal": "gal", "weight_drop": "weight-drop",
                    "input": "input-types"}
#: chapter → (old name → registry name, rate or None, embedding); 02's old tag names too
CHAPTERS = {
    "02": ({"zaremba": "zaremba-hidden", "locked": "locked-hidden", "per_step": NAIVE_RECURRENT,
            "gal": "gal-hidden", "weight_drop": "locked-hidden+weight-drop"}, 0.2),
    "03": (PUBLISHED_03_04, 0.5),
    "04": (PUBLISHED_03_04, None),  # 0.5 on PTB, digits_p = 0.3 on the spoken digits
    "05": (ONE_RECIPE_05_06, None),
    "06": (ONE_RECIPE_05_06, None),
}
#: the names chapter 02 printed in its sentences
SENTENCE_02 = {"between": "zaremba", "recurrent_step": "per_step"}


def _definition(chapter: str, recipe: str, tags: dict) -> dict | None:
    cell = {"rnn": "rnn_tanh"}.get(tags["cell"], tags["cell"])
    if chapter == "02":
        return scheme_definition(recipe, 0.2)
    if chapter == "03":
        return definition(recipe, 0.5, cell)
    if chapter == "04":
        lm = tags["data"] == "ptb-word"
        return definition(recipe, 0.5 if lm else 0.3, cell, embedding=lm)
    return None


def migrate(summary: dict) -> int:
    changed = 0
    for entry in summary["notebooks"]:
        chapter = entry["notebook"][:2]
        records = entry.get("records") or {}
        out = {}
        for name, value in records.items():
            tags = value.get("tags") if isinstance(value, dict) else None
            if not tags or "variant" not in tags:
                out[name] = value
                continue
            if chapter not in CHAPTERS:  # 08: a recipe tag, not a gain
                tags["recipe"] = tags.pop("variant")
                out[name] = value
                changed += 1
                continue
            names, p = CHAPTERS[chapter]
            old = tags.pop("variant")
            new = names[old]
            defn = _definition(chapter, new, tags)
            tags["recipe"] = new
            tags["split"] = split_of(tags["metric"])
            said = {v: k for k, v in SENTENCE_02.items()}.get(old, old) if chapter == "02" else old
            rate = f" at p = {defn['p']:g}" if defn else ""
            value["claim"] = re.sub(rf", {re.escape(said)} is ([+-])", rf", {new}{rate} is \1",
                                    value["claim"], count=1)
            value["source"] += f" ({tags['split']} data)"
            if defn is not None:
                value["definition"] = defn
            out[gain_name(chapter, tags["data"], tags["cell"], new)] = value
            changed += 1
        entry["records"] = out
    return changed


if __name__ == "__main__":
    summary = json.loads(PATH.read_text(encoding="utf-8"))
    n = migrate(summary)
    PATH.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"{n} findings rewritten in {PATH}")
