"""A device's personal model and word cache on disk, each saying what it was built from.

Layout, inside the device's own directory (`data.device_logs.DeviceStore.device_dir`):
    personal/model -> personal/exports/<version>/   an export (`model.export`: the global
        model's vocabulary, the fine-tuned weights, their TFLite model, and the global's n-gram
        and network weight when it has them), whose metadata holds
        `kind` "personal", the `global_version` and `vocabulary` (fingerprint,
        `model.word_cache.vocabulary_fingerprint`) it was fine-tuned from, `messages` (the
        device's log size then), `trained_messages`, `recall` (measured on the device, or
        null) and the `personalization` settings.
    word_cache.json   `model.word_cache.WordCache.to_json()` (with its vocabulary's fingerprint)

The model is written like every export (staging directory, rename, symlink swap), the cache
with `model.atomic_files`: a reader sees the old state or the new one, never half of one;
older model versions are removed after the swap. Both are served only with the vocabulary they
were built on: a personal model's ids mean nothing under another. Pure Python and numpy (the
TFLite bytes come from the caller).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from model.atomic_files import atomic_write_text
from model.export import (
    CURRENT_LINK,
    EXPORTS_DIR,
    TFLITE_FILE,
    ExportError,
    ExportInfo,
    read_export_info,
    weights_version,
    write_export,
)
from model.vocab import Vocabulary
from model.word_cache import WordCache, vocabulary_fingerprint

PERSONAL_DIR = "personal"
WORD_CACHE_FILE = "word_cache.json"
PERSONAL_KIND = "personal"


class PersonalModelError(ValueError):
    """A device's personal model cannot be served; the message says why, for the panel."""


@dataclass(frozen=True)
class DeviceRecall:
    """Top-1 recall of the global and the personal model on the device's newest messages
    (held out of the fine-tuning), over `words` scored words of `messages` messages."""

    global_top1: float
    personal_top1: float
    messages: int
    words: int


def write_personal_export(device_dir: str | os.PathLike, *, global_info: ExportInfo,
                          vocab: Vocabulary, weights: dict[str, np.ndarray],
                          tflite_model: bytes, messages: int, trained_messages: int,
                          recall: Optional[DeviceRecall],
                          settings: dict[str, Any]) -> ExportInfo:
    """Writes the device's personal model, fine-tuned from `global_info` on its log of
    `messages` messages (`trained_messages` of them trained on), and makes it the current one.

    An intact earlier copy of the same version (same weights, same TFLite model) is reused,
    the one being served included; any other copy (a damaged one) is replaced.
    """
    directory = Path(device_dir) / PERSONAL_DIR
    label = f"p{messages:04d}"
    ngram = global_info.read_ngram()  # Served with the personal network as with the global.
    stale = directory / EXPORTS_DIR / weights_version(
        weights, label=label, ngram=ngram, network_weight=global_info.network_weight)
    if stale.exists() and not _is_intact_copy(stale, tflite_model):
        shutil.rmtree(stale)
    info = write_export(
        directory, model_config=global_info.model_config, vocab=vocab, weights=weights,
        tflite_model=tflite_model, label=label, ngram=ngram,
        network_weight=global_info.network_weight,
        metadata={"kind": PERSONAL_KIND, "global_version": global_info.version,
                  "vocabulary": vocabulary_fingerprint(vocab), "messages": messages,
                  "trained_messages": trained_messages,
                  "recall": recall and dataclasses.asdict(recall),
                  "personalization": settings})
    for version in (directory / EXPORTS_DIR).iterdir():
        # By name: `info.directory` is resolved, `directory` may be relative.
        if version.is_dir() and version.name != info.directory.name:
            shutil.rmtree(version, ignore_errors=True)  # Staging leftovers of a crash too.
    return info


def _is_intact_copy(version_dir: Path, tflite_model: bytes) -> bool:
    """Whether `version_dir` is a readable export holding exactly `tflite_model`."""
    try:
        read_export_info(version_dir).read_ngram()
    except ExportError:
        return False
    tflite = version_dir / TFLITE_FILE
    return tflite.is_file() and tflite.read_bytes() == tflite_model


def read_personal_export(device_dir: str | os.PathLike,
                         vocab: Vocabulary) -> Optional[ExportInfo]:
    """The device's personal model, if it has one that can serve with `vocab` (the global
    model's); None if the device was never personalized.

    Raises:
        PersonalModelError: the personal model is damaged, or built on another vocabulary.
    """
    link = Path(device_dir) / PERSONAL_DIR / CURRENT_LINK
    if not link.is_symlink():
        return None
    try:
        info = read_export_info(link)
        recorded = info.metadata["vocabulary"]
        built_from = info.metadata["global_version"]
        if info.metadata.get("kind") != PERSONAL_KIND:
            raise ExportError(f"{info.directory}: not a personal model")
    except (ExportError, KeyError) as error:
        raise PersonalModelError(damaged_model_message(str(error))) from None
    if recorded != vocabulary_fingerprint(vocab):
        raise PersonalModelError(older_vocabulary_message(built_from))
    return info


def damaged_model_message(reason: str) -> str:
    """What the panel says when the personal model cannot be read or loaded."""
    return (f"the personal model is damaged ({reason}); serving the global model until it is "
            "personalized again")


def older_vocabulary_message(built_from: str) -> str:
    """What the panel says when the personal model was built on another global vocabulary."""
    return (f"the personal model was built on an older vocabulary (from global model "
            f"{built_from}); serving the global model until it is personalized again")


def recall_of(info: ExportInfo) -> Optional[DeviceRecall]:
    """The recall a personal export recorded (None: too few messages to measure)."""
    recall = info.metadata.get("recall")
    return DeviceRecall(**recall) if recall else None


def save_word_cache(device_dir: str | os.PathLike, cache: WordCache) -> None:
    """Replaces the device's word cache file atomically."""
    atomic_write_text(Path(device_dir) / WORD_CACHE_FILE,
                      json.dumps(cache.to_json(), ensure_ascii=False))


def load_word_cache(device_dir: str | os.PathLike, vocab: Vocabulary) -> Optional[WordCache]:
    """The device's word cache, if it has one counted under `vocab`; None otherwise (missing,
    damaged or of another vocabulary: the caller counts it again from the device's log)."""
    try:
        text = (Path(device_dir) / WORD_CACHE_FILE).read_text(encoding="utf-8")
        return WordCache.from_json(json.loads(text), vocab)
    except (OSError, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors.
        return None
