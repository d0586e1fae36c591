"""Ray engine of the sweep: same metrics as the sequential engine, and a rerun after an
interruption trains only what is missing (resuming the interrupted run from its checkpoint).

The trials are real config-driven runs on tiny subsets of the shipped WebNLG data (Ray ships
configs to its workers, not in-memory fixtures). ``threshold=0.9``: after a few steps every
pair score is still near σ(0) = 0.5, and at the default 0.5 an untrained model "predicts"
all n×n×|R| triples, so scoring the 703 test sentences would take minutes.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import replace

import pandas as pd
import pytest

from rinlib.config import RunConfig
from rinlib.runs import SweepError, run, run_dir
from rinlib.runs.ray_engine import run_ray, trial_config, trial_resources
from rinlib.training import train

HISTORY = ["epoch", "loss", "loss_entity", "loss_relation", "dev_P", "dev_R", "dev_F1"]


def tiny(K: int, seed: int) -> RunConfig:
    return RunConfig(dataset="webnlg", task="exact", K=K, seed=seed, max_train=20, max_dev=10, epochs=2,
                     lr=1e-2, batch_size=10, lstm_hidden=16, pair_dim=16, pos_dim=4, patience=None,
                     threshold=0.9, profile="test", num_threads=1, progress=False)


CONFIGS = [tiny(K, seed) for K in (0, 1) for seed in (1, 2)]


@pytest.fixture(scope="module")
def ray_instance():
    """One embedded 2-CPU Ray instance for the module (starting one costs ~10–30 s); run_ray
    uses an instance that is already up and leaves it running."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install -e '.[sweep]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The four runs through the sequential engine: the reference."""
    root = tmp_path_factory.mktemp("sequential")
    return root, run(CONFIGS, engine="local", results_root=root, progress=False)


def test_ray_engine_gives_the_sequential_metrics(ray_instance, sequential, tmp_path):
    _, seq = sequential
    par = run_ray(CONFIGS, jobs=2, results_root=tmp_path, progress=False)
    assert [r.out_dir for r in par] == [run_dir(c, tmp_path / "runs") for c in CONFIGS]
    for a, b in zip(seq, par):
        assert a.metrics["key"] == b.metrics["key"] == a.config.key()
        assert (a.metrics["dev"], a.metrics["test"]) == (b.metrics["dev"], b.metrics["test"])
        pd.testing.assert_frame_equal(a.history[HISTORY], b.history[HISTORY])


def test_rerun_after_an_interruption_trains_only_the_missing_run(ray_instance, sequential, tmp_path):
    seq_root, seq = sequential
    # three runs finished (copied from the sequential sweep), the fourth cut after its first epoch
    for cfg in CONFIGS[:3]:
        shutil.copytree(run_dir(cfg, seq_root / "runs"), run_dir(cfg, tmp_path / "runs"))
    cut = run_dir(CONFIGS[3], tmp_path / "runs")

    def stop(row: dict) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(CONFIGS[3], cut, on_epoch=stop)
    finished = [run_dir(c, tmp_path / "runs") / "metrics.json" for c in CONFIGS[:3]]
    stamps = [p.stat().st_mtime_ns for p in finished]
    first_epoch = pd.read_csv(cut / "history.csv")

    res = run_ray(CONFIGS, jobs=2, results_root=tmp_path, progress=False)

    assert len(res) == 4
    assert [p.stat().st_mtime_ns for p in finished] == stamps  # not retrained
    resumed = pd.read_csv(cut / "history.csv")
    assert len(first_epoch) == 1 and len(resumed) == 2
    pd.testing.assert_frame_equal(resumed.iloc[:1], first_epoch)  # epoch 1 kept, not redone
    assert json.loads((cut / "metrics.json").read_text())["test"] == seq[3].metrics["test"]


def test_missing_ray_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(SweepError, match=r"\.\[sweep\]"):
        run_ray([tiny(0, 1)], jobs=2, results_root=tmp_path, progress=False)
    with pytest.raises(SweepError, match=r"\.\[sweep\]"):
        run([tiny(0, 1)], engine="ray", jobs=2, results_root=tmp_path, progress=False)


def test_ray_engine_with_train_false_only_reads_back_without_ray(monkeypatch, tmp_path):
    """A notebook opened by hand with engine='ray' shows the finished runs; it neither trains nor needs Ray."""
    done, missing = tiny(0, 1), tiny(0, 2)
    train(done, run_dir(done, tmp_path / "runs"), resume=False)
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    res = run([done, missing], engine="ray", jobs=2, results_root=tmp_path, progress=False, train=False)
    assert [r.config.seed for r in res] == [1]
    assert not (run_dir(missing, tmp_path / "runs") / "metrics.json").exists()


def test_trial_config_threads_and_devices():
    cfg = tiny(1, 1)
    assert trial_config(cfg, 4, 0).num_threads == 4
    assert trial_config(replace(cfg, device="auto"), 1, 0).device == "cpu"
    assert trial_config(cfg, 1, 0.25).device == "cuda"
    assert trial_config(cfg, 2, 0.25).key() == cfg.key()
    with pytest.raises(SweepError, match="num_gpus_per_trial"):
        trial_config(replace(cfg, device="cuda"), 1, 0)


def test_resource_defaults(monkeypatch):
    cpu, gpu = tiny(1, 1), replace(tiny(1, 1), device="cuda")
    monkeypatch.delenv("RIN_CPUS_PER_TRIAL", raising=False)
    monkeypatch.delenv("RIN_GPUS_PER_TRIAL", raising=False)
    assert trial_resources([cpu], None, None) == (1, 0.0)
    assert trial_resources([cpu, gpu], None, None) == (1, 1.0)  # a whole GPU unless a share is asked
    monkeypatch.setenv("RIN_CPUS_PER_TRIAL", "2")
    monkeypatch.setenv("RIN_GPUS_PER_TRIAL", "0.25")
    assert trial_resources([gpu], None, None) == (2, 0.25)
    assert trial_resources([gpu], 1, 0.5) == (1, 0.5)


def test_ray_trains_a_webnlg_twin_inside_its_partner_trial(ray_instance, tmp_path):
    part, exact = replace(tiny(1, 3), task="partial"), tiny(1, 3)
    res = run_ray([part, exact], jobs=2, results_root=tmp_path, progress=False)
    assert [r.config.task for r in res] == ["partial", "exact"]
    shared = [r.metrics["shared_training_with"] for r in res]
    assert sorted(map(len, shared)) == [1, 1]  # one trial trained both
    solo = train(exact, tmp_path / "solo")
    assert res[1].metrics["test"] == solo.metrics["test"]
