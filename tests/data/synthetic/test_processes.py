"""Per-user work in worker processes: results in the items' order, items drawn lazily."""

from __future__ import annotations

import pytest

from data.synthetic.processes import CHUNK, ordered_map


def shifted_square(shift: int, item: int) -> int:
    return shift + item * item


def refuse_seven(_state: None, item: int) -> int:
    if item == 7:
        raise ValueError("seven")
    return item


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_in_the_items_order_with_the_state_of_the_caller(jobs):
    items = range(5 * CHUNK + 3)

    results = list(ordered_map(shifted_square, items, state=10, jobs=jobs))

    assert results == [10 + item * item for item in items]


def test_items_are_drawn_only_a_few_chunks_ahead_of_the_results():
    drawn = []

    def items():
        for item in range(40 * CHUNK):
            drawn.append(item)
            yield item

    results = ordered_map(shifted_square, items(), state=0, jobs=2)
    first = next(results)
    drawn_before_first = len(drawn)
    results.close()

    assert first == 0
    assert drawn_before_first <= (2 * 2 + 1) * CHUNK  # Not the 640 items there are.


def test_an_error_in_a_worker_reaches_the_caller():
    with pytest.raises(ValueError, match="seven"):
        list(ordered_map(refuse_seven, range(3 * CHUNK), state=None, jobs=2))


def test_no_jobs_is_refused():
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        list(ordered_map(shifted_square, [1], state=0, jobs=0))
