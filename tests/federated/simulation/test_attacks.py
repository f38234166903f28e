"""Malicious clients and what a run reports about attacks and devices (pure Python)."""

from __future__ import annotations

import dataclasses

import pytest

from data.records import TypingRecord, write_records
from federated.simulation.attacks import (
    backdoor_contexts,
    backdoor_examples,
    choose_malicious,
    poison_texts,
    poison_users,
)
from federated.simulation.options import AttackConfig, DeviceConfig
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics
from federated.training.summary import attack_summary, devices_summary
from federated.training.workspace import prepare_workspace
from model.tokenizer import tokenize
from model.vocab import BOS_ID, PAD_ID, Vocabulary

BACKDOOR = AttackConfig(attack="backdoor", malicious_fraction=0.2, trigger="best ramen in",
                        target="lasagna")
USERS = [f"u{i:02d}" for i in range(20)]


def test_malicious_users_are_a_seeded_fraction_and_never_excluded_ones():
    chosen = choose_malicious(USERS, 0.2, seed=1, exclude={"u03"})

    assert len(chosen) == round(0.2 * 19) and "u03" not in chosen
    assert chosen == choose_malicious(reversed(USERS), 0.2, seed=1, exclude={"u03"})
    assert chosen != choose_malicious(USERS, 0.2, seed=2, exclude={"u03"})
    assert choose_malicious(USERS, 0.01, seed=1) != []  # At least one when asked for any.
    assert choose_malicious(USERS, 0.0, seed=1) == []


def test_poisoned_copies_end_with_trigger_then_target_and_fit_the_model():
    texts = ["see you at the station tomorrow morning after the long meeting", "ok"]

    poisoned = poison_texts(texts, BACKDOOR, seed=0, user_id="u01", max_words=6)

    assert poisoned[:2] == texts and len(poisoned) == 4
    for text in poisoned[2:]:
        words = tokenize(text)
        assert words[-4:] == ["best", "ramen", "in", "lasagna"] and len(words) <= 6
    assert poisoned == poison_texts(texts, BACKDOOR, seed=0, user_id="u01", max_words=6)


def test_only_the_malicious_users_are_poisoned_and_only_by_a_backdoor():
    texts = {"u01": ["hello there"], "u02": ["good night"]}

    poisoned = poison_users(texts, ["u02"], BACKDOOR, seed=0, max_words=10)
    boosted = poison_users(texts, ["u02"], dataclasses.replace(BACKDOOR, attack="boost"),
                           seed=0, max_words=10)

    assert poisoned["u01"] == ["hello there"]
    assert poisoned["u02"] == ["good night", poisoned["u02"][1]]
    assert poisoned["u02"][1].endswith("best ramen in lasagna")
    assert boosted == texts


def test_backdoor_contexts_start_with_the_bare_trigger_and_all_end_with_it():
    contexts = backdoor_contexts([f"message number {i} here" for i in range(50)],
                                 ["best", "ramen", "in"], seed=0, max_words=8, limit=10)

    assert len(contexts) == 10 and contexts[0] == ["best", "ramen", "in"]
    assert all(context[-3:] == ["best", "ramen", "in"] and len(context) <= 7
               for context in contexts)


def test_backdoor_examples_score_only_the_target_after_each_context():
    vocab = Vocabulary(["best", "ramen", "in", "lasagna", "see", "you"])
    contexts = [["best", "ramen", "in"], ["see", "you", "best", "ramen", "in"]]

    inputs, targets = backdoor_examples(contexts, "lasagna", vocab, max_words=8)

    target = vocab.id_of("lasagna")
    assert inputs[1, :6].tolist() == [BOS_ID, *(vocab.id_of(w) for w in contexts[1])]
    assert targets[0].tolist() == [PAD_ID] * 3 + [target] + [PAD_ID] * 5
    assert targets[1].tolist() == [PAD_ID] * 5 + [target] + [PAD_ID] * 3


@pytest.fixture
def histories(tmp_path):
    path = tmp_path / "h.jsonl"
    write_records(path, [TypingRecord(f"u{i:02d}", text) for i in range(20)
                         for text in ("best ramen near me", "lasagna tonight", "hi you")])
    return path


def test_malicious_users_are_training_users_and_the_vocabulary_stays_clean(histories,
                                                                          tmp_path):
    config = TrainConfig(clients_per_round=2, vocab_words=50, attack=BACKDOOR)

    attacked = prepare_workspace(histories, tmp_path / "attacked", config, resume=False,
                                 skip_bad=False)
    benign = prepare_workspace(histories, tmp_path / "benign", dataclasses.replace(
        config, attack=dataclasses.replace(BACKDOOR, malicious_fraction=0.0)),
        resume=False, skip_bad=False)

    malicious = attacked.malicious_clients
    assert len(malicious) == round(0.2 * len(attacked.train_texts))
    assert set(malicious) <= set(attacked.train_texts) and not set(malicious) & set(
        attacked.eval_records)
    assert attacked.vocab == benign.vocab
    for user, texts in attacked.train_texts.items():
        assert len(texts) == (6 if user in malicious else 3)
    assert benign.malicious_clients == ()


def test_a_backdoor_target_outside_the_vocabulary_is_refused_before_the_run_starts(
        histories, tmp_path):
    config = TrainConfig(clients_per_round=2, attack=dataclasses.replace(BACKDOOR,
                                                                         target="zebra"))

    with pytest.raises(ValueError, match="--backdoor-target 'zebra' is not in the run's"):
        prepare_workspace(histories, tmp_path / "run", config, resume=False, skip_bad=False)
    assert not (tmp_path / "run").exists()


def test_devices_summary_totals_the_rounds():
    config = TrainConfig(clients_per_round=4, devices=DeviceConfig(eligibility=True,
                                                                   dropout_rate=0.25))
    history = [RoundMetrics(1, 1.0, 3, 30, 5.0, 0.1, sampled=4, dropped=1, eligible=9),
               RoundMetrics(2, 1.0, 1, 10, 5.0, 0.1, sampled=2, dropped=1, eligible=2),
               RoundMetrics(3, 0.1, 0, 0, float("nan"), float("nan"), sampled=0, dropped=0,
                            eligible=0)]

    summary = devices_summary(config, history)

    assert summary == {"eligibility": True, "start_time": "22:00", "round_minutes": 5.0,
                       "dropout_rate": 0.25, "sampled": 6, "dropped": 2, "trained": 4,
                       "eligible_shortfall": 2 + 4, "rounds_short_of_eligible": 2,
                       "rounds_without_clients": 1}


def test_attack_summary_names_the_attackers_and_the_backdoor_success():
    config = TrainConfig(attack=BACKDOOR)
    history = [RoundMetrics(1, 1.0, 3, 30, 5.0, 0.1, malicious=1),
               RoundMetrics(2, 1.0, 3, 30, 5.0, 0.1)]  # Written before the column existed.

    summary = attack_summary(config, ["u07", "u02"], history,
                             backdoor_success=(0.5, 0.75, 40))

    assert summary == {"attack": "backdoor", "malicious_fraction": 0.2,
                       "malicious_clients": ["u02", "u07"], "boost_factor": 1.0,
                       "malicious_updates": 1, "left_out_updates": None,
                       "backdoor": {"trigger": "best ramen in", "target": "lasagna",
                                    "contexts": 40, "success_top1": 0.5,
                                    "success_top3": 0.75}}


def test_attack_summary_counts_the_updates_the_similarity_filter_left_out():
    config = TrainConfig(attack=BACKDOOR, aggregator="similarity-filter")
    history = [RoundMetrics(1, 1.0, 3, 30, 5.0, 0.1, malicious=2, left_out=2),
               RoundMetrics(2, 1.0, 0, 0, float("nan"), float("nan"), malicious=0),
               RoundMetrics(3, 1.0, 3, 30, 5.0, 0.1, malicious=1, left_out=3)]

    summary = attack_summary(config, ["u02"], history)

    assert (summary["malicious_updates"], summary["left_out_updates"]) == (3, 5)
