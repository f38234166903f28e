"""The template grammar: frames bind once per message, choices, spacing, and errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from data.synthetic.grammar import (
    PHRASE_SPACE,
    Draws,
    FrameTable,
    Grammar,
    Habits,
    join_phrases,
)

PETS = FrameTable.parse(
    """
    dog | leash, ball | bark
    cat | litter, yarn | meow
    """,
    ("animal", "thing", "sound"),
)


def expand_many(grammar: Grammar, count: int, entities=None, habits=None) -> list[str]:
    draw = Draws(np.random.default_rng(0), block=16).next
    return [grammar.expand("start", draw, entities or {}, habits) for _ in range(count)]


GREETINGS = Grammar({"start": ["{hi} (there|friend)"], "hi": ["hey", "hi", "yo", "hello"]}, {})


def test_a_habitual_user_mostly_takes_their_favourite_phrasing():
    habitual = expand_many(GREETINGS, 2000, habits=Habits(0.8, key=7))
    fresh = expand_many(GREETINGS, 2000)

    # Each choice's favourite: 0.8 from the habit plus its share of the fresh 0.2 (0.85 for
    # the greeting); drawn afresh, the commonest greeting has about a quarter.
    greetings = Counter(message.split(" ")[0] for message in habitual)
    assert greetings.most_common(1)[0][1] / 2000 > 0.8
    assert Counter(message.split(" ")[0] for message in fresh).most_common(1)[0][1] / 2000 < 0.3
    assert set(habitual) == set(fresh)  # nothing new is said, only the favourites more


def test_users_favour_different_phrasings_and_keep_them_across_grammars():
    favourites = {key: Counter(expand_many(GREETINGS, 300, habits=Habits(0.8, key)))
                  .most_common(1)[0][0] for key in range(30)}  # fmt: skip
    # Another grammar sharing the rule "hi": the same user greets the same way there.
    other = Grammar({"start": ["{hi}, lunch?"], "hi": ["hey", "hi", "yo", "hello"]}, {})
    greeting_elsewhere = {key: Counter(expand_many(other, 300, habits=Habits(0.8, key)))
                          .most_common(1)[0][0] for key in range(30)}  # fmt: skip

    assert len(set(favourites.values())) >= 6  # 4 greetings x 2 endings, not one for all
    assert all(favourites[key].split(" ")[0] == greeting_elsewhere[key].split(",")[0]
               for key in range(30))


def test_no_habits_and_habits_of_strength_zero_draw_the_same_messages():
    assert expand_many(GREETINGS, 100, habits=Habits(0.0, key=7)) == expand_many(GREETINGS, 100)
    with pytest.raises(ValueError, match="habit strength"):
        Habits(1.0, key=7)


def test_frame_slots_bind_once_per_message():
    grammar = Grammar({"start": ["my {pet.animal} wants the {pet.thing}, {pet.animal}!"]},
                      {"pet": PETS})  # fmt: skip

    messages = expand_many(grammar, 200)

    allowed = {f"my {a} wants the {t}, {a}!" for a, ts in [("dog", ("leash", "ball")),
               ("cat", ("litter", "yarn"))] for t in ts}  # fmt: skip
    assert set(messages) == allowed


def test_entities_bind_once_and_come_from_the_user():
    grammar = Grammar({"start": ["{@friend} and {@friend}"]}, {})

    messages = expand_many(grammar, 50, {"friend": ("Maya", "Jonah")})

    assert set(messages) == {"Maya and Maya", "Jonah and Jonah"}
    assert grammar.entity_slots == {"friend"}


def test_inline_choices_optional_parts_and_spacing():
    grammar = Grammar({"start": ["[so] (hi|hey) {name} , ok ?"], "name": ["", "Ann"]}, {})

    messages = set(expand_many(grammar, 400))

    assert messages == {
        f"{so}{hi}{name}, ok?"
        for so in ("", "so ")
        for hi in ("hi", "hey")
        for name in ("", " Ann")
    }


def test_slot_values_and_inline_choices_stay_whole_phrases():
    grammar = Grammar({"start": ["(want to|wanna) play {@game} at {place} now"],
                       "place": ["my house"]}, {})  # fmt: skip
    draw = Draws(np.random.default_rng(1), block=16).next

    phrased = {grammar.expand_phrases("start", draw, {"game": ("mario kart",)})
               for _ in range(50)}

    assert phrased == {f"{want} play mario{PHRASE_SPACE}kart at my house now"
                       for want in (f"want{PHRASE_SPACE}to", "wanna")}  # fmt: skip
    assert {join_phrases(text) for text in phrased} == {
        "want to play mario kart at my house now", "wanna play mario kart at my house now"}


def test_weights_shape_frequencies():
    grammar = Grammar({"start": [("common", 9), ("rare", 1)]}, {})

    messages = expand_many(grammar, 2000)

    assert 0.85 < messages.count("common") / 2000 < 0.95


def test_same_draws_same_messages():
    grammar = Grammar({"start": ["{pet.animal} (a|b|c|d) {pet.sound}"]}, {"pet": PETS})

    assert expand_many(grammar, 30) == expand_many(grammar, 30)


def test_words_lists_literals_and_frame_values():
    grammar = Grammar({"start": ["I'm at {pet.thing} (now|later)"]}, {"pet": PETS})

    assert grammar.words() == {"i'm", "at", "now", "later", "dog", "cat", "leash", "ball",
                               "litter", "yarn", "bark", "meow"}  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"start": ["{nope}"]}, "unknown rule 'nope'"),
        ({"start": ["{fish.name}"]}, "unknown frame 'fish'"),
        ({"start": ["{pet.color}"]}, "frame 'pet' has entries without 'color'"),
        ({"start": ["(a|b"]}, "unclosed '\\('"),
        ({"start": ["a)"]}, "unbalanced '\\)'"),
        ({"start": ["{pet.animal"]}, "unclosed '{'"),
        ({"start": []}, "rule 'start' has no alternatives"),
    ],
)
def test_malformed_grammars_are_rejected(rules, message):
    with pytest.raises(ValueError, match=message):
        Grammar(rules, {"pet": PETS})


def test_frame_table_lines_must_fill_every_slot():
    with pytest.raises(ValueError, match="has 2 fields, expected 3"):
        FrameTable.parse("dog | leash", ("animal", "thing", "sound"))
