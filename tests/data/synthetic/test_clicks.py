"""Simulated query-suggestion taps: seeded, separate from the histories, a learnable signal."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from data.generate import main
from data.impressions import impressions_path, read_impressions, searches_path
from data.records import TypingRecord, group_by_user, read_records
from data.split import split_users
from data.synthetic.clicks import (
    ClickConfig,
    Shown,
    draw_taps,
    generate_user_logs,
    logging_index,
)
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from model.click_metrics import ctr_at_share_kept
from model.query_candidates import QueryCandidate
from model.triggering import TriggeringConfig
from model.triggering_training import (
    TrainingConfig,
    log_examples,
    predict,
    train_logistic_regression,
)

# Small background so the logging baseline is quick to build in tests.
FAST = ClickConfig(background_users=60, background_searches=30)


def impressions_of(config: GenerationConfig, clicks: ClickConfig = FAST):
    return [i for user in generate_user_logs(config, clicks) for i in user.impressions]


def test_same_seed_same_taps_different_seed_different_taps():
    first = impressions_of(GenerationConfig(users=6, seed=3))
    again = impressions_of(GenerationConfig(users=6, seed=3))
    other = impressions_of(GenerationConfig(users=6, seed=4))

    assert first and first == again
    assert first != other


def test_records_are_exactly_the_typing_histories():
    config = GenerationConfig(users=5, seed=2)

    logged = [r for user in generate_user_logs(config, FAST) for r in user.records]

    assert logged == list(generate_records(config))


def test_logging_baseline_comes_from_background_users_not_the_dataset():
    few = logging_index(GenerationConfig(users=3, seed=5), FAST)
    many = logging_index(GenerationConfig(users=40, seed=5), FAST)

    assert few.candidates == many.candidates
    assert len(few) > 20


def test_every_impression_carries_a_probability_and_a_bool_label():
    shown = impressions_of(GenerationConfig(users=8, seed=1))

    assert all(isinstance(i.clicked, bool) for i in shown)
    assert all(0 < i.click_probability < 1 for i in shown)
    assert all(i.context.split(" ")[: i.position] == i.context.split(" ") for i in shown)


CHAT = TypingRecord("u1", "we should bake lasagna tonight", "2026-03-01T20:00:00Z", "cooking")
SEARCH = TypingRecord("u1", "how to make lasagna", "2026-03-01T21:00:00Z", "cooking")
LASAGNA = QueryCandidate("how to make lasagna", 3, "cooking")
EXACT = ClickConfig(propensity_sigma=0.0, noise_sigma=0.0)


def probability(records, styles, shown: Shown, clicks: ClickConfig = EXACT) -> float:
    taps = draw_taps(records, styles, [shown], clicks=clicks, rng=np.random.default_rng(0))
    return taps[0].click_probability


def test_click_probability_follows_the_documented_logit():
    shown = Shown(message=0, position=5, words=5, candidate=LASAGNA, score=0.7)

    with_search = probability([CHAT, SEARCH], ["chat", "query"], shown)
    without = probability([CHAT], ["chat"], shown)

    # At 20:00 cos(0) = 1; at the end of the message position/words - 1/2 = 1/2; same topic.
    base = EXACT.base_logit + EXACT.evening + EXACT.late_in_message * 0.5 + EXACT.message_topic
    assert without == pytest.approx(1 / (1 + math.exp(-base)), abs=1e-6)
    # The next search is on the candidate's topic and is the candidate word for word.
    relevant = base + EXACT.next_search_topic + EXACT.next_search_overlap * 1.0
    assert with_search == pytest.approx(1 / (1 + math.exp(-relevant)), abs=1e-6)


def test_a_search_after_the_horizon_does_not_count():
    late = dataclasses.replace(SEARCH, timestamp="2026-03-03T21:00:00Z")
    shown = Shown(message=0, position=5, words=5, candidate=LASAGNA, score=0.7)

    assert probability([CHAT, late], ["chat", "query"], shown) == probability(
        [CHAT], ["chat"], shown)


def test_taps_are_likelier_late_in_the_message():
    early = Shown(message=0, position=1, words=5, candidate=LASAGNA, score=0.7)
    late = Shown(message=0, position=5, words=5, candidate=LASAGNA, score=0.7)

    assert probability([CHAT], ["chat"], early) < probability([CHAT], ["chat"], late)


def test_generator_writes_searches_and_impressions_beside_the_histories(tmp_path, capsys):
    out = tmp_path / "histories.jsonl"

    main(["--users", "6", "--seed", "4", "--out", str(out), "--quiet"])

    histories = out.read_text(encoding="utf-8").splitlines()
    searches = read_records(searches_path(out)).records
    shown = read_impressions(impressions_path(out)).impressions
    assert searches and set(r.to_json() for r in searches) <= set(histories)
    assert shown and {i.user_id for i in shown} <= {r.user_id for r in read_records(out).records}


@pytest.fixture(scope="module")
def two_hundred_users():
    config = GenerationConfig(users=200, seed=11)
    by_user = {}
    for user in generate_user_logs(config, ClickConfig()):
        by_user[user.records[0].user_id] = user
    return by_user


def test_logistic_regression_beats_show_always_at_half_kept(two_hundred_users):
    records = group_by_user(r for user in two_hundred_users.values() for r in user.records)
    split = split_users(records, eval_fraction=0.3, seed=11)
    config = TriggeringConfig(buckets=2**16)
    train, held_out = (
        [i for u in users for i in two_hundred_users[u].impressions]
        for users in (split.train, split.eval)
    )
    matrix, labels = log_examples(train, config)
    model = train_logistic_regression(matrix, labels, config=config,
                                      training=TrainingConfig(seed=11))

    eval_matrix, eval_labels = log_examples(held_out, config)
    kept = ctr_at_share_kept(eval_labels, predict(model, eval_matrix), 0.5)

    show_always = float(eval_labels.mean())
    assert 0.02 < show_always < 0.30
    assert kept > 1.2 * show_always
