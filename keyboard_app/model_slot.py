"""A model being served, swapped for a newer export without a restart.

Requests read `ModelSlot.current` once and use that object to the end, so a request in
flight finishes on the model it started with. At most every `check_seconds`, a read of the
slot starts a background check: `read_version` (a small JSON read; by default the next-word
export's `read_export_info`) tells whether the export's version changed; if so, the new
model is loaded in that background thread and then swapped in with one reference assignment.
A broken or half-written export is refused with a log line, and the old model keeps serving.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable, Generic, Protocol, TypeVar

from model.export import read_export_info
from model.suggest import Suggester

logger = logging.getLogger(__name__)


class Versioned(Protocol):
    @property
    def version(self) -> str: ...


Loaded = TypeVar("Loaded", bound=Versioned)
LoadModel = Callable[[Path], Suggester]
# An export path -> (its version, the directory holding that version's files).
ReadVersion = Callable[[Path], tuple[str, Path]]
# Contexts whose logits the served model keeps: a vocabulary's worth of floats each (16 KB at
# 4,000 words), so 16 MB at most, for many users typing at once.
CACHED_CONTEXTS = 1024


def export_version(path: Path) -> tuple[str, Path]:
    """The next-word export's version and directory (`model.export.read_export_info`)."""
    info = read_export_info(path)
    return info.version, info.directory


class ModelSlot(Generic[Loaded]):
    """Holds the current model of the export at `path` (anything with a `version`, loaded by
    `load_model` from a version's directory) and hot-reloads it."""

    def __init__(self, path: str | os.PathLike, load_model: Callable[[Path], Loaded], *,
                 read_version: ReadVersion = export_version, check_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic):
        self.path = Path(path)
        self._load_model = load_model
        self._read_version = read_version
        self._check_seconds = check_seconds
        self._clock = clock
        directory = read_version(self.path)[1]
        self._served = (load_model(directory), directory)  # Swapped as one reference.
        self._next_check = clock() + check_seconds
        self._checking = threading.Lock()
        self._last_problem: str | None = None

    @property
    def current(self) -> Loaded:
        """The model to use for one request (the check for a new version never blocks)."""
        return self.served()[0]

    def served(self) -> tuple[Loaded, Path]:
        """The current model and the directory it was loaded from (one consistent pair)."""
        if self._clock() >= self._next_check and self._checking.acquire(blocking=False):
            self._next_check = self._clock() + self._check_seconds
            threading.Thread(target=self._check_in_background, name="model-reload",
                             daemon=True).start()
        return self._served

    def _check_in_background(self) -> None:
        try:
            self.reload_if_changed()
        finally:
            self._checking.release()

    def reload_if_changed(self) -> bool:
        """Loads and swaps in the export's model if its version changed; True if swapped."""
        try:
            version, directory = self._read_version(self.path)
            if version == self._served[0].version:
                return False
            loaded = self._load_model(directory)
        except Exception as error:  # Whatever is wrong with the export, keep serving.
            self._refuse(f"{type(error).__name__}: {error}")
            return False
        old_version, self._served = self._served[0].version, (loaded, directory)
        self._last_problem = None
        logger.info("now serving model %s (was %s)", loaded.version, old_version)
        return True

    def _refuse(self, problem: str) -> None:
        if problem != self._last_problem:  # Once per problem, not every few seconds.
            logger.warning("new model export refused, still serving %s: %s",
                           self._served[0].version, problem)
            self._last_problem = problem


def load_tflite_suggester(path: Path) -> Suggester:
    """Loads an export through its TFLite model, the fastest correct path (imports TF), with
    the logits of recent contexts cached: one network call per word typed, not per key."""
    from model.serving import load_suggester  # Deferred: TensorFlow takes seconds to import.

    return load_suggester(path, cached_contexts=CACHED_CONTEXTS)
