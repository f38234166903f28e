"""A small simulated world with query-suggestion logs, written as `python -m data.generate`
writes it (histories, searches and impressions side by side), quickly."""

from __future__ import annotations

from pathlib import Path

from data.impressions import impressions_path, searches_path, write_impressions
from data.records import write_records
from data.synthetic.clicks import ClickConfig, generate_user_logs
from data.synthetic.config import GenerationConfig

# A small background, so the logging baseline builds in a second.
FAST_CLICKS = ClickConfig(background_users=60, background_searches=30)


def write_query_world(path: Path, *, users: int, seed: int) -> Path:
    """Writes `path` (histories) and the search and impression logs beside it."""
    logs = list(generate_user_logs(GenerationConfig(users=users, seed=seed), FAST_CLICKS))
    write_records(path, [record for user in logs for record in user.records])
    write_records(searches_path(path), [record for user in logs
                                        for record, style in zip(user.records, user.styles)
                                        if style == "query"])
    write_impressions(impressions_path(path), [i for user in logs for i in user.impressions])
    return path
