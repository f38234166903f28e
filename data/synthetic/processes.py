"""Per-user work spread over worker processes, its results yielded in user order.

The generator draws every user's profile in one process, in user order (invented names depend on
earlier users), but each user's messages and clicks come from streams seeded by the user's own
index, so any process can draw them and the output is the same bytes with any number of jobs.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import chain, islice
from typing import Any, TypeVar

State = TypeVar("State")
Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNK = 16  # Users per task: enough to amortize the pickling, small enough to keep order cheap.
_state: Any = None  # The worker process's state, set when it starts.


def _start(state: Any) -> None:
    global _state
    _state = state
    # Ctrl-C is the parent's to handle: it stops the pool, and its writer leaves no half file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work_on(work: Callable[[Any, Any], Any], chunk: list[Any]) -> list[Any]:
    return [work(_state, item) for item in chunk]


def ordered_map(work: Callable[[State, Item], Result], items: Iterable[Item], *,
                state: State, jobs: int) -> Iterator[tuple[Item, Result]]:
    """Yields `(item, work(state, item))` for every item, in the items' order.

    Args:
        work: a module-level function (pickled with each chunk of items and its results; the
            items themselves stay here too, and come back with their results from here).
        items: consumed lazily: at most `2 * jobs` chunks of `CHUNK` are in flight, so memory
            does not grow with the number of items.
        state: what `work` reads. Each worker has its own copy (the workers are forked, so it
            is inherited, not pickled): a result must not depend on the items before it.
        jobs: processes (>= 1). With 1, or when the items fit in one chunk, the work is done
            here, without a pool.

    Raises:
        ValueError: `jobs` < 1 (when called).
        concurrent.futures.process.BrokenProcessPool: a worker died (killed, out of memory).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    return _ordered_map(work, iter(items), state, jobs)


def _ordered_map(work: Callable[[Any, Any], Any], items: Iterator[Any], state: Any,
                 jobs: int) -> Iterator[tuple[Any, Any]]:
    first = [chunk for chunk in (list(islice(items, CHUNK)) for _ in range(jobs)) if chunk]
    if len(first) <= 1:  # One chunk at most: forking would cost more than it saves.
        for item in chain(*first, items):
            yield item, work(state, item)
        return
    chunks = chain(first, iter(lambda: list(islice(items, CHUNK)), []))
    pool = ProcessPoolExecutor(len(first), mp_context=multiprocessing.get_context("fork"),
                               initializer=_start, initargs=(state,))
    try:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_work_on, work, chunk)))
            if len(pending) >= 2 * len(first):
                yield from _done(*pending.popleft())
        while pending:
            yield from _done(*pending.popleft())
    finally:  # Also when the caller stops early: no worker is left behind.
        pool.shutdown(wait=True, cancel_futures=True)


def _done(chunk: list[Any], results: Any) -> Iterator[tuple[Any, Any]]:
    return zip(chunk, results.result())
