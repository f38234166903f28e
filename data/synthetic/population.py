"""Simulated users: personal entities, interest mixtures, styles, amounts of data, timestamps.

Every user is drawn from their own generator seeded by ``(seed, 0, index)``, so user ``u00007`` is
the same person whether 10 or 10,000 users are generated; their idiolect (`Habits`) comes from
``(seed, 4, index)``. Only the per-user invented names (nicknames, a pet's name, the rarely named
people) depend on earlier users (to keep them unique), and those are drawn in user order too.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from data.synthetic.config import GenerationConfig
from data.synthetic.grammar import Draws, FrameTable, Habits
from data.synthetic.lexicon import (
    FILLERS,
    FIRST_NAMES,
    MASCOTS,
    NAME_CODAS,
    NAME_ONSETS,
    NAME_VOWELS,
    NEIGHBOURHOODS,
    PET_KINDS,
    STREET_KINDS,
    STREETS,
    SURNAMES,
    TOWNS,
    VENUE_KINDS,
    spaced,
)

# Relative typing activity per hour of day: quiet at night, peaks in the morning and evening.
HOURLY_ACTIVITY = (
    0.5, 0.3, 0.2, 0.1, 0.1, 0.3, 1.2, 2.5, 3.2, 2.6, 2.2, 2.3,
    2.8, 2.4, 2.1, 2.2, 2.5, 3.0, 3.3, 3.5, 3.6, 3.2, 2.2, 1.2,
)  # fmt: skip

_CAFE_FIRST = ("Blue Door", "Little", "Golden", "Corner", "Copper", "Red Fox", "Maple", "Sparrow")
_CAFE_LAST = ("Cafe", "Coffee", "Bakery", "Diner", "Kitchen", "Bagels")
_GYMS = ("the ymca", "planet fitness", "the rec center", "the climbing gym", "orangetheory")


@dataclass(frozen=True)
class UserProfile:
    """One simulated user.

    Attributes:
        user_id: ``u00042``.
        mixture: Interest weights (sums to 1), in `interest_specs` order.
        query_share: Probability that a message is a search query rather than chat.
        capitalize: Probability that a chat message is typed with capitals ("I'm", "Maya").
        drop_punctuation: Probability of leaving the final ``?``/``!`` off.
        abbreviates: Types "u", "ur", "tmrw" in chat.
        fillers: The user's favourite filler words ("literally", "like"), most used first.
        filler_rate: Probability of a filler before each word of a chat message (after the
            first): casual typists use them a lot, careful ones hardly ever.
        entities: The user's own entity slots (``{@friend}``, ``{@pet}``, ...), each non-empty.
        unique_words: Lower-case words only this user has (their invented names).
        habits: The user's idiolect: how often, and which, favourite phrasings they reuse.
        timestamps: One ISO 8601 UTC timestamp per message, chronological.
    """

    user_id: str
    mixture: tuple[float, ...]
    query_share: float
    capitalize: float
    drop_punctuation: float
    abbreviates: bool
    fillers: tuple[str, ...]
    filler_rate: float
    entities: dict[str, tuple[str, ...]]
    unique_words: tuple[str, ...]
    habits: Habits
    timestamps: tuple[str, ...]


def user_id_for(index: int, users: int) -> str:
    """``u00042``: zero-padded to 5 digits, or more when there are more than 99,999 users."""
    return f"u{index:0{max(5, len(str(users - 1)))}d}"


def build_league(seed: int, teams: int) -> FrameTable:
    """Builds the sports league: each team has a name, players, a venue and rivals.

    Args:
        seed: The generation seed (the league differs per seed, like users do).
        teams: How many teams (at most the number of mascots).
    """
    rng = np.random.default_rng([seed, 1])
    towns = spaced(TOWNS)
    cities = [towns[i] for i in rng.permutation(len(towns))[:teams]]
    mascots = [MASCOTS[i] for i in rng.permutation(len(MASCOTS))[:teams]]
    names = [f"{city} {mascot}" for city, mascot in zip(cities, mascots)]
    entries = []
    for index, name in enumerate(names):
        players = tuple(SURNAMES[i] for i in rng.choice(len(SURNAMES), size=4, replace=False))
        venue_owner = cities[index] if rng.random() < 0.5 else SURNAMES[rng.integers(len(SURNAMES))]
        venue = f"{venue_owner} {VENUE_KINDS[rng.integers(len(VENUE_KINDS))]}"
        rivals = tuple(names[(index + step) % len(names)] for step in (1, 2, 3))
        short = f"the {mascots[index]}"
        entries.append(
            {
                "name": (name, short),
                "short": (short,),
                "mascot": (mascots[index],),
                "player": players,
                "venue": (venue,),
                "rival": rivals,
            }
        )
    return FrameTable.zipf(entries, exponent=0.6)


def _pick(draw, pool: Sequence[str]) -> str:
    return pool[int(draw() * len(pool))]


class NicknameMaker:
    """Invents pronounceable nicknames ("Zoobix") that no grammar word and no other user has."""

    def __init__(self, taken: set[str]) -> None:
        self._taken = set(taken)

    def make(self, draw) -> str:
        """Returns a new capitalised nickname, never returned before."""
        while True:
            syllables = 2 if draw() < 0.8 else 3
            parts = [_pick(draw, NAME_ONSETS) + _pick(draw, NAME_VOWELS) for _ in range(syllables)]
            word = "".join(parts) + _pick(draw, NAME_CODAS)
            if word not in self._taken:
                self._taken.add(word)
                return word.capitalize()


def _habits(seed: int, index: int, mean_strength: float) -> Habits:
    # Strengths spread around the mean (Beta, concentration 4), capped so that a favourite
    # recursive alternative cannot make a message unboundedly long.
    if mean_strength == 0:
        return Habits(0.0, 0)
    rng = np.random.default_rng([seed, 4, index])
    strength = min(0.9, float(rng.beta(4 * mean_strength, 4 * (1 - mean_strength))))
    return Habits(round(strength, 3), int(rng.integers(0, 2**63)))


@functools.cache  # Every user has the same days.
def _day_names(start: date, days: int) -> tuple[str, ...]:
    return tuple((start + timedelta(days=d)).isoformat() for d in range(days))


def _timestamps(rng: np.random.Generator, count: int, start: date, days: int) -> tuple[str, ...]:
    activity = np.asarray(HOURLY_ACTIVITY)
    # Each user's day is shifted a little: early birds and night owls.
    activity = np.roll(activity, int(rng.integers(-2, 3)))
    cumulative = np.cumsum(activity) / activity.sum()
    hours = np.minimum(np.searchsorted(cumulative, rng.random(count), side="right"), 23)
    seconds = (
        rng.integers(0, days, size=count) * 86400 + hours * 3600 + rng.integers(0, 3600, size=count)
    )
    seconds.sort()
    day_names = _day_names(start, days)
    stamps = []
    for second in seconds.tolist():
        day, rest = divmod(second, 86400)
        hour, rest = divmod(rest, 3600)
        minute, sec = divmod(rest, 60)
        stamps.append(f"{day_names[day]}T{hour:02d}:{minute:02d}:{sec:02d}Z")
    return tuple(stamps)


def _message_count(rng: np.random.Generator, mean: float, sigma: float, low: int, high: int) -> int:
    # Lognormal above the floor, with its mean set so the average user has about `mean`.
    mu = np.log(max(mean - low, 1e-9)) - sigma**2 / 2
    return int(min(high, low + int(rng.lognormal(mu, sigma))))


def _mixture(rng: np.random.Generator, alpha: float, size: int) -> tuple[float, ...]:
    weights = rng.dirichlet(np.full(size, alpha))
    if not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        # Tiny alphas can underflow to all zeros: that user has one interest.
        weights = np.zeros(size)
        weights[rng.integers(size)] = 1.0
    return tuple((weights / weights.sum()).tolist())


def make_user(
    index: int,
    config: GenerationConfig,
    *,
    interests: int,
    league: FrameTable,
    nicknames: NicknameMaker,
) -> UserProfile:
    """Draws user `index`: their interests, style, entities, message count and timestamps."""
    rng = np.random.default_rng([config.seed, 0, index])
    draw = Draws(rng, block=256).next
    mixture = _mixture(rng, config.alpha, interests)
    query_share = float(rng.beta(2.0, 4.0))
    kind = draw()  # Lower-case typists, careful typists, and in between.
    capitalize = 0.05 if kind < 0.4 else (0.9 if kind < 0.8 else 0.45)
    drop_punctuation = round(draw() * 0.8, 3)
    abbreviates = draw() < 0.25

    names = spaced(FIRST_NAMES)
    invented: list[str] = []

    def person() -> str:
        # Draws nothing more when no name is rare: the first version's streams.
        if config.rare_name_share > 0 and draw() < config.rare_name_share:
            invented.append(nicknames.make(draw))
            return invented[-1]
        return _pick(draw, names)

    friends: list[str] = []
    for _ in range(3 + int(draw() * 4)):
        name = person()
        if name not in friends:
            friends.append(name)
    # The best friend comes up most: list them twice.
    friends.insert(0, friends[0])
    team = league.entries[int(draw() * len(league.entries))]
    pet = nicknames.make(draw)
    nick = nicknames.make(draw)
    cafe = f"{_pick(draw, _CAFE_FIRST)} {_pick(draw, _CAFE_LAST)}"
    entities = {
        "friend": tuple(friends),
        "partner": (person(),),
        "sibling": (person(),),
        "kid": tuple(person() for _ in range(1 + int(draw() * 2))),
        "nick": (nick,),
        "pet": (pet,),
        "pet_kind": (_pick(draw, PET_KINDS),),
        "town": (_pick(draw, spaced(TOWNS)),),
        "hood": (_pick(draw, spaced(NEIGHBOURHOODS)),),
        "street": (f"{_pick(draw, STREETS)} {_pick(draw, STREET_KINDS)}",),
        # "the {@team} game": the mascot ("Hawks") or the full name ("Riverton Hawks").
        "team": team["mascot"] + team["name"][:1],
        "team_player": (team["player"][int(draw() * len(team["player"]))],),
        "team_venue": team["venue"],
        "cafe": (cafe,),
        "gym": (_pick(draw, _GYMS),),
    }
    fillers = tuple(dict.fromkeys(_pick(draw, FILLERS) for _ in range(3)))
    filler_rate = round(float(rng.beta(1.5, 6.0)), 3)
    count = _message_count(
        rng, config.mean_messages, config.message_sigma, config.min_messages, config.max_messages
    )
    return UserProfile(
        user_id=user_id_for(index, config.users),
        mixture=mixture,
        query_share=query_share,
        capitalize=capitalize,
        drop_punctuation=drop_punctuation,
        abbreviates=abbreviates,
        fillers=fillers,
        filler_rate=filler_rate,
        entities=entities,
        unique_words=(pet.lower(), nick.lower(), *(name.lower() for name in invented)),
        habits=_habits(config.seed, index, config.habit_strength),
        timestamps=_timestamps(rng, count, config.start, config.days),
    )
