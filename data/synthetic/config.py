"""The generator's configuration: one frozen, validated dataclass passed down to every step."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date


@dataclass(frozen=True)
class GenerationConfig:
    """Everything that decides the simulated histories; the same config gives the same bytes.

    Attributes:
        users: How many users (>= 1).
        seed: Seed of every random choice (>= 0).
        alpha: Dirichlet concentration of users' interest mixtures; small is strongly non-IID.
        mean_messages: Average messages per user (lognormal, long-tailed).
        message_sigma: Lognormal sigma of messages per user: larger means heavier heavy users.
        min_messages: Every user has at least this many messages.
        max_messages: Cap on one user's messages.
        start_date: First day of the simulated period (ISO date).
        days: Length of the period in days.
        teams: Teams in the simulated sports league.
        rare_name_share: Share of each user's people (friends, partner, sibling, kids) with a
            name of their own, invented for that user: outside every common-name list and so
            outside a shared vocabulary, as many real contacts' names are.
        habit_strength: Mean share of a user's grammar choices ("hey" or "yo", "on my way" or
            "omw") taken from that user's own favourite alternative instead of drawn afresh:
            each user's idiolect. Per user it is drawn around this mean (Beta, concentration
            4) and capped at 0.9, so means near 1 give less; 0 turns habits off.
    """

    users: int
    seed: int
    alpha: float = 0.3
    mean_messages: float = 50.0
    message_sigma: float = 1.1
    min_messages: int = 3
    max_messages: int = 2000
    start_date: str = "2026-03-01"
    days: int = 56
    teams: int = 30
    rare_name_share: float = 0.3
    habit_strength: float = 0.4

    def __post_init__(self) -> None:
        checks = [
            (self.users >= 1, f"users must be >= 1, got {self.users}"),
            (self.seed >= 0, f"seed must be >= 0, got {self.seed}"),
            (self.alpha > 0, f"alpha must be > 0, got {self.alpha}"),
            (self.min_messages >= 1, f"min_messages must be >= 1, got {self.min_messages}"),
            (
                self.min_messages < self.mean_messages <= self.max_messages,
                "need min_messages < mean_messages <= max_messages, got "
                f"{self.min_messages}, {self.mean_messages}, {self.max_messages}",
            ),
            (self.message_sigma >= 0, f"message_sigma must be >= 0, got {self.message_sigma}"),
            (self.days >= 1, f"days must be >= 1, got {self.days}"),
            (4 <= self.teams <= 40, f"teams must be between 4 and 40, got {self.teams}"),
            (
                0 <= self.rare_name_share <= 1,
                f"rare_name_share must be between 0 and 1, got {self.rare_name_share}",
            ),
            (
                0 <= self.habit_strength < 1,
                f"habit_strength must be >= 0 and < 1, got {self.habit_strength}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        try:
            date.fromisoformat(self.start_date)
        except ValueError:
            raise ValueError(
                f"start_date must be an ISO date like 2026-03-01, got {self.start_date!r}"
            ) from None

    @property
    def start(self) -> date:
        """The first simulated day."""
        return date.fromisoformat(self.start_date)

    def to_dict(self) -> dict:
        """The config as plain JSON-able values (to save beside generated data)."""
        return asdict(self)
