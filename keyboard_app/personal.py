"""Each device's personal model and word cache: built in the background, served to that
device only, with the global model as the fallback.

A device is personalized when it has logged `min_messages` committed messages (and again
after each `min_messages` more), when the user asks (`POST /api/personalize`), and when a new
global version arrives for a device that was personalized before. One worker thread runs the
jobs, one at a time (TensorFlow on a phone's cores; so also one job per device at a time);
requests never wait for one. A job fine-tunes the global model the slot serves on the
device's log (`model.personal_model`), writes it into the device's own directory
(`model.personal_export`) and swaps it in for that device.

A personal model is served only under the vocabulary it was built on. A damaged personal
model, or one built on an older vocabulary, is set aside with a message for the panel; the
device gets the global model (its log is untouched) until a new personal model is built.
The device's own words (the word cache, counted from its log) are mixed into the personal
model's suggestions: they stay in the device's directory and leave it never.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

from data.device_logs import DeviceStore
from keyboard_app.model_slot import LoadModel, ModelSlot
from model.export import ExportInfo, read_export_info
from model.personal_export import (
    DeviceRecall,
    PersonalModelError,
    damaged_model_message,
    load_word_cache,
    older_vocabulary_message,
    read_personal_export,
    recall_of,
    save_word_cache,
    write_personal_export,
)
from model.suggest import Suggester
from model.tokenizer import split_context
from model.word_cache import WordCache, mix_suggestions, vocabulary_fingerprint

if TYPE_CHECKING:
    from model.personalization import PersonalizationConfig

logger = logging.getLogger(__name__)

IDLE, QUEUED, RUNNING = "idle", "queued", "running"
PERSONAL, GLOBAL = "personal", "global"


@dataclass(frozen=True)
class PersonalStatus:
    """What the panel shows about a device's model.

    Attributes:
        serving: PERSONAL or GLOBAL, the model this device's suggestions come from.
        model_version: That model's version.
        built_from: The global version the personal model was fine-tuned from (None: none).
        trained_messages: How many of the device's messages it was fine-tuned on.
        recall: Both models' top-1 recall on the device's newest messages (None: not measured).
        job: IDLE, QUEUED or RUNNING.
        problem: Why the device is on the global model against its wish, or why the last job
            failed (None: nothing wrong).
        personal_words: Words of the device's word cache (out of the global vocabulary).
        min_messages: Messages after which the device is personalized on its own.
    """

    serving: str
    model_version: str
    built_from: Optional[str]
    trained_messages: Optional[int]
    recall: Optional[DeviceRecall]
    job: str
    problem: Optional[str]
    personal_words: int
    min_messages: int


class PersonalSuggester:
    """The personal model's suggestions with the device's own words mixed in."""

    def __init__(self, model: Suggester, cache: WordCache):
        self.version = model.version
        self.vocab = model.vocab
        self._model = model
        self._cache = cache

    def suggest(self, text: str, k: int = 3) -> list[str]:
        """The model's words and the device's own, ranked by next-word probability."""
        context, prefix = split_context(text)
        mixed = mix_suggestions(self._model.suggest_scored(text, k),
                                self._cache.suggest(context, prefix, k), k)
        return [word for word, _ in mixed]


Served = Union[Suggester, PersonalSuggester]


@dataclass
class _Device:
    """One device's personal state; every field is read and written under `lock`."""

    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    loaded: bool = False
    info: Optional[ExportInfo] = None  # The personal model served, if any.
    model: Optional[Suggester] = None
    cache: Optional[WordCache] = None
    cache_vocab: Optional[str] = None  # The vocabulary hash the cache was counted under.
    wanted: bool = False  # Personalized once: keep it personalized across global versions.
    problem: Optional[str] = None
    job: str = IDLE
    attempted_global: Optional[str] = None  # Of the last job: no endless retries.
    attempted_messages: int = 0


class PersonalModels:
    """Every device's personal model and word cache, and the worker that builds them."""

    def __init__(self, store: DeviceStore, models: ModelSlot[Suggester], load_model: LoadModel,
                 config: PersonalizationConfig):
        self._store = store
        self._models = models
        self._load_model = load_model
        self.config = config
        self._devices: dict[str, _Device] = {}
        self._lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="personalize")
        self._vocab_hash: tuple[str, str] = ("", "")  # (global version, its vocabulary hash)

    def suggester(self, device: Optional[str]) -> Served:
        """The model `device` is served (the global one without a device)."""
        global_model = self._models.current
        if device is None:
            return global_model
        state = self._device(device)
        with state.lock:
            self._check(device, state, global_model)
            if state.model is None:
                return global_model
            return PersonalSuggester(state.model, state.cache)

    def status(self, device: str) -> PersonalStatus:
        """The device's model, as the panel shows it."""
        global_model = self._models.current
        state = self._device(device)
        with state.lock:
            self._check(device, state, global_model)
            served = state.model or global_model
            return PersonalStatus(
                serving=PERSONAL if state.model else GLOBAL, model_version=served.version,
                built_from=state.info and state.info.metadata["global_version"],
                trained_messages=state.info and state.info.metadata["trained_messages"],
                recall=state.info and recall_of(state.info), job=state.job,
                problem=state.problem, personal_words=len(state.cache.words),
                min_messages=self.config.min_messages)

    def personalize(self, device: str) -> None:
        """Starts personalizing `device` in the background (nothing if a job is pending).

        Raises:
            ValueError: the device has logged no message yet.
        """
        if self._store.device(device).stats().messages == 0:
            raise ValueError("no messages logged on this device yet: type and send some first")
        state = self._device(device)
        with state.lock:
            state.wanted = True
            self._schedule(device, state)

    def messages_logged(self, device: str) -> None:
        """Counts the device's new messages into its word cache, and personalizes it when it
        has logged `min_messages` more since the last time."""
        global_model = self._models.current
        messages = [message.text for message in self._store.device(device).messages()]
        state = self._device(device)
        with state.lock:
            self._check(device, state, global_model)  # Its files first: what it was built on.
            self._count_cache(device, state, global_model, messages)
            if (len(messages) >= self.config.min_messages
                    and len(messages) - state.attempted_messages >= self.config.min_messages):
                state.wanted = True
                self._schedule(device, state)

    # --- Under the device's lock -------------------------------------------------------------

    def _device(self, device: str) -> _Device:
        with self._lock:
            return self._devices.setdefault(device, _Device())

    def _global_vocab_hash(self, global_model: Suggester) -> str:
        version, digest = self._vocab_hash
        if version != global_model.version:  # Once per global version, not per keystroke.
            digest = vocabulary_fingerprint(global_model.vocab)
            self._vocab_hash = (global_model.version, digest)
        return digest

    def _check(self, device: str, state: _Device, global_model: Suggester) -> None:
        """Loads the device's files once, sets aside a personal model the global vocabulary
        cannot serve, and re-personalizes a personalized device from a new global version."""
        vocab_hash = self._global_vocab_hash(global_model)
        if not state.loaded:
            self._load(device, state, global_model)
        if state.cache_vocab != vocab_hash:
            self._read_cache(device, state, global_model)
        if state.info is not None and state.info.metadata["vocabulary"] != vocab_hash:
            state.problem = older_vocabulary_message(state.info.metadata["global_version"])
            state.info = state.model = None
        built_from = state.info and state.info.metadata["global_version"]
        if (state.wanted and built_from != global_model.version
                and state.attempted_global != global_model.version):
            self._schedule(device, state)

    def _load(self, device: str, state: _Device, global_model: Suggester) -> None:
        state.loaded = True
        try:
            info = read_personal_export(self._store.device_dir(device), global_model.vocab)
            if info is None:
                return
            state.wanted = True
            state.attempted_messages = info.metadata["messages"]
            state.model, state.info = self._load_model(info.directory), info
        except PersonalModelError as error:
            state.wanted, state.problem = True, str(error)
        except Exception as error:  # A damaged TFLite file fails here, in its loader.
            logger.warning("device %s: personal model refused: %s", device, error)
            state.wanted = True
            state.problem = damaged_model_message(f"{type(error).__name__}: {error}")

    def _read_cache(self, device: str, state: _Device, global_model: Suggester) -> None:
        """Reads the device's word cache; counts it from the log when its file is missing,
        damaged or of another vocabulary."""
        state.cache = load_word_cache(self._store.device_dir(device), global_model.vocab)
        if state.cache is None:
            self._count_cache(device, state, global_model,
                              [message.text for message in self._store.device(device).messages()])
        state.cache_vocab = self._global_vocab_hash(global_model)

    def _count_cache(self, device: str, state: _Device, global_model: Suggester,
                     messages: list[str]) -> None:
        """Counts the device's word cache from `messages` (its whole log) and saves it."""
        state.cache = WordCache.from_messages(messages, global_model.vocab)
        save_word_cache(self._store.device_dir(device), state.cache)
        state.cache_vocab = self._global_vocab_hash(global_model)

    def _schedule(self, device: str, state: _Device) -> None:
        if state.job == IDLE:
            state.job = QUEUED
            self._worker.submit(self._personalize, device)

    # --- The worker ----------------------------------------------------------------------------

    def _personalize(self, device: str) -> None:
        """One job: fine-tune the served global model on the device's log, write, swap in."""
        from model.personal_model import build_personal_model  # TensorFlow: seconds to import.

        state = self._device(device)
        global_model, directory = self._models.served()
        messages = [message.text for message in self._store.device(device).messages()]
        with state.lock:
            state.job = RUNNING
            state.attempted_global, state.attempted_messages = global_model.version, len(messages)
        try:
            global_info = read_export_info(directory)
            build = build_personal_model(global_info, messages, self.config)
            info = write_personal_export(
                self._store.device_dir(device), global_info=global_info,
                vocab=global_model.vocab, weights=build.weights, tflite_model=build.tflite_model,
                messages=len(messages), trained_messages=build.trained_messages,
                recall=build.recall, settings=dataclasses.asdict(self.config))
            model = self._load_model(info.directory)
        except Exception as error:  # Whatever failed, the device keeps the model it had.
            logger.exception("device %s: personalization failed", device)
            with state.lock:
                state.problem = f"personalization failed ({type(error).__name__}: {error})"
                state.job = IDLE
            return
        with state.lock:
            state.info, state.model, state.problem, state.job = info, model, None, IDLE
        logger.info("device %s: now serving personal model %s (from %s)", device, info.version,
                    global_info.version)
