"""Splitting per-user histories: held-out evaluation users.

Evaluation users are held out whole (never trained on, never in the vocabulary), as Gboard
evaluated on devices that did not train.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from data.records import TypingRecord


@dataclass(frozen=True)
class UserSplit:
    """Users split into training and held-out evaluation users (disjoint).

    Attributes:
        train: Training users' records, by user id (sorted ids).
        eval: Evaluation users' records, by user id (sorted ids).
    """

    train: dict[str, list[TypingRecord]]
    eval: dict[str, list[TypingRecord]]


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")


def split_users(
    records_by_user: Mapping[str, Sequence[TypingRecord]], *, eval_fraction: float, seed: int
) -> UserSplit:
    """Holds out a seeded random share of users for evaluation.

    The evaluation users are a seeded permutation of the *sorted* user ids, so the split depends
    only on the set of users, the fraction and the seed, never on the input order.

    Args:
        records_by_user: Each user's records (e.g. from `group_by_user`).
        eval_fraction: Share of users held out, in (0, 1); rounded, at least 1 user each side.
        seed: Seed of the permutation.

    Returns:
        The train and eval users with their records.

    Raises:
        ValueError: The fraction is not in (0, 1) or there are fewer than 2 users.
    """
    _check_fraction("eval_fraction", eval_fraction)
    user_ids = sorted(records_by_user)
    if len(user_ids) < 2:
        raise ValueError(
            f"need at least 2 users to hold some out for evaluation, got {len(user_ids)}"
        )
    eval_count = min(max(round(len(user_ids) * eval_fraction), 1), len(user_ids) - 1)
    order = np.random.default_rng(seed).permutation(len(user_ids))
    eval_ids = {user_ids[i] for i in order[:eval_count]}
    train = {u: list(records_by_user[u]) for u in user_ids if u not in eval_ids}
    held_out = {u: list(records_by_user[u]) for u in user_ids if u in eval_ids}
    return UserSplit(train=train, eval=held_out)

