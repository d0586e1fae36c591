"""The sweep's plan / cache / resume / collect contract, on the tiny fixture (seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _tiny import tiny_config, tiny_prepared
from rinlib import experiments as profiles
from rinlib import runs as sweep
from rinlib.config import RunConfig
from rinlib.runs import LOCK, RunBusy, run_dir, run_lock


def _tiny(**kw):
    return tiny_config(dataset="webnlg", task="exact", **kw)


def test_plan_expands_grid_with_profile_budget(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("task: [partial, exact]\nK: [0, 2]\nseed: 3\n")
    cfgs = sweep.plan(grid, "smoke")
    assert [(c.task, c.K, c.seed) for c in cfgs] == [("partial", 0, 3), ("partial", 2, 3), ("exact", 0, 3),
                                                     ("exact", 2, 3)]
    assert all(c.profile == "smoke" and c.max_train == 40 and c.epochs == 2 for c in cfgs)


def test_shipped_grids_plan_the_papers_runs() -> None:
    """The grid files behind REPORT plan without error; Figure 3's grid trains exactly runs of
    `--experiments figure3` (same keys and paths), so its runs count in every table."""
    grids = Path(__file__).resolve().parents[1] / "tools" / "grids"
    vectors = sweep.plan(grids / "word_vectors.yaml", "full")
    assert len(vectors) == 5 * 2 * 2 * 2 and {c.vectors for c in vectors} == {"glove50", "glove50-top2716"}
    fig3 = sweep.plan(grids / "figure3_seeds.yaml", "full")
    paper = {(c.key(), run_dir(c)) for c in profiles.configs_for(["figure3"], "full")}
    assert len(fig3) == 8 * 2 * 3 and {(c.key(), run_dir(c)) for c in fig3} <= paper


def test_plan_rejects_unknown_field() -> None:
    with pytest.raises(sweep.SweepError, match="unknown RunConfig fields \\['layers'\\]"):
        sweep.plan({"layers": [1, 2]}, "quick")


def test_experiment_configs_match_the_paper_items() -> None:
    t1 = profiles.experiment_configs("table1", "full")
    assert len(t1) == 2 * 2 * 5 and {c.variant for c in t1} == {"rin", "no_interaction"}
    t5 = profiles.experiment_configs("table5", "quick")
    assert [c.variant for c in t5] == ["rin", "no_er", "no_rc", "no_interaction", "no_pos"]
    assert {c.task for c in t5} == {"exact"}
    f3 = profiles.experiment_configs("figure3", "full", seeds=[1])
    assert sorted(c.resolved().K for c in f3 if c.task == "exact") == list(range(9))
    assert {c.variant for c in f3 if c.resolved().K == 0} == {"no_interaction"}
    assert {c.dataset for c in profiles.experiment_configs("nyt_proxy", "quick")} == {"nyt-proxy"}
    assert profiles.experiment_configs("nyt_proxy", "smoke") == []
    etl = profiles.experiment_configs("webnlg_etl", "full", dataset="webnlg")  # its own data set, always
    assert [(c.dataset, c.task, c.variant, c.resolved().K) for c in etl if c.seed == 1] == [
        ("webnlg-etl", "exact", "rin", 3), ("webnlg-etl", "exact", "no_interaction", 0)]
    assert len(profiles.configs_for(list(profiles.EXPERIMENTS), "full")) == 135
    with pytest.raises(profiles.ProfileError, match="experiment must be one of"):
        profiles.experiment_configs("table9", "quick")


def test_configs_for_deduplicates_shared_runs() -> None:
    cfgs = profiles.configs_for(["table1", "table5", "figure3"], "smoke")
    keys = [c.key() for c in cfgs]
    assert len(keys) == len(set(keys)) == 4 + 3  # Figure 3 (K = 0, Table 3's K) is all Table 1 runs


def test_trained_on_names_each_machine_with_its_epochs() -> None:
    from rinlib.runs import trained_on

    one = {"device_name": "CPU A", "trained_by": [{"commit": "a", "device_name": "CPU A", "from_epoch": 1},
                                                  {"commit": "b", "device_name": "CPU A", "from_epoch": 40}]}
    assert trained_on(one) == "CPU A"
    moved = {"device_name": "GPU", "trained_by": [{"commit": "a", "from_epoch": 1},  # written before machines were
                                                  {"commit": "b", "device_name": "CPU A", "from_epoch": 50},
                                                  {"commit": "c", "device_name": "CPU A", "from_epoch": 80},
                                                  {"commit": "c", "device_name": "GPU", "from_epoch": 101}]}
    assert trained_on(moved) == "machine not recorded (epochs 1-49), CPU A (epochs 50-100), GPU (epochs 101+)"
    assert trained_on({}) == ""


def test_local_engine_refuses_jobs() -> None:
    with pytest.raises(sweep.SweepError, match="needs engine='ray'"):
        sweep.run([], jobs=2)


def test_run_caches_retrains_on_new_key_and_collects(tmp_path: Path, capsys) -> None:
    cfg = _tiny()
    prep = tiny_prepared(cfg)
    r1 = sweep.run_one(cfg, results_root=tmp_path, prepared=prep)
    out = run_dir(cfg, tmp_path / "runs")
    assert r1.out_dir == out and json.loads((out / "metrics.json").read_text())["key"] == cfg.key()
    assert "(training)" in capsys.readouterr().out

    sweep.run_one(cfg, results_root=tmp_path, prepared=prep)
    assert "(cached)" in capsys.readouterr().out

    changed = _tiny(epochs=3)  # same run dir, another key: retrained from scratch
    assert run_dir(changed, tmp_path / "runs") == out
    r3 = sweep.run_one(changed, results_root=tmp_path, prepared=prep)
    assert "(training)" in capsys.readouterr().out and r3.metrics["epochs_run"] == 3

    sweep.run_one(changed, results_root=tmp_path, prepared=prep, force=True)
    assert "(training)" in capsys.readouterr().out

    df = sweep.collect(tmp_path)
    assert len(df) == 1 and df.loc[0, "key"] == changed.key()
    for col in ("test_strict_f1", "test_paper_f1", "dev_strict_precision", "commit", "device_name",
                "epochs_run", "selected_epoch", "wall_time_s"):
        assert col in df.columns
    assert sweep.collect(tmp_path, profile="quick").empty


def test_interrupted_run_resumes(tmp_path: Path, capsys) -> None:
    cfg = _tiny(epochs=3)
    prep = tiny_prepared(cfg)

    def stop_after_two(row: dict) -> None:
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.run_one(cfg, results_root=tmp_path, prepared=prep, on_epoch=stop_after_two)
    out = run_dir(cfg, tmp_path / "runs")
    assert not (out / LOCK).exists()  # the lock goes with the process
    assert sweep.run_status(cfg, out) == "resumed"
    res = sweep.run_one(cfg, results_root=tmp_path, prepared=prep)
    assert "(resumed)" in capsys.readouterr().out
    assert list(res.history["epoch"]) == [1, 2, 3]


def test_busy_run_is_skipped(tmp_path: Path) -> None:
    cfg = _tiny()
    out = run_dir(cfg, tmp_path / "runs")
    out.mkdir(parents=True)
    import os
    import socket
    (out / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    assert sweep.run_status(cfg, out) == "busy"
    assert sweep.run([cfg], results_root=tmp_path) == []


def test_run_lock_excludes_a_second_holder_and_takes_over_a_stale_one(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    out = tmp_path / "run"
    out.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:  # a live process on this host holds it: both the sweep and `train` must back off
        (out / LOCK).write_text(json.dumps({"pid": child.pid, "host": socket.gethostname()}))
        with pytest.raises(RunBusy, match=str(child.pid)):
            with run_lock(out):
                pass
        assert json.loads((out / LOCK).read_text())["pid"] == child.pid  # untouched
    finally:
        child.kill()
        child.wait()
    with run_lock(out):  # its holder is dead now: the lock is stale and taken over
        assert json.loads((out / LOCK).read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in out.iterdir()) == []  # lock and its temp file are gone


def test_train_cli_refuses_a_run_another_process_is_training(tmp_path: Path) -> None:
    import os
    import socket
    from rinlib.__main__ import main
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK).write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname()}))
    with pytest.raises(SystemExit, match="being trained by process"):
        main(["train", "--out", str(out), "dataset=webnlg", "epochs=1"])


def test_train_cli_names_a_missing_training_file_in_one_line(tmp_path: Path, monkeypatch) -> None:
    from rinlib.__main__ import main
    monkeypatch.delenv("RIN_NYT10_TRAIN", raising=False)
    with pytest.raises(SystemExit, match=r"^error: .*RIN_NYT10_TRAIN.*059278e729004f4b7ff79aa6ccd2065f1c44f9d3"):
        main(["train", "--out", str(tmp_path / "run"), "dataset=nyt10", "task=exact", "epochs=1"])


def _real_tiny(task: str) -> RunConfig:
    """A config on a small subset of the shipped WebNLG data (sweeps prepare data themselves)."""
    return RunConfig(dataset="webnlg", task=task, K=1, seed=1, max_train=20, max_dev=10, epochs=2, lr=1e-2,
                     batch_size=10, lstm_hidden=16, pair_dim=16, pos_dim=4, patience=None, threshold=0.9,
                     profile="test", num_threads=1, progress=False)


def test_sweep_trains_webnlg_task_twins_in_one_loop_with_solo_results(tmp_path: Path, capsys) -> None:
    from rinlib.training import train
    part, exact = _real_tiny("partial"), _real_tiny("exact")
    assert sweep.twins_of(part, [part, exact, _real_tiny("exact").with_overrides({"seed": 2})]) == [exact]
    assert sweep.twins_of(part.with_overrides({"dataset": "nyt-proxy"}),
                          [exact.with_overrides({"dataset": "nyt-proxy"})]) == []  # NYT tasks differ in data
    res = sweep.run([part, exact], results_root=tmp_path)
    log = capsys.readouterr().out
    assert "exact twin trained in the same loop" in log and "(cached)" in log  # exact's own turn: done
    assert [r.config.task for r in res] == ["partial", "exact"]
    assert (res[1].out_dir / res[1].metrics["shared_training_with"][0]).resolve() == res[0].out_dir.resolve()
    solo = train(exact, tmp_path / "solo")
    assert (res[1].metrics["dev"], res[1].metrics["test"]) == (solo.metrics["dev"], solo.metrics["test"])
    assert res[1].history["dev_F1"].tolist() == solo.history["dev_F1"].tolist()


def test_render_only_reads_finished_runs_and_trains_nothing(tmp_path: Path, monkeypatch, capsys) -> None:
    done, missing = _tiny(), _tiny(seed=7)
    sweep.run_one(done, results_root=tmp_path, prepared=tiny_prepared(done))
    monkeypatch.setenv(sweep.NO_TRAIN, "1")
    res = sweep.run([done, missing], results_root=tmp_path)
    assert [r.config.key() for r in res] == [done.key()]
    assert "not trained" in capsys.readouterr().out
    assert not run_dir(missing, tmp_path / "runs").exists()


def test_sweep_cli_runs_the_papers_experiments_seed_by_seed(tmp_path: Path, monkeypatch, capsys) -> None:
    from rinlib.__main__ import main
    q = profiles.paper_queue("full")
    assert len(q) == 135 and [c.seed for c in q] == sorted(c.seed for c in q)
    assert [(c.task, c.variant) for c in q[:4]] == [("partial", "rin"), ("partial", "no_interaction"),
                                                    ("exact", "rin"), ("exact", "no_interaction")]
    monkeypatch.setenv(sweep.NO_TRAIN, "1")
    assert main(["sweep", "--experiments", "table1", "--profile", "smoke", "--results", str(tmp_path)]) == 0
    assert "0 of 4 runs finished" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="give one or more grid files, --experiments, or both"):
        main(["sweep", "--profile", "smoke"])
    with pytest.raises(SystemExit, match="experiment must be one of"):
        main(["sweep", "--experiments", "table9", "--profile", "smoke"])


def test_train_false_reads_finished_runs_only(tmp_path: Path) -> None:
    """What a notebook opened by hand does: the finished run comes back, the missing one is not started."""
    done, missing = _tiny(), _tiny(seed=7)
    sweep.run_one(done, results_root=tmp_path, prepared=tiny_prepared(done))
    res = sweep.run([done, missing], results_root=tmp_path, train=False)
    assert [r.config.key() for r in res] == [done.key()]
    assert not run_dir(missing, tmp_path / "runs").exists()


def test_a_grid_file_may_list_runs_each_kept_once(tmp_path: Path) -> None:
    grid = tmp_path / "runs.yaml"
    grid.write_text("- {task: exact, K: 3, seed: 2}\n- {task: [partial, exact], K: 3, seed: 2}\n")
    assert [(c.task, c.K, c.seed) for c in sweep.plan(grid, "smoke")] == [("exact", 3, 2), ("partial", 3, 2)]
    grid.write_text("- {task: exact}\n- exact\n")
    with pytest.raises(sweep.SweepError, match=r"runs.yaml \(item 2\) must hold a mapping"):
        sweep.plan(grid, "smoke")


def test_sweep_device_option_sets_every_runs_device_and_keeps_its_key(tmp_path: Path, monkeypatch) -> None:
    import rinlib.__main__ as cli

    seen = []
    monkeypatch.setattr(cli, "run", lambda configs, **kw: seen.extend(configs) or [])
    assert cli.main(["sweep", "--experiments", "table1", "--profile", "smoke", "--device", "cuda:1"]) == 0
    plain = profiles.paper_queue("smoke", ["table1"])
    assert [c.device for c in seen] == ["cuda:1"] * len(plain)
    assert [c.key() for c in seen] == [c.key() for c in plain]


def test_sweep_takes_grid_files_then_experiments_in_order_each_run_once(tmp_path: Path, monkeypatch) -> None:
    """One command per core can finish the rest of the grid in a chosen order: Figure 3's K=3
    seed 2 first, then webnlg-etl, then Table 1 — whose partial RIN K=2 seed 2 run the grid file
    also lists, so it is trained once, at its first place."""
    import rinlib.__main__ as cli

    first, second = tmp_path / "f3.yaml", tmp_path / "again.yaml"
    first.write_text("{seed: 2, K: 3, variant: rin, task: [partial, exact]}\n")
    second.write_text("{seed: 2, K: 2, variant: rin, task: partial}\n")
    seen = []
    monkeypatch.setattr(cli, "run", lambda configs, **kw: seen.extend(configs) or [])
    assert cli.main(["sweep", str(first), str(second), "--experiments", "webnlg_etl,table1", "--profile", "smoke"]) == 0
    from rinlib.runs.plan import unique

    expected = unique(sweep.plan(first, "smoke") + sweep.plan(second, "smoke")
                            + profiles.paper_queue("smoke", ["webnlg_etl", "table1"]))
    assert [c.key() for c in seen] == [c.key() for c in expected]
    assert [(c.dataset, c.task, c.K, c.seed) for c in seen[:3]] == [
        ("webnlg", "partial", 3, 2), ("webnlg", "exact", 3, 2), ("webnlg", "partial", 2, 2)]
    assert seen[3].dataset == "webnlg-etl" and len(seen) == len({c.key() for c in seen}) == 3 + 2 + 4
    assert sweep.queue([second], ["table1"], "smoke")[0].key() == seen[2].key()  # listed twice: kept first
