"""The Keras model, its metrics and its export (TensorFlow: marked slow)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from model.cifg import CIFGCell  # noqa: E402
from model.config import ModelConfig  # noqa: E402
from model.export import NGRAM_FILE, ExportError, read_export_info, write_export  # noqa: E402
from model.keras_io import load_keras_model, weights_by_name  # noqa: E402
from model.metrics import MaskedTopKRecall  # noqa: E402
from model.network import ReproducibleDropout, build_model  # noqa: E402
from model.ngram import KneserNeyModel, sequences_of  # noqa: E402
from model.sequences import to_examples  # noqa: E402
from model.serving import TFLiteScorer, load_suggester, to_tflite  # noqa: E402
from model.vocab import BOS_ID, EOS_ID, OOV_ID, PAD_ID, Vocabulary  # noqa: E402

pytestmark = pytest.mark.slow

VOCAB = Vocabulary(["how", "to", "make", "bread", "map", "many"])
CONFIG = ModelConfig(vocab_size=VOCAB.size, embedding_dim=8, lstm_units=12, max_words=6)


def run_cell(forget_bias: float, c: float) -> np.ndarray:
    """One step of a cell whose forget gate is pinned by its bias; returns the new cell state."""
    cell = CIFGCell(units=3, projection_units=2)
    cell.build((None, 4))
    units = cell.units
    cell.bias.assign(np.concatenate([np.full(units, forget_bias), np.full(units, 5.0),
                                     np.zeros(units)]).astype(np.float32))
    inputs = tf.zeros((1, 4))
    h = tf.zeros((1, 2))
    _, (_, new_c) = cell(inputs, [h, tf.fill((1, units), c)])
    return new_c.numpy()


def test_cifg_couples_input_gate_to_forget_gate():
    # Forget gate open (f ~ 1): the input gate (1 - f) is shut, the old state is kept.
    np.testing.assert_allclose(run_cell(forget_bias=30.0, c=0.7), 0.7, atol=1e-6)
    # Forget gate shut (f ~ 0): the input gate is fully open, the state becomes
    # tanh(candidate) = tanh(5), with no separate input gate to hold it back.
    np.testing.assert_allclose(run_cell(forget_bias=-30.0, c=0.7), np.tanh(5.0), atol=1e-6)


def test_cifg_has_three_gate_blocks_not_four():
    cell = CIFGCell(units=5, projection_units=3)
    cell.build((None, 4))

    assert cell.kernel.shape == (4, 15) and cell.recurrent_kernel.shape == (3, 15)
    assert cell.projection.shape == (5, 3)


def test_output_embedding_is_the_input_embedding():
    model = build_model(CONFIG, seed=0)

    embeddings = [v for v in model.trainable_variables if "embedding" in v.name]
    assert len(embeddings) == 1
    assert model.get_layer("tied_logits").embedding is model.get_layer("embedding")


def test_dropout_masks_are_a_function_of_the_input_and_seed():
    layer = ReproducibleDropout(0.5, seed=7)
    inputs = tf.random.stateless_uniform((64, 10, 8), seed=(1, 2)) + 1.0

    first, again = layer(inputs, training=True), layer(inputs, training=True)
    other_batch = layer(inputs + 1.0, training=True)

    np.testing.assert_array_equal(first.numpy(), again.numpy())
    dropped = first.numpy() == 0
    assert 0.45 < dropped.mean() < 0.55
    np.testing.assert_allclose(first.numpy()[~dropped], 2 * inputs.numpy()[~dropped],
                               rtol=1e-6)
    assert ((other_batch.numpy() == 0) != dropped).any()
    np.testing.assert_array_equal(layer(inputs, training=False).numpy(), inputs.numpy())


def test_dropout_changes_training_outputs_not_inference_or_weights():
    plain, dropping = build_model(CONFIG, seed=3), build_model(CONFIG, seed=3, dropout=0.3)
    ids = tf.constant([[BOS_ID, 4, 5, 6]])

    for a, b in zip(plain.get_weights(), dropping.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(plain(ids, training=False).numpy(),
                                  dropping(ids, training=False).numpy())
    assert not np.allclose(plain(ids, training=True).numpy(),
                           dropping(ids, training=True).numpy())


def test_same_seed_same_initial_weights():
    first, second = build_model(CONFIG, seed=3), build_model(CONFIG, seed=3)

    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def one_hot_logits(best_ids: list[list[list[int]]], vocab_size: int = 10) -> np.ndarray:
    """Logits ranking, per position, the given ids first (descending scores)."""
    logits = np.zeros((len(best_ids), len(best_ids[0]), vocab_size), dtype=np.float32)
    for row, positions in enumerate(best_ids):
        for position, ids in enumerate(positions):
            for rank, token in enumerate(ids):
                logits[row, position, token] = 10.0 - rank
    return logits


def test_recall_skips_first_word_and_special_targets_and_counts_oov_as_miss():
    targets = np.array([[4, 5, 6, OOV_ID, 7, EOS_ID, PAD_ID]])
    # Position 0 (the first word) is right but not scored; position 1 is a top-1 hit,
    # position 2 a top-3 hit, position 3 an OOV target (a miss even though OOV scores
    # highest: special tokens are never suggested), position 4 a miss, then EOS and PAD.
    logits = one_hot_logits([[[4], [5, 8, 9], [8, 9, 6], [OOV_ID, 8, 9], [8, 9, 4],
                              [EOS_ID], [PAD_ID]]])
    top1, top3 = MaskedTopKRecall(1), MaskedTopKRecall(3)
    without_oov = MaskedTopKRecall(1, exclude_oov=True)
    for metric in (top1, top3, without_oov):
        metric.update_state(targets, logits)

    assert float(top1.result()) == pytest.approx(1 / 4)
    assert float(top3.result()) == pytest.approx(2 / 4)
    assert float(without_oov.result()) == pytest.approx(1 / 3)
    assert float(top1.words) == 4


def test_recall_weights_by_words_typed_across_batches():
    metric = MaskedTopKRecall(1)
    metric.update_state(np.array([[4, 5, 5]]), one_hot_logits([[[4], [5], [5]]]))
    metric.update_state(np.array([[4, 6, PAD_ID]]), one_hot_logits([[[4], [5], [5]]]))

    assert float(metric.result()) == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    model = build_model(CONFIG, seed=1)
    info = write_export(run_dir, model_config=CONFIG, vocab=VOCAB,
                        weights=weights_by_name(model), tflite_model=to_tflite(model, CONFIG),
                        label="r0001", metadata={"rounds": 1})
    return run_dir, model, info


def test_export_round_trips_the_model(exported):
    run_dir, model, info = exported

    assert read_export_info(run_dir / "model") == info
    assert info.version.startswith("r0001-") and info.metadata == {"rounds": 1}
    reloaded = load_keras_model(info)
    for a, b in zip(model.get_weights(), reloaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_reexporting_the_same_weights_keeps_the_version(exported):
    run_dir, model, info = exported

    again = write_export(run_dir, model_config=CONFIG, vocab=VOCAB,
                         weights=weights_by_name(model), tflite_model=b"unused",
                         label="r0001")

    assert again.version == info.version


def test_tflite_scorer_matches_keras_at_the_last_context_position(exported):
    _, model, info = exported
    context = np.array([BOS_ID, VOCAB.id_of("how"), VOCAB.id_of("to")], dtype=np.int32)

    expected = model(context[None])[0, -1].numpy()

    np.testing.assert_allclose(TFLiteScorer(info)(context), expected, rtol=1e-4, atol=1e-5)


def test_loaded_suggester_completes_prefixes_from_the_vocabulary(exported):
    run_dir, _, info = exported
    suggester = load_suggester(run_dir / "model")

    assert suggester.version == info.version
    assert sorted(suggester.suggest("how to ma")) == ["make", "many", "map"]
    assert len(suggester.suggest("how to ")) == 3


def test_incomplete_export_is_refused(exported, tmp_path):
    run_dir, _, info = exported
    (tmp_path / "config.json").write_text((info.directory / "config.json").read_text())

    with pytest.raises(ExportError, match="vocab.txt is missing"):
        read_export_info(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": 99}))
    with pytest.raises(ExportError, match="unknown export format"):
        read_export_info(tmp_path)


@pytest.fixture(scope="module")
def exported_with_ngram(exported, tmp_path_factory):
    """The same network, exported with an n-gram that has only ever seen "how to map"."""
    _, model, info = exported
    run_dir = tmp_path_factory.mktemp("interpolated")
    ngram = KneserNeyModel.count(sequences_of(*to_examples(["how to map"] * 3, VOCAB,
                                                           max_words=CONFIG.max_words)),
                                 vocab_size=VOCAB.size)
    return run_dir, info, write_export(
        run_dir, model_config=CONFIG, vocab=VOCAB, weights=weights_by_name(model),
        tflite_model=(info.directory / "model.tflite").read_bytes(), label="r0001",
        ngram=ngram, network_weight=0.2)


def test_an_export_with_an_ngram_serves_the_interpolation(exported, exported_with_ngram):
    run_dir, alone, info = exported_with_ngram

    assert info.network_weight == 0.2 and (info.directory / NGRAM_FILE).is_file()
    assert info.version != alone.version  # Same weights, another model: another version.
    assert load_suggester(alone.directory).suggest("how to ", k=1) != ["map"]
    assert load_suggester(run_dir / "model").suggest("how to ", k=1) == ["map"]
    assert read_export_info(exported[0] / "model").read_ngram() is None


def test_an_export_whose_ngram_is_missing_or_damaged_is_refused(exported_with_ngram, tmp_path):
    _, _, info = exported_with_ngram
    copy = tmp_path / "copy"
    shutil.copytree(info.directory, copy)
    (copy / NGRAM_FILE).write_bytes(b"damaged")

    with pytest.raises(ExportError, match="not an n-gram file"):
        read_export_info(copy).read_ngram()
    (copy / NGRAM_FILE).unlink()
    with pytest.raises(ExportError, match="ngram.npz is missing"):
        read_export_info(copy)
