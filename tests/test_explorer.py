"""Interaction explorer: per-layer shapes, last layer == ordinary prediction, fixed/broken
counting by hand, model choice, figures, and the widget cell's static fallback."""

from __future__ import annotations

import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from _tiny import relations, sentences, tiny_config, tiny_prepared  # noqa: E402
from rinlib import explorer, inference  # noqa: E402
from rinlib.reporting import explorer_view, figures  # noqa: E402
from rinlib.checkpoint import load_model  # noqa: E402
from rinlib.records import Triple  # noqa: E402
from rinlib.predict import encode, predict  # noqa: E402
from rinlib.training import train  # noqa: E402


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny model trained for a few seconds on the fixture (K = 2, so three layers)."""
    out = tmp_path_factory.mktemp("explorer_run")
    cfg = tiny_config(epochs=12, lr=1e-2, dropout=0.0, lstm_hidden=32, pair_dim=32)
    train(cfg, out, prepared=tiny_prepared(cfg, train_on_dev=True))
    model, meta = load_model(out / "model.safetensors")
    return out, model, meta


def test_layer_view_shapes(tiny_run):
    _, model, meta = tiny_run
    s = sentences("test")[0]
    view = explorer.layer_view(model, meta, s)
    n, R = len(s.tokens), len(relations())
    assert len(view.layers) == meta["config"]["K"] + 1 == 3
    for k, layer in enumerate(view.layers):
        assert layer.k == k
        assert layer.tag_probs.shape == (n, 5)
        np.testing.assert_allclose(layer.tag_probs.sum(-1), 1.0, atol=1e-5)
        assert layer.rel_probs.shape == (n, n, R)
        assert len(layer.tags) == n
        assert view.heatmap(k).shape == (n, n)
        assert view.heatmap(k, relations()[0]).shape == (n, n)
    assert list(view.tag_table().columns) == ["token", "gold", "tag L0", "p L0", "tag L1", "p L1", "tag L2", "p L2"]
    assert set(view.triple_changes()["change"]) <= {"appeared", "disappeared"}
    with pytest.raises(explorer.ExplorerError, match="unknown relation"):
        view.heatmap(0, "noSuchRelation")


def test_last_layer_equals_predict(tiny_run):
    """Decoding the last layer is exactly the model's ordinary strict prediction."""
    _, model, meta = tiny_run
    sents = sentences("train") + sentences("test")
    per_layer = explorer.layer_triples(model, meta, sents, batch_size=7)
    preds = predict(model, encode(sents, meta["words"], meta["pos"], meta["relations"]), meta["relations"])
    assert [layers[-1] for layers in per_layer] == [p.triples for p in preds]
    assert any(p.triples for p in preds), "the tiny model should predict some triples"
    views = [explorer.layer_view(model, meta, s) for s in sents[:3]]
    assert [v.layers[-1].triples for v in views] == [p.triples for p in preds[:3]]


def test_tokens_input_and_sentence_selection(tiny_run):
    _, model, meta = tiny_run
    test = sentences("test")
    view = explorer.layer_view(model, meta, test[1].tokens)
    assert view.sentence.tokens == test[1].tokens and view.gold == set()
    assert len(view.sentence.pos) == len(test[1].tokens)
    text = "Alan Bean was born in Wheeler, Texas. He was a test pilot."
    raw = explorer.layer_view(model, meta, text)
    assert raw.sentence.tokens == inference.tokenize(text, "webnlg")  # the extraction API's tokenizer
    assert raw.sentence.tokens[6:9] == [",", "Texas", "."]
    assert explorer.select_sentence(test, test[2].sid) is test[2]
    assert explorer.select_sentence(test, 2) is test[2]
    with pytest.raises(explorer.ExplorerError, match="out of range"):
        explorer.select_sentence(test, 99)
    with pytest.raises(explorer.ExplorerError, match="no sentence with sid"):
        explorer.select_sentence(test, "nope")
    with pytest.raises(explorer.ExplorerError, match="empty"):
        explorer.layer_view(model, meta, [])


def _t(a: int, rel: str = "r") -> Triple:
    return Triple((a, a + 1), rel, (a + 2, a + 3))


def test_fixed_broken_hand_made():
    """gold {a,b,c}; layer0 {a}, layer1 {a,b}, layer2 {b,c}: fixed 1 then 1, broken 0 then 1."""
    a, b, c, x = _t(0), _t(1), _t(2), _t(5)
    df = explorer.fixed_broken([{a, b, c}], [[{a}, {a, b}, {b, c, x}]], "exact")
    assert list(df["transition"]) == ["0→1", "1→2"]
    assert list(df["fixed"]) == [1, 1] and list(df["broken"]) == [0, 1] and list(df["net"]) == [1, 0]
    assert list(df["correct_before"]) == [1, 2] and list(df["correct_after"]) == [2, 2]
    assert list(df["appeared"]) == [1, 2] and list(df["disappeared"]) == [0, 1]
    assert list(df["wrong_appeared"]) == [0, 1] and list(df["wrong_disappeared"]) == [0, 0]
    assert set(df["n_gold"]) == {3} and set(df["task"]) == {"exact"}


def test_fixed_broken_uses_the_task_match_key():
    """Partial match compares anchors: a wider subject span is still right; exact says wrong."""
    gold = Triple((0, 2), "r", (3, 4))
    wide = Triple((1, 2), "r", (3, 4))
    partial = explorer.fixed_broken([{gold}], [[set(), {wide}]], "partial")
    exact = explorer.fixed_broken([{gold}], [[set(), {wide}]], "exact")
    assert partial["fixed"].tolist() == [1] and exact["fixed"].tolist() == [0]
    with pytest.raises(explorer.ExplorerError, match="different numbers of layers"):
        explorer.fixed_broken([set(), set()], [[set()], [set(), set()]], "exact")
    with pytest.raises(explorer.ExplorerError, match="sentences"):
        explorer.fixed_broken([set()], [], "exact")


def test_test_set_layers(tiny_run):
    _, model, meta = tiny_run
    sents = sentences("train")
    study = explorer.test_set_layers(model, meta, sents, batch_size=8)
    assert study.task == "exact" and len(study.triples) == len(sents)
    assert len(study.transitions) == 2 and list(study.scores["layer"]) == [0, 1, 2]
    # correct-after of one transition is correct-before of the next, and the last one is the model's score
    assert study.transitions["correct_after"].iloc[0] == study.transitions["correct_before"].iloc[1]
    assert study.transitions["correct_after"].iloc[-1] == study.scores["n_correct"].iloc[-1]
    fixed_minus_broken = study.transitions["net"].sum()
    assert fixed_minus_broken == study.scores["n_correct"].iloc[-1] - study.scores["n_correct"].iloc[0]


def test_find_model_prefers_shipped_then_full_run(tmp_path, tiny_run):
    out, _, _ = tiny_run
    models, runs = tmp_path / "models", tmp_path / "runs"
    full = runs / "full" / "webnlg" / "exact" / "rin" / "K3" / "seed2"
    full.mkdir(parents=True)
    (full / "model.safetensors").write_bytes((out / "model.safetensors").read_bytes())
    (full / "metrics.json").write_text("{}")
    path, source = explorer.find_model("webnlg", "exact", "smoke", models, runs)
    assert (path, source) == (full / "model.safetensors", "full run")
    models.mkdir()
    (models / "webnlg-exact.safetensors").write_bytes((out / "model.safetensors").read_bytes())
    em = explorer.load_explorer_model("webnlg", "exact", "smoke", models_dir=models, runs_root=runs)
    assert em.source == "shipped" and em.path == models / "webnlg-exact.safetensors"
    prov = em.provenance()
    assert prov["protocol"] == "strict" and prov["label"] == "REDUCED (test profile)"
    table = explorer.with_provenance(explorer.fixed_broken([set()], [[set(), set()]], "exact"), {"exact": em})
    assert table["model_source"].tolist() == ["shipped"]


def test_figures_build_and_save(tiny_run, tmp_path):
    _, model, meta = tiny_run
    view = explorer.layer_view(model, meta, sentences("test")[0])
    for fig in (explorer_view.plot_tag_layers(view, "caption"),
                explorer_view.plot_layer_heatmaps(view, None, "caption"),
                explorer_view.plot_layer_heatmaps(view, relations()[0])):
        assert fig.axes
    study = explorer.test_set_layers(model, meta, sentences("test"))
    fig = explorer_view.plot_fixed_broken(study.transitions, study.scores, "caption")
    paths = figures.save_figure(fig, tmp_path / "fb")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 0 for p in paths)


def test_widget_cell_falls_back_without_ipywidgets(tiny_run, monkeypatch, capsys):
    """No ipywidgets (import fails) → the static view, no error, even when widgets are asked for."""
    _, model, meta = tiny_run
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` raise ImportError
    monkeypatch.setenv("JPY_SESSION_NAME", "x.ipynb")
    tokens = sentences("test")[0].tokens
    for interactive in (None, True):
        view = explorer_view.show_explorer(model, meta, tokens, interactive=interactive)
        assert isinstance(view, explorer.LayerView) and view.sentence.tokens == tokens
    assert "ipywidgets is not installed" in capsys.readouterr().out


def test_widget_cell_is_static_under_papermill(tiny_run, monkeypatch):
    """With ipywidgets installed but no Jupyter server (papermill/nbval), the view is static."""
    _, model, meta = tiny_run
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    view = explorer_view.show_explorer(model, meta, sentences("test")[0])
    assert isinstance(view, explorer.LayerView)


def _mimes(outputs) -> list[str]:
    return [m for o in outputs for m in o.get("data", {})]


def test_widget_updates_draw_images_not_figure_reprs(tiny_run, monkeypatch):
    """The widget's update callback fills its output area with image data (not "<Figure size ...>")
    on the first render and after each control changes, whatever MPLBACKEND is."""
    pytest.importorskip("ipywidgets")
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("MPLBACKEND", "Agg")
    InteractiveShell.instance()  # the formatter an ipywidgets Output uses
    _, model, meta = tiny_run
    test = sentences("test")
    app = explorer_view.show_explorer(model, meta, test[0], interactive=True, test=test)
    assert isinstance(app, explorer_view.ExplorerApp)
    assert app.relation.value == explorer_view.MAX_OVER_RELATIONS  # never a blank menu
    assert _mimes(app.out.outputs).count("image/png") == 2  # tags per layer and pair heatmaps
    for change in (lambda: setattr(app.text, "value", "Alan Bean was born in Wheeler , Texas ."),
                   lambda: setattr(app.relation, "value", meta["relations"][0]),
                   lambda: setattr(app.relation, "value", explorer_view.MAX_OVER_RELATIONS),
                   lambda: setattr(app.picker, "value", 3),
                   lambda: setattr(app.layer, "value", 1)):
        app.out.outputs = ()
        change()
        assert _mimes(app.out.outputs).count("image/png") == 2
        bare = [o for o in app.out.outputs if o.get("data", {}).get("text/plain", "").startswith("<Figure size")
                and "image/png" not in o["data"]]
        assert not bare
    assert app.relation.value == explorer_view.MAX_OVER_RELATIONS
    assert app.text.value == " ".join(test[3].tokens) and app._item() is test[3]
    one = explorer_view.plot_layer_heatmaps(explorer.layer_view(model, meta, test[3]), layers=[1])
    assert [a.get_title().split(":")[0] for a in one.axes if a.get_visible() and a.get_title()] == ["layer 1"]


def test_find_model_falls_back_to_the_profile_run(tmp_path, tiny_run, monkeypatch):
    """No shipped model and no finished full run → the profile's Table 1 RIN run via the sweep."""
    from types import SimpleNamespace

    from rinlib import runs as sweep

    out, _, _ = tiny_run
    asked = []

    def fake_run(configs):
        asked.extend(configs)
        return [SimpleNamespace(out_dir=out)]
    monkeypatch.setattr(sweep, "run", fake_run)
    path, source = explorer.find_model("webnlg", "exact", "smoke", tmp_path / "models", tmp_path / "runs")
    assert (path, source) == (out / "model.safetensors", "smoke run")
    assert [(c.dataset, c.task, c.variant, c.profile, c.seed) for c in asked] == [("webnlg", "exact", "rin", "smoke", 1)]
