"""Privacy options on the real TFF runtime, at toy size: secure aggregation leaves no
unsecure sum, DP noise has the configured size, options compose, compression shrinks
uploads and still trains. Marked slow."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from data.records import group_by_user, write_records
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records

tff = pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402

from federated.aggregators.compression import upload_summary  # noqa: E402
from federated.learning.client_data import build_client_datasets, encode_users  # noqa: E402
from federated.learning.options import OptimizerConfig  # noqa: E402
from federated.learning.processes import make_model_fn  # noqa: E402
from federated.learning.worker import tff_worker  # noqa: E402
from federated.privacy.accounting import epsilon  # noqa: E402
from federated.privacy.options import PrivacyConfig  # noqa: E402
from federated.train import main  # noqa: E402
from federated.training import checkpoint  # noqa: E402
from federated.training.config import TrainConfig  # noqa: E402
from federated.training.round_loop import restore_state  # noqa: E402
from federated.training.run import training_process  # noqa: E402
from model.network import build_model  # noqa: E402
from model.vocab import build_vocabulary  # noqa: E402

pytestmark = pytest.mark.slow

CLIENTS = 9
DRAWS = 12  # Independent draws of DP noise where a test measures its size.
# Plain SGD with learning rate 1 on the server: the global model moves by exactly the
# aggregated update, so the update's size can be read off the weights.
APPLY_UPDATE = OptimizerConfig(server_optimizer="sgdm", server_learning_rate=1.0,
                               server_momentum=0.0)
TOY = TrainConfig(vocab_words=60, embedding_dim=8, lstm_units=16, max_words=8,
                  clients_per_round=CLIENTS, batch_size=8, local_epochs=1, aggregator="mean",
                  optimizers=APPLY_UPDATE)


@pytest.fixture(scope="module")
def world():
    """Nine users' datasets, the toy model's config, and a TFF worker for the module."""
    records = generate_records(GenerationConfig(users=CLIENTS, seed=3, mean_messages=10))
    texts = {user: [r.text for r in rs] for user, rs in group_by_user(records).items()}
    vocab = build_vocabulary(texts, size=TOY.vocab_words)
    examples = encode_users(texts, vocab, max_words=TOY.max_words)
    datasets = build_client_datasets(examples, batch_size=TOY.batch_size, shuffle_seed=0)
    assert len(datasets) == CLIENTS
    with tff_worker(TOY.runtime):
        yield TOY.model_config(vocab.size), [datasets[user] for user in sorted(datasets)]


def configured(**changes) -> TrainConfig:
    return TrainConfig(**{**TOY.__dict__, **changes})


def process_for(world, config: TrainConfig):
    model_config, _ = world
    model_fn = make_model_fn(model_config, seed=1)
    return training_process(model_fn, config, users=CLIENTS)


def run_rounds(world, process, rounds: int = 1):
    """Trains every client for `rounds` rounds from the same start; returns the start
    weights, the final state and each round's metrics."""
    model_config, datasets = world
    start = tff.learning.models.ModelWeights.from_model(
        build_model(model_config, seed=1)).convert_variables_to_arrays()
    state = process.set_model_weights(process.initialize(), start)
    metrics = []
    for _ in range(rounds):
        output = process.next(state, datasets)
        state = output.state
        metrics.append(output.metrics)
    return start.trainable, state, metrics


def trained(process, state):
    return process.get_model_weights(state).trainable


def distance(a, b) -> float:
    return math.sqrt(sum(float(np.sum((x - y) ** 2)) for x, y in zip(a, b)))


# First: it starts its own worker, before the module's worker exists.
def test_trainer_reports_the_privacy_spent_and_upload_size(tmp_path, capsys):
    histories = tmp_path / "histories.jsonl"
    write_records(histories, generate_records(GenerationConfig(users=12, seed=3,
                                                               mean_messages=12)))

    args = ["--data", str(histories), "--out", str(tmp_path / "run"), "--vocab-size", "60",
            "--embedding-dim", "8", "--lstm-units", "16", "--max-words", "8",
            "--clients-per-round", "3", "--eval-every", "4", "--eval-fraction", "0.25",
            "--dp-noise-multiplier", "2", "--dp-mechanism", "tree", "--secure-aggregation"]
    # Three rounds are an epoch of the 9 training users; the fourth starts a new tree.
    assert main([*args, "--rounds", "4"]) == 0

    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    dp = summary["dp"]
    assert (dp["mechanism"], dp["sampling"], dp["users"], dp["rounds"]) == (
        "tree", "shuffled-epochs", 9, 4)
    assert dp["delta"] == pytest.approx(9 ** -1.1)
    assert dp["epsilon"] == epsilon(sampling="shuffled-epochs", noise_multiplier=2.0,
                                    users=9, clients_per_round=3, rounds=4,
                                    delta=dp["delta"])
    assert summary["communication"]["bytes_per_update"] == summary["communication"][
        "uncompressed_bytes_per_update"]
    assert f"epsilon {dp['epsilon']:.3g}" in capsys.readouterr().out
    # DP covers the network, not an n-gram's raw counts: the export serves the network alone.
    assert not (tmp_path / "run" / "model" / "ngram.npz").exists()


def test_secure_aggregation_leaves_no_unsecure_sum_and_matches_the_plain_mean(world):
    secure_process = process_for(world, configured(privacy=PrivacyConfig(
        secure_aggregation=True)))
    plain_process = process_for(world, TOY)

    tff.test.assert_not_contains_unsecure_aggregation(secure_process.next)
    with pytest.raises(AssertionError, match="Expected no unsecure aggregations"):
        tff.test.assert_not_contains_unsecure_aggregation(plain_process.next)

    start, plain_state, plain_metrics = run_rounds(world, plain_process)
    _, secure_state, secure_metrics = run_rounds(world, secure_process)
    plain, secure = trained(plain_process, plain_state), trained(secure_process, secure_state)
    # The secure sum's 32-bit fixed point is all that separates the two.
    assert distance(secure, plain) < 1e-4 * distance(plain, start)
    assert secure_metrics[0]["client_work"]["train"]["loss"] == pytest.approx(
        plain_metrics[0]["client_work"]["train"]["loss"], rel=1e-5)


# With 9 clients, TFF warns that the clip-norm estimate takes a large share of the noise.
@pytest.mark.filterwarnings("ignore:A significant amount of noise")
def test_adaptive_dp_noise_has_the_configured_size(world):
    clip, noise = 1e-3, 0.8
    noised_process, clipped_process = (
        process_for(world, configured(privacy=PrivacyConfig(dp_noise_multiplier=z, dp_clip=clip)))
        for z in (noise, 1e-6))  # DP needs some noise; a millionth leaves the clipped mean.
    start, clipped_state, _ = run_rounds(world, clipped_process)
    update = distance(trained(clipped_process, clipped_state), start)
    # DP noise is never seeded (docs/privacy.md): each run from the same start draws anew.
    draws = [distance(trained(noised_process, run_rounds(world, noised_process)[1]), start)
             for _ in range(DRAWS)]

    # TFF raises the noise on the updates a little so that, with the noise on the clipped
    # count that adapts the clip norm, the total noise multiplier is `noise`.
    value_noise, _ = tff.aggregators.differential_privacy.adaptive_clip_noise_params(
        noise, float(CLIENTS))
    parameters = sum(w.size for w in start)
    noise_length = value_noise * clip * math.sqrt(parameters) / CLIENTS
    # Zero-mean noise is independent of the clipped mean update, so the squared lengths add.
    # The mean of DRAWS squared lengths of `parameters` Gaussians has a relative standard
    # deviation of sqrt(2 / (parameters * DRAWS)), about 1% here: the 5% tolerance is over 4 of it.
    assert math.sqrt(2 / (parameters * DRAWS)) < 0.05 / 4
    mean_square = sum(d * d for d in draws) / DRAWS
    assert mean_square == pytest.approx(noise_length ** 2 + update ** 2, rel=0.05)
    assert 0 < update <= clip * (1 + 1e-6) and noise_length > 5 * clip
    assert len(set(draws)) == DRAWS


def test_dp_tree_with_secure_aggregation_composes_and_resumes_exactly(world, tmp_path):
    config = configured(privacy=PrivacyConfig(dp_noise_multiplier=1.0, dp_mechanism="tree",
                                              dp_clip=0.5, secure_aggregation=True),
                        aggregator="robust")
    process = process_for(world, config)
    tff.test.assert_not_contains_unsecure_aggregation(process.next)

    start, state, metrics = run_rounds(world, process, rounds=2)

    dp = metrics[-1]["aggregator"]["zeroing"]
    assert dp["dp_query_metrics"]["tree_agg_dpftrl_clip"] == pytest.approx(0.5)
    assert dp["dp"]["secure_upper_threshold"] == pytest.approx(0.5)
    assert all(np.all(np.isfinite(w)) for w in trained(process, state))
    # The tree's noise buffers have grown since `initialize`; its noise comes from seeds in
    # the state, so a restored state continues exactly as the uninterrupted one.
    checkpoint.save_leaves(tmp_path / "checkpoints", 2,
                           [np.asarray(leaf) for leaf in tf.nest.flatten(state)])
    restored = restore_state(process.initialize(), process.state_type,
                             tmp_path / "checkpoints", 2)
    _, datasets = world
    assert distance(trained(process, process.next(restored, datasets).state),
                    trained(process, process.next(state, datasets).state)) == 0
    assert distance(trained(process, state), start) > 0


def test_compressed_updates_are_smaller_and_still_train(world):
    config = configured(privacy=PrivacyConfig(compress_bits=8), aggregator="robust",
                        optimizers=OptimizerConfig())
    process = process_for(world, config)
    start, state, metrics = run_rounds(world, process, rounds=3)

    losses = [float(m["client_work"]["train"]["loss"]) for m in metrics]
    assert losses[2] < losses[1] < losses[0], losses
    weights = trained(process, state)
    upload = upload_summary(weights, config.privacy)
    # Matrices: 8-bit values packed 28 bits to an int32, plus their min and max; vectors
    # go as float32.
    expected = sum(4 * math.ceil(w.size * 8 / 28) + 8 if w.ndim >= 2 else 4 * w.size
                   for w in weights)
    assert upload["bytes_per_update"] == expected
    assert upload["bytes_per_update"] < 0.35 * upload["uncompressed_bytes_per_update"]
    assert upload["uncompressed_bytes_per_update"] == 4 * sum(w.size for w in start)
