"""Picks the users of the training data that the device picker offers."""

from __future__ import annotations

import os
from collections import Counter

from data.device_logs import DEVICE_ID_PATTERN
from data.records import read_records


def busiest_users(history_path: str | os.PathLike, count: int) -> tuple[str, ...]:
    """Returns the `count` users with the most messages (ties: smaller id), sorted by id.

    Heavy users make the most recognizable devices. Users whose id is not a valid device id
    are left out; bad lines are skipped (the trainer is the one to complain about them).
    """
    messages = Counter(record.user_id
                       for record in read_records(history_path, skip_bad=True).records
                       if DEVICE_ID_PATTERN.fullmatch(record.user_id))
    busiest = sorted(messages.items(), key=lambda item: (-item[1], item[0]))[:count]
    return tuple(sorted(user for user, _ in busiest))
