"""Recall of one model broken down by user: per user, light vs heavy users, per interest.

Every number comes from `federated.evaluation.scoring.score` on a subset of the held-out
examples, so it means exactly what the headline recall means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict

import numpy as np

from federated.evaluation.scoring import LogitsFn, score
from federated.learning.client_data import Examples

TERCILES = ("light", "medium", "heavy")


def per_user_recall(logits_fn: LogitsFn,
                    examples_by_user: Mapping[str, Examples]) -> dict[str, dict]:
    """Each user's recall scores (`RecallScores` fields), by user id."""
    return {user: asdict(score(logits_fn, inputs, targets))
            for user, (inputs, targets) in sorted(examples_by_user.items())}


def tercile_users(message_counts: Mapping[str, int]) -> dict[str, list[str]]:
    """Splits users into thirds by message count (ties broken by user id), lightest first."""
    ranked = sorted(message_counts, key=lambda user: (message_counts[user], user))
    thirds = np.array_split(np.arange(len(ranked)), len(TERCILES))
    return {name: [ranked[i] for i in third] for name, third in zip(TERCILES, thirds)}


def group_recall(logits_fn: LogitsFn, examples_by_user: Mapping[str, Examples],
                 groups: Mapping[str, Sequence[str]]) -> dict[str, dict]:
    """Recall over the pooled examples of each group of users, with the group's size."""
    results = {}
    for name, users in groups.items():
        present = [user for user in users if user in examples_by_user]
        if not present:
            continue
        inputs = np.concatenate([examples_by_user[user][0] for user in present])
        targets = np.concatenate([examples_by_user[user][1] for user in present])
        results[name] = {**asdict(score(logits_fn, inputs, targets)), "users": len(present),
                         "messages": len(inputs)}
    return results


def topic_recall(logits_fn: LogitsFn,
                 examples_by_topic: Mapping[str, Examples]) -> dict[str, dict]:
    """Recall over the messages of each topic (interest), with their number."""
    return {topic: {**asdict(score(logits_fn, inputs, targets)), "messages": len(inputs)}
            for topic, (inputs, targets) in sorted(examples_by_topic.items())}
