"""The figures of the personalization evaluation (numpy)."""

from __future__ import annotations

import math

import pytest

from federated.evaluation.personalization import (
    ClientScores,
    by_activity,
    by_personal_messages,
    by_threshold,
    choose_setting,
    gains,
    merge_outputs,
)


def client(personal: int, words: int, before: int, after: int, *, cache: int = 0
           ) -> ClientScores:
    return ClientScores(personal_messages=personal, scored_messages=personal // 2,
                        scored_words=words, global_hits=before, personal_hits=after,
                        global_hits_with_cache=before + cache,
                        personal_hits_with_cache=after + cache)


CLIENTS = [client(2, 10, 5, 3), client(30, 100, 20, 30, cache=5), client(60, 100, 30, 30),
           client(5, 0, 0, 0)]


def test_gains_weigh_words_and_count_users_who_gain_and_lose():
    found = gains(CLIENTS, min_messages=0, with_cache=False)

    assert found["users"] == 3  # The client without scored words is left out.
    assert found["global_top1_recall"] == pytest.approx(55 / 210)
    assert found["mean_relative_top1_gain"] == pytest.approx((63 - 55) / 55)
    assert found["share_gaining"] == pytest.approx(1 / 3)
    assert found["share_losing_over_1pt"] == pytest.approx(1 / 3)  # -20 points.
    assert found["per_user_gain_points"] == [-20.0, 10.0, 0.0]


def test_below_min_messages_devices_keep_the_global_model():
    found = gains(CLIENTS, min_messages=10, with_cache=False)

    assert found["share_losing_over_1pt"] == 0.0
    assert found["mean_relative_top1_gain"] == pytest.approx(10 / 55)
    assert by_threshold(CLIENTS, [40, 0, 10]) == {
        0: {"mean_relative_top1_gain": pytest.approx(8 / 55), "share_losing_over_1pt": 1 / 3},
        10: {"mean_relative_top1_gain": pytest.approx(10 / 55), "share_losing_over_1pt": 0.0},
        40: {"mean_relative_top1_gain": 0.0, "share_losing_over_1pt": 0.0}}


def test_the_cache_counts_against_the_global_model_without_it():
    found = gains(CLIENTS, min_messages=0, with_cache=True)

    assert found["mean_relative_top1_gain"] == pytest.approx((63 + 5 - 55) / 55)


def test_breakdowns_by_activity_and_personal_data():
    terciles = by_activity(CLIENTS, min_messages=0, with_cache=False)
    bins = by_personal_messages(CLIENTS, [0, 10, 50], with_cache=False)

    assert [t["users"] for t in terciles.values()] == [1, 1, 1]
    assert terciles["light"]["mean_relative_top1_gain"] == pytest.approx(-0.4)
    assert list(bins) == ["0-9", "10-49", "50+"]
    assert bins["10-49"]["personal_top1_recall"] == pytest.approx(0.3)


def test_the_choice_prefers_settings_few_users_lose_with():
    risky = [client(30, 100, 20, 60), client(30, 100, 20, 10)]
    safe = [client(30, 100, 20, 25), client(30, 100, 20, 21)]

    assert choose_setting({"risky": risky, "safe": safe}, [0]) == ("safe", 0)
    assert choose_setting({"risky": risky}, [0]) == ("risky", 0)  # None is safe: the best.


def test_the_threshold_is_chosen_with_the_setting_to_keep_light_users_from_losing():
    # Bold fine-tuning gains most but costs the light user 20 points; the careful one gains
    # less and costs nobody a point. Only a threshold makes the bold one safe.
    bold = [client(5, 100, 50, 30), client(60, 100, 20, 60), client(60, 100, 20, 50)]
    careful = [client(5, 100, 50, 50), client(60, 100, 20, 35), client(60, 100, 20, 35)]

    assert choose_setting({"careful": careful, "bold": bold}, [0, 10, 40]) == ("bold", 10)
    # A careful setting gains as much at every threshold: the smaller threshold wins.
    assert choose_setting({"careful": careful}, [40, 0]) == ("careful", 0)


def test_equal_gains_go_to_the_smaller_threshold_then_the_earlier_setting():
    # "late" gains as much as "early", but only once its losing light user is kept back.
    late = [client(5, 100, 50, 30), client(60, 100, 20, 40)]
    early = [client(5, 100, 50, 50), client(60, 100, 20, 40)]

    assert choose_setting({"late": late, "early": early}, [40, 10, 0]) == ("early", 0)
    assert choose_setting({"early": early, "same": list(early)}, [0]) == ("early", 0)


def test_among_equal_gains_fewer_users_losing_wins_over_a_smaller_threshold():
    # The light users' gain and loss cancel: keeping them on the global model costs nothing,
    # and one user in 20 (safe either way) no longer loses.
    light_cancel = [client(5, 100, 50, 40), client(5, 100, 50, 60),
                    *[client(60, 100, 20, 40)] * 18]

    assert by_threshold(light_cancel, [0])[0]["share_losing_over_1pt"] == 0.05
    assert choose_setting({"a": light_cancel}, [0, 10]) == ("a", 10)


def test_a_gain_that_is_not_a_number_counts_as_the_worst():
    scores_nothing = [client(30, 100, 0, 50)]  # The global model hits nothing: no ratio.

    assert math.isnan(gains(scores_nothing, min_messages=0,
                            with_cache=False)["mean_relative_top1_gain"])
    assert choose_setting({"nan": scores_nothing, "small": [client(30, 100, 20, 21)]},
                          [0]) == ("small", 0)


def test_a_tenth_of_users_losing_is_not_safe():
    risky = [client(30, 100, 20, 60)] * 9 + [client(30, 100, 20, 18)]
    safe = [client(30, 100, 20, 21)] * 10

    assert choose_setting({"risky": risky, "safe": safe}, [0]) == ("safe", 0)


def test_the_choice_needs_a_setting_and_a_threshold():
    with pytest.raises(ValueError):
        choose_setting({}, [0])
    with pytest.raises(ValueError):
        choose_setting({"a": [client(30, 100, 20, 21)]}, [])


def test_merge_concatenates_per_client_lists_of_calls():
    merged = merge_outputs([{"a": {"b": [1.0]}}, {"a": {"b": [2.0, 3.0]}}])

    assert merged["a"]["b"].tolist() == [1.0, 2.0, 3.0]
