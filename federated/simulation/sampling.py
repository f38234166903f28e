"""Which devices train in a round: seeded, uniform, without replacement; some fail mid-round."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np

# Keeps the epoch permutations' random streams apart from the per-round draws'.
_EPOCH_STREAM = 1
_DROPOUT_STREAM = 2  # Keeps dropout draws apart from the sampling draw of the same round.
_EVAL_STREAM = 3  # The periodic evaluations' users: keyed [seed, 0, 3], which no other draw
# here uses (round draws are [seed, round >= 1], epochs [seed, 1, ...], dropouts [seed, 2, ...]).


def stable_id(name: str) -> int:
    """A number for a client id that is the same in every process (unlike `hash`)."""
    return zlib.crc32(name.encode("utf-8"))


def sample_clients(client_ids: Sequence[str], *, count: int, seed: int,
                   round_number: int) -> list[str]:
    """Returns `count` distinct client ids drawn uniformly for `round_number`.

    The draw depends only on `(seed, round_number)` and the set of ids, so a resumed run
    samples exactly what an uninterrupted run would have.
    """
    if not 1 <= count <= len(client_ids):
        raise ValueError(f"cannot sample {count} clients from {len(client_ids)}")
    ordered = sorted(client_ids)
    rng = np.random.default_rng([seed, round_number])
    return [ordered[i] for i in sorted(rng.choice(len(ordered), size=count, replace=False))]


def sample_eval_users(user_ids: Sequence[str], *, count: int | None, seed: int) -> list[str]:
    """The held-out users a run's periodic evaluations score: `count` of them drawn once,
    uniformly (the same users at every evaluation, and for the same ids and seed), or all
    of them when `count` is None or not below their number. In the order of `user_ids`."""
    if count is None or count >= len(user_ids):
        return list(user_ids)
    if count < 1:
        raise ValueError(f"cannot sample {count} users")
    drawn = set(np.random.default_rng([seed, 0, _EVAL_STREAM]).choice(
        sorted(user_ids), size=count, replace=False))
    return [user for user in user_ids if user in drawn]


def shuffled_epoch_clients(client_ids: Sequence[str], *, count: int, seed: int,
                           round_number: int) -> list[str]:
    """Returns round `round_number`'s `count` clients of a seeded shuffle of all clients.

    Each epoch is a fresh permutation of the clients cut into rounds of `count`; the
    clients left over sit that epoch out. So no client trains twice in one epoch, which
    is what tree-aggregation DP (DP-FTRL with a tree restarted every epoch) accounts for.
    Depends only on `(seed, round_number)` and the set of ids, like `sample_clients`.
    """
    ordered = sorted(client_ids)
    epoch, position = divmod(round_number - 1, rounds_per_epoch(len(ordered), count))
    permutation = np.random.default_rng([seed, _EPOCH_STREAM, epoch]).permutation(len(ordered))
    return [ordered[i] for i in sorted(permutation[position * count:(position + 1) * count])]


def rounds_per_epoch(clients: int, count: int) -> int:
    """Rounds of `count` clients in one epoch of `clients` shuffled clients."""
    if not 1 <= count <= clients:
        raise ValueError(f"cannot sample {count} clients from {clients}")
    return clients // count


# Draws `count` of `client_ids` for a round: `sample_clients` or `shuffled_epoch_clients`.
Sampler = Callable[..., list[str]]
# By name (`PrivacyConfig.sampling`), for the training loop and the privacy accountant.
SAMPLERS: dict[str, Sampler] = {"without-replacement": sample_clients,
                                "shuffled-epochs": shuffled_epoch_clients}


def drops_out(client_id: str, *, rate: float, seed: int, round_number: int) -> bool:
    """Whether `client_id` fails mid-round in `round_number`: a draw of its own per seed,
    round and client, so it does not depend on who else was sampled."""
    if rate <= 0:
        return False
    rng = np.random.default_rng([seed, _DROPOUT_STREAM, round_number, stable_id(client_id)])
    return rng.random() < rate


@dataclass(frozen=True)
class RoundPlan:
    """Who takes part in one round.

    Attributes:
        sampled: the devices sent the model: the priority devices available this round,
            then users sampled among the other available ones.
        trained: the sampled devices whose update reaches the server (the rest dropped out).
        eligible: how many users were eligible at the round's clock time (None: eligibility
            is not simulated, every user is available).
    """

    sampled: list[str]
    trained: list[str]
    eligible: Optional[int] = None

    @property
    def dropped(self) -> int:
        return len(self.sampled) - len(self.trained)


def plan_round(client_ids: Sequence[str], *, count: int, seed: int, round_number: int,
               priority: Sequence[str] = (), eligible: Optional[Sequence[str]] = None,
               dropout_rate: float = 0.0, sampler: Sampler = sample_clients) -> RoundPlan:
    """Samples `count` of the available clients (all of them if fewer), the available
    `priority` clients first, and drops each sampled client with probability `dropout_rate`.

    Args:
        client_ids: every client.
        count: clients to sample.
        seed, round_number: seed the draws.
        priority: clients that take the round's first places when available (e.g. devices
            holding data not yet trained on); they drop out like any other.
        eligible: the clients available this round (None: all of `client_ids`).
        dropout_rate: chance that a sampled client fails mid-round.
        sampler: how the rest of the round's clients are drawn from the available ones
            (`SAMPLERS`).
    """
    available = client_ids if eligible is None else eligible
    count = min(count, len(available))
    available_set = set(available)
    first = [c for c in priority if c in available_set][:count]
    first_set = set(first)
    others = [c for c in available if c not in first_set] if first else available
    sampled = first + (sampler(others, count=count - len(first), seed=seed,
                               round_number=round_number) if count > len(first) else [])
    trained = [c for c in sampled if not drops_out(
        c, rate=dropout_rate, seed=seed, round_number=round_number)]
    return RoundPlan(sampled=sampled, trained=trained,
                     eligible=None if eligible is None else len(eligible))


@dataclass(frozen=True)
class RoundPlanner:
    """Who takes part in each round of a run: `plan_round` with the run's settings.

    Attributes:
        clients: every training client.
        count: clients per round.
        seed: seeds every draw.
        dropout_rate: chance that a sampled client fails mid-round.
        sampler: how a round's clients are drawn (`SAMPLERS`).
        eligible: the clients available in a round (None: all, always).
        priority: clients that take the first places of round `priority_round` (devices
            holding data not trained on yet); in other rounds they are sampled like the rest.
        priority_round: the round in which `priority` goes first.
    """

    clients: Sequence[str]
    count: int
    seed: int
    dropout_rate: float = 0.0
    sampler: Sampler = sample_clients
    eligible: Optional[Callable[[int], Sequence[str]]] = None
    priority: Sequence[str] = ()
    priority_round: int = 1

    def __call__(self, round_number: int) -> RoundPlan:
        clients = set(self.clients)
        eligible = (None if self.eligible is None else
                    [c for c in self.eligible(round_number) if c in clients])
        return plan_round(self.clients, count=self.count, seed=self.seed,
                          round_number=round_number, eligible=eligible,
                          priority=self.priority if round_number == self.priority_round else (),
                          dropout_rate=self.dropout_rate, sampler=self.sampler)
