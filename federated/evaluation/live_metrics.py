"""Live metrics from the keyboard app's device logs, as Hard et al. 2018 report them.

- Click-through rate: suggestions tapped per suggestion strip shown.
- Impression recall: share of committed words (after each message's first word, as in the
  offline metric) that were in the next-word strip shown when the caret reached the word's
  start. A message's strips are those logged after the previous message was committed and
  up to its own commit; a strip at caret offset p belongs to the word starting at p if the
  committed text before p ends a word. Words typed with no next-word strip logged before
  them count as misses (the keyboard did not offer them). Caret moves and edits inside a
  message can make a strip's offset point at another word: the figure is an estimate.

The logs are read read-only through `data.device_logs`, which owns their format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from data.device_logs import StoredImpression, StoredMessage, read_device_histories
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


def read_live_metrics(data_dir: Path) -> LiveMetrics:
    """Reads every device's log in `data_dir` (the app's `--data-dir`)."""
    histories = read_device_histories(data_dir)
    scored = shown = hits = 0
    for history in histories:
        counts = _strip_recall(history.messages, history.impressions)
        scored, shown, hits = scored + counts[0], shown + counts[1], hits + counts[2]
    impressions = sum(len(history.impressions) for history in histories)
    clicks = sum(history.clicks for history in histories)
    return LiveMetrics(
        devices=len(histories), messages=sum(len(history.messages) for history in histories),
        impressions=impressions, clicks=clicks,
        click_through_rate=clicks / impressions if impressions else 0.0,
        scored_words=scored, words_with_strip=shown,
        impression_recall=hits / scored if scored else None)


def _strip_recall(messages: Sequence[StoredMessage],
                  strips: Sequence[StoredImpression]) -> tuple[int, int, int]:
    """(scored words, words with a next-word strip before them, words in that strip)."""
    scored = shown = hits = 0
    previous_time = ""
    for message in messages:
        time, text = message.time, message.text
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
