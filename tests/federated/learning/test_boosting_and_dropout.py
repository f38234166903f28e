"""Inside the TFF process: boosting scales exactly the malicious update, and a round with
dropouts aggregates exactly its survivors. Tiny model, real TFF runtime. Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402
import tensorflow_federated as tff  # noqa: E402

from federated.learning.boosting import build_boosting_process, with_boost  # noqa: E402
from federated.learning.client_data import make_dataset  # noqa: E402
from federated.learning.options import OptimizerConfig  # noqa: E402
from federated.learning.processes import (  # noqa: E402
    build_evaluation_process,
    build_training_process,
    make_model_fn,
)
from federated.learning.worker import tff_worker  # noqa: E402
from federated.privacy.options import PrivacyConfig  # noqa: E402
from federated.simulation.sampling import RoundPlan, plan_round  # noqa: E402
from federated.training.metrics_file import read_history  # noqa: E402
from federated.training.round_loop import Evaluator, Schedule, run_rounds  # noqa: E402
from federated.training.run_dir import RunDir  # noqa: E402
from model.config import ModelConfig  # noqa: E402

pytestmark = pytest.mark.slow

MODEL = ModelConfig(vocab_size=12, embedding_dim=4, lstm_units=6, max_words=4)
# Server SGD with learning rate 1 and no momentum: the new model is the old one minus the
# aggregated update, so updates can be read off the weights.
PLAIN_SGD = OptimizerConfig(server_optimizer="sgdm", server_learning_rate=1.0,
                            server_momentum=0.0)


def client_dataset(examples: int, seed: int) -> tf.data.Dataset:
    rng = np.random.default_rng(seed)
    inputs = rng.integers(4, MODEL.vocab_size, size=(examples, MODEL.sequence_length),
                          dtype=np.int32)
    return make_dataset(inputs, np.roll(inputs, -1, axis=1), batch_size=2)


@pytest.fixture(scope="module")
def processes():
    model_fn = make_model_fn(MODEL, seed=0)
    mean = tff.aggregators.MeanFactory()
    plain = build_training_process(model_fn, PLAIN_SGD, PrivacyConfig(), aggregator=mean)
    boosting = build_boosting_process(model_fn, PLAIN_SGD, aggregator=mean)
    evaluation = build_evaluation_process(model_fn)
    with tff_worker():
        yield plain, boosting, evaluation


def leaves(state) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in tf.nest.flatten(state)]


def update(process, before, after) -> list[np.ndarray]:
    return [b - a for b, a in zip(process.get_model_weights(before).trainable,
                                  process.get_model_weights(after).trainable)]


def test_a_boosted_client_update_is_multiplied_and_honest_factors_change_nothing(processes):
    plain, boosting, _ = processes
    first, second = client_dataset(3, seed=1), client_dataset(5, seed=2)
    start = plain.initialize()
    alone = [update(plain, start, plain.next(start, [data]).state) for data in (first, second)]

    boosted = boosting.next(boosting.initialize(), [with_boost(first, 4.0),
                                                    with_boost(second, 1.0)])
    honest = boosting.next(boosting.initialize(), [with_boost(first, 1.0),
                                                   with_boost(second, 1.0)])

    # FedAvg weights by examples: 3 and 5.
    expected = [(4.0 * 3 * a + 5 * b) / 8 for a, b in zip(*alone)]
    for got, want in zip(update(boosting, start, boosted.state), expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)
    assert np.max(np.abs(expected[0])) > 1e-3  # Updates are not vanishingly small.
    plain_round = plain.next(start, [first, second])
    for got, want in zip(leaves(honest.state), leaves(plain_round.state)):
        np.testing.assert_array_equal(got, want)


def test_a_round_with_dropouts_equals_a_round_of_only_its_survivors(processes, tmp_path):
    plain, _, evaluation = processes
    datasets = {f"u{i}": client_dataset(2 + i, seed=10 + i) for i in range(6)}
    evaluate = Evaluator(plain, evaluation, [client_dataset(4, seed=99)])

    def plan(round_number: int) -> RoundPlan:
        return plan_round(list(datasets), count=6, seed=3, round_number=round_number,
                          dropout_rate=0.5)

    assert 0 < plan(1).dropped < 6  # The seed was picked so that some, not all, drop out.
    start = plain.initialize()

    state, history, _ = run_rounds(plain, lambda client, _: datasets[client], plan, evaluate,
                                   Schedule(rounds=1, eval_every=1), RunDir(tmp_path),
                                   state=start, history=[])

    survivors_only = plain.next(start, [datasets[c] for c in plan(1).trained]).state
    everyone = plain.next(start, list(datasets.values())).state
    for got, want in zip(leaves(state), leaves(survivors_only)):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(a, b) for a, b in zip(leaves(state), leaves(everyone)))
    (row,) = read_history(tmp_path / "metrics.csv")
    assert (row.sampled, row.dropped, row.clients) == (6, plan(1).dropped, 6 - plan(1).dropped)
    assert row.train_examples == sum(2 + int(c[1:]) for c in plan(1).trained)


def test_evaluations_before_the_last_round_score_the_sample_and_the_last_every_user(
        processes, tmp_path):
    plain, _, evaluation = processes
    sampled, other = client_dataset(4, seed=20), client_dataset(6, seed=21)
    evaluate = Evaluator(plain, evaluation, [sampled, other], periodic_datasets=[sampled])
    start = plain.initialize()

    def words(datasets) -> int:
        return Evaluator(plain, evaluation, datasets)(start, True).scored_words

    assert evaluate(start, False).scored_words == words([sampled]) > 0
    assert evaluate(start, True).scored_words == words([sampled, other]) > words([sampled])

    flags = []
    run_rounds(plain, lambda client, _: sampled,
               lambda round_number: plan_round(["u0"], count=1, seed=0,
                                               round_number=round_number, dropout_rate=0.0),
               lambda state, last: flags.append(last) or evaluate(state, last),
               Schedule(rounds=3, eval_every=1), RunDir(tmp_path), state=start, history=[])
    assert flags == [False, False, True]
