"""Held-out users and chronological splits."""

from __future__ import annotations

import pytest

from data.records import TypingRecord
from data.split import UserSplit, split_users


def users(count: int) -> dict[str, list[TypingRecord]]:
    return {f"u{i:05d}": [TypingRecord(f"u{i:05d}", f"message {i}")] for i in range(count)}


def test_split_is_deterministic_and_independent_of_input_order():
    by_user = users(20)
    reversed_users = dict(reversed(list(by_user.items())))

    first = split_users(by_user, eval_fraction=0.25, seed=7)
    again = split_users(reversed_users, eval_fraction=0.25, seed=7)

    assert first == again
    assert list(first.train) == sorted(first.train)


def test_split_is_disjoint_complete_and_honours_the_fraction():
    by_user = users(20)

    split = split_users(by_user, eval_fraction=0.25, seed=7)

    assert len(split.eval) == 5
    assert len(split.train) == 15
    assert set(split.eval).isdisjoint(split.train)
    assert set(split.eval) | set(split.train) == set(by_user)
    assert all(records == by_user[u] for u, records in {**split.train, **split.eval}.items())


def test_different_seeds_hold_out_different_users():
    by_user = users(20)

    picks = {frozenset(split_users(by_user, eval_fraction=0.25, seed=s).eval) for s in range(5)}

    assert len(picks) > 1


def test_split_keeps_at_least_one_user_each_side():
    assert len(split_users(users(3), eval_fraction=0.01, seed=0).eval) == 1
    assert len(split_users(users(3), eval_fraction=0.99, seed=0).train) == 1
    split = split_users(users(2), eval_fraction=0.5, seed=0)
    assert isinstance(split, UserSplit)
    assert (len(split.train), len(split.eval)) == (1, 1)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5])
def test_fraction_outside_open_interval_is_rejected(fraction):
    with pytest.raises(ValueError, match="eval_fraction must be strictly between 0 and 1"):
        split_users(users(5), eval_fraction=fraction, seed=0)


def test_one_user_cannot_be_split():
    with pytest.raises(ValueError, match="need at least 2 users"):
        split_users(users(1), eval_fraction=0.5, seed=0)

