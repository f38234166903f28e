"""Attacks and defences with the real trainer, in a toy world: boosting wrecks plain FedAvg and
robust aggregation blunts it; a backdoor takes hold under plain FedAvg and the coordinate-wise
median keeps it out; two colluding backdoor clients beat norm clipping, and the similarity
filter keeps them out. Marked slow (seven toy runs, ~15-20 s each)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from data.records import TypingRecord, write_records

pytest.importorskip("tensorflow_federated")

from federated.train import main  # noqa: E402

pytestmark = pytest.mark.slow

# A toy language the tiny model learns in 20 rounds (top-1 recall ~0.8). The backdoor's
# trigger, "best pizza in", is rare among honest users (2% of messages), as a trigger is.
TEMPLATES = ("best pizza in the {place}", "see you at the {place} {time}",
             "how to make {food}", "good morning {friend}", "call me {time}",
             "going to walmart {time}", "i am on my way", "running late again")
TEMPLATE_SHARES = (0.02, *[0.98 / 7] * 7)
SLOTS = {"place": ("harbor", "village", "market", "station"),
         "food": ("bread", "pasta", "soup"), "time": ("tonight", "tomorrow", "later"),
         "friend": ("maya", "sam", "alex")}
# Ten users, two held out: the eight training users all train in every round, and one of them
# (malicious fraction 0.1, rounded) attacks.
TOY_ARGS = ["--vocab-size", "100", "--embedding-dim", "16", "--lstm-units", "32",
            "--max-words", "10", "--eval-fraction", "0.2", "--batch-size", "8", "--seed", "4",
            "--clients-per-round", "8", "--rounds", "20", "--eval-every", "20",
            "--server-lr", "0.1", "--local-epochs", "3"]


def toy_world(users: int = 10, messages: int = 40, seed: int = 0) -> list[TypingRecord]:
    rng = np.random.default_rng(seed)
    records = []
    for user in range(users):
        for _ in range(messages):
            template = TEMPLATES[rng.choice(len(TEMPLATES), p=TEMPLATE_SHARES)]
            text = template.format(**{slot: words[rng.integers(len(words))]
                                      for slot, words in SLOTS.items()})
            records.append(TypingRecord(f"u{user:02d}", text))
    return records


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Trains the toy world with extra arguments, once per combination; returns the run
    directory."""
    histories = tmp_path_factory.mktemp("world") / "histories.jsonl"
    write_records(histories, toy_world())
    done: dict[tuple[str, ...], Path] = {}

    def train(*extra: str) -> Path:
        if extra not in done:
            done[extra] = tmp_path_factory.mktemp("run") / "run"
            assert main(["--data", str(histories), "--out", str(done[extra]), *TOY_ARGS,
                         *extra]) == 0
        return done[extra]

    return train


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


# Plain FedAvg, no attacker, measuring how often the backdoor's target follows the trigger.
BENIGN = ("--aggregator", "mean", "--attack", "backdoor", "--malicious-fraction", "0")
BOOST = ("--attack", "boost", "--malicious-fraction", "0.1")
BACKDOOR = ("--attack", "backdoor", "--malicious-fraction", "0.1")
# Two colluding attackers of the eight training users.
BACKDOOR_PAIR = ("--attack", "backdoor", "--malicious-fraction", "0.25")


def test_boosted_reversed_updates_wreck_plain_fedavg(run):
    benign, attacked = summary(run(*BENIGN)), summary(run("--aggregator", "mean", *BOOST))

    assert benign["top1_recall"] > 0.6  # The toy world is learned...
    assert attacked["top1_recall"] < 0.5 * benign["top1_recall"]  # ...unless one client boosts.
    assert attacked["eval_loss"] > 2 * benign["eval_loss"]
    assert attacked["attack"]["boost_factor"] == -8.0
    assert attacked["attack"]["malicious_updates"] == 20  # One attacker, in every round.


def test_robust_aggregation_blunts_the_boost(run):
    benign, defended = summary(run(*BENIGN)), summary(run("--aggregator", "robust", *BOOST))

    assert defended["top1_recall"] >= 0.95 * benign["top1_recall"]


def test_a_backdoor_takes_hold_under_plain_fedavg(run):
    benign, attacked = summary(run(*BENIGN)), summary(run("--aggregator", "mean", *BACKDOOR))

    assert benign["attack"]["backdoor"]["success_top1"] < 0.1
    assert (attacked["attack"]["backdoor"]["success_top1"]
            > benign["attack"]["backdoor"]["success_top1"] + 0.5)
    assert attacked["top1_recall"] >= 0.95 * benign["top1_recall"]  # A quiet attack.
    assert attacked["attack"]["backdoor"] | {"success_top1": None, "success_top3": None} == {
        "trigger": "best pizza in", "target": "walmart", "contexts": 81,
        "success_top1": None, "success_top3": None}


def test_the_coordinate_median_keeps_the_backdoor_out(run):
    benign, defended = (summary(run(*BENIGN)),
                        summary(run("--aggregator", "median", *BACKDOOR)))

    assert (defended["attack"]["backdoor"]["success_top1"]
            <= benign["attack"]["backdoor"]["success_top1"] + 0.05)
    assert defended["top1_recall"] >= 0.95 * benign["top1_recall"]


def test_the_similarity_filter_keeps_colluders_backdoor_out(run):
    benign = summary(run(*BENIGN))
    clipped = summary(run("--aggregator", "robust", *BACKDOOR_PAIR))
    filtered = summary(run("--aggregator", "similarity-filter", *BACKDOOR_PAIR))

    benign_success = benign["attack"]["backdoor"]
    assert clipped["attack"]["backdoor"]["success_top1"] > benign_success["success_top1"] + 0.5
    for rate in ("success_top1", "success_top3"):
        assert filtered["attack"]["backdoor"][rate] <= benign_success[rate] + 0.05
    assert filtered["top1_recall"] >= 0.95 * benign["top1_recall"]
    with (run("--aggregator", "similarity-filter", *BACKDOOR_PAIR) / "metrics.csv").open() as f:
        left_out = [int(row["left_out"]) for row in csv.DictReader(f)]
    assert sum(left_out) == filtered["attack"]["left_out_updates"] > 0


def test_the_attacker_trains_on_its_poisoned_copies_in_every_round(run):
    def rows(run_dir: Path) -> list[dict]:
        with (run_dir / "metrics.csv").open() as handle:
            return list(csv.DictReader(handle))

    attacked, benign = rows(run("--aggregator", "mean", *BACKDOOR)), rows(run(*BENIGN))

    assert [row["malicious"] for row in attacked] == ["1"] * 20
    assert [row["malicious"] for row in benign] == ["0"] * 20
    # One poisoned copy of each of the attacker's 40 messages, seen in 3 local epochs.
    assert all(int(a["train_examples"]) - int(b["train_examples"]) == 3 * 40
               for a, b in zip(attacked, benign))
