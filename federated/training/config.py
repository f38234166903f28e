"""The training run's configuration: read at the command line, saved with the run.

`TrainConfig` composes the options each layer defines for itself (optimizers and the worker,
aggregation, privacy, devices and attacks); the driver passes each builder only its part.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, TypeVar

from federated.aggregators.names import AGGREGATORS, COORDINATE_WISE, ROBUST, SUM_AGGREGATORS
from federated.flags import flag
from federated.learning.options import OptimizerConfig, RuntimeConfig
from federated.privacy.options import PrivacyConfig
from federated.simulation.options import AttackConfig, DeviceConfig
from federated.training.run_dir import RUN_FORMAT, RunFormatError
from model.config import ModelConfig

# Settings that may differ between a run and its resumption: they change how long or how
# fast it runs, which held-out users the evaluations before the last round score, or what
# the export serves beside the network, not what it trains.
RESUMABLE_CHANGES = ("rounds", "runtime", "eval_users", "network_weight")
Settings = TypeVar("Settings")
_COUNTS = ("rounds", "clients_per_round", "eval_every", "vocab_words", "embedding_dim",
           "lstm_units", "max_words", "batch_size", "local_epochs", "bucket_size")


# The network's share in the exported interpolation with the n-gram, chosen on validation
# users of the demo data and of Shakespeare (docs/tuning.md).
DEFAULT_NETWORK_WEIGHT = 0.5


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes.

    Attributes:
        rounds: federated rounds to reach (a resumed run continues up to this round).
        clients_per_round: devices sampled uniformly per round.
        seed: seeds user split, sampling, initialization and shuffling.
        eval_every: evaluate the global model on held-out users every this many rounds
            (and always after the last round).
        eval_users: the evaluations before the last round score a seeded sample of this many
            held-out users (the same ones each time); the last round's scores every one.
            None: every one, every time. With many users, federated evaluation of all of
            them takes far longer than a round.
        eval_fraction: share of users held out for evaluation (never trained on, never in
            the vocabulary).
        validation: leave the held-out users out altogether and evaluate on validation
            users instead: the same share of the training users, held out the same way. For
            choosing settings (docs/tuning.md) without ever scoring the held-out users.
        vocab_words: regular words in the vocabulary (special tokens come on top).
        embedding_dim, lstm_units, max_words: model size (see `model.network.ModelConfig`).
        model_dropout: share of the embedding's and the cell's outputs dropped while
            training (clients and the centralized baseline alike); none at inference.
        network_weight: the exported model serves the network interpolated with a
            Kneser-Ney n-gram of the training users' messages at this weight (1: the network
            alone; `model.interpolation`); None: `DEFAULT_NETWORK_WEIGHT`, or 1 with DP or an
            attack (`export_network_weight`). Below 1 the export carries counts of what users
            typed, which differential privacy does not cover and no aggregator defends (an
            attacker's messages count in full, and the attack figures measure the network):
            refused with DP or an attack.
        batch_size: client batch size.
        local_epochs: passes over its data a client makes per round.
        max_client_messages: a client trains on at most this many of its messages in a round
            (a fresh seeded sample each round); None trains on every message. Caps how far
            one prolific client's local steps pull the round's average.
        optimizers: client and server optimizers.
        aggregator: how client updates are averaged: "robust" clips each update to an
            adaptively estimated norm and zeroes extreme ones (keeps training stable when
            one client's local SGD blows up), "mean" is the plain weighted mean, "median"
            and "trimmed-mean" are coordinate-wise (each client counts once),
            "similarity-filter" is "robust" leaving out clients whose updates are unusually
            alike (`federated.aggregators.similarity_filter`).
        trim_fraction: share of clients cut from each end of every coordinate by
            "trimmed-mean".
        bucket_size: "median" and "trimmed-mean" first average the clients' updates in
            buckets of this many, then take the statistic over the bucket means (1: none).
        devices: device eligibility and mid-round dropout.
        attack: malicious clients, for testing defences.
        runtime: TFF worker settings.
        privacy: secure aggregation, differential privacy, compression.
    """

    rounds: int = 300
    clients_per_round: int = 20
    seed: int = 0
    eval_every: int = 10
    eval_users: int | None = None
    eval_fraction: float = 0.1
    validation: bool = False
    vocab_words: int = 4000
    embedding_dim: int = 96
    lstm_units: int = 256
    max_words: int = 20
    model_dropout: float = 0.0
    network_weight: float | None = None
    batch_size: int = 16
    local_epochs: int = 1
    max_client_messages: int | None = None
    optimizers: OptimizerConfig = field(default_factory=OptimizerConfig)
    aggregator: str = ROBUST
    trim_fraction: float = 0.1
    bucket_size: int = 1
    devices: DeviceConfig = field(default_factory=DeviceConfig)
    attack: AttackConfig = field(default_factory=AttackConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    def __post_init__(self):
        for name in _COUNTS:
            if getattr(self, name) < 1:
                raise ValueError(f"{flag(name)} must be >= 1, got {getattr(self, name)}")
        for name in ("max_client_messages", "eval_users"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{flag(name)} must be >= 1, got {getattr(self, name)}")
        if self.aggregator not in AGGREGATORS:
            raise ValueError(f"{flag('aggregator')} must be one of {tuple(AGGREGATORS)}, "
                             f"got {self.aggregator!r}")
        if not 0 <= self.model_dropout < 1:
            raise ValueError(f"{flag('model_dropout')} must be in [0, 1), "
                             f"got {self.model_dropout}")
        if self.network_weight is not None and not 0 <= self.network_weight <= 1:
            raise ValueError(f"{flag('network_weight')} must be in [0, 1], "
                             f"got {self.network_weight}")
        if self.export_network_weight < 1 and self.privacy.dp:
            raise ValueError(f"{flag('network_weight')} {self.network_weight} would export "
                             "an n-gram of raw counts, which differential privacy does not "
                             f"cover: use {flag('network_weight')} 1 with DP")
        if self.export_network_weight < 1 and self.attack.attack != "none":
            raise ValueError(f"{flag('network_weight')} {self.network_weight} would export "
                             "an n-gram of raw counts, which no aggregator defends against "
                             f"the attackers' messages: use {flag('network_weight')} 1 with "
                             f"{flag('attack.attack')}")
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"{flag('eval_fraction')} must be between 0 and 1, "
                             f"got {self.eval_fraction}")
        if not 0 <= self.trim_fraction < 0.5:
            raise ValueError(f"{flag('trim_fraction')} must be in [0, 0.5), "
                             f"got {self.trim_fraction}")
        if self.bucket_size > 1 and self.aggregator not in COORDINATE_WISE:
            raise ValueError(f"{flag('bucket_size')} needs {flag('aggregator')} "
                             f"{' or '.join(COORDINATE_WISE)}")
        if self.optimizers.client_lr_half_life and self.attack.boost_factor != 1:
            raise ValueError(f"{flag('optimizers.client_lr_half_life')} cannot be combined with "
                             f"{flag('attack.attack')} boost (or a "
                             f"{flag('attack.boost_factor')}): the boosting process trains "
                             "every client at the constant rate")
        if len(self.attack.trigger_words) >= self.max_words:
            raise ValueError(f"{flag('attack.trigger')} must be shorter than "
                             f"{flag('max_words')} {self.max_words} words")
        self._check_privacy()

    @property
    def export_network_weight(self) -> float:
        """The network's weight in the export: as set, else the default (1 with DP or an
        attack)."""
        if self.network_weight is not None:
            return self.network_weight
        return 1.0 if self.privacy.dp or self.attack.attack != "none" else DEFAULT_NETWORK_WEIGHT

    def _check_privacy(self) -> None:
        privacy = self.privacy
        sums_only = (privacy.secure_aggregation or privacy.dp
                     or privacy.compress_bits is not None)
        if sums_only and self.aggregator not in SUM_AGGREGATORS:
            raise ValueError(f"{flag('aggregator')} {self.aggregator} needs every client's "
                             f"update on the server: it cannot be combined with "
                             f"{flag('privacy.secure_aggregation')}, "
                             f"{flag('privacy.dp_noise_multiplier')} or --compress")
        check_private_training(privacy, self.optimizers, clients_per_round=self.clients_per_round,
                               eligibility=self.devices.eligibility)
        if privacy.dp and self.attack.boost_factor != 1:
            raise ValueError(f"{flag('attack.attack')} boost (or a {flag('attack.boost_factor')})"
                             f" cannot be combined with {flag('privacy.dp_noise_multiplier')}:"
                             " the boosting process weighs clients by "
                             "examples, DP needs every client to weigh the same")

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The network for a vocabulary of `vocab_size` ids."""
        return ModelConfig(vocab_size=vocab_size, embedding_dim=self.embedding_dim,
                           lstm_units=self.lstm_units, max_words=self.max_words)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """The config `to_dict` saved."""
        return settings_from_dict(cls, values, {
            "optimizers": OptimizerConfig, "runtime": RuntimeConfig, "privacy": PrivacyConfig,
            "devices": DeviceConfig, "attack": AttackConfig})

    def resume_conflicts(self, saved: TrainConfig) -> list[str]:
        """Names the settings that differ from `saved` and would change what the run computes."""
        return resume_conflicts(self.to_dict(), saved.to_dict())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def settings_from_dict(cls: type[Settings], values: dict[str, Any],
                       parts: dict[str, type]) -> Settings:
    """A trainer's settings from their saved `to_dict`, with their option objects (`parts`).

    Raises:
        RunFormatError: `values` are not `cls`'s settings in this run format (another trainer's
            run, or one written before a setting existed).
    """
    try:
        return cls(**{**values, **{name: part(**values[name]) for name, part in parts.items()}})
    except (KeyError, TypeError) as error:
        raise RunFormatError(f"the saved settings are not a {cls.__name__} of run format "
                             f"{RUN_FORMAT} ({error}): train the run again") from None


def resume_conflicts(mine: dict[str, Any], saved: dict[str, Any]) -> list[str]:
    """The settings (`to_dict`s) that differ and would change what a resumed run computes."""
    return [f"{name}: {saved[name]!r} saved, {mine[name]!r} now"
            for name in mine if name not in RESUMABLE_CHANGES and mine[name] != saved[name]]


def check_private_training(privacy: PrivacyConfig, optimizers: OptimizerConfig, *,
                           clients_per_round: int, eligibility: bool) -> None:
    """Refuses DP settings that the sampling of clients or the client optimizer cannot
    support (ValueError, one line)."""
    if privacy.dp and privacy.mechanism == "adaptive" and (
            privacy.dp_noise_multiplier >= clients_per_round / 10):
        # TFF noises the clipped count that adapts the clip norm with a standard
        # deviation of 5% of the clients per round and raises the updates' noise so the
        # total is Z; from Z = clients / 10 on, no noise on the updates can make it up.
        raise ValueError(f"{flag('privacy.dp_noise_multiplier')} "
                         f"{privacy.dp_noise_multiplier} with "
                         "adaptive clipping needs fewer than clients-per-round / 10 "
                         f"(= {clients_per_round / 10:g}); raise "
                         f"{flag('clients_per_round')} or use "
                         f"{flag('privacy.dp_mechanism')} tree")
    if privacy.dp and eligibility:
        # The accountant assumes every training user can be sampled in every round;
        # sampling among the eligible few raises each one's chance (dropouts only
        # lower it, so they keep the guarantee).
        raise ValueError(f"{flag('devices.eligibility')} cannot be combined with "
                         f"{flag('privacy.dp_noise_multiplier')}: "
                         "the privacy accountant assumes every user can be sampled")
    if privacy.dp and optimizers.client_lr_half_life:
        raise ValueError(f"{flag('optimizers.client_lr_half_life')} cannot be combined with "
                         f"{flag('privacy.dp_noise_multiplier')}: TFF schedules the client rate "
                         "of weighted FedAvg only, and DP needs every client to weigh the same")
