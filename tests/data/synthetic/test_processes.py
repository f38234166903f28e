"""Per-user work in worker processes: results in the items' order, items drawn lazily, no
worker left behind."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from data.synthetic.processes import CHUNK, ordered_map

ITEMS = 5 * CHUNK + 3


def shifted_square(shift: int, item: int) -> int:
    # Later items finish first: only the parent's bookkeeping can put them back in order.
    time.sleep((ITEMS - item) / 20_000)
    return shift + item * item


def process_of(_state: None, _item: int) -> int:
    return os.getpid()


def refuse_seven(_state: None, item: int) -> int:
    if item == 7:
        raise ValueError("seven")
    return item


def die_on_seven(_state: None, item: int) -> int:
    if item == 7:
        os._exit(3)  # As the out-of-memory killer would end it.
    return item


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_with_their_items_in_the_items_order(jobs):
    pairs = list(ordered_map(shifted_square, range(ITEMS), state=10, jobs=jobs))

    assert pairs == [(item, 10 + item * item) for item in range(ITEMS)]
    assert multiprocessing.active_children() == []


def test_several_jobs_work_in_other_processes_and_one_chunk_works_here():
    spread = {pid for _, pid in ordered_map(process_of, range(4 * CHUNK), state=None, jobs=2)}
    alone = {pid for _, pid in ordered_map(process_of, range(CHUNK), state=None, jobs=2)}

    assert os.getpid() not in spread and 1 <= len(spread) <= 2  # A fast worker may take all.
    assert alone == {os.getpid()}


def test_items_are_drawn_only_a_few_chunks_ahead_and_stopping_early_ends_the_workers():
    drawn = []

    def items():
        for item in range(40 * CHUNK):
            drawn.append(item)
            yield item

    results = ordered_map(shifted_square, items(), state=0, jobs=2)
    first = next(results)
    drawn_before_first = len(drawn)
    results.close()

    assert first == (0, 0)
    assert drawn_before_first <= (2 * 2 + 1) * CHUNK  # Not the 640 items there are.
    assert multiprocessing.active_children() == []


def test_an_error_in_a_worker_reaches_the_caller_and_ends_the_workers():
    with pytest.raises(ValueError, match="seven"):
        list(ordered_map(refuse_seven, range(3 * CHUNK), state=None, jobs=2))
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_fails_the_run_instead_of_hanging_it():
    with pytest.raises(BrokenProcessPool):
        list(ordered_map(die_on_seven, range(3 * CHUNK), state=None, jobs=2))
    assert multiprocessing.active_children() == []


def test_no_jobs_is_refused_when_called():
    with pytest.raises(ValueError, match="jobs must be >= 1"):
        ordered_map(shifted_square, [1], state=0, jobs=0)
