"""Builds a device's personal model from a global export, on the device (TensorFlow).

The device's newest messages (`held_out_count`) are held out: the global model and the
personal model fine-tuned on the older ones are both scored on them with the project's
top-1 recall (`model.metrics.MaskedTopKRecall`), each as the keyboard serves it (interpolated
with the export's n-gram, `model.interpolation`), so the panel compares the two on words the
personal model never trained on. The personal weights become a TFLite model the keyboard
serves as fast as the global one (`model.serving.to_tflite`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import tensorflow as tf

from model.export import VOCAB_FILE, ExportInfo
from model.interpolation import interpolate
from model.keras_io import assign_weights, load_keras_model, weights_by_name
from model.metrics import MaskedTopKRecall
from model.network import build_model
from model.ngram import KneserNeyModel
from model.personal_export import DeviceRecall
from model.personalization import PersonalizationConfig, personalize
from model.sequences import to_examples
from model.serving import to_tflite
from model.vocab import Vocabulary

# A fifth of the messages, at most this many, are held out to measure the recall; fewer than
# `1 / HELD_OUT_SHARE` messages are all trained on, and the recall is not measured.
HELD_OUT_SHARE = 0.2
MAX_HELD_OUT = 50


@dataclass(frozen=True)
class PersonalBuild:
    """A personal model: its weights by name, its TFLite model, how many of the messages it
    was fine-tuned on, and the recall measured on the others (None: too few messages)."""

    weights: dict[str, np.ndarray]
    tflite_model: bytes
    trained_messages: int
    recall: Optional[DeviceRecall]


def held_out_count(messages: int) -> int:
    """How many of the newest of `messages` messages are held out to measure the recall."""
    return min(MAX_HELD_OUT, int(messages * HELD_OUT_SHARE))


def top1_recall(model: tf.keras.Model, ngram: Optional[KneserNeyModel], network_weight: float,
                texts: Sequence[str], vocab: Vocabulary, *, max_words: int
                ) -> tuple[float, int]:
    """Top-1 recall on `texts` of `model` as served (mixed with `ngram` at `network_weight`;
    None: alone) and the number of words it scored."""
    inputs, targets = to_examples(texts, vocab, max_words=max_words)
    scores = model(inputs, training=False).numpy()
    if ngram is not None:
        scores = interpolate(scores, ngram.logits(inputs), network_weight)
    metric = MaskedTopKRecall(1)
    metric.update_state(targets, scores)
    return float(metric.result()), int(metric.words.numpy())


def build_personal_model(global_info: ExportInfo, messages: Sequence[str],
                         config: PersonalizationConfig) -> PersonalBuild:
    """Fine-tunes the global export on the device's `messages` (oldest first) and measures it.

    Raises:
        ValueError: no messages.
        ExportError: the export's n-gram file is damaged.
    """
    if not messages:
        raise ValueError("no messages logged on this device yet: type some first")
    vocab = Vocabulary.load(global_info.directory / VOCAB_FILE)
    model_config = global_info.model_config
    global_model = load_keras_model(global_info)
    held_out = held_out_count(len(messages))
    trained, newest = messages[: len(messages) - held_out], messages[len(messages) - held_out:]
    # The keyboard decides when a device personalizes (its log's size, or the user's click):
    # here the model is always fine-tuned, however few the messages.
    weights = personalize(weights_by_name(global_model), model_config, vocab, trained,
                          dataclasses.replace(config, min_messages=0))
    personal_model = build_model(model_config, seed=0)
    assign_weights(personal_model, weights)
    recall = None
    if newest:
        ngram, weight = global_info.read_ngram(), global_info.network_weight
        global_top1, words = top1_recall(global_model, ngram, weight, newest, vocab,
                                         max_words=model_config.max_words)
        personal_top1, _ = top1_recall(personal_model, ngram, weight, newest, vocab,
                                       max_words=model_config.max_words)
        recall = DeviceRecall(global_top1=global_top1, personal_top1=personal_top1,
                              messages=len(newest), words=words)
    return PersonalBuild(weights=weights, tflite_model=to_tflite(personal_model, model_config),
                         trained_messages=min(len(trained), config.max_messages),
                         recall=recall)
