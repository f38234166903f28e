"""The interests (personas) simulated users mix: each a grammar with query and chat styles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from data.synthetic.grammar import FrameTable, Grammar
from data.synthetic.interests import everyday, home, leisure
from data.synthetic.interests.base import InterestSpec
from data.synthetic.lexicon import SHARED_RULES

__all__ = ["START_RULES", "Interest", "InterestSpec", "build_interests", "interest_specs"]

# The rule a message of each style starts from. Chat gets the shared opener ("hey Maya, ..."),
# so the user's own people come up in every interest's messages.
START_RULES = {"query": "query", "chat": "opened_chat"}


@dataclass(frozen=True)
class Interest:
    """A compiled interest.

    Attributes:
        name: The topic name written to records.
        grammar: Its grammar; `START_RULES` names its start rule per style.
    """

    name: str
    grammar: Grammar


def interest_specs(league: FrameTable) -> list[InterestSpec]:
    """Every interest's source, in a fixed order (the order of mixture weights).

    Args:
        league: The sports league's ``team`` frame table (name, player, venue, rival).
    """
    return [
        home.cooking(),
        leisure.sports(league),
        leisure.travel(),
        everyday.tech_help(),
        leisure.music(),
        everyday.school(),
        home.parenting(),
        home.money(),
        leisure.gaming(),
        everyday.health(),
        home.shopping(),
        everyday.local(),
        leisure.movies_tv(),
        everyday.work(),
        everyday.social(),
    ]


def build_interests(
    league: FrameTable, shared_rules: Mapping[str, list] = SHARED_RULES
) -> tuple[Interest, ...]:
    """Compiles every interest's grammar (its rules on top of the shared ones).

    Raises:
        ValueError: A grammar is malformed or lacks a ``query`` or ``chat`` rule.
    """
    interests = []
    for spec in interest_specs(league):
        for start in ("query", "chat"):
            if start not in spec.rules:
                raise ValueError(f"interest {spec.name!r} has no {start!r} rule")
        rules = {**shared_rules, **spec.rules, START_RULES["chat"]: ["{opener}{chat}"]}
        grammar = Grammar(rules, spec.frames)
        interests.append(Interest(spec.name, grammar))
    return tuple(interests)
