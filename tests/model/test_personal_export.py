"""A device's personal model and word cache on disk (pure: no TensorFlow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.config import ModelConfig
from model.export import write_export
from model.ngram import KneserNeyModel, sequences_of
from model.personal_export import (
    WORD_CACHE_FILE,
    DeviceRecall,
    PersonalModelError,
    load_word_cache,
    read_personal_export,
    recall_of,
    save_word_cache,
    write_personal_export,
)
from model.sequences import to_examples
from model.vocab import Vocabulary
from model.word_cache import WordCache

VOCAB = Vocabulary(["how", "to", "make", "bread"])
CONFIG = ModelConfig(vocab_size=VOCAB.size, embedding_dim=2, lstm_units=2, max_words=4)


@pytest.fixture
def global_info(tmp_path):
    return write_export(tmp_path / "run", model_config=CONFIG, vocab=VOCAB,
                        weights={"w": np.zeros(2)}, tflite_model=b"global", label="r0001")


def write_personal(device_dir, global_info, weight=1.0, recall=None):
    return write_personal_export(device_dir, global_info=global_info, vocab=VOCAB,
                                 weights={"w": np.full(2, weight)}, tflite_model=b"personal",
                                 messages=12, trained_messages=10, recall=recall,
                                 settings={"epochs": 1})


def test_a_personal_model_records_what_it_was_built_from_and_replaces_the_last(
        tmp_path, global_info):
    recall = DeviceRecall(global_top1=0.2, personal_top1=0.3, messages=2, words=9)
    write_personal(tmp_path, global_info, weight=1.0)

    written = write_personal(tmp_path, global_info, weight=2.0, recall=recall)
    info = read_personal_export(tmp_path, VOCAB)

    assert info == written and info.version.startswith("p0012-")
    assert info.metadata["global_version"] == global_info.version
    assert info.metadata["trained_messages"] == 10 and recall_of(info) == recall
    assert [path.name for path in (tmp_path / "personal" / "exports").iterdir()] == [
        info.version]  # The older version is gone.
    assert (info.directory / "model.tflite").read_bytes() == b"personal"


def test_a_device_directory_given_relative_keeps_its_new_model(tmp_path, global_info,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_personal("devices/me", global_info, weight=1.0)

    written = write_personal("devices/me", global_info, weight=2.0)

    assert read_personal_export(tmp_path / "devices" / "me", VOCAB) == written
    assert [path.name for path in (tmp_path / "devices/me/personal/exports").iterdir()] == [
        written.version]


def test_the_same_personal_model_built_again_is_served_throughout(tmp_path, global_info):
    served = write_personal(tmp_path, global_info, weight=1.0)
    (served.directory / "marker").write_text("still the served directory")

    again = write_personal(tmp_path, global_info, weight=1.0)

    assert again == served and (served.directory / "marker").exists()  # Reused, not removed.


def test_a_damaged_copy_of_the_same_personal_model_is_replaced(tmp_path, global_info):
    damaged = write_personal(tmp_path, global_info, weight=1.0)
    (damaged.directory / "model.tflite").write_bytes(b"not a model")

    rebuilt = write_personal(tmp_path, global_info, weight=1.0)

    assert (rebuilt.directory / "model.tflite").read_bytes() == b"personal"


def test_no_personal_model_reads_as_none(tmp_path):
    assert read_personal_export(tmp_path, VOCAB) is None


def test_a_personal_model_of_another_vocabulary_is_refused(tmp_path, global_info):
    write_personal(tmp_path, global_info)

    with pytest.raises(PersonalModelError, match="built on an older vocabulary"):
        read_personal_export(tmp_path, Vocabulary(["how", "to", "make", "bread", "paris"]))


def test_a_damaged_personal_model_is_refused_and_rewritten(tmp_path, global_info):
    info = write_personal(tmp_path, global_info)
    (info.directory / "config.json").write_text("{not json")

    with pytest.raises(PersonalModelError, match="the personal model is damaged"):
        read_personal_export(tmp_path, VOCAB)
    write_personal(tmp_path, global_info)  # The same weights: the same version, rewritten.
    assert read_personal_export(tmp_path, VOCAB).version == info.version


def test_the_word_cache_round_trips_and_another_vocabulary_format_or_damage_reads_as_none(tmp_path):
    cache = WordCache.from_messages(["how to make zanzibar bread"], VOCAB)
    save_word_cache(tmp_path, cache)

    assert load_word_cache(tmp_path, VOCAB).words == {"zanzibar": 1}
    assert load_word_cache(tmp_path, Vocabulary(["how", "zanzibar"])) is None
    (tmp_path / WORD_CACHE_FILE).write_text(json.dumps({"format": 1})[:-3])
    assert load_word_cache(tmp_path, VOCAB) is None
    before_calibration = {key: value for key, value in cache.to_json().items()
                          if key not in ("claimed", "right")}
    (tmp_path / WORD_CACHE_FILE).write_text(json.dumps({**before_calibration, "format": 1}))
    assert load_word_cache(tmp_path, VOCAB) is None  # The keyboard counts it again from the log.
    assert load_word_cache(tmp_path / "nowhere", VOCAB) is None


def test_a_personal_model_keeps_the_global_models_ngram_and_weight(tmp_path):
    ngram = KneserNeyModel.count(sequences_of(*to_examples(["how to make bread"], VOCAB,
                                                           max_words=4)), vocab_size=VOCAB.size)
    interpolated = write_export(tmp_path / "run", model_config=CONFIG, vocab=VOCAB,
                                weights={"w": np.zeros(2)}, tflite_model=b"global",
                                label="r0001", ngram=ngram, network_weight=0.4)

    personal = write_personal(tmp_path / "device", interpolated)

    assert personal.network_weight == 0.4
    carried = personal.read_ngram().tables()
    assert carried.keys() == ngram.tables().keys()
    for name, table in ngram.tables().items():
        np.testing.assert_array_equal(carried[name], table)
    assert write_personal(tmp_path / "device", interpolated).version == personal.version
