"""Privacy options without TensorFlow: the accountant, shuffled-epoch sampling, the config,
checkpoints of states that grow."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from federated.privacy.accounting import SAMPLINGS, epsilon, privacy_spent
from federated.privacy.options import PrivacyConfig
from federated.simulation.sampling import shuffled_epoch_clients
from federated.training import checkpoint
from federated.training.config import TrainConfig

USERS = [f"u{i:02d}" for i in range(10)]
DELTA = 1e-5


@pytest.fixture(autouse=True)
def no_tensorflow_import():
    """The accountant and the config are pure: TensorFlow would cost seconds at the CLI."""
    already = "tensorflow" in sys.modules
    yield
    if not already:
        assert "tensorflow" not in sys.modules


def spent(sampling: str, *, noise: float = 1.0, users: int = 10_000, clients: int = 100,
          rounds: int = 100, delta: float = DELTA) -> float:
    return epsilon(sampling=sampling, noise_multiplier=noise, users=users,
                   clients_per_round=clients, rounds=rounds, delta=delta)


def gaussian(noise: float, rounds: int = 1) -> float:
    """Epsilon of `rounds` rounds in which every user takes part, under add/remove-one."""
    return spent("poisson", noise=noise, users=50, clients=50, rounds=rounds)


def exact_gaussian_delta(epsilon_: float, noise: float) -> float:
    """The exact delta of one Gaussian mechanism at epsilon (Balle & Wang 2018, Thm. 8)."""
    def phi(x):
        return 0.5 * math.erfc(-x / math.sqrt(2))
    return (phi(-epsilon_ * noise + 1 / (2 * noise))
            - math.exp(epsilon_) * phi(-epsilon_ * noise - 1 / (2 * noise)))


def test_full_participation_is_close_above_the_exact_gaussian_guarantee():
    # 25 rounds at noise 5 compose to one Gaussian mechanism at noise 1.
    eps = gaussian(5.0, rounds=25)

    assert eps == pytest.approx(gaussian(1.0), rel=1e-6)
    # RDP is an upper bound: at its epsilon the exact delta is below the target, and a
    # 20% smaller epsilon would not hold.
    assert exact_gaussian_delta(eps, 1.0) <= DELTA < exact_gaussian_delta(0.8 * eps, 1.0)


def test_without_replacement_charges_twice_the_sensitivity():
    # Replacing one user's clipped update can move the sum by 2C, not C.
    assert spent("without-replacement", noise=2.0, users=50, clients=50,
                 rounds=1) == pytest.approx(gaussian(1.0), rel=1e-6)


def test_tree_costs_a_gaussian_per_tree_level_and_epochs_compose():
    # 7 rounds of one epoch: a tree of depth 3, so a Gaussian at noise / sqrt(3); 4 epochs
    # (28 rounds) compose 12 of them.
    one_epoch = spent("shuffled-epochs", noise=3.0, users=70, clients=10, rounds=7)
    four_epochs = spent("shuffled-epochs", noise=3.0, users=70, clients=10, rounds=28)

    assert one_epoch == pytest.approx(gaussian(3.0 / math.sqrt(3)), rel=1e-6)
    assert four_epochs == pytest.approx(gaussian(3.0 / math.sqrt(12)), rel=1e-6)


def test_a_partial_last_epoch_counts_as_its_own_tree():
    full = spent("shuffled-epochs", users=70, clients=10, rounds=7)
    assert full < spent("shuffled-epochs", users=70, clients=10, rounds=8) < spent(
        "shuffled-epochs", users=70, clients=10, rounds=14)


@pytest.mark.parametrize("sampling", SAMPLINGS)
def test_more_noise_spends_less_and_more_rounds_spend_more(sampling):
    assert spent(sampling, noise=2.0) < spent(sampling, noise=1.0) < spent(sampling, noise=0.7)
    assert spent(sampling, rounds=50) < spent(sampling, rounds=100) < spent(sampling, rounds=200)


@pytest.mark.parametrize("sampling", ["poisson", "without-replacement"])
def test_sampling_fewer_clients_amplifies_privacy(sampling):
    assert spent(sampling, clients=10) < spent(sampling, clients=100) < spent(sampling,
                                                                            clients=1000)


def test_the_issue_example_poisson_and_without_replacement():
    # z = 1, 10,000 users, 100 per round, 100 rounds, delta = 1 / N^1.1.
    delta = 10_000 ** -1.1
    poisson = spent("poisson", delta=delta)
    without = spent("without-replacement", delta=delta)

    assert 0.5 < poisson < 2 and poisson < without


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sampling": "cyclic"}, "sampling must be one of"),
    ({"noise": 0.0}, "noise multiplier must be > 0"),
    ({"delta": 1.0}, "delta must be between 0 and 1"),
    ({"clients": 11, "users": 10}, "cannot sample 11 clients from 10"),
])
def test_accountant_rejects_what_it_cannot_account(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spent(**{"sampling": "poisson", **kwargs})


def test_privacy_spent_reports_the_run_with_the_default_delta():
    privacy = PrivacyConfig(dp_noise_multiplier=1.5, dp_mechanism="tree")

    block = privacy_spent(privacy, users=1000, clients_per_round=20, rounds=60)

    assert block["delta"] == pytest.approx(1000 ** -1.1)
    assert block["epsilon"] == spent("shuffled-epochs", noise=1.5, users=1000, clients=20,
                                     rounds=60, delta=block["delta"])
    assert {key: block[key] for key in ("noise_multiplier", "mechanism", "sampling",
                                        "users", "clients_per_round", "rounds",
                                        "clip_norm", "clip_norm_adapts")} == {
        "noise_multiplier": 1.5, "mechanism": "tree", "sampling": "shuffled-epochs",
        "users": 1000, "clients_per_round": 20, "rounds": 60, "clip_norm": 1.0,
        "clip_norm_adapts": False}


def test_shuffled_epochs_train_each_user_at_most_once_per_epoch():
    # 10 users, 3 per round: 3 rounds per epoch, one user sits each epoch out.
    epochs = [[shuffled_epoch_clients(USERS, count=3, seed=5, round_number=r)
               for r in range(first, first + 3)] for first in (1, 4, 7)]

    for rounds in epochs:
        users = [user for clients in rounds for user in clients]
        assert len(users) == len(set(users)) == 9
    assert epochs[0] != epochs[1]
    assert shuffled_epoch_clients(list(reversed(USERS)), count=3, seed=5,
                                  round_number=2) == epochs[0][1]
    assert shuffled_epoch_clients(USERS, count=3, seed=6, round_number=2) != epochs[0][1]


def test_privacy_config_round_trips_and_names_its_resume_conflict():
    config = TrainConfig(privacy=PrivacyConfig(secure_aggregation=True,
                                               dp_noise_multiplier=0.5, dp_delta=1e-6))

    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.resume_conflicts(TrainConfig()) == [
        f"privacy: {TrainConfig().to_dict()['privacy']!r} saved, "
        f"{config.to_dict()['privacy']!r} now"]


def test_sampling_follows_the_mechanism():
    assert PrivacyConfig().sampling == "without-replacement"
    assert PrivacyConfig(dp_noise_multiplier=1.0).sampling == "without-replacement"
    assert PrivacyConfig(dp_noise_multiplier=1.0,
                         dp_mechanism="tree").sampling == "shuffled-epochs"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dp_delta": 1e-6, "dp_clip": 2.0}, "--dp-clip, --dp-delta needs --dp-noise-multiplier"),
    ({"dp_noise_multiplier": 0.0}, "--dp-noise-multiplier must be > 0"),
    ({"dp_noise_multiplier": 1.0, "dp_mechanism": "laplace"}, "--dp-mechanism must be one of"),
    ({"dp_noise_multiplier": 1.0, "dp_delta": 1.0}, "--dp-delta must be between 0 and 1"),
    ({"compress_bits": 9}, "--compress-bits must be between 1 and 8"),
    ({"compress_bits": 8, "secure_aggregation": True},
     "--compress cannot be combined with --secure-aggregation"),
    ({"compress_bits": 8, "dp_noise_multiplier": 1.0},
     "--compress cannot be combined with --dp-noise-multiplier"),
])
def test_privacy_config_refuses_what_cannot_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PrivacyConfig(**kwargs)


def test_adaptive_clipping_needs_noise_below_a_tenth_of_the_clients():
    TrainConfig(clients_per_round=20, privacy=PrivacyConfig(dp_noise_multiplier=1.9))
    TrainConfig(clients_per_round=20, privacy=PrivacyConfig(dp_noise_multiplier=5.0,
                                                            dp_mechanism="tree"))
    with pytest.raises(ValueError, match="needs fewer than clients-per-round / 10"):
        TrainConfig(clients_per_round=20, privacy=PrivacyConfig(dp_noise_multiplier=2.0))


def test_checkpoint_leaves_may_grow_where_the_state_type_leaves_a_dimension_open(tmp_path):
    # Tree DP's noise buffers gain rows as rounds pass; their type says [None, ...].
    checkpoint.save_leaves(tmp_path, 2, [np.zeros((2, 3)), np.zeros(4)])

    assert [leaf.shape for leaf in checkpoint.load_leaves(tmp_path, 2, [(None, 3), (4,)])] == [
        (2, 3), (4,)]
    with pytest.raises(ValueError, match="other settings"):
        checkpoint.load_leaves(tmp_path, 2, [(None, 4), (4,)])


@pytest.mark.parametrize("aggregator", ["median", "trimmed-mean", "similarity-filter"])
@pytest.mark.parametrize("privacy", [PrivacyConfig(secure_aggregation=True),
                                     PrivacyConfig(dp_noise_multiplier=1.0),
                                     PrivacyConfig(compress_bits=8)])
def test_an_aggregator_that_needs_every_update_is_refused_with_sums_only(aggregator, privacy):
    TrainConfig(aggregator=aggregator)

    with pytest.raises(ValueError, match=f"--aggregator {aggregator} needs every client's update"):
        TrainConfig(aggregator=aggregator, privacy=privacy)
