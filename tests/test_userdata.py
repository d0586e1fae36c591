"""Your own data (rinlib.data.folder, rinlib.userdata, ``train dataset=<folder>``): the folder's
formats, every bad input as a named error or a counted skip, a smoke run end to end with its
report and provenance, extraction and shipping from that run, and a folder without test.json."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from rinlib.__main__ import main, parse_overrides
from rinlib.config import ConfigError
from rinlib.data.errors import DataError
from rinlib.data.folder import read_folder
from rinlib.data.readers import MAX_LEN
from rinlib.inference import extract, ship
from rinlib.userdata import EXAMPLE, USER_KEY, prepare, user_config

TINY = ["lstm_hidden=16", "pair_dim=16", "pos_dim=4", "num_threads=1", "progress=false"]
"""Small dimensions on top of the smoke profile: each run takes a second or two."""


def _records(name: str) -> list[dict]:
    text = (EXAMPLE / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else [json.loads(x) for x in text.splitlines()]


def _folder(root: Path, *, train: list | None = None, dev: list | None = None, test: list | None = None,
            relations: object = None, with_test: bool = True) -> Path:
    """A copy of the example folder with some splits replaced (``test=None`` keeps the example's)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.json").write_text(json.dumps(train if train is not None else _records("train.json")))
    (root / "dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (dev if dev is not None else
                                                                            _records("dev.jsonl"))))
    if with_test:
        (root / "test.json").write_text(json.dumps(test if test is not None else _records("test.json")))
    if relations is not None:
        (root / "relations.json").write_text(json.dumps(relations))
    return root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- reading a folder

def test_example_folder_is_read_with_offsets_and_the_inventory_from_train():
    data = read_folder(EXAMPLE)
    assert {k: len(v) for k, v in data.splits.items()} == {"train": 280, "dev": 60, "test": 60}
    assert data.relations == sorted({t[1] for r in _records("train.json") for t in r["triple_list"]})
    assert data.relations_source.startswith("train.json")
    # "Lyon is a city in France ; Alice Moreau was born in Lyon .": the second Lyon, by its token offset
    rec = next(k for k, r in enumerate(_records("train.json"))
               if isinstance(r["triple_list"][-1][2], dict))
    s = data.splits["train"][rec]
    start = _records("train.json")[rec]["triple_list"][-1][2]["start"]
    assert start > 0 and s.tokens[start] == s.tokens[0]
    assert s.triples[-1].obj == (start, start + 1) and s.triples[0].subj == (0, 1)
    assert all(x.pos is not None and len(x.pos) == len(x.tokens) for x in data.splits["dev"])
    assert all(v["total"] == 0 for v in data.skips.values())


def test_json_lines_and_a_json_array_give_the_same_sentences(tmp_path):
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "b")
    (b / "train.json").unlink()
    (b / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records("train.json")))
    assert read_folder(a).splits == read_folder(b).splits


def test_relations_json_gives_the_inventory_and_train_labels_outside_it_are_skipped(tmp_path):
    folder = _folder(tmp_path / "f", relations=["works_for", "born_in", "located_in"])
    data = read_folder(folder)
    assert data.relations == ["works_for", "born_in", "located_in"] and data.relations_source == "relations.json"
    assert data.skips["train"]["by_reason"]["unknown_relation"] > 0
    (folder / "relations.json").write_text(json.dumps({"born_in": 1, "works_for": 0}))  # the rel2id form
    assert read_folder(folder).relations == ["works_for", "born_in"]


# --------------------------------------------------------------------------- bad input

GOOD = {"text": "Alice Moreau was born in Lyon .", "triple_list": [["Alice Moreau", "born_in", "Lyon"]]}


@pytest.mark.parametrize("case, file, where", [
    ("malformed_json", "train.json", "line 1"),
    ("missing_key", "train.json", "record 1, field triple_list"),
    ("mistyped_triple", "dev.jsonl", "record 0, field triple_list[0]"),
    ("bad_offset_item", "train.json", "record 0, field triple_list[0].subject"),
    ("invalid_utf8", "dev.jsonl", "line 2"),
    ("empty_train", "train.json", "no usable sentence"),
    ("empty_dev", "dev.jsonl", "no usable sentence"),
    ("missing_dev", "dev.json", "required file missing"),
    ("dev_twice", "", "both dev.json and dev.jsonl"),
])
def test_a_bad_file_is_a_named_error(tmp_path, case, file, where):
    folder = _folder(tmp_path / case)
    if case == "malformed_json":
        (folder / "train.json").write_text('[{"text": "a", "triple_list": []},')
    elif case == "missing_key":
        (folder / "train.json").write_text(json.dumps([GOOD, {"text": "No triples here ."}]))
    elif case == "mistyped_triple":
        (folder / "dev.jsonl").write_text(json.dumps({"text": "A b .", "triple_list": ["A", "born_in", "b"]}) + "\n")
    elif case == "bad_offset_item":
        (folder / "train.json").write_text(json.dumps([{"text": "A b .", "triple_list": [
            [{"text": "A", "start": "0"}, "born_in", "b"]]}]))
    elif case == "invalid_utf8":
        (folder / "dev.jsonl").write_bytes(json.dumps(GOOD).encode() + b'\n{"text": "Caf\xe9 .", "triple_list": []}\n')
    elif case == "empty_train":
        (folder / "train.json").write_text(json.dumps([{"text": "  ", "triple_list": []}]))
    elif case == "empty_dev":
        (folder / "dev.jsonl").write_text("")
    elif case == "missing_dev":
        (folder / "dev.jsonl").unlink()
    elif case == "dev_twice":
        (folder / "dev.json").write_text("[]")
    with pytest.raises(DataError) as e:
        read_folder(folder)
    assert where in str(e.value) and f"{folder / file}".rstrip("/") in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_records_are_counted_skips_and_repeats_of_train_are_counted_warnings(tmp_path):
    train = [GOOD,
             {"text": "Bruno Keller works for Atlas Motors .", "triple_list": [["Bruno Keller", "works_for", "Atlas Motors"]]},
             {"text": "", "triple_list": []},                                                   # empty text
             {"text": " ".join(["word"] * (MAX_LEN + 1)), "triple_list": []},                  # over-long
             {"text": "Chen Wei was born in Osaka .", "triple_list": [["Chen Wei", "born_in", "Kyoto"]]},  # entity
             {"text": "Lyon is in France ; Dara was born in Lyon .", "triple_list": [
                 ["Dara", "born_in", {"text": "Lyon", "start": 3}]]}]                           # wrong offset
    dev = [GOOD, {"text": "Greta Lind lives in Turin .", "triple_list": [["Greta Lind", "lives_in", "Turin"]]}]
    test = [{"text": "Ines Duarte founded Orion Software .", "triple_list": [["Ines Duarte", "founded", "Orion Software"]]},
            GOOD]                                                                                 # GOOD is in train
    data = read_folder(_folder(tmp_path / "f", train=train, dev=dev, test=test))
    assert data.skips["train"]["by_reason"] == {"empty_sentence": 1, "entity_not_found": 2, "over_long": 1}
    assert data.skips["dev"]["by_reason"] == {"unknown_relation": 1}    # lives_in is not in train's labels
    assert data.skips["test"]["by_reason"] == {"unknown_relation": 1}
    assert [len(s.triples) for s in data.splits["train"]] == [1, 1, 0, 0]
    assert data.repeated["test_in_train"] == {"count": 1, "examples": ["user/test/1"]}
    assert data.repeated["dev_in_train"]["count"] == 1
    assert "train.json#4.triple_list[0].object" in data.skips["train"]["examples"]["entity_not_found"][0]


# --------------------------------------------------------------------------- a run on a folder

@pytest.fixture(scope="module")
def user_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("user_run") / "run"
    assert main(["train", f"dataset={EXAMPLE}", "task=exact", "profile=smoke", *TINY, "--out", str(out)]) == 0
    return out


def test_train_on_a_folder_writes_report_relations_and_provenance(user_run, capsys):
    m = json.loads((user_run / "metrics.json").read_text())
    prov = json.loads((user_run / "provenance.json").read_text())
    report = json.loads((user_run / "data_report.json").read_text())
    files = {p.name: _sha(p) for p in EXAMPLE.iterdir() if p.suffix in (".json", ".jsonl")}
    assert m["dataset"] == "user:your_data" != "webnlg"
    assert m["data"]["folder"] == str(EXAMPLE.resolve()) and m["data"]["sha256"] == files
    assert prov["dataset_info"]["user_data"]["sha256"] == files and prov["n_test"] == 60
    assert m["epochs_run"] == 2 and set(m) >= {"dev", "test"}  # the smoke budget, test scored once
    assert report["splits"]["train"]["sentences"] == 280 and report["used"] == {"train": 40, "dev": 20}
    assert report["splits"]["test"]["normal"] + report["splits"]["test"]["epo"] >= 1
    assert 0 < report["vectors"]["covered_frac"] < 1
    assert json.loads((user_run / "relations.json").read_text()) == read_folder(EXAMPLE).relations
    cfg = user_config(EXAMPLE, "smoke", task="exact")
    assert cfg.extra[USER_KEY] == files and cfg.max_train == 40 and cfg.epochs == 2


def test_the_run_extracts_ships_and_its_card_command_trains_the_same_config(user_run, tmp_path, capsys):
    raw = "Alice Moreau was born in Lyon , France ."
    by_dir = extract(raw, checkpoint=user_run)  # a run dir means its model.safetensors
    assert by_dir == extract(raw, checkpoint=user_run / "model.safetensors")
    assert main(["extract", "--checkpoint", str(user_run), raw]) == 0
    assert json.loads(capsys.readouterr().out)["tokens"] == raw.split()
    dst = ship(user_run, "your-data", models_dir=tmp_path)
    card = json.loads(dst.with_suffix(".json").read_text())
    assert card["dataset"] == "user:your_data" and card["data"]["folder"] == str(EXAMPLE.resolve())
    assert card["scores"]["test"]["strict"]["n_gold"] > 0
    cmd = card["training"]["command"].split()
    assert cmd[4] == f"dataset={EXAMPLE.resolve()}"
    ov = parse_overrides(cmd[4:])
    again = user_config(ov.pop("dataset"), ov.pop("profile"), **ov)
    assert again.key() == json.loads((user_run / "metrics.json").read_text())["key"]


def test_a_checkpoint_of_another_config_names_the_restart_flag(user_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(user_run, out)
    with pytest.raises(SystemExit) as e:
        main(["train", f"dataset={EXAMPLE}", "task=exact", "profile=smoke", "seed=2", *TINY, "--out", str(out)])
    msg = str(e.value)
    assert msg.startswith("error: ") and "--restart" in msg and "--force" not in msg and "\n" not in msg


def test_a_folder_without_test_json_trains_and_scores_no_test(tmp_path, capsys):
    folder = _folder(tmp_path / "notest", with_test=False)
    out = tmp_path / "run"
    assert main(["train", f"dataset={folder}", "task=partial", "profile=smoke", *TINY, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no test.json" in printed and "no test set, so no test score" in printed
    m = json.loads((out / "metrics.json").read_text())
    assert "test" not in m and "dev" in m and not (out / "predictions_test.jsonl").exists()
    assert json.loads((out / "provenance.json").read_text())["n_test"] is None
    with pytest.raises(ConfigError, match="test.json"):
        user_config(folder, "smoke", test_curve=True)


def test_changed_files_are_caught_before_training(tmp_path):
    folder = _folder(tmp_path / "f")
    cfg = user_config(folder, "smoke")
    (folder / "dev.jsonl").write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(DataError, match=r"\['dev.jsonl'\] changed"):
        prepare(cfg)


def test_a_run_of_edited_files_is_not_resumed_but_restarted_on_request(tmp_path):
    folder, out = _folder(tmp_path / "f"), tmp_path / "run"
    argv = ["train", f"dataset={folder}", "profile=smoke", *TINY, "--out", str(out)]
    assert main(argv) == 0
    (folder / "test.json").write_text(json.dumps([GOOD]))
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert "of other contents of ['test.json']; --restart" in str(e.value) and "\n" not in str(e.value)
    assert main(argv + ["--restart"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["data"]["sha256"]["test.json"] == _sha(folder / "test.json") and m["test"]["strict"]["n_gold"] == 1


def test_vectors_of_the_wrong_dimension_are_a_one_line_error(tmp_path):
    glove = Path(__file__).parent / "fixtures" / "data" / "glove_tiny.txt"  # 4-d vectors, the run wants 100
    with pytest.raises(SystemExit) as e:
        main(["train", f"dataset={EXAMPLE}", "profile=smoke", f"glove_path={glove}", *TINY,
              "--out", str(tmp_path / "run")])
    assert str(e.value).startswith(f"error: {glove}: record line 1") and "dim=100" in str(e.value)


def test_a_dataset_that_is_neither_named_nor_a_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["train", f"dataset={tmp_path / 'missing'}", "profile=smoke"])
    assert str(e.value).startswith("error: dataset=") and "nor an existing folder" in str(e.value)
