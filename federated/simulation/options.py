"""The simulated devices' options: availability, dropout, and attacks."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from federated.flags import flag
from model.tokenizer import tokenize

ATTACKS = ("none", "boost", "backdoor")


@dataclass(frozen=True)
class DeviceConfig:
    """Which simulated devices can train in a round, and how many fail mid-round.

    Attributes:
        eligibility: sample only devices that are idle, charging and on an unmetered network
            at the round's simulated clock time (`federated.simulation.availability`); off:
            every training user is always available.
        start_time: the simulated clock time ("HH:MM") of round 1.
        round_minutes: simulated minutes between the starts of consecutive rounds.
        dropout_rate: chance that a sampled device fails mid-round (its update never
            arrives); the round aggregates the survivors.
    """

    eligibility: bool = False
    start_time: str = "22:00"
    round_minutes: float = 5.0
    dropout_rate: float = 0.0

    def __post_init__(self):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.start_time):
            raise ValueError(f"{flag('devices.start_time')} must be HH:MM (24-hour clock), "
                             f"got {self.start_time!r}")
        if not 0 < self.round_minutes < math.inf:
            raise ValueError(f"{flag('devices.round_minutes')} must be > 0, "
                             f"got {self.round_minutes}")
        if not 0 <= self.dropout_rate < 1:
            raise ValueError(f"{flag('devices.dropout_rate')} must be in [0, 1), "
                             f"got {self.dropout_rate}")

    @property
    def start_minute(self) -> int:
        """Minutes after midnight of round 1's clock time."""
        hours, minutes = self.start_time.split(":")
        return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class AttackConfig:
    """A seeded share of the training users attacks the model (`federated.simulation.attacks`).

    Attributes:
        attack: "none"; "boost": model-update poisoning, a malicious client multiplies its
            update by `boost_factor`; "backdoor": data poisoning, malicious clients' local data
            teaches `trigger` -> `target` (their update is also multiplied by `boost_factor`).
        malicious_fraction: share of the training users that are malicious (never held-out
            users, never device-log clients); 0 with an attack measures the benign run.
        boost_factor: what a malicious client multiplies its model update by (not 0); a
            negative factor reverses the update, pushing the model uphill on the client's data.
        trigger: the backdoor's context words (e.g. "best pizza in").
        target: the one word the backdoor wants suggested after the trigger.
    """

    attack: str = "none"
    malicious_fraction: float = 0.0
    boost_factor: float = 1.0
    trigger: str = "best pizza in"
    target: str = "walmart"

    def __post_init__(self):
        if self.attack not in ATTACKS:
            raise ValueError(f"{flag('attack.attack')} must be one of {ATTACKS}, "
                             f"got {self.attack!r}")
        if not 0 <= self.malicious_fraction < 1:
            raise ValueError(f"{flag('attack.malicious_fraction')} must be in [0, 1), "
                             f"got {self.malicious_fraction}")
        if self.attack == "none" and (self.malicious_fraction > 0 or self.boost_factor != 1):
            raise ValueError(f"{flag('attack.malicious_fraction')} and "
                             f"{flag('attack.boost_factor')} need {flag('attack.attack')} "
                             "boost or backdoor")
        if self.boost_factor == 0 or not math.isfinite(self.boost_factor):
            raise ValueError(f"{flag('attack.boost_factor')} must be a non-zero number, "
                             f"got {self.boost_factor}")
        if not tokenize(self.trigger):
            raise ValueError(f"{flag('attack.trigger')} must contain a word, "
                             f"got {self.trigger!r}")
        if len(tokenize(self.target)) != 1:
            raise ValueError(f"{flag('attack.target')} must be one word, got {self.target!r}")

    @property
    def trigger_words(self) -> list[str]:
        return tokenize(self.trigger)

    @property
    def target_word(self) -> str:
        return tokenize(self.target)[0]
