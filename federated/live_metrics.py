"""Live metrics from the keyboard app's device logs, as Hard et al. 2018 report them.

- Click-through rate: suggestions tapped per suggestion strip shown.
- Impression recall: share of committed words (after each message's first word, as in the
  offline metric) that were in the next-word strip shown when the caret reached the word's
  start. A message's strips are those logged after the previous message was committed and
  up to its own commit; a strip at caret offset p belongs to the word starting at p if the
  committed text before p ends a word. Words typed with no next-word strip logged before
  them count as misses (the keyboard did not offer them). Caret moves and edits inside a
  message can make a strip's offset point at another word: the figure is an estimate.

The logs are read through SQLite in read-only mode, so the report never changes them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from keyboard_app.device_store import DeviceStore
from model.tokenizer import split_context, tokenize


@dataclass(frozen=True)
class LiveMetrics:
    """What the devices logged.

    Attributes:
        devices, messages, impressions, clicks: counts over every device.
        click_through_rate: clicks / impressions (0 without impressions).
        scored_words: committed words after each message's first word.
        words_with_strip: those with a next-word strip logged before them.
        impression_recall: share of scored words that were in that strip (None without
            scored words).
    """

    devices: int
    messages: int
    impressions: int
    clicks: int
    click_through_rate: float
    scored_words: int
    words_with_strip: int
    impression_recall: Optional[float]


@dataclass(frozen=True)
class _Strip:
    time: str
    position: int
    suggestions: tuple[str, ...]


def read_live_metrics(data_dir: Path) -> LiveMetrics:
    """Reads every device's log in `data_dir` (the app's `--data-dir`)."""
    store = DeviceStore(data_dir)
    try:
        device_ids = store.device_ids()
    finally:
        store.close()
    totals = {"messages": 0, "impressions": 0, "clicks": 0, "scored": 0, "shown": 0, "hits": 0}
    for device_id in device_ids:
        uri = (data_dir / f"{device_id}.sqlite3").resolve().as_uri() + "?mode=ro"
        with sqlite3.connect(uri, uri=True) as connection:
            messages = connection.execute(
                "SELECT time, text FROM messages ORDER BY time, id").fetchall()
            strips = [_Strip(time, position, tuple(json.loads(words))) for time, position, words
                      in connection.execute("SELECT time, position, suggestions FROM "
                                            "impressions ORDER BY time, id")]
            totals["clicks"] += connection.execute("SELECT COUNT(*) FROM clicks").fetchone()[0]
        totals["messages"] += len(messages)
        totals["impressions"] += len(strips)
        for name, value in zip(("scored", "shown", "hits"), _strip_recall(messages, strips)):
            totals[name] += value
    return LiveMetrics(
        devices=len(device_ids), messages=totals["messages"],
        impressions=totals["impressions"], clicks=totals["clicks"],
        click_through_rate=totals["clicks"] / totals["impressions"]
        if totals["impressions"] else 0.0,
        scored_words=totals["scored"], words_with_strip=totals["shown"],
        impression_recall=totals["hits"] / totals["scored"] if totals["scored"] else None)


def _strip_recall(messages: Iterable[tuple[str, str]],
                  strips: list[_Strip]) -> tuple[int, int, int]:
    """(scored words, words with a next-word strip before them, words in that strip)."""
    scored = shown = hits = 0
    previous_time = ""
    for time, text in messages:
        words = tokenize(text)
        before_word: dict[int, tuple[str, ...]] = {}
        for strip in strips:
            if not previous_time < strip.time <= time or strip.position > len(text):
                continue
            context, prefix = split_context(text[:strip.position])
            if not prefix and 0 < len(context) < len(words):
                before_word[len(context)] = strip.suggestions  # The last strip shown wins.
        previous_time = time
        scored += max(len(words) - 1, 0)
        shown += len(before_word)
        hits += sum(words[index] in suggestions for index, suggestions in before_word.items())
    return scored, shown, hits
