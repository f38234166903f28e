"""Vocabulary: special tokens once, ranking by distinct users, file round trip."""

from __future__ import annotations

import pytest

from model.vocab import (
    BOS_ID,
    EOS_ID,
    NUM_SPECIAL_TOKENS,
    OOV_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    Vocabulary,
    build_vocabulary,
)


def test_special_tokens_take_the_first_ids():
    assert (PAD_ID, OOV_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    assert NUM_SPECIAL_TOKENS == len(SPECIAL_TOKENS.as_list()) == 4


def test_build_ranks_by_distinct_users_then_count_then_alphabet(tiny_world):
    vocab = build_vocabulary(tiny_world, size=5)

    # coffee: 3 users; again and ramen: 2 users, 2 times each (alphabetical); then the
    # 1-user words by count: lasagna (3), best (2).
    assert vocab.words == ["coffee", "again", "ramen", "lasagna", "best"]
    assert vocab.size == 5 + NUM_SPECIAL_TOKENS


def test_whole_world_has_twenty_words(tiny_world):
    assert len(build_vocabulary(tiny_world, size=100).words) == 20


def test_lookup_maps_unknown_words_to_oov(tiny_world):
    vocab = build_vocabulary(tiny_world, size=2)

    assert vocab.id_of("coffee") == NUM_SPECIAL_TOKENS
    assert vocab.id_of("lasagna") == OOV_ID
    assert vocab.word_of(NUM_SPECIAL_TOKENS + 1) == "again"
    assert "again" in vocab and "lasagna" not in vocab


def test_save_and_load_round_trip(tmp_path, tiny_world):
    vocab = build_vocabulary(tiny_world, size=10)
    vocab.save(tmp_path / "vocab.txt")

    assert Vocabulary.load(tmp_path / "vocab.txt") == vocab
    assert (tmp_path / "vocab.txt").read_text().splitlines()[:4] == SPECIAL_TOKENS.as_list()


def test_load_refuses_a_file_without_special_tokens(tmp_path):
    (tmp_path / "vocab.txt").write_text("coffee\nramen\n")

    with pytest.raises(ValueError, match="special tokens"):
        Vocabulary.load(tmp_path / "vocab.txt")


@pytest.mark.parametrize(("words", "message"), [
    (["<pad>", "coffee"], "special tokens"),
    (["coffee", "coffee"], "distinct"),
])
def test_rejects_bad_word_lists(words, message):
    with pytest.raises(ValueError, match=message):
        Vocabulary(words)


def test_rejects_empty_size(tiny_world):
    with pytest.raises(ValueError, match="size must be >= 1"):
        build_vocabulary(tiny_world, size=0)
