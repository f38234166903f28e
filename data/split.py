"""Splitting per-user histories: held-out evaluation users, and older vs newer messages.

Evaluation users are held out whole (never trained on, never in the vocabulary), as Gboard
evaluated on devices that did not train. The chronological split is for personalization work:
fit on a user's older messages, measure on their newer ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from data.records import TypingRecord, parse_timestamp


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


def chronological_split(
    records: Sequence[TypingRecord], *, newer_fraction: float
) -> tuple[list[TypingRecord], list[TypingRecord]]:
    """Splits one user's records into older and newer messages.

    Records are ordered by timestamp (stable). A record without a timestamp keeps its place in
    file order: it sorts right after the nearest earlier timestamped record.

    Args:
        records: One user's records.
        newer_fraction: Share of messages that are "newer", in (0, 1); rounded, and with 2 or
            more records each side gets at least one.

    Returns:
        `(older, newer)`, each in chronological order.
    """
    _check_fraction("newer_fraction", newer_fraction)
    earliest = datetime.min.replace(tzinfo=timezone.utc)
    keys = []
    current = earliest
    for record in records:
        if record.timestamp is not None:
            current = parse_timestamp(record.timestamp)
        keys.append(current)
    order = sorted(range(len(records)), key=lambda i: keys[i])
    ordered = [records[i] for i in order]
    if len(ordered) < 2:
        return ordered, []
    newer_count = min(max(round(len(ordered) * newer_fraction), 1), len(ordered) - 1)
    return ordered[:-newer_count], ordered[-newer_count:]


def chronological_split_users(
    records_by_user: Mapping[str, Sequence[TypingRecord]], *, newer_fraction: float
) -> tuple[dict[str, list[TypingRecord]], dict[str, list[TypingRecord]]]:
    """Applies `chronological_split` to every user (e.g. every training user).

    Returns:
        `(older_by_user, newer_by_user)`, with the input's user order.
    """
    older: dict[str, list[TypingRecord]] = {}
    newer: dict[str, list[TypingRecord]] = {}
    for user_id, records in records_by_user.items():
        older[user_id], newer[user_id] = chronological_split(records, newer_fraction=newer_fraction)
    return older, newer
