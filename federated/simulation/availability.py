"""When a simulated phone may train: idle, charging and on an unmetered network.

Gboard trains only on devices that are idle, charging and on an unmetered network (Yang et
al. 2018, "Applied federated learning: improving Google Keyboard query suggestions"), which in
practice means at night. Here every round happens at a simulated clock time (round 1 at
`DeviceConfig.start_time`, each later round `round_minutes` after the one before), and a
user's device is eligible at that time when:

- idle: the user rarely types at that hour. Their hourly profile (share of their messages
  typed in each hour of the day, the hour as written in the timestamp) is smoothed toward the
  population's profile with a prior worth `PRIOR_MESSAGES` messages, so light users lean on
  the crowd; an hour is quiet when its share is at most `QUIET_SHARE` (half an even spread).
- charging: inside the user's nightly charging window, 6-9 hours (seeded per user) centred on
  the middle of their longest run of quiet hours, shifted by a seeded -1, 0 or +1 hour.
- unmetered: on wifi, drawn afresh each round with a seeded per-user probability in
  [`MIN_WIFI_SHARE`, 1].

Users without timestamps take the population's profile (and their own seeded charging window
and wifi share); data with no timestamps at all cannot simulate eligibility.
Pure Python and numpy: no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np

from data.records import TypingRecord, parse_timestamp
from federated.simulation.options import DeviceConfig
from federated.simulation.sampling import stable_id

HOURS = 24
PRIOR_MESSAGES = 24.0
QUIET_SHARE = 0.5 / HOURS
CHARGING_HOURS = (6, 9)  # Shortest and longest nightly charge, inclusive.
MIN_WIFI_SHARE = 0.6
_SCHEDULE_STREAM, _WIFI_STREAM = 3, 4  # Keep these draws apart from other seeded draws.


def hour_of(timestamp: str) -> int:
    """The hour of day (0-23) as written in an ISO 8601 timestamp."""
    return parse_timestamp(timestamp).hour


def hourly_counts(records: Iterable[TypingRecord]) -> np.ndarray:
    """How many of `records` were typed in each hour of the day (records without a timestamp
    are not counted)."""
    counts = np.zeros(HOURS)
    for record in records:
        if record.timestamp is not None:
            counts[hour_of(record.timestamp)] += 1
    return counts


@dataclass(frozen=True)
class DeviceSchedule:
    """One user's phone: the hours it is idle and charging, and how often it is on wifi."""

    idle_hours: frozenset[int]
    charging_hours: frozenset[int]
    wifi_share: float

    def can_train_at(self, hour: int) -> bool:
        """Idle and charging at `hour` (wifi is drawn per round)."""
        return hour in self.idle_hours and hour in self.charging_hours


def quiet_hours(shares: np.ndarray) -> frozenset[int]:
    """The hours whose share of a user's typing is at most `QUIET_SHARE`."""
    return frozenset(int(h) for h in np.flatnonzero(shares <= QUIET_SHARE))


def middle_of_quiet(idle_hours: frozenset[int], shares: np.ndarray) -> int:
    """The middle hour of the longest run of quiet hours (across midnight too); the quietest
    hour when no hour, or every hour, is quiet."""
    longest, middle = 0, int(np.argmin(shares))
    for start in idle_hours:
        if (start - 1) % HOURS in idle_hours:
            continue  # Not the first hour of a run.
        length = 1
        while length < HOURS and (start + length) % HOURS in idle_hours:
            length += 1
        if length > longest:
            longest, middle = length, (start + length // 2) % HOURS
    return middle


def make_schedule(counts: np.ndarray, population_shares: np.ndarray, *, seed: int,
                  user_id: str) -> DeviceSchedule:
    """The schedule of one user with hourly message `counts` (all zero: no timestamps)."""
    shares = (counts + PRIOR_MESSAGES * population_shares) / (counts.sum() + PRIOR_MESSAGES)
    idle_hours = quiet_hours(shares)
    rng = np.random.default_rng([seed, _SCHEDULE_STREAM, stable_id(user_id)])
    length = int(rng.integers(CHARGING_HOURS[0], CHARGING_HOURS[1] + 1))
    start = middle_of_quiet(idle_hours, shares) - length // 2 + int(rng.integers(-1, 2))
    return DeviceSchedule(
        idle_hours=idle_hours,
        charging_hours=frozenset((start + h) % HOURS for h in range(length)),
        wifi_share=float(rng.uniform(MIN_WIFI_SHARE, 1.0)))


class Availability:
    """Which users' phones can train in a round, by the round's simulated clock time."""

    def __init__(self, schedules: Mapping[str, DeviceSchedule], config: DeviceConfig, *,
                 seed: int):
        self._users = sorted(schedules)
        self._schedules = dict(schedules)
        self._config = config
        self._seed = seed

    def schedule(self, user_id: str) -> DeviceSchedule:
        return self._schedules[user_id]

    def hour(self, round_number: int) -> int:
        """The hour of day at which `round_number` (1, 2, ...) happens."""
        minute = self._config.start_minute + (round_number - 1) * self._config.round_minutes
        return int(minute // 60) % HOURS

    def eligible(self, round_number: int) -> list[str]:
        """The users whose phones are idle, charging and on wifi in `round_number` (sorted).

        The wifi draws depend only on the seed, the round and the set of users, so a resumed
        run sees exactly what an uninterrupted run saw.
        """
        hour = self.hour(round_number)
        on_wifi = np.random.default_rng([self._seed, _WIFI_STREAM, round_number]).random(
            len(self._users))
        return [user for user, draw in zip(self._users, on_wifi)
                if self._schedules[user].can_train_at(hour)
                and draw < self._schedules[user].wifi_share]


def build_availability(records_by_user: Mapping[str, Sequence[TypingRecord]],
                       config: DeviceConfig, *, seed: int,
                       users: Optional[Iterable[str]] = None) -> Availability:
    """Every user's schedule from their own timestamps (see the module docstring).

    Args:
        records_by_user: the training users' records; their timestamps make the profiles.
        config: the simulated clock.
        seed: seeds charging windows and wifi.
        users: the users to schedule (default: those of `records_by_user`); a user without
            records takes the population's profile.

    Raises:
        ValueError: no record has a timestamp.
    """
    counts = {user: hourly_counts(records) for user, records in records_by_user.items()}
    population = sum(counts.values(), np.zeros(HOURS))
    if population.sum() == 0:
        raise ValueError("--eligibility needs timestamps in --data: no training record "
                         "has one")
    population_shares = population / population.sum()
    users = sorted(records_by_user if users is None else users)
    return Availability(
        {user: make_schedule(counts.get(user, np.zeros(HOURS)), population_shares, seed=seed,
                             user_id=user) for user in users},
        config, seed=seed)
