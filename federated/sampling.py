"""Which devices train in a round: seeded, uniform, without replacement."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
