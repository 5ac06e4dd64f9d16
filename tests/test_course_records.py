import json

import nbformat
import numpy as np
import pytest

from seqdrop.course import findings, record, record_finding, savefig
from seqdrop.course.records import RECORD_MIMETYPE, read_records
from seqdrop.course.summary import _short


def test_record_outside_ipython_prints_and_returns(capsys):
    assert record("gap", np.float32(0.25)) == np.float32(0.25)
    assert "gap = 0.25" in capsys.readouterr().out


def test_record_rejects_bad_names_and_values():
    with pytest.raises(ValueError, match="identifier"):
        record("not a name", 1)
    with pytest.raises(TypeError):
        record("obj", object())


def test_read_records_last_value_wins(tmp_path):
    nb = nbformat.v4.new_notebook()
    out = lambda n, v: nbformat.v4.new_output("display_data", data={RECORD_MIMETYPE: {"name": n, "value": v}})
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [out("acc", 0.5), out("ppl", 100.0), out("acc", 0.75)]
    nb.cells = [cell]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, str(path))
    assert read_records(path) == {"acc": 0.75, "ppl": 100.0}
    assert read_records(json.loads(path.read_text())) == {"acc": 0.75, "ppl": 100.0}


def test_savefig_writes_into_output_dir(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("SEQDROP_OUTPUT_DIR", str(tmp_path / "out"))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = savefig(fig, "line")
    plt.close(fig)
    assert path == tmp_path / "out" / "line.png" and path.stat().st_size > 1000


def test_setup_figures_is_the_course_style(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqdrop.course import setup_figures

    with matplotlib.rc_context():
        setup_figures()
        assert matplotlib.rcParams["figure.dpi"] == 100 == matplotlib.rcParams["savefig.dpi"]
        assert matplotlib.rcParams["figure.figsize"][0] <= 7
        with pytest.raises(ValueError, match="exceeds 7"):
            setup_figures(figsize=(9, 4))
        monkeypatch.setenv("SEQDROP_OUTPUT_DIR", str(tmp_path))
        fig = plt.figure(figsize=(9, 3))
        with pytest.warns(UserWarning, match="9.0 in wide"):
            savefig(fig, "wide")
        plt.close(fig)


def test_record_finding_round_trips_through_a_notebook(capsys):
    value = record_finding("locked_gain", 1.5, 0.5, 2.5, claim="locked helps", n_seeds=3,
                           unit="ppl", source="Figure 2", tags={"cell": "lstm"})
    assert "locked_gain = 1.5 [0.5, 2.5] ppl (3 seeds)" in capsys.readouterr().out
    nb = {"cells": [{"outputs": [{"data": {RECORD_MIMETYPE: {"name": "locked_gain", "value": value}}}]},
                    {"outputs": [{"data": {RECORD_MIMETYPE: {"name": "plain", "value": 2.0}}}]}]}
    found = findings(read_records(nb))
    assert list(found) == ["locked_gain"]
    assert found["locked_gain"]["low"] == 0.5 and found["locked_gain"]["n_seeds"] == 3
    assert found["locked_gain"]["tags"] == {"cell": "lstm"}
    assert _short(value) == "1.5 [0.5, 2.5]"
    assert "definition" not in value


def test_record_finding_carries_a_definition(capsys):
    from seqdrop.recipes import definition

    defn = definition("gal-half-recurrent", 0.5)
    value = record_finding("g", 1.0, 0.0, 2.0, claim="x", n_seeds=3, definition=defn)
    assert value["definition"] == defn and value["definition"] is not defn
    assert value["definition"]["dropouts"]["recurrent_dropout"] == 0.25


@pytest.mark.parametrize("kwargs, message", [
    (dict(mean=3.0, low=0.0, high=2.0), "low <= mean <= high"),
    (dict(mean=float("nan"), low=0.0, high=2.0), "finite"),
    (dict(n_seeds=0), "n_seeds"),
    (dict(claim="  "), "claim"),
    (dict(tags={"cell": 1}), "tags"),
    (dict(definition=["gal"]), "definition must be a dict"),
    (dict(definition={"p": object()}), "not JSON-ready"),
])
def test_record_finding_refuses_what_is_not_a_finding(kwargs, message):
    args = dict(mean=1.0, low=0.0, high=2.0, claim="x", n_seeds=3) | kwargs
    with pytest.raises(ValueError, match=message):
        record_finding("f", **args)
