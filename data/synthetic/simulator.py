"""Turns users and interests into typed messages: the simulated keyboard histories.

For each message: pick an interest from the user's mixture, a style (search query or chat) from
the user's query share, expand that interest's grammar with the user's own entities and habitual
phrasings, then type it the way this user types (capitals or not, dropped punctuation, "u" for
"you").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Callable, Optional

import numpy as np

from data.records import TypingRecord
from data.synthetic.config import GenerationConfig
from data.synthetic.grammar import Draws, join_phrases
from data.synthetic.interests import START_RULES, Interest, build_interests
from data.synthetic.lexicon import FIRST_NAMES, MASCOTS, NEIGHBOURHOODS, STREETS, SURNAMES, TOWNS
from data.synthetic.population import NicknameMaker, UserProfile, build_league, make_user
from data.synthetic.processes import ordered_map

_PRONOUN_I = re.compile(r"\bi\b")
_ABBREVIATIONS = {
    "you": "u", "your": "ur", "tomorrow": "tmrw", "please": "pls", "because": "bc",
    "okay": "ok", "thanks": "thx", "tonight": "tonite", "probably": "prob",
}  # fmt: skip
# Nobody types "the literally game": no filler right after these.
_DETERMINERS = frozenset({"the", "a", "an", "my", "your", "our", "his", "her", "their"})
_ABBREVIATABLE = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\b")


class Simulator:
    """Generates the histories one user at a time for a `GenerationConfig`."""

    def __init__(self, config: GenerationConfig) -> None:
        self.config = config
        league = build_league(config.seed, config.teams)
        self.interests: tuple[Interest, ...] = build_interests(league)
        self.league = league
        taken: set[str] = set()
        for interest in self.interests:
            taken |= interest.grammar.words()
        for pool in (FIRST_NAMES, SURNAMES, TOWNS, MASCOTS, NEIGHBOURHOODS, STREETS):
            taken |= {word.lower() for entry in pool for word in entry.split("_")}
        # Nicknames must not collide with any grammar word or common name, so each is unique
        # to its owner's history.
        self._nicknames = NicknameMaker(taken)
        self._started = False

    @property
    def topics(self) -> tuple[str, ...]:
        """Interest names, in the order of every user's mixture weights."""
        return tuple(interest.name for interest in self.interests)

    def users(self) -> Iterator[UserProfile]:
        """Yields every user's profile in id order (each exactly once per simulator)."""
        # Nicknames already handed out stay taken, so a second pass would differ: refuse it.
        if self._started:
            raise RuntimeError("a Simulator yields its users once; make a new one")
        self._started = True
        for index in range(self.config.users):
            yield make_user(
                index,
                self.config,
                interests=len(self.interests),
                league=self.league,
                nicknames=self._nicknames,
            )

    def messages(self, profile: UserProfile, index: int) -> list[TypingRecord]:
        """Generates one user's messages (one per timestamp).

        Args:
            profile: The user.
            index: The user's index (seeds their message stream).
        """
        return [record for record, _ in self.styled_messages(profile, index)]

    def styled_messages(self, profile: UserProfile, index: int) -> list[tuple[TypingRecord, str]]:
        """Like `messages`, each with its style: ``"query"`` (typed in a search box) or ``"chat"``.

        The same draws as `messages`, so the records are identical; the style is what the
        search-query and click simulation need and the history format does not carry.
        """
        draw = Draws(np.random.default_rng([self.config.seed, 2, index])).next
        cumulative = list(accumulate(profile.mixture))
        styled = []
        for timestamp in profile.timestamps:
            choice = bisect_right(cumulative, draw() * cumulative[-1])
            interest = self.interests[min(choice, len(self.interests) - 1)]
            kind = "query" if draw() < profile.query_share else "chat"
            text = interest.grammar.expand_phrases(
                START_RULES[kind], draw, profile.entities, profile.habits
            )
            text = type_like(profile, text, kind, draw)
            styled.append((TypingRecord(profile.user_id, text, timestamp, interest.name), kind))
        return styled

    def searches(self, profile: UserProfile, index: int, count: int) -> list[TypingRecord]:
        """`count` search queries `profile` would type (no timestamps), for users outside the
        dataset: drawn from the stream ``(seed, 3, index)``, so the dataset's streams never move.
        """
        draw = Draws(np.random.default_rng([self.config.seed, 3, index])).next
        cumulative = list(accumulate(profile.mixture))
        searches = []
        for _ in range(count):
            choice = bisect_right(cumulative, draw() * cumulative[-1])
            interest = self.interests[min(choice, len(self.interests) - 1)]
            text = interest.grammar.expand_phrases(
                START_RULES["query"], draw, profile.entities, profile.habits
            )
            text = type_like(profile, text, "query", draw)
            searches.append(TypingRecord(profile.user_id, text, None, interest.name))
        return searches


def type_like(profile: UserProfile, text: str, kind: str, draw: Callable[[], float]) -> str:
    """Applies the user's typing habits to a generated message (`Grammar.expand_phrases`).

    Search queries are mostly typed in lower case; chat gets the user's fillers and follows
    their capitalisation habit.
    """
    if kind == "query":
        text = join_phrases(text)
        return text.lower() if draw() < 0.85 else text
    text = join_phrases(add_fillers(text, profile, draw))
    if profile.abbreviates:
        text = _ABBREVIATABLE.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
    if text[-1] in "?!" and draw() < profile.drop_punctuation:
        text = text.rstrip("?!") or text
    if draw() < profile.capitalize:
        text = _PRONOUN_I.sub("I", text)
        return text[0].upper() + text[1:]
    return text.lower()


def add_fillers(text: str, profile: UserProfile, draw: Callable[[], float]) -> str:
    """Puts the user's filler words ("like", "literally") before some words of a message.

    `text` is `Grammar.expand_phrases` output: fillers never split a phrase. Each word after
    the first gets one with probability `profile.filler_rate`; the filler is
    the user's first favourite most often. Fillers carry no information about what comes next,
    so a model that sees only the last two words loses its context after one, while a model
    reading the whole message does not.
    """
    words = text.split(" ")
    out = words[:1]
    for word in words[1:]:
        if out[-1].lower() not in _DETERMINERS and draw() < profile.filler_rate:
            out.append(_favourite(profile.fillers, draw()))
        out.append(word)
    return " ".join(out)


def _favourite(choices: Sequence[str], uniform: float) -> str:
    # Weights 4:2:1 over the user's favourites, first most used.
    weights = [4.0 / 2**i for i in range(len(choices))]
    return choices[min(bisect_right(list(accumulate(weights)), uniform * sum(weights)),
                       len(choices) - 1)]


def generate_records(
    config: GenerationConfig,
    *,
    on_user: Optional[Callable[[UserProfile], None]] = None,
    jobs: int = 1,
) -> Iterator[TypingRecord]:
    """Yields every user's records, user by user, each user's in chronological order.

    Args:
        config: What to generate.
        on_user: Called after each user's records are yielded (e.g. to advance a progress bar).
        jobs: Processes drawing the messages (the same records with any number).
    """
    simulator = Simulator(config)
    users = enumerate(simulator.users())
    for (_, profile), records in ordered_map(_user_messages, users, state=simulator, jobs=jobs):
        yield from records
        if on_user is not None:
            on_user(profile)


def _user_messages(simulator: Simulator, user: tuple[int, UserProfile]) -> list[TypingRecord]:
    index, profile = user
    return simulator.messages(profile, index)
