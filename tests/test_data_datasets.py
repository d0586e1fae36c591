"""load_dataset on the shipped data: docs/spec.md §2 counts, POS filled, full spans, the cache."""

from __future__ import annotations

import pytest

from rinlib.data import dataset_info, load_dataset, load_dataset_with_report
from rinlib.data.readers import DATA_DIR


@pytest.fixture
def tmp_root(tmp_path):
    """A data root whose raw/ is the shipped one and whose processed/ cache is private."""
    (tmp_path / "raw").symlink_to(DATA_DIR / "raw")
    return tmp_path


def test_cache_round_trip_and_invalidation(tmp_root):
    first, rep = load_dataset_with_report("nyt11", "exact", "dev", root=tmp_root)
    cache = tmp_root / "processed" / "nyt11-exact-dev.jsonl"
    assert cache.is_file() and rep["sentences"] == 313 and rep["skips"]["total"] == 0
    again, rep2 = load_dataset_with_report("nyt11", "exact", "dev", root=tmp_root)
    assert again == first and rep2["cache_key"] == rep["cache_key"]
    other = load_dataset_with_report("nyt11", "exact", "dev", root=tmp_root, max_len=50)[1]
    assert other["cache_key"] != rep["cache_key"]  # options are part of the key
    s = first[0]
    assert s.sid == "nyt11/dev/0" and len(s.pos) == len(s.tokens) and s.triples


def test_bad_arguments_and_info():
    with pytest.raises(ValueError, match="name must be one of"):
        load_dataset("conll04")
    info = dataset_info("nyt-proxy")
    assert "proxy: trained on NYT dev" in " ".join(info["notes"]) and info["relations"] == 24


@pytest.mark.slow
def test_spec_counts_on_shipped_data():
    """docs/spec.md §2 table (about 20 s on a cold cache, under 2 s once `python -m rinlib.data prepare` ran)."""
    for split, n, triples in (("train", 5019, 11776), ("dev", 500, 1118), ("test", 703, 1591)):
        sents = load_dataset("webnlg", "exact", split)
        assert len(sents) == n and sum(len(s.triples) for s in sents) == triples
        assert all(s.pos and len(s.pos) == len(s.tokens) for s in sents)
        multi = sum(b - a > 1 for s in sents for t in s.triples for a, b in (t.subj, t.obj))
        assert multi > 0.5 * 2 * triples  # full spans recovered (~64% multi-token)
    for split, n in (("train", 4500), ("dev", 499), ("test", 5000)):
        sents = load_dataset("nyt-proxy", "partial", split)
        assert len(sents) == n and sents[0].sid.startswith(f"nyt-proxy/{split}/")
    train = {s.sid for s in load_dataset("nyt-proxy", "partial", "train")}
    dev = {s.sid.replace("/dev/", "/train/") for s in load_dataset("nyt-proxy", "partial", "dev")}
    assert not train & dev


@pytest.mark.parametrize("name, task", [("webnlg", "exact"), ("nyt-proxy", "partial")])
def test_cache_false_writes_no_cache_for_derived_data_sets(tmp_root, name, task):
    """webnlg exact and nyt-proxy are built from other splits; cache=False must reach those too."""
    sents, _ = load_dataset_with_report(name, task, "dev", root=tmp_root, cache=False)
    assert sents and not (tmp_root / "processed").exists()


def test_nyt_proxy_train_and_dev_have_no_paper_count():
    """nyt-proxy's train/dev are cut from NYT dev: Table 2 has no count to set beside them."""
    from rinlib.data import stats_table
    from tests._tiny import sentences

    tab = stats_table({("nyt-proxy", "partial", s): sentences("dev") for s in ("train", "dev", "test")})
    assert tab["paper_sentences"].isna().tolist() == [True, True, False]
    assert tab.loc[tab["split"] == "test", "paper_sentences"].item() == 5000
