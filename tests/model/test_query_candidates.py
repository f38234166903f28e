"""The query-candidate baseline: popular queries only, retrieval by context words, JSON."""

from __future__ import annotations

import pytest

from data.records import TypingRecord
from data.split import split_users
from model.query_candidates import (
    QueryCandidate,
    QueryIndex,
    build_query_index,
    load_query_index,
    save_query_index,
)

SEARCHES = [
    ("u1", "How to make Lasagna", "cooking"),
    ("u2", "how to make lasagna", "cooking"),
    ("u3", "how to make lasagna", "cooking"),
    ("u1", "tacos near me", "local"),
    ("u2", "Tacos near me!", "cooking"),
    ("u3", "tacos near me", "local"),
    ("u1", "weather riverton tomorrow", "local"),
    ("u2", "weather riverton tomorrow", "local"),
    ("u3", "zoobix the cat vet", "home"),  # Only one user: never a candidate.
]


@pytest.fixture
def index() -> QueryIndex:
    return build_query_index(SEARCHES, min_users=2, stop_share=0.5)


def test_only_queries_typed_by_enough_users_become_candidates(index):
    assert [(c.text, c.users, c.topic) for c in index.candidates] == [
        ("how to make lasagna", 3, "cooking"),
        ("tacos near me", 3, "local"),
        ("weather riverton tomorrow", 2, "local"),
    ]


def test_proposes_the_query_sharing_the_contexts_words(index):
    proposals = index.propose(["i'm", "making", "lasagna", "tonight"])

    assert [p.candidate.text for p in proposals] == ["how to make lasagna"]
    assert 0 < proposals[0].score <= 1


def test_nothing_is_proposed_without_a_shared_word(index):
    assert index.propose(["see", "you", "soon"]) == []
    assert index.propose([]) == []


def test_only_the_last_window_words_count():
    index = build_query_index(SEARCHES, min_users=2, stop_share=0.5, window=2)

    assert index.propose(["lasagna", "is", "great"]) == []


def test_ties_go_to_the_more_popular_then_alphabetical_candidate():
    index = QueryIndex([QueryCandidate("b pizza", 2), QueryCandidate("a pizza", 2),
                        QueryCandidate("c pizza", 5)], stop_share=1.0)

    assert [p.candidate.text for p in index.propose(["pizza"], k=3)] == [
        "c pizza", "a pizza", "b pizza"]


def test_words_in_too_many_candidates_are_stop_words():
    index = QueryIndex([QueryCandidate(f"how to {w}", 2) for w in ("bake", "fly", "swim")],
                       stop_share=0.5)

    assert index.propose(["how", "to"]) == []
    assert index.propose(["how", "to", "swim"])[0].score == pytest.approx(1.0)


def test_candidates_never_come_from_held_out_users():
    records = {u: [TypingRecord(u, "hi")] for u in ("u1", "u2", "u3", "u4", "u5", "u6")}
    split = split_users(records, eval_fraction=0.34, seed=0)
    # Both held-out users typed a query no training user typed.
    searches = SEARCHES + [(u, "secret garden tour", None) for u in split.eval]
    assert len(split.eval) == 2

    index = build_query_index([s for s in searches if s[0] in split.train], min_users=2)
    everyone = build_query_index(searches, min_users=2)

    assert "secret garden tour" in everyone
    assert "secret garden tour" not in index
    assert index.propose(["secret", "garden"]) == []


def test_save_and_load_give_the_same_proposals(index, tmp_path):
    path = tmp_path / "query_candidates.json"

    save_query_index(path, index)
    loaded = load_query_index(path)

    assert loaded.candidates == index.candidates
    context = ["weather", "in", "riverton"]
    assert loaded.propose(context) == index.propose(context)


def test_loading_refuses_another_format(tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"format": "query-candidates", "version": 99, "candidates": []}')

    with pytest.raises(ValueError, match="version 99, this code reads version 1"):
        load_query_index(path)
