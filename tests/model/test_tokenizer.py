"""The shared tokenizer: exact cases for each deliberate rule."""

from __future__ import annotations

import pytest

from model.tokenizer import split_context, tokenize


@pytest.mark.parametrize(("text", "tokens"), [
    ("How To Make Bread", ["how", "to", "make", "bread"]),
    ("running late, see you at 7!", ["running", "late", "see", "you", "at", "7"]),
    ("I'm sure it's fine", ["i'm", "sure", "it's", "fine"]),
    ("don\u2019t", ["don't"]),  # Curly apostrophe, as phones type it.
    ("'quoted' words'", ["quoted", "words"]),
    ("at 7:30 or 3.5 cups, 1,000 times", ["at", "7:30", "or", "3.5", "cups", "1,000", "times"]),
    ("7, then 8.", ["7", "then", "8"]),
    ("e-mail me :) #tbt", ["e", "mail", "me", "tbt"]),
    ("café AU lait", ["café", "au", "lait"]),
    ("snake_case", ["snake", "case"]),
    ("", []),
    ("?!  ...", []),
])
def test_tokenize(text, tokens):
    assert tokenize(text) == tokens


@pytest.mark.parametrize(("text", "context", "prefix"), [
    ("", [], ""),
    ("how to ", ["how", "to"], ""),
    ("how to ma", ["how", "to"], "ma"),
    ("How To Ma", ["how", "to"], "ma"),
    ("see you,", ["see", "you"], ""),
    ("i don'", ["i"], "don'"),
    ("at 7", ["at"], "7"),
])
def test_split_context(text, context, prefix):
    assert split_context(text) == (context, prefix)
