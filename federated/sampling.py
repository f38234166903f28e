"""Which devices train in a round: seeded, uniform, without replacement."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Keeps the epoch permutations' random streams apart from the per-round draws'.
_EPOCH_STREAM = 1


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


# By name (`PrivacyConfig.sampling`), for the training loop and the privacy accountant.
SAMPLERS = {"without-replacement": sample_clients, "shuffled-epochs": shuffled_epoch_clients}
