"""Several TFF workers, started by the worker command on real loopback ports: the same run as
one worker, up to float summation order; a worker killed mid-run fails the round, named, and
the run resumes; Ctrl-C stops a worker command and its worker. Marked slow."""

from __future__ import annotations

import contextlib
import csv
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import portpicker
import pytest

pytest.importorskip("tensorflow_federated")

from tests.federated.training.test_run import (  # noqa: E402
    TOY_ARGS,
    histories,  # noqa: F401 (a fixture)
    start_trainer,
    train,
    wait_for_round,
    wait_until_dead,
)
from tests.paths import REPO  # noqa: E402
from tests.worker_processes import worker_pids  # noqa: E402

pytestmark = pytest.mark.slow

# Several workers merge their partial sums in the order they finish, one worker sums in one
# order: float32 rounding differs, nothing else. Measured after 4 toy rounds: weights within
# 5e-7 of each other (largest weight ~1), losses within 1e-7 relative. The bounds leave 20x.
WEIGHT_TOLERANCE = 1e-5
LOSS_TOLERANCE = 1e-5
# One held-out word of the toy run's ~120 may flip on a near-tie.
RECALL_TOLERANCE = 0.01


def _await_serving(command: subprocess.Popen, seconds: float) -> str:
    """The line `python -m federated.worker` prints once its worker serves."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([command.stdout], [], [], deadline - time.monotonic())
        line = command.stdout.readline() if ready else ""
        if "serving on port" in line:
            return line
        if command.poll() is not None:
            break
    command.kill()
    raise AssertionError(f"the worker command did not serve: {command.communicate()[1][-2000:]}")


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[[int], list[tuple[str, subprocess.Popen]]]]:
    """Starts TFF workers as a worker machine does (README: `python -m federated.worker --port
    PORT`) on free loopback ports: `start(count) -> [(HOST:PORT, command)]`. At the end of the
    test, however it ends, each command that served and still runs gets Ctrl-C and must exit
    with 130, and no worker any of them started may outlive it."""
    commands, served, binaries = [], [], []

    def start(count: int) -> list[tuple[str, subprocess.Popen]]:
        started = []
        for _ in range(count):
            port = portpicker.pick_unused_port()
            commands.append(subprocess.Popen(
                [sys.executable, "-m", "federated.worker", "--port", str(port), "--log",
                 str(tmp_path / f"worker{len(commands)}.log")],
                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                # As `start_trainer`: Ctrl-C as in a terminal, even under a background shell.
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)))
            started.append((f"localhost:{port}", commands[-1]))
        for address, command in started:
            assert f"serving on port {address.split(':')[1]} " in _await_serving(command, 120)
            served.append(command)
            found = worker_pids(parent=command.pid)
            assert len(found) == 1
            binaries.extend(found)
        return started

    yield start
    running = [command for command in served if command.poll() is None]
    for command in commands:
        if command.poll() is None:
            command.send_signal(signal.SIGINT)
    codes = []
    for command in commands:
        with contextlib.suppress(subprocess.TimeoutExpired):
            command.wait(timeout=30)
        command.kill()
        code = command.wait()
        if command in running:
            codes.append(code)
    assert codes == [130] * len(running)
    assert all(wait_until_dead(pid) for pid in binaries)


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
    (first, _), (second, _) = workers(2)

    summary = train(histories, tmp_path / "run", "--rounds", "4",
                    "--workers", f"{first},{second}")

    assert summary["config"]["runtime"]["workers"] == [first, second]
    assert_same_run(tmp_path / "run", one_worker_run)


def test_a_killed_worker_fails_the_round_naming_it_and_the_run_resumes(
        histories, one_worker_run, workers, tmp_path):  # noqa: F811
    (first, _), (second, second_command) = workers(2)
    trainer = start_trainer(histories, tmp_path / "run", "--rounds", "50",
                            "--workers", f"{first},{second}")
    try:
        wait_for_round(tmp_path / "run", 2, trainer)
        os.kill(worker_pids(parent=second_command.pid)[0], signal.SIGKILL)  # A crash.
        _, stderr = trainer.communicate(timeout=120)
    finally:
        trainer.kill()
        trainer.wait()

    assert trainer.returncode == 1
    failure = [line for line in stderr.splitlines() if line.startswith("Training stopped")]
    assert len(failure) == 1 and f"TFF worker {second} " in failure[0], stderr[-2000:]
    assert "continue with --resume" in stderr
    # The worker's command says so too, and exits as a shell reports a SIGKILL.
    assert second_command.wait(timeout=30) == 128 + signal.SIGKILL
    assert "the TFF worker was killed by signal 9" in second_command.stderr.read()
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
