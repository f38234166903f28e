"""Several TFF workers on real loopback ports: the same run as one worker, up to float
summation order, and a worker killed mid-run fails the round, named, and the run resumes.
Marked slow."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import portpicker
import pytest

pytest.importorskip("tensorflow_federated")

from federated.learning.options import RuntimeConfig  # noqa: E402
from federated.learning.worker import start_worker, stop_worker  # noqa: E402
from tests.federated.training.test_run import (  # noqa: E402
    TOY_ARGS,
    histories,  # noqa: F401 (a fixture)
    start_trainer,
    train,
    wait_for_round,
)
from tests.paths import REPO  # noqa: E402

pytestmark = pytest.mark.slow

# Several workers merge their partial sums in the order they finish, one worker sums in one
# order: float32 rounding differs, nothing else. Measured after 4 toy rounds: weights within
# 5e-7 of each other (largest weight ~1), losses within 1e-7 relative. The bounds leave 20x.
WEIGHT_TOLERANCE = 1e-5
LOSS_TOLERANCE = 1e-5
# One held-out word of the toy run's ~120 may flip on a near-tie.
RECALL_TOLERANCE = 0.01


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[[], tuple[str, object]]]:
    """Starts TFF workers on free loopback ports: `start() -> (HOST:PORT, process)`; stops
    them all at the end of the test, however it ends."""
    processes = []

    def start():
        process, port = start_worker(RuntimeConfig(), tmp_path / f"worker{len(processes)}.log")
        processes.append(process)
        return f"localhost:{port}", process

    yield start
    for process in processes:
        stop_worker(process)


def rows(run_dir: Path) -> list[dict]:
    with (run_dir / "metrics.csv").open() as handle:
        return list(csv.DictReader(handle))


def weights(run_dir: Path) -> dict[str, np.ndarray]:
    with np.load(run_dir / "model" / "weights.npz") as loaded:
        return dict(loaded)


def assert_same_run(run: Path, reference: Path) -> None:
    """Same clients, same examples; losses, recall and weights within the tolerances."""
    mine, theirs = rows(run), rows(reference)
    assert len(mine) == len(theirs)
    for row, expected in zip(mine, theirs):
        for key in ("round", "clients", "train_examples", "sampled", "dropped"):
            assert row[key] == expected[key]
        for key in ("train_loss", "eval_loss"):
            if expected[key]:
                assert float(row[key]) == pytest.approx(float(expected[key]),
                                                        rel=LOSS_TOLERANCE)
        if expected["eval_top1_recall"]:
            assert abs(float(row["eval_top1_recall"]) - float(expected["eval_top1_recall"])
                       ) <= RECALL_TOLERANCE
    ours, reference_weights = weights(run), weights(reference)
    assert ours.keys() == reference_weights.keys()
    for name, value in reference_weights.items():
        np.testing.assert_allclose(ours[name], value, rtol=0, atol=WEIGHT_TOLERANCE)


@pytest.fixture(scope="module")
def one_worker_run(histories, tmp_path_factory) -> Path:  # noqa: F811
    run_dir = tmp_path_factory.mktemp("one_worker") / "run"
    train(histories, run_dir, "--rounds", "4")
    return run_dir


def test_two_workers_train_the_same_model_as_one(histories, one_worker_run, workers,  # noqa: F811
                                                  tmp_path):
    (first, _), (second, _) = workers(), workers()

    summary = train(histories, tmp_path / "run", "--rounds", "4",
                    "--workers", f"{first},{second}")

    assert summary["config"]["runtime"]["workers"] == [first, second]
    assert_same_run(tmp_path / "run", one_worker_run)


def test_a_killed_worker_fails_the_round_naming_it_and_the_run_resumes(
        histories, one_worker_run, workers, tmp_path):  # noqa: F811
    (first, _), (second, second_process) = workers(), workers()
    trainer = start_trainer(histories, tmp_path / "run", "--rounds", "50",
                            "--workers", f"{first},{second}")
    try:
        wait_for_round(tmp_path / "run", 2, trainer)
        second_process.send_signal(signal.SIGKILL)
        _, stderr = trainer.communicate(timeout=120)
    finally:
        trainer.kill()
        trainer.wait()

    assert trainer.returncode == 1
    failure = [line for line in stderr.splitlines() if line.startswith("Training stopped")]
    assert len(failure) == 1 and f"TFF worker {second} " in failure[0], stderr[-2000:]
    assert "continue with --resume" in stderr
    completed = len(rows(tmp_path / "run"))
    assert completed >= 2

    # The surviving worker alone carries the rest of the run.
    summary = train(histories, tmp_path / "run", "--rounds", "4", "--resume",
                    "--workers", first)

    assert summary["rounds_completed"] == 4
    assert_same_run(tmp_path / "run", one_worker_run)


def test_a_worker_that_does_not_answer_is_named_before_any_round(histories, tmp_path):  # noqa: F811
    silent = f"localhost:{portpicker.pick_unused_port()}"

    trainer = subprocess.run(
        [sys.executable, "-m", "federated.train", "--data", str(histories), "--out",
         str(tmp_path / "run"), *TOY_ARGS, "--rounds", "2", "--workers", silent],
        cwd=REPO, capture_output=True, text=True, timeout=300)

    assert trainer.returncode == 1
    assert (f"Training stopped: TFF worker {silent} does not answer (waited 10 s): is it "
            "running and reachable?") in trainer.stderr
    assert not (tmp_path / "run" / "metrics.csv").exists()
