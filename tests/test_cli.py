"""The command line (rinlib.__main__): ``profile=`` means the same budget as in the sweep and the
notebooks, ``train --help`` lists every option, and every error a user can cause is one line with
a non-zero exit, never a traceback, including input that is not UTF-8 (named by file or argument
and line, after the lines before it were written)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import torch

from rinlib.__main__ import main, train_config
from rinlib.config import RunConfig
from rinlib.experiments import base_config
from rinlib.training import RunResult

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "webnlg-partial.safetensors"
needs_model = pytest.mark.skipif(not MODEL.exists(), reason="the shipped model is not here")


# --------------------------------------------------------------------------- profiles

@pytest.mark.parametrize("profile", ["smoke", "quick", "full"])
def test_profile_gives_the_sweeps_budget_and_explicit_options_win(profile):
    cfg = train_config({"dataset": "webnlg", "task": "exact", "profile": profile})
    assert cfg.key() == base_config(profile, dataset="webnlg", task="exact").key()
    assert cfg.resolved().epochs == {"smoke": 2, "quick": 6, "full": 150}[profile]
    assert cfg.max_train == {"smoke": 40, "quick": None, "full": None}[profile]
    assert cfg.resolved().lr == {"smoke": 1e-2, "quick": 5e-4, "full": 5e-4}[profile]
    mine = train_config({"task": "exact", "profile": profile, "epochs": 1, "lr": 0.003, "max_train": 7})
    assert (mine.epochs, mine.lr, mine.max_train, mine.profile) == (1, 0.003, 7, profile)


def test_no_profile_is_the_full_schedule_with_every_key_unchanged():
    assert train_config({"task": "exact", "seed": 3}).key() == RunConfig(task="exact", seed=3).key()
    assert train_config({"dataset": "nyt-proxy", "profile": "quick"}).resolved().epochs == 3  # nyt's own budget


def test_cli_train_runs_the_profile_budget(monkeypatch, tmp_path, capsys):
    import rinlib.training

    seen = []

    def fake_train(cfg, out, resume=True):
        seen.append(cfg)
        return RunResult(Path(out), cfg, {"selected_epoch": 1, "dev": {}, "test": {
            "strict": {"f1": 0.5}, "paper": {"f1": 0.25}}}, None)
    monkeypatch.setattr(rinlib.training, "train", fake_train)
    assert main(["train", "dataset=webnlg", "task=exact", "profile=smoke", "epochs=3", "--out", str(tmp_path)]) == 0
    cfg = seen[0].resolved()
    assert (cfg.profile, cfg.epochs, cfg.max_train, cfg.max_dev, cfg.lr, cfg.batch_size) == ("smoke", 3, 40, 20, 1e-2, 10)
    assert "test strict F1 0.5000, paper F1 0.2500" in capsys.readouterr().out


def test_train_help_lists_every_option_with_its_default(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for f in fields(RunConfig):
        assert f"\n  {f.name}=" in out or f.name == "profile", f.name
    assert "  patience=30  " in out and "  threshold=0.5  " in out and "  K=null  " in out
    assert "profile=smoke: SMOKE TEST" in out and "Your own data" in out


# --------------------------------------------------------------------------- one-line errors

@pytest.mark.parametrize("argv, expected", [
    (["train", "variant=bogus"], "variant must be one of"),
    (["train", "nonsense=1"], "unknown config fields: ['nonsense']"),
    (["train", "profile=bogus"], "profile must be one of"),
    (["extract", "--input", "/no/such/file.txt"], "/no/such/file.txt: no such file"),
    (["extract", "--checkpoint", "/no/such/model.safetensors", "A ."], "not found"),
])
def test_user_errors_are_one_line(argv, expected):
    with pytest.raises(SystemExit) as e:
        main(argv)
    msg = str(e.value)
    assert msg.startswith("error: ") and expected in msg and "\n" not in msg


@needs_model
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_on_a_machine_without_a_gpu_is_one_line():
    with pytest.raises(SystemExit) as e:
        main(["extract", "--device", "cuda", "--checkpoint", str(MODEL), "Alan Bean was born in Wheeler ."])
    assert str(e.value).startswith("error: device 'cuda' requested") and "\n" not in str(e.value)


def _rinlib(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rinlib", *args], input=stdin, capture_output=True, cwd=REPO,
                          env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "LC_ALL": "C.UTF-8"}, timeout=120)


def test_a_real_process_exits_nonzero_without_a_traceback(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\0" * 64)
    r = _rinlib("extract", "--checkpoint", str(junk), "A sentence .")
    err = r.stderr.decode()
    assert r.returncode == 1 and "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1


# --------------------------------------------------------------------------- input that is not UTF-8

GOOD = [b"Alan Bean was born in Wheeler , Texas .", b"Buzz Aldrin was a crew member of Apollo 11 ."]
BAD = b"Caf\xe9 Tortoni is in Buenos Aires ."


@needs_model
def test_a_file_line_that_is_not_utf8_is_named_after_the_lines_before_it_are_written(tmp_path):
    src, out = tmp_path / "in.txt", tmp_path / "out.jsonl"
    src.write_bytes(b"\n".join([GOOD[0], b"", GOOD[1], BAD, GOOD[0]]) + b"\n")
    with pytest.raises(SystemExit) as e:
        main(["extract", "--checkpoint", str(MODEL), "--input", str(src), "--output", str(out)])
    msg = str(e.value)
    assert msg.startswith(f"error: {src}: line 4: not UTF-8 (byte 0xe9 at column 4)") and "\n" not in msg
    assert "the 2 sentences before it were extracted and written" in msg
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in recs] == [1, 3] and recs[1]["tokens"][:2] == ["Buzz", "Aldrin"]


@needs_model
def test_stdin_and_arguments_that_are_not_utf8_are_named_by_line(tmp_path):
    r = _rinlib("extract", "--checkpoint", str(MODEL), "-", stdin=b"\n".join([GOOD[0], BAD]) + b"\n")
    assert r.returncode == 1 and "Traceback" not in r.stderr.decode()
    assert r.stderr.decode().startswith("error: <stdin>: line 2: not UTF-8")
    assert [json.loads(x)["line"] for x in r.stdout.decode().splitlines()] == [1]
    r = _rinlib("extract", "--checkpoint", str(MODEL), GOOD[0].decode(), BAD)
    assert r.returncode == 1 and r.stderr.decode().startswith("error: command line: argument 2: not UTF-8 (byte 0xe9")
    assert [json.loads(x)["line"] for x in r.stdout.decode().splitlines()] == [1]
