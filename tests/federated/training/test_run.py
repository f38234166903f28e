"""The real trainer on the real TFF runtime, at toy size: loss falls, runs resume exactly,
and no TFF worker outlives the trainer, however it ends. Marked slow."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from data.device_logs import DeviceStore, Message
from data.records import write_records
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records

pytest.importorskip("tensorflow_federated")

from federated.learning import worker as worker_module  # noqa: E402
from federated.train import main  # noqa: E402
from federated.training.round_loop import interrupts_between_rounds  # noqa: E402
from model.export import VOCAB_FILE, read_export_info  # noqa: E402
from model.sequences import encode_context  # noqa: E402
from model.serving import TFLiteScorer  # noqa: E402
from model.vocab import NUM_SPECIAL_TOKENS, Vocabulary  # noqa: E402
from tests.paths import REPO  # noqa: E402
from tests.worker_processes import is_alive, worker_pids  # noqa: E402

pytestmark = pytest.mark.slow

# Nine training users, all of them in every round, so losses of rounds are comparable.
TOY_ARGS = ["--vocab-size", "300", "--embedding-dim", "16", "--lstm-units", "32",
            "--max-words", "10", "--clients-per-round", "9", "--eval-every", "2",
            "--eval-fraction", "0.25", "--batch-size", "8", "--seed", "4",
            "--local-epochs", "3"]


@pytest.fixture(scope="module")
def histories(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "histories.jsonl"
    write_records(path, generate_records(GenerationConfig(users=12, seed=3, mean_messages=12)))
    return path


def train(histories: Path, run_dir: Path, *extra: str) -> dict:
    assert main(["--data", str(histories), "--out", str(run_dir), *TOY_ARGS, *extra]) == 0
    return json.loads((run_dir / "summary.json").read_text())


def metrics_without_timing(run_dir: Path) -> list[dict]:
    with (run_dir / "metrics.csv").open() as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


def comparable(summary: dict) -> dict:
    """A summary without what legitimately differs between invocations (timing)."""
    return {k: v for k, v in summary.items()
            if k not in ("round_seconds", "seconds_this_invocation", "config")}


@pytest.fixture(scope="module")
def straight_run(histories, tmp_path_factory) -> tuple[Path, dict]:
    run_dir = tmp_path_factory.mktemp("straight") / "run"
    return run_dir, train(histories, run_dir, "--rounds", "4")


def test_training_loss_falls_and_outputs_follow_the_contract(straight_run):
    run_dir, summary = straight_run

    rows = metrics_without_timing(run_dir)
    assert [int(row["round"]) for row in rows] == [1, 2, 3, 4]
    losses = [float(row["train_loss"]) for row in rows]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses
    assert rows[1]["eval_top1_recall"] != "" and rows[2]["eval_top1_recall"] == ""
    assert summary["rounds_completed"] == 4 and len(summary["round_seconds"]) == 4
    for key in ("top1_recall", "top3_recall", "top1_recall_without_oov"):
        assert 0.0 <= summary[key] <= 1.0
    assert summary["top3_recall"] >= summary["top1_recall"]
    export = run_dir / "model"
    config = json.loads((export / "config.json").read_text())
    assert config["version"] == summary["model_version"]
    assert {p.name for p in export.iterdir()} == {"config.json", "vocab.txt", "weights.npz",
                                                  "model.tflite", "ngram.npz"}
    assert config["network_weight"] == 0.5  # The default: the network mixed with its n-gram.
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [
        "round_000003.npz", "round_000004.npz"]


def test_a_cap_on_client_messages_bounds_every_rounds_examples(straight_run, histories,
                                                                tmp_path):
    straight_dir, _ = straight_run
    train(histories, tmp_path / "run", "--rounds", "2", "--max-client-messages", "4")

    capped = [int(row["train_examples"]) for row in metrics_without_timing(tmp_path / "run")]
    uncapped = int(metrics_without_timing(straight_dir)[0]["train_examples"])
    # Every training user trains in every round: a fresh sample each time, the same count.
    assert capped[0] == capped[1] and 0 < capped[0] <= 9 * 4 * 3 < uncapped


def test_a_sampled_evaluation_changes_no_training_and_the_last_round_scores_everyone(
        histories, tmp_path):
    every_round = ("--rounds", "2", "--eval-every", "1")
    full_summary = train(histories, tmp_path / "full", *every_round)
    sampled_summary = train(histories, tmp_path / "sampled", *every_round, "--eval-users", "1")

    full, sampled = (metrics_without_timing(tmp_path / name) for name in ("full", "sampled"))
    eval_columns = [name for name in full[0] if name.startswith("eval_")]
    assert [{k: v for k, v in row.items() if k not in eval_columns} for row in sampled] == [
        {k: v for k, v in row.items() if k not in eval_columns} for row in full]
    # Round 1 scored one sampled held-out user, not all of them; round 2, the last, all.
    assert [sampled[0][k] for k in eval_columns] != [full[0][k] for k in eval_columns]
    assert sampled[1] == full[1]
    assert comparable(sampled_summary) == comparable(full_summary)


def test_a_fresh_worker_after_every_round_changes_nothing(histories, straight_run, tmp_path,
                                                          monkeypatch):
    straight_dir, straight_summary = straight_run
    started = []  # The real workers, counted as they start.
    real_start = worker_module.start_worker

    def counted_start(*args, **kwargs):
        started.append(real_start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(worker_module, "start_worker", counted_start)

    restarted = train(histories, tmp_path / "run", "--rounds", "4", "--restart-worker-every", "1")

    assert comparable(restarted) == comparable(straight_summary)
    assert metrics_without_timing(tmp_path / "run") == metrics_without_timing(straight_dir)
    # The first worker, and a fresh one after each round but the last; all stopped.
    assert len({process.pid for process, _ in started}) == 4
    assert all(process.poll() is not None for process, _ in started)
    assert worker_pids(parent=os.getpid()) == []


def test_no_worker_outlives_an_in_process_run(straight_run):
    assert worker_pids(parent=os.getpid()) == []


def test_stop_after_round_2_then_resume_to_4_equals_a_straight_run(
        histories, straight_run, tmp_path):
    straight_dir, straight_summary = straight_run
    train(histories, tmp_path / "run", "--rounds", "2")

    resumed = train(histories, tmp_path / "run", "--rounds", "4", "--resume")

    assert comparable(resumed) == comparable(straight_summary)
    assert metrics_without_timing(tmp_path / "run") == metrics_without_timing(straight_dir)


def test_a_halving_client_rate_resumes_where_it_stopped(histories, straight_run, tmp_path):
    straight_dir, _ = straight_run
    halving = ("--client-lr-half-life", "1")
    straight = train(histories, tmp_path / "straight", "--rounds", "4", *halving)
    train(histories, tmp_path / "run", "--rounds", "2", *halving)

    resumed = train(histories, tmp_path / "run", "--rounds", "4", "--resume", *halving)

    # The round count is in the checkpointed state: round 3 trains at a quarter of the rate.
    assert comparable(resumed) == comparable(straight)
    assert metrics_without_timing(tmp_path / "run") == metrics_without_timing(
        tmp_path / "straight")
    constant = metrics_without_timing(straight_dir)
    assert metrics_without_timing(tmp_path / "run")[0] == constant[0]
    assert metrics_without_timing(tmp_path / "run")[1:] != constant[1:]


def start_trainer(histories: Path, run_dir: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "federated.train", "--data", str(histories), "--out",
         str(run_dir), *TOY_ARGS, *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell running this suite in the background ignores SIGINT, and the trainer would
        # inherit that: give it the terminal's default, as when a user presses Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for_round(run_dir: Path, round_number: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        if (run_dir / "checkpoints" / f"round_{round_number:06d}.npz").exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"round {round_number} was never checkpointed")


def wait_until_dead(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_sigkill_mid_run_kills_the_worker_and_resume_reaches_the_same_result(
        histories, straight_run, tmp_path):
    straight_dir, straight_summary = straight_run
    trainer = start_trainer(histories, tmp_path / "run", "--rounds", "4")
    wait_for_round(tmp_path / "run", 2, trainer)
    workers = worker_pids(parent=trainer.pid)
    assert len(workers) == 1

    trainer.send_signal(signal.SIGKILL)
    # communicate() returns only once every holder of the pipes is gone: an orphaned
    # worker keeping stdout open would hang here.
    trainer.communicate(timeout=30)
    assert wait_until_dead(workers[0])

    resumed = train(histories, tmp_path / "run", "--rounds", "4", "--resume")
    assert comparable(resumed) == comparable(straight_summary)
    assert metrics_without_timing(tmp_path / "run") == metrics_without_timing(straight_dir)


def test_ctrl_c_saves_stops_cleanly_and_leaves_no_worker(histories, tmp_path):
    trainer = start_trainer(histories, tmp_path / "run", "--rounds", "50")
    wait_for_round(tmp_path / "run", 1, trainer)
    workers = worker_pids(parent=trainer.pid)

    trainer.send_signal(signal.SIGINT)
    _, stderr = trainer.communicate(timeout=60)

    assert trainer.returncode == 130
    assert "continue with --resume" in stderr
    assert workers and all(wait_until_dead(pid) for pid in workers)
    assert not list((tmp_path / "run").glob("**/*.tmp"))


def test_a_ctrl_c_is_held_until_the_round_ends_and_a_second_one_interrupts_at_once():
    # Python's own Ctrl-C handler, as in a terminal (a suite run in the background ignores it).
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with interrupts_between_rounds() as interrupted:
            assert not interrupted()
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)  # Python runs the handler between bytecodes of the main thread.
            assert interrupted()
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.1)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outside)


def test_an_ignored_ctrl_c_stays_ignored():
    outside = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_between_rounds() as interrupted:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            assert not interrupted()
    finally:
        signal.signal(signal.SIGINT, outside)


def test_rounds_sample_only_eligible_devices_and_record_dropouts(histories, tmp_path):
    # Rounds at 02:00, 06:00, 10:00 and 14:00: phones charge at night, not in the day.
    summary = train(histories, tmp_path / "run", "--rounds", "4", "--eligibility",
                    "--start-time", "02:00", "--round-minutes", "240", "--dropout-rate", "0.3")

    rows = metrics_without_timing(tmp_path / "run")
    eligible = [int(row["eligible"]) for row in rows]
    assert eligible[0] > 0 and eligible[2] == eligible[3] == 0
    for row in rows:
        assert int(row["sampled"]) == min(9, int(row["eligible"]))
        assert int(row["clients"]) == int(row["sampled"]) - int(row["dropped"])
    assert rows[3]["clients"] == "0" and rows[3]["train_loss"] == "nan"
    devices = summary["devices"]
    assert devices["eligibility"] and devices["dropout_rate"] == 0.3
    assert devices["dropped"] == sum(int(row["dropped"]) for row in rows) > 0
    assert devices["rounds_without_clients"] >= 2
    assert devices["eligible_shortfall"] == sum(max(0, 9 - e) for e in eligible)


def next_word_probability(export: Path, words: list[str]) -> float:
    """The probability the export gives the last of `words` after the others."""
    info = read_export_info(export)
    vocab = Vocabulary.load(info.directory / VOCAB_FILE)
    logits = TFLiteScorer(info)(np.array(encode_context(words[:-1], vocab, max_words=10)))
    probabilities = np.exp(logits - logits.max())
    return float(probabilities[vocab.id_of(words[-1])] / probabilities.sum())


def test_a_device_log_trains_in_the_next_round_and_moves_the_model_toward_it(
        histories, tmp_path):
    few = ("--clients-per-round", "3")  # Of 9 users: a device is not sampled by chance alone.
    start = tmp_path / "start"
    train(histories, start, "--rounds", "2", *few)
    regular = Vocabulary.load(start / "vocab.txt").words[NUM_SPECIAL_TOKENS:]
    phrase = [regular[5], regular[9], regular[3], regular[40]]
    store = DeviceStore(tmp_path / "devices")
    store.device("phone").record([Message(f"m{i}", " ".join(phrase)) for i in range(60)])
    store.close()
    for name in ("with_log", "without"):
        shutil.copytree(start, tmp_path / name, symlinks=True)

    train(histories, tmp_path / "with_log", "--rounds", "3", "--resume", *few,
          "--device-logs", str(tmp_path / "devices"))
    train(histories, tmp_path / "without", "--rounds", "3", "--resume", *few)

    # The device took a place in round 3: its 60 messages, 3 local epochs, are in the round.
    assert int(metrics_without_timing(tmp_path / "with_log")[2]["train_examples"]) >= 3 * 60
    with_log = next_word_probability(tmp_path / "with_log" / "model", phrase)
    without = next_word_probability(tmp_path / "without" / "model", phrase)
    assert with_log > without, (with_log, without)
