"""The chip decision (pure numpy, fast): the scores the trainer's features give, the threshold."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from model.query_chips import load_chip_chooser, local_hour
from model.triggering import PastImpression, extract_features
from tests.conftest import write_tiny_queries


def test_the_local_hour_follows_the_devices_offset():
    now = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    assert [local_hour(offset, now) for offset in (0, 60, -300, 840)] == [23, 0, 18, 13]


def test_a_chip_scores_exactly_as_the_trainers_features_with_the_devices_history(tmp_path):
    chooser = load_chip_chooser(write_tiny_queries(tmp_path))
    history = [("map of paris", False), ("bread recipe", True)] * 3
    model = chooser.export.model

    assert chooser.score("Fresh bread", hour=9, history=history) is None  # Still typing it.
    chips = [chooser.score("Fresh bread ", hour=9, history=history) for _ in range(2)]

    expected = model.probability(extract_features(
        "fresh bread", "bread recipe", baseline_score=chips[0].baseline_score, hour=9,
        position=2, history=[PastImpression(q, t) for q, t in history], config=model.config))
    assert chips[0] == chips[1]  # The second reads the parsed history from the cache.
    assert (chips[0].query, chips[0].context, chips[0].position) == (
        "bread recipe", "fresh bread", 2)
    assert chips[0].score == pytest.approx(expected)


def test_only_chips_at_or_over_the_threshold_are_shown(tmp_path):
    chooser = load_chip_chooser(write_tiny_queries(tmp_path))
    assert chooser.choose("bread ", hour=9, history=[]).query == "bread recipe"
    assert chooser.score("many ", hour=9, history=[]).score < chooser.export.threshold
    assert chooser.choose("many ", hour=9, history=[]) is None
    assert chooser.choose("nothing matches ", hour=9, history=[]) is None
