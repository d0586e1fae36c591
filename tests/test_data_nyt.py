"""The NYT train split the kit cannot ship: the error a user sees, checksum checks, nyt-proxy;
and which exact mention gives an NYT* argument its full span."""

from __future__ import annotations

from pathlib import Path

import pytest

from rinlib.data import DataError, load_dataset, nyt_proxy_split
from rinlib.data.nyt import NYT_PROXY_SEED, attach_full_spans, git_blob_sha1, resolve_train_file
from rinlib.data.readers import load_relations, read_casrel

FIX = Path(__file__).parent / "fixtures" / "data"


def test_proxy_split_is_fixed_disjoint_and_sized():
    for n, rest in ((4999, 499), (5000, 500)):
        tr, dv = nyt_proxy_split(n)
        assert (tr, dv) == nyt_proxy_split(n)
        assert len(tr) == 4500 and len(dv) == rest and not set(tr) & set(dv)
        assert sorted(tr + dv) == list(range(n))
    assert nyt_proxy_split(4999) != nyt_proxy_split(4999, seed=NYT_PROXY_SEED + 1)
    assert nyt_proxy_split(5000)[1][:3] == [3, 20, 22]  # pinned: changing the split is a visible change


@pytest.mark.parametrize("task,env,sha1", [("partial", "RIN_NYT_TRAIN", "fa19372b0fb2b433879dbae7e251d754f38bb6db"),
                                           ("exact", "RIN_NYT_EXACT_TRAIN", "dfde22597765e9176691e89e2ee5cfb6fa242d17")])
def test_missing_train_error_names_file_variable_sha1_and_proxy(monkeypatch, task, env, sha1):
    monkeypatch.delenv(env, raising=False)
    with pytest.raises(DataError) as e:
        load_dataset("nyt", task, "train")
    msg = str(e.value)
    assert env in msg and sha1 in msg and "nyt-proxy" in msg and "field train split" in msg


def test_nyt10_train_missing_says_so(monkeypatch):
    monkeypatch.delenv("RIN_NYT10_TRAIN", raising=False)
    with pytest.raises(DataError, match="nyt10 exact training split is not shipped.*RIN_NYT10_TRAIN"):
        load_dataset("nyt10", "exact", "train")


def test_user_file_is_checksum_verified(tmp_path, monkeypatch):
    fake = tmp_path / "train_triples.json"
    fake.write_text("[]")
    assert git_blob_sha1(fake) == "0637a088a01e8ddab3bf3fa98dbe804cbde1a0dc"  # = git hash-object
    monkeypatch.setenv("RIN_NYT_TRAIN", str(fake))
    with pytest.raises(DataError, match="git blob SHA-1 0637a0.* != expected fa19372b"):
        resolve_train_file("nyt", "partial")
    with pytest.raises(DataError, match="missing file"):
        resolve_train_file("nyt", "partial", tmp_path / "absent.json")


def test_each_triple_takes_its_own_mention_when_another_shares_relation_and_last_word():
    """NYT test 1189 and 1906: "Florida contains Beach" must be Boynton/Miami Beach, not the
    first "... Beach" another contains-triple ends at. In 1906 "North Carolina contains Beach"
    stands for two exact triples; the fixture lists Carolina Beach first, yet the one placed
    first in the sentence (Wrightsville Beach) is taken, as the first-occurrence rule does."""
    star = read_casrel(FIX / "nyt_star_same_relation.json", dataset="nyt", split="test",
                       relations=load_relations(FIX / "nyt_rel2id.json"))
    full, rep = attach_full_spans(star, FIX / "nyt_exact_same_relation.json")

    def text(tokens, span):
        return " ".join(tokens[span[0]:span[1]])

    got = [[(text(s.tokens, t.subj), text(s.tokens, t.obj)) for t in s.triples] for s in full]
    assert got == [[("Florida", "Boynton Beach"), ("New York", "Westhampton Beach")],
                   [("Florida", "Miami Beach"), ("North Carolina", "Wrightsville Beach")]]
    assert rep["own_mention"] == rep["full_span"] == rep["arguments"] == 8
