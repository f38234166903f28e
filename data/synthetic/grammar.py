"""A tiny probabilistic template grammar with per-message bound variables.

Rules map a name to weighted alternatives. An alternative is a template string:

- ``{name}``        expands rule ``name``;
- ``{frame.slot}``  a slot of a *frame*: the first reference in a message picks one entry of the
  frame table (e.g. a dish with its ingredients) and one value of the slot; every later
  reference in the same message reuses them. This is how an early word constrains a word many
  positions later ("i'm making lasagna tonight, do we still have ricotta?");
- ``{@slot}``       a slot of the user's own entities (friends, town, team), bound the same way;
- ``(a|b|c)``       an inline choice, ``[x]`` an optional part (present half the time).

A slot value or an inline choice is one *phrase* ("mario kart", "want to"): `expand_phrases`
joins its words with `PHRASE_SPACE` so later typing habits (fillers) never split it, and
`join_phrases` turns that back into plain text.

Choices draw from a `Draws` stream of uniforms, so generation is seeded and fast (no per-choice
numpy call). Alternatives are ``"template"`` (weight 1) or ``("template", weight)``. A user's
`Habits` make some choices from that user's own favourite alternative instead (their idiolect).
"""

from __future__ import annotations

import re
import zlib
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, count
from typing import Callable, Optional, Union

import numpy as np

Alternative = Union[str, tuple[str, float]]
Rules = Mapping[str, Sequence[Alternative]]
# An expandable sequence: literal strings and references (tuples tagged by an int kind).
_RULE, _FRAME, _ENTITY = 0, 1, 2
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([,?!.])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
PHRASE_SPACE = "\u2060"  # WORD JOINER: not whitespace, so phrases survive `str.split(" ")`.


def join_phrases(text: str) -> str:
    """Plain text from `Grammar.expand_phrases` output: single spaces, none before ``, ? ! .``."""
    text = _SPACES.sub(" ", text.replace(PHRASE_SPACE, " ")).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


class Draws:
    """A seeded stream of uniforms in [0, 1), fetched from numpy in blocks for speed."""

    __slots__ = ("_block", "_buffer", "_index", "_rng")

    def __init__(self, rng: np.random.Generator, block: int = 2048) -> None:
        self._rng = rng
        self._block = block
        self._buffer: list[float] = []
        self._index = 0

    def next(self) -> float:
        """Returns the next uniform."""
        if self._index == len(self._buffer):
            self._buffer = self._rng.random(self._block).tolist()
            self._index = 0
        value = self._buffer[self._index]
        self._index += 1
        return value


_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Habits:
    """One user's idiolect: at each choice, with probability `strength`, their favourite.

    The favourite alternative of a choice is a fixed function of the user's `key` and the
    choice (its rule name, or its place in the rule for an inline choice), drawn with the
    choice's own weights: the same user favours "omw" in every message, in every interest that
    shares the rule, whichever other choices came first.
    """

    strength: float
    key: int

    def __post_init__(self) -> None:
        if not 0 <= self.strength < 1:
            raise ValueError(f"habit strength must be >= 0 and < 1, got {self.strength}")

    def favourite(self, salt: int) -> float:
        """The uniform in [0, 1) that picks this user's favourite at the choice `salt`."""
        return _splitmix64((self.key ^ salt) & _MASK64) / 2.0**64


def _splitmix64(value: int) -> int:
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def zipf_weights(count: int, exponent: float = 0.8) -> list[float]:
    """Weights 1, 1/2^s, 1/3^s, ...: list earlier entries first to make them more common."""
    return [1.0 / (rank**exponent) for rank in range(1, count + 1)]


@dataclass(frozen=True)
class FrameTable:
    """Weighted frames; each frame maps slot names to the values that slot may take.

    Attributes:
        entries: The frames, e.g. ``{"name": ("lasagna",), "ingredient": ("ricotta", ...)}``.
        weights: One weight per entry.
    """

    entries: tuple[Mapping[str, tuple[str, ...]], ...]
    weights: tuple[float, ...]

    @classmethod
    def zipf(cls, entries: Sequence[Mapping[str, Sequence[str]]], exponent: float = 0.8):
        """Builds a table whose earlier entries are more common (Zipf-like)."""
        frozen = tuple({k: tuple(v) for k, v in entry.items()} for entry in entries)
        return cls(entries=frozen, weights=tuple(zipf_weights(len(frozen), exponent)))

    @classmethod
    def parse(cls, text: str, slots: Sequence[str], exponent: float = 0.8):
        """Builds a Zipf-weighted table from lines ``value, value | value | ...``.

        Each non-empty line is one frame; ``|`` separates the slots (in `slots` order) and
        commas separate a slot's values.
        """
        entries = []
        for line in text.strip().splitlines():
            if not line.strip():
                continue
            fields = [f.strip() for f in line.split("|")]
            if len(fields) != len(slots):
                raise ValueError(
                    f"frame line {line.strip()!r} has {len(fields)} fields, "
                    f"expected {len(slots)} ({', '.join(slots)})"
                )
            entry = {}
            for slot, field in zip(slots, fields):
                values = tuple(v.strip() for v in field.split(",") if v.strip())
                if not values:
                    raise ValueError(f"frame line {line.strip()!r}: slot {slot!r} is empty")
                entry[slot] = values
            entries.append(entry)
        return cls.zipf(entries, exponent)


class _Choice:
    """Weighted alternatives, each a compiled sequence; `salt` names the choice for `Habits`."""

    __slots__ = ("alternatives", "cumulative", "salt", "total")

    def __init__(self, name: str) -> None:
        self.alternatives: tuple[tuple, ...] = ()
        self.cumulative: list[float] = []
        self.total = 0.0
        self.salt = zlib.crc32(name.encode()) << 32

    def fill(self, alternatives: Sequence[tuple], weights: Sequence[float]) -> None:
        self.alternatives = tuple(alternatives)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, uniform: float) -> tuple:
        index = bisect_right(self.cumulative, uniform * self.total)
        return self.alternatives[min(index, len(self.alternatives) - 1)]


def _uniform(choice: _Choice, draw: Callable[[], float], habits: Optional[Habits]) -> float:
    # Without habits: exactly one draw per choice (the stream of habit-free generation).
    if habits is None:
        return draw()
    if draw() < habits.strength:
        return habits.favourite(choice.salt)
    return draw()


class Grammar:
    """Compiled rules and frame tables; expands a start rule into one message."""

    def __init__(self, rules: Rules, frames: Mapping[str, FrameTable]) -> None:
        """Compiles the rules.

        Raises:
            ValueError: A template is malformed or references an unknown rule, frame or slot.
        """
        self._frames = dict(frames)
        self._frame_cumulative = {
            name: list(accumulate(table.weights)) for name, table in self._frames.items()
        }
        self._rules = {name: _Choice(name) for name in rules}
        self.entity_slots: set[str] = set()
        for name, alternatives in rules.items():
            if not alternatives:
                raise ValueError(f"rule {name!r} has no alternatives")
            templates = [a if isinstance(a, str) else a[0] for a in alternatives]
            weights = [1.0 if isinstance(a, str) else float(a[1]) for a in alternatives]
            ordinals = count()  # Names the rule's inline choices, in order.
            compiled = [self._compile(t, name, ordinals) for t in templates]
            self._rules[name].fill(compiled, weights)

    def _compile(self, template: str, rule: str, ordinals: Iterator[int]) -> tuple:
        sequence, end = self._parse_sequence(template, 0, rule, ordinals, in_choice=False)
        if end != len(template):
            raise ValueError(f"rule {rule!r}: unbalanced {template[end]!r} in {template!r}")
        return sequence

    def _parse_sequence(self, text: str, start: int, rule: str, ordinals: Iterator[int], *,
                        in_choice: bool) -> tuple[tuple, int]:
        items: list = []
        literal: list[str] = []
        i = start
        while i < len(text) and text[i] not in ")|]":
            char = text[i]
            if char in "{([":
                if literal:
                    items.append("".join(literal))
                    literal = []
                if char == "{":
                    end = text.find("}", i)
                    if end < 0:
                        raise ValueError(f"rule {rule!r}: unclosed '{{' in {text!r}")
                    items.append(self._reference(text[i + 1 : end], rule))
                    i = end + 1
                else:
                    closer = ")" if char == "(" else "]"
                    options = []
                    i += 1
                    while True:
                        option, i = self._parse_sequence(text, i, rule, ordinals,
                                                         in_choice=True)
                        options.append(option)
                        if i >= len(text):
                            raise ValueError(f"rule {rule!r}: unclosed {char!r} in {text!r}")
                        if text[i] == "|" and closer == ")":
                            i += 1
                            continue
                        if text[i] != closer:
                            raise ValueError(f"rule {rule!r}: unbalanced {text[i]!r} in {text!r}")
                        i += 1
                        break
                    if closer == "]":
                        options.append(())
                    choice = _Choice(f"{rule}#{next(ordinals)}")
                    choice.fill(options, [1.0] * len(options))
                    items.append((_RULE, choice))
            else:
                literal.append(PHRASE_SPACE if in_choice and char == " " else char)
                i += 1
        if literal:
            items.append("".join(literal))
        return tuple(items), i

    def _reference(self, name: str, rule: str) -> tuple:
        if name.startswith("@"):
            self.entity_slots.add(name[1:])
            return (_ENTITY, name[1:])
        if "." in name:
            frame, slot = name.split(".", 1)
            if frame not in self._frames:
                raise ValueError(f"rule {rule!r}: unknown frame {frame!r}")
            if any(slot not in entry for entry in self._frames[frame].entries):
                raise ValueError(f"rule {rule!r}: frame {frame!r} has entries without {slot!r}")
            return (_FRAME, frame, slot)
        if name not in self._rules:
            raise ValueError(f"rule {rule!r}: unknown rule {name!r}")
        return (_RULE, self._rules[name])

    def expand(
        self,
        start: str,
        draw: Callable[[], float],
        entities: Mapping[str, Sequence[str]],
        habits: Optional[Habits] = None,
    ) -> str:
        """Expands rule `start` into one message of plain text (see `expand_phrases`)."""
        return join_phrases(self.expand_phrases(start, draw, entities, habits))

    def expand_phrases(
        self,
        start: str,
        draw: Callable[[], float],
        entities: Mapping[str, Sequence[str]],
        habits: Optional[Habits] = None,
    ) -> str:
        """Expands rule `start` into one message whose phrases are joined by `PHRASE_SPACE`.

        Args:
            start: The start rule.
            draw: Returns the next uniform in [0, 1) (e.g. `Draws.next`).
            entities: The user's entity slots (``{@slot}``), each a non-empty list of values.
            habits: The user's idiolect; without it (or with strength 0) every choice is
                drawn afresh, with one uniform per choice.

        Returns:
            The message, words separated by single spaces (none before ``, ? ! .``) and the
            words of one phrase by `PHRASE_SPACE`.
        """
        out: list[str] = []
        frames: dict[str, Mapping[str, tuple[str, ...]]] = {}
        slots: dict[tuple, str] = {}
        if habits is not None and habits.strength == 0:
            habits = None
        start_choice = self._rules[start]
        self._expand(
            start_choice.pick(_uniform(start_choice, draw, habits)),
            out, draw, entities, frames, slots, habits,
        )
        text = _SPACES.sub(" ", "".join(out)).strip()
        return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)

    def _expand(self, sequence, out, draw, entities, frames, slots, habits) -> None:
        for item in sequence:
            if item.__class__ is str:
                out.append(item)
            elif item[0] == _RULE:
                choice = item[1]
                self._expand(choice.pick(_uniform(choice, draw, habits)),
                             out, draw, entities, frames, slots, habits)
            else:
                value = slots.get(item)
                if value is None:
                    if item[0] == _FRAME:
                        values = self._frame(item[1], draw, frames)[item[2]]
                    else:
                        values = entities[item[1]]
                    value = values[int(draw() * len(values))].replace(" ", PHRASE_SPACE)
                    slots[item] = value
                out.append(value)

    def _frame(self, name: str, draw, frames) -> Mapping[str, tuple[str, ...]]:
        entry = frames.get(name)
        if entry is None:
            cumulative = self._frame_cumulative[name]
            index = bisect_right(cumulative, draw() * cumulative[-1])
            entry = self._frames[name].entries[min(index, len(cumulative) - 1)]
            frames[name] = entry
        return entry

    def words(self) -> set[str]:
        """Every lower-case word the rules and frames can produce (entities excluded)."""
        found: set[str] = set()
        for text in self._literals():
            found.update(_WORD.findall(text.lower()))
        return found

    def _literals(self) -> Iterator[str]:
        seen: set[int] = set()
        stack = list(self._rules.values())
        while stack:
            choice = stack.pop()
            if id(choice) in seen:
                continue
            seen.add(id(choice))
            for sequence in choice.alternatives:
                for item in sequence:
                    if item.__class__ is str:
                        yield item
                    elif item[0] == _RULE:
                        stack.append(item[1])
        for table in self._frames.values():
            for entry in table.entries:
                for values in entry.values():
                    yield from values
