"""The model as the keyboard runs it: a TFLite function that scores the next word."""

from __future__ import annotations

import os
import threading

import numpy as np
import tensorflow as tf

from model.config import ModelConfig
from model.export import TFLITE_FILE, VOCAB_FILE, ExportInfo, read_export_info
from model.interpolation import InterpolatedScorer
from model.network import logits_at
from model.suggest import ContextCache, NextWordScorer, Suggester
from model.vocab import PAD_ID, Vocabulary


def to_tflite(model: tf.keras.Model, config: ModelConfig) -> bytes:
    """Converts `model` to a TFLite function `(ids[1, L], last_index[1]) -> logits[1, V]`.

    Inputs are padded to the fixed length L = `config.sequence_length`; the network is causal,
    so padding after `last_index` does not change the logits read there. Only that position is
    scored (`model.network.logits_at`).
    """
    length = config.sequence_length

    @tf.function(input_signature=[tf.TensorSpec([1, length], tf.int32, name="ids"),
                                  tf.TensorSpec([1], tf.int32, name="last_index")])
    def next_word_logits(ids, last_index):
        return {"logits": logits_at(model, ids, last_index)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [next_word_logits.get_concrete_function()], model)
    return converter.convert()


class TFLiteScorer:
    """Scores the next word for a context of ids with the export's TFLite model.

    Thread-safe: each thread gets its own interpreter (they are cheap and not shareable).
    """

    def __init__(self, info: ExportInfo):
        self._model_content = (info.directory / TFLITE_FILE).read_bytes()
        self._length = info.model_config.sequence_length
        self._local = threading.local()
        self(np.zeros(1, dtype=np.int32))  # Fail now, not on the first keystroke.

    def _interpreter(self) -> tf.lite.Interpreter:
        interpreter = getattr(self._local, "interpreter", None)
        if interpreter is None:
            interpreter = tf.lite.Interpreter(model_content=self._model_content, num_threads=1)
            interpreter.allocate_tensors()
            self._local.interpreter = interpreter
        return interpreter

    def __call__(self, context_ids: np.ndarray) -> np.ndarray:
        """Returns the logits `[V]` of the word after `context_ids` (at most L ids)."""
        context_ids = np.asarray(context_ids, dtype=np.int32)[-self._length:]
        ids = np.full((1, self._length), PAD_ID, dtype=np.int32)
        ids[0, : len(context_ids)] = context_ids
        interpreter = self._interpreter()
        run = interpreter.get_signature_runner()
        return run(ids=ids, last_index=np.array([len(context_ids) - 1], dtype=np.int32))[
            "logits"][0]


def load_suggester(path: str | os.PathLike, *, cached_contexts: int = 0) -> Suggester:
    """Loads an export (a `RUN_DIR/model` symlink or a version directory) for serving.

    An export with an n-gram serves the network interpolated with it (`model.interpolation`).

    Args:
        path: The export.
        cached_contexts: Keep the logits of this many recent contexts (`ContextCache`);
            0 runs the network on every call, as a benchmark of the model itself needs.
    """
    info = read_export_info(path)
    scorer: NextWordScorer = TFLiteScorer(info)
    ngram = info.read_ngram()
    if ngram is not None:
        scorer = InterpolatedScorer(scorer, ngram, info.network_weight)
    return Suggester(Vocabulary.load(info.directory / VOCAB_FILE),
                     ContextCache(scorer, cached_contexts) if cached_contexts else scorer,
                     max_words=info.model_config.max_words, version=info.version)
