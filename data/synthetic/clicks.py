"""Simulated query-suggestion impressions and taps: what the keyboard showed, what users tapped.

The logging baseline. While a user types a chat message, the keyboard asks a `QueryIndex` for
a search query after every word; it shows the best proposal if its score reaches
`show_threshold`, each candidate once per message, at most `max_per_message` per message. That
index stands for the search engine's popular queries: it is built from *background* users of
the same world (same league, same interests, user indices from `BACKGROUND_INDEX` on, their own
search stream), never from dataset users. So the log does not depend on how the dataset is
later split, and no held-out user's own query is ever what they are shown.

The click model. Each impression is tapped with probability ``sigmoid(logit)``, where

    logit = base_logit
          + propensity_u                       per user, ~ Normal(0, propensity_sigma)
          + next_search_topic  * [candidate's topic = topic of the user's next search]
          + next_search_overlap * Jaccard(candidate words, next search words)
          + message_topic      * [candidate's topic = the message's topic]
          + evening            * cos(2 pi (hour - 20) / 24)     taps peak at 8 pm
          + late_in_message    * (position / words in message - 1/2)
          + noise,                                 ~ Normal(0, noise_sigma) per impression

and "next search" is the user's first search-style message after this one within
`horizon_hours` (none: both next-search terms are 0). Relevance to what the user is about to
do, the user's propensity and the message length are hidden from the triggering model; it sees
the context, the candidate, the hour, the position and the user's earlier impressions and
taps, which reveal them only in part. The probability is written to the log as
``click_probability`` (for an oracle) and is never a feature.

Randomness: each user's clicks come from the stream ``(seed, 7, index)``; nothing here draws
from the streams the typing histories come from, so histories stay byte-identical.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import numpy as np

from data.impressions import ImpressionRecord
from data.records import TypingRecord, parse_timestamp
from data.synthetic.config import GenerationConfig
from data.synthetic.population import NicknameMaker, UserProfile, make_user
from data.synthetic.processes import ordered_map
from data.synthetic.simulator import Simulator
from model.query_candidates import Proposal, QueryCandidate, QueryIndex, build_query_index
from model.tokenizer import tokenize

# Background users' indices start here; dataset users' indices stay below it.
BACKGROUND_INDEX = 1_000_000_000
_CLICK_STREAM = 7


@dataclass(frozen=True)
class ClickConfig:
    """The logging baseline and the click model (see the module docstring for each term)."""

    background_users: int = 300
    background_searches: int = 40
    min_users: int = 2
    show_threshold: float = 0.35
    max_per_message: int = 2
    horizon_hours: float = 24.0
    base_logit: float = -3.3
    next_search_topic: float = 1.0
    next_search_overlap: float = 0.5
    message_topic: float = 1.5
    propensity_sigma: float = 0.8
    evening: float = 1.0
    late_in_message: float = 1.6
    noise_sigma: float = 0.2

    def __post_init__(self) -> None:
        if self.background_users < 1 or self.background_searches < 1:
            raise ValueError("background_users and background_searches must be >= 1")
        if self.max_per_message < 1:
            raise ValueError(f"max_per_message must be >= 1, got {self.max_per_message}")
        if self.propensity_sigma < 0 or self.noise_sigma < 0 or self.horizon_hours <= 0:
            raise ValueError("sigmas must be >= 0 and horizon_hours > 0")


@dataclass(frozen=True)
class UserLogs:
    """One user's simulated logs.

    Attributes:
        records: Their typed messages, as in the typing-history file.
        styles: ``"query"`` or ``"chat"`` per record.
        impressions: Query suggestions shown while they typed, in order shown.
    """

    records: list[TypingRecord]
    styles: list[str]
    impressions: list[ImpressionRecord]


def logging_index(config: GenerationConfig, clicks: ClickConfig) -> QueryIndex:
    """The logging baseline: built from the background users' searches (module docstring)."""
    if config.users >= BACKGROUND_INDEX:
        raise ValueError(f"at most {BACKGROUND_INDEX - 1} users, got {config.users}")
    simulator = Simulator(config)
    # Background nicknames need not avoid dataset users': a query naming one person's pet is
    # typed by one user and never reaches `min_users`.
    nicknames = NicknameMaker(set())
    queries = []
    for index in range(BACKGROUND_INDEX, BACKGROUND_INDEX + clicks.background_users):
        profile = make_user(index, config, interests=len(simulator.interests),
                            league=simulator.league, nicknames=nicknames)
        for record in simulator.searches(profile, index, clicks.background_searches):
            queries.append((f"b{index}", record.text, record.topic))
    return build_query_index(queries, min_users=clicks.min_users)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _next_searches(moments: Sequence[datetime], styles: Sequence[str],
                   horizon_hours: float) -> list[Optional[int]]:
    """For each message (by its time), the index of the user's first search after it within
    the horizon (or None)."""
    upcoming: list[Optional[int]] = [None] * len(moments)
    following: Optional[int] = None
    for position in range(len(moments) - 1, -1, -1):
        if following is not None:
            gap = (moments[following] - moments[position]).total_seconds()
            upcoming[position] = following if gap <= horizon_hours * 3600 else None
        if styles[position] == "query":
            following = position
    return upcoming


class BestProposal:
    """`QueryIndex.propose(words)`'s best proposal (or None), remembered for recent contexts.

    Proposals depend only on the context's `QueryIndex.matched_words`, and generated messages
    repeat those often: the same answer for the same words, without scoring every candidate.
    At most `max_contexts` answers are kept (least recently used dropped).
    """

    def __init__(self, index: QueryIndex, *, max_contexts: int = 1 << 15) -> None:
        self._index = index
        self._best = functools.lru_cache(maxsize=max_contexts)(self._propose)

    def __call__(self, words: Sequence[str]) -> Optional[Proposal]:
        return self._best(self._index.matched_words(words))

    def _propose(self, matched: tuple[str, ...]) -> Optional[Proposal]:
        proposals = self._index.propose(matched)
        return proposals[0] if proposals else None


@dataclass(frozen=True)
class Shown:
    """A suggestion the logging baseline showed during a chat message.

    Attributes:
        message: Index of the message in the user's records.
        position: Words of the message typed when it was shown (1 to `words`).
        words: Words in the whole message.
        candidate: What was shown.
        score: Its baseline score.
    """

    message: int
    position: int
    words: int
    candidate: QueryCandidate
    score: float


def suggestions_shown(
    records: Sequence[TypingRecord], styles: Sequence[str], *, best: BestProposal,
    clicks: ClickConfig,
) -> list[Shown]:
    """What the keyboard showed one user while they typed their chat messages, in order.

    `best` proposes from the logging baseline (`logging_index`).
    """
    shown = []
    for number, (record, style) in enumerate(zip(records, styles)):
        if style != "chat":
            continue
        words = tokenize(record.text)
        in_message: list[str] = []
        for position in range(1, len(words) + 1):
            proposal = best(words[:position])
            if proposal is None or proposal.score < clicks.show_threshold:
                continue
            candidate = proposal.candidate
            if candidate.text in in_message:
                continue
            in_message.append(candidate.text)
            shown.append(Shown(number, position, len(words), candidate, proposal.score))
            if len(in_message) == clicks.max_per_message:
                break
    return shown


def draw_taps(
    records: Sequence[TypingRecord],
    styles: Sequence[str],
    shown: Sequence[Shown],
    *,
    clicks: ClickConfig,
    rng: np.random.Generator,
) -> list[ImpressionRecord]:
    """The impressions of one user, each tapped with the click model's probability.

    Args:
        records: The user's messages, chronological, each with a timestamp.
        styles: ``"query"`` or ``"chat"`` per message.
        shown: `suggestions_shown` for these messages.
        clicks: The click model.
        rng: The user's click stream (propensity first, then noise and tap per impression).
    """
    propensity = rng.normal(0.0, clicks.propensity_sigma)
    moments = [parse_timestamp(record.timestamp) for record in records]
    upcoming = _next_searches(moments, styles, clicks.horizon_hours)
    tokens: dict[int, list[str]] = {}

    def words_of(message: int) -> list[str]:
        if message not in tokens:
            tokens[message] = tokenize(records[message].text)
        return tokens[message]

    impressions = []
    for item in shown:
        record, next_search = records[item.message], upcoming[item.message]
        hour = moments[item.message].hour
        candidate = item.candidate
        logit = (clicks.base_logit + propensity
                 + clicks.evening * math.cos(2 * math.pi * (hour - 20) / 24)
                 + clicks.late_in_message * (item.position / item.words - 0.5)
                 + clicks.noise_sigma * rng.standard_normal())
        if candidate.topic == record.topic:
            logit += clicks.message_topic
        if next_search is not None:
            if candidate.topic == records[next_search].topic:
                logit += clicks.next_search_topic
            logit += clicks.next_search_overlap * _jaccard(
                set(candidate.text.split(" ")), set(words_of(next_search)))
        probability = 1.0 / (1.0 + math.exp(-logit))
        impressions.append(ImpressionRecord(
            user_id=record.user_id, timestamp=record.timestamp,
            context=" ".join(words_of(item.message)[: item.position]), candidate=candidate.text,
            position=item.position, baseline_score=round(item.score, 4),
            clicked=bool(rng.random() < probability), click_probability=round(probability, 6),
        ))  # fmt: skip
    return impressions


def generate_user_logs(
    config: GenerationConfig,
    clicks: ClickConfig,
    *,
    on_user: Optional[Callable[[UserProfile], None]] = None,
    jobs: int = 1,
) -> Iterator[UserLogs]:
    """Yields every user's messages (the same as `generate_records`) with their impressions.

    Args:
        config: What to generate.
        clicks: The logging baseline and click model.
        on_user: Called after each user is yielded (e.g. to advance a progress bar).
        jobs: Processes drawing the logs (the same logs with any number).
    """
    simulator = Simulator(config)
    state = (simulator, BestProposal(logging_index(config, clicks)), clicks)
    users = enumerate(simulator.users())
    for (_, profile), logs in ordered_map(_user_logs, users, state=state, jobs=jobs):
        yield logs
        if on_user is not None:
            on_user(profile)


def _user_logs(state: tuple[Simulator, BestProposal, ClickConfig],
               user: tuple[int, UserProfile]) -> UserLogs:
    simulator, baseline, clicks = state
    number, profile = user
    styled = simulator.styled_messages(profile, number)
    records = [record for record, _ in styled]
    styles = [style for _, style in styled]
    rng = np.random.default_rng([simulator.config.seed, _CLICK_STREAM, number])
    shown = suggestions_shown(records, styles, best=baseline, clicks=clicks)
    impressions = draw_taps(records, styles, shown, clicks=clicks, rng=rng)
    return UserLogs(records, styles, impressions)
