"""The triggering model: fixed hashed features, scoring, training, save/load, log examples."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest

from data.impressions import ImpressionRecord
from model.click_metrics import log_loss
from model.triggering import (
    PastImpression,
    TriggeringConfig,
    TriggeringModel,
    extract_features,
    feature_bucket,
    feature_names,
    load_triggering_model,
    save_triggering_model,
)
from model.triggering_training import (
    FeatureMatrix,
    TrainingConfig,
    log_examples,
    predict,
    stack_features,
    train_logistic_regression,
)

SMALL = TriggeringConfig(buckets=16, context_words=3, history_size=50)


def test_feature_buckets_are_crc32_so_every_process_agrees():
    # zlib.crc32(b"c:lasagna") == 2851068975, whatever PYTHONHASHSEED is.
    assert feature_bucket("c:lasagna", 2**18) == 2851068975 % 2**18 == 252975
    assert feature_bucket("h:20", 16) == zlib.crc32(b"h:20") % 16 == 11


def test_feature_names_of_one_suggestion():
    history = [PastImpression("lasagna recipe", True), PastImpression("tacos near me", False),
               PastImpression("how to make lasagna", False)]

    names = feature_names("I am making lasagna", "how to make lasagna", baseline_score=0.62,
                          hour=19, position=4, history=history, config=SMALL)

    assert names == [
        ("c:am", 1.0), ("c:making", 1.0), ("c:lasagna", 1.0),
        ("cb:am making", 1.0), ("cb:making lasagna", 1.0),
        ("q:how", 1.0), ("q:to", 1.0), ("q:make", 1.0), ("q:lasagna", 1.0),
        ("qq:how to make lasagna", 1.0), ("ov:1", 1.0), ("ow:lasagna", 1.0),
        ("s:6", 1.0), ("h:19", 1.0), ("p:4", 1.0),
        # 3 shown, 1 tapped; rate (1 + 0.5) / (3 + 1) -> log2 bucket 1; 2 share "lasagna", 1
        # of them tapped; this very query shown once, never tapped.
        ("hn:3-4", 1.0), ("hk:1", 1.0), ("hr:1", 1.0), ("hw:2/1", 1.0), ("hs:1/0", 1.0),
        ("sv", 0.62),
    ]  # fmt: skip


def test_only_the_last_history_size_impressions_count():
    history = [PastImpression("tacos", True)] + [PastImpression("pizza", False)] * 2
    config = TriggeringConfig(buckets=16, history_size=2)

    names = dict(feature_names("", "tacos", baseline_score=0.5, hour=0, position=0,
                               history=history, config=config))

    assert "hk:0" in names and "hs:0/0" in names


def test_an_impossible_hour_is_refused():
    with pytest.raises(ValueError, match="hour must be in 0..23"):
        feature_names("", "x", baseline_score=0.1, hour=24, position=0, history=[],
                      config=SMALL)


def test_model_probability_is_the_sigmoid_of_weights_plus_bias():
    features = extract_features("pizza", "pizza near me", baseline_score=0.5, hour=20,
                                position=1, history=[], config=SMALL)
    weights = np.zeros(16)
    weights[features.indices[0]] = 1.0  # The first feature, "c:pizza", value 1.

    model = TriggeringModel(SMALL, weights, bias=-1.0)

    expected_logit = float(np.sum(features.indices == features.indices[0])) - 1.0
    assert model.logit(features) == pytest.approx(expected_logit)
    assert model.probability(features) == pytest.approx(1 / (1 + np.exp(-expected_logit)))


def test_save_and_load_round_trip(tmp_path):
    weights = np.arange(16, dtype=np.float32) / 10
    model = TriggeringModel(SMALL, weights, bias=0.25)

    save_triggering_model(tmp_path, model)
    loaded = load_triggering_model(tmp_path)
    saved = json.loads((tmp_path / "triggering.json").read_text())

    assert loaded.config == SMALL
    np.testing.assert_array_equal(loaded.weights, weights)
    assert loaded.bias == 0.25
    assert saved == {"format": "triggering-model", "version": 1, "hash": "crc32",
                     "buckets": 16, "context_words": 3, "history_size": 50}


def test_loading_refuses_another_version(tmp_path):
    save_triggering_model(tmp_path, TriggeringModel(SMALL, np.zeros(16), 0.0))
    config = json.loads((tmp_path / "triggering.json").read_text())
    (tmp_path / "triggering.json").write_text(json.dumps({**config, "version": 2}))

    with pytest.raises(ValueError, match="version 2, this code reads version 1"):
        load_triggering_model(tmp_path)


def impression(user: str, candidate: str, clicked: bool, hour: int = 12) -> ImpressionRecord:
    return ImpressionRecord(user, f"2026-03-01T{hour:02d}:00:00Z", "so", candidate, 1, 0.5,
                            clicked)


def test_log_examples_see_only_their_users_earlier_impressions():
    log = [impression("a", "pizza", True), impression("b", "pizza", False),
           impression("a", "pizza", False)]

    matrix, labels = log_examples(log, SMALL)

    np.testing.assert_array_equal(labels, [1.0, 0.0, 0.0])
    third = extract_features("so", "pizza", baseline_score=0.5, hour=12, position=1,
                             history=[PastImpression("pizza", True)], config=SMALL)
    np.testing.assert_array_equal(matrix.take(np.array([2])).indices, third.indices)


def test_take_reorders_rows():
    rows = [extract_features("", q, baseline_score=0.1, hour=1, position=0, history=[],
                             config=SMALL) for q in ("a", "b c", "d")]
    matrix = stack_features(rows)

    taken = matrix.take(np.array([2, 0]))

    assert isinstance(taken, FeatureMatrix) and taken.rows == 2
    np.testing.assert_array_equal(taken.indices,
                                  np.concatenate([rows[2].indices, rows[0].indices]))


def test_training_learns_which_hour_is_tapped():
    # Taps at 20:00 one time in two, at 08:00 never: the model must rank evenings first.
    log = [impression(f"u{i}", "pizza", clicked=(i % 4 == 0), hour=20 if i % 2 == 0 else 8)
           for i in range(400)]
    config = TriggeringConfig(buckets=2**10)
    matrix, labels = log_examples(log, config)

    model = train_logistic_regression(matrix, labels, config=config,
                                      training=TrainingConfig(epochs=40, learning_rate=0.01))
    probabilities = predict(model, matrix)

    assert probabilities[0] == pytest.approx(0.5, abs=0.1)
    assert probabilities[1] < 0.1
    assert log_loss(labels, probabilities) < log_loss(labels, np.full(400, labels.mean()))


def test_training_is_seeded():
    log = [impression(f"u{i % 7}", f"q{i % 5}", clicked=i % 3 == 0) for i in range(60)]
    matrix, labels = log_examples(log, SMALL)
    training = TrainingConfig(epochs=2, batch_size=8, seed=4)

    first = train_logistic_regression(matrix, labels, config=SMALL, training=training)
    second = train_logistic_regression(matrix, labels, config=SMALL, training=training)

    np.testing.assert_array_equal(first.weights, second.weights)
