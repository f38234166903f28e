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
from itertools import islice
from typing import Any, TypeVar

State = TypeVar("State")
Item = TypeVar("Item")
Result = TypeVar("Result")

CHUNK = 16  # Users per task: enough to amortize the pickling, small enough to keep order cheap.
_state: Any = None  # The worker process's state, set when the pool starts.


def _start(state: Any) -> None:
    global _state
    _state = state
    # Ctrl-C is the parent's to handle: it stops the pool, and its writer leaves no half file.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work_on(work: Callable[[Any, Any], Any], chunk: list[Any]) -> list[Any]:
    return [work(_state, item) for item in chunk]


def ordered_map(work: Callable[[State, Item], Result], items: Iterable[Item], *,
                state: State, jobs: int) -> Iterator[Result]:
    """Yields `work(state, item)` for every item, in the items' order.

    Args:
        work: a module-level function (pickled with each chunk of items and its results).
        items: consumed lazily: at most `2 * jobs` chunks of `CHUNK` are in flight, so memory
            does not grow with the number of items.
        state: what `work` reads. Each worker has its own copy (the workers are forked, so it
            is inherited, not pickled): a result must not depend on the items before it.
        jobs: processes (>= 1); 1 works in this process, without a pool.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if jobs == 1:
        for item in items:
            yield work(state, item)
        return
    iterator = iter(items)
    context = multiprocessing.get_context("fork")  # Workers inherit `state` and the modules.
    with context.Pool(jobs, initializer=_start, initargs=(state,)) as pool:
        pending: deque = deque()
        while chunk := list(islice(iterator, CHUNK)):
            pending.append(pool.apply_async(_work_on, (work, chunk)))
            if len(pending) >= 2 * jobs:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
