"""Device eligibility: idle, charging and on wifi at the round's simulated clock time."""

from __future__ import annotations

import numpy as np
import pytest

from data.records import TypingRecord, group_by_user
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from federated.simulation.availability import (
    HOURS,
    Availability,
    DeviceSchedule,
    build_availability,
    hour_of,
    make_schedule,
    quiet_hours,
)
from federated.simulation.options import DeviceConfig

EVERY_HOUR = frozenset(range(HOURS))


def records(user: str, hours: list[int]) -> list[TypingRecord]:
    return [TypingRecord(user, "hi there", f"2026-03-01T{hour:02d}:30:00Z") for hour in hours]


def test_hour_of_reads_the_hour_as_written():
    assert hour_of("2026-03-01T08:15:00Z") == 8
    assert hour_of("2026-03-01T23:59:59+02:00") == 23


def test_rounds_follow_the_simulated_clock():
    availability = Availability({}, DeviceConfig(start_time="22:30", round_minutes=30), seed=0)

    assert [availability.hour(r) for r in (1, 2, 3, 4, 5)] == [22, 23, 23, 0, 0]
    assert availability.hour(1 + 48 * 2) == 22  # 48 rounds of 30 minutes later: next day.


def test_only_idle_charging_devices_on_wifi_are_eligible():
    schedules = {
        "eligible": DeviceSchedule(EVERY_HOUR, frozenset({3}), wifi_share=1.0),
        "typing": DeviceSchedule(frozenset({4}), EVERY_HOUR, wifi_share=1.0),  # Idle at 4.
        "not_charging": DeviceSchedule(EVERY_HOUR, frozenset({4}), wifi_share=1.0),
        "no_wifi": DeviceSchedule(EVERY_HOUR, EVERY_HOUR, wifi_share=0.0),
    }
    availability = Availability(schedules, DeviceConfig(start_time="03:00"), seed=0)

    assert all(availability.eligible(r) == ["eligible"] for r in range(1, 13))  # 03:00-03:55
    # 04:00: `eligible` has stopped charging; the next two can train; wifi never comes.
    assert availability.eligible(13) == ["not_charging", "typing"]


def test_wifi_is_drawn_per_round_with_the_users_share():
    schedules = {f"u{i}": DeviceSchedule(EVERY_HOUR, EVERY_HOUR, wifi_share=0.7)
                 for i in range(50)}
    availability = Availability(schedules, DeviceConfig(), seed=0)

    counts = [len(availability.eligible(r)) for r in range(1, 101)]

    assert 0.6 < np.mean(counts) / 50 < 0.8
    assert len(set(counts)) > 1


def test_a_user_who_types_all_day_is_idle_at_night_and_charges_around_it():
    day = list(range(8, 23)) * 10  # 150 messages, none between 23:00 and 08:00.
    population = np.full(HOURS, 1 / HOURS)

    schedule = make_schedule(np.bincount(day, minlength=HOURS).astype(float), population,
                             seed=0, user_id="u1")

    assert schedule.idle_hours == frozenset({23, *range(8)})
    assert 6 <= len(schedule.charging_hours) <= 9
    assert 3 in schedule.charging_hours  # The middle of the quiet night.
    assert not schedule.charging_hours & set(range(10, 20))


def test_users_without_timestamps_take_the_population_profile():
    typed = {"night_owl": records("night_owl", [12, 13, 14] * 20),
             "no_clock": [TypingRecord("no_clock", "hi")]}

    availability = build_availability(typed, DeviceConfig(), seed=0)

    population_quiet = quiet_hours(np.bincount([12, 13, 14], minlength=HOURS) / 3)
    assert availability.schedule("no_clock").idle_hours == population_quiet
    assert 13 not in availability.schedule("night_owl").idle_hours


def test_eligibility_needs_some_timestamps():
    with pytest.raises(ValueError, match="--eligibility needs timestamps"):
        build_availability({"u1": [TypingRecord("u1", "hi")]}, DeviceConfig(), seed=0)


@pytest.fixture(scope="module")
def simulated_users():
    return group_by_user(generate_records(GenerationConfig(users=60, seed=2,
                                                           mean_messages=40)))


def test_simulated_phones_train_at_night_not_in_the_afternoon(simulated_users):
    availability = build_availability(simulated_users, DeviceConfig(start_time="03:00"), seed=1)
    afternoon = 12 * 12 + 1  # 12 hours of 5-minute rounds after 03:00.

    assert len(availability.eligible(1)) > 20
    assert availability.eligible(afternoon) == []


def test_eligibility_is_deterministic_and_seeded(simulated_users):
    def eligible_over_a_night(seed: int) -> list[list[str]]:
        availability = build_availability(simulated_users, DeviceConfig(), seed=seed)
        return [availability.eligible(r) for r in range(1, 100)]

    assert eligible_over_a_night(1) == eligible_over_a_night(1)
    assert eligible_over_a_night(1) != eligible_over_a_night(2)
