"""The model being served, swapped for a newer export without a restart.

Requests read `ModelSlot.suggester` once and use that object to the end, so a request in
flight finishes on the model it started with. At most every `check_seconds`, a read of the
slot starts a background check: `read_export_info` (a small JSON read) tells whether the
export's version changed; if so, the new model is loaded in that background thread and then
swapped in with one reference assignment. A broken or half-written export is refused with a
log line, and the old model keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

from model.export import read_export_info
from model.suggest import Suggester

logger = logging.getLogger(__name__)

LoadModel = Callable[[Path], Suggester]
# Contexts whose logits the served model keeps: a vocabulary's worth of floats each (16 KB at
# 4,000 words), so 16 MB at most, for many users typing at once.
CACHED_CONTEXTS = 1024


class ModelSlot:
    """Holds the current `Suggester` of the export at `path` and hot-reloads it."""

    def __init__(self, path: str | os.PathLike, load_model: LoadModel, *,
                 check_seconds: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.path = Path(path)
        self._load_model = load_model
        self._check_seconds = check_seconds
        self._clock = clock
        self._suggester = load_model(read_export_info(self.path).directory)
        self._next_check = clock() + check_seconds
        self._checking = threading.Lock()
        self._last_problem: str | None = None

    @property
    def suggester(self) -> Suggester:
        """The model to use for one request (the check for a new version never blocks)."""
        if self._clock() >= self._next_check and self._checking.acquire(blocking=False):
            self._next_check = self._clock() + self._check_seconds
            threading.Thread(target=self._check_in_background, name="model-reload",
                             daemon=True).start()
        return self._suggester

    def _check_in_background(self) -> None:
        try:
            self.reload_if_changed()
        finally:
            self._checking.release()

    def reload_if_changed(self) -> bool:
        """Loads and swaps in the export's model if its version changed; True if swapped."""
        try:
            info = read_export_info(self.path)
            if info.version == self._suggester.version:
                return False
            suggester = self._load_model(info.directory)
        except Exception as error:  # Whatever is wrong with the export, keep serving.
            self._refuse(f"{type(error).__name__}: {error}")
            return False
        old_version, self._suggester = self._suggester.version, suggester
        self._last_problem = None
        logger.info("now serving model %s (was %s)", suggester.version, old_version)
        return True

    def _refuse(self, problem: str) -> None:
        if problem != self._last_problem:  # Once per problem, not every few seconds.
            logger.warning("new model export refused, still serving %s: %s",
                           self._suggester.version, problem)
            self._last_problem = problem


def load_tflite_suggester(path: Path) -> Suggester:
    """Loads an export through its TFLite model, the fastest correct path (imports TF), with
    the logits of recent contexts cached: one network call per word typed, not per key."""
    from model.serving import load_suggester  # Deferred: TensorFlow takes seconds to import.

    return load_suggester(path, cached_contexts=CACHED_CONTEXTS)
