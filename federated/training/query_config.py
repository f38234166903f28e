"""The query-suggestion triggering run's configuration: read at the command line, saved with
the run (`python -m federated.train_queries`).

It shares the next-word run's options for optimizers, devices, privacy and the TFF worker
(each defined in its own layer), and its flags; `buckets` and `keep_share` are its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from federated.aggregators.names import ROBUST, SUM_AGGREGATORS
from federated.flags import flag
from federated.learning.options import OptimizerConfig, RuntimeConfig
from federated.privacy.options import PrivacyConfig
from federated.simulation.options import DeviceConfig
from federated.training.config import check_private_training, resume_conflicts, settings_from_dict
from model.triggering import TriggeringConfig

_COUNTS = ("rounds", "clients_per_round", "eval_every", "batch_size", "local_epochs")
# Plain FedAvg (the server adds the mean client update): over sparse features, server Adam
# (the next-word default) takes full-size steps on features only a round's few clients have,
# and overfits them. Tuned on validation users drawn from the demo data's training users
# (README: Query suggestions).
DEFAULT_OPTIMIZERS = OptimizerConfig(client_learning_rate=0.5, server_optimizer="sgdm",
                                     server_learning_rate=1.0, server_momentum=0.0)


@dataclass(frozen=True)
class QueryTrainConfig:
    """Everything that decides what a triggering run computes.

    Attributes:
        rounds: federated rounds to reach (a resumed run continues up to this round).
        clients_per_round: devices (training users with impressions) sampled per round.
        seed: seeds the user split (as `federated.train --seed`), sampling and shuffling.
        eval_every: score the global model on the held-out users every this many rounds
            (and after the last).
        eval_fraction: share of users held out, as `federated.train --eval-fraction`: with the
            same seed and data, the same users are held out from both models.
        buckets: hash buckets of the features (weights of the model), a power of two.
        batch_size: client batch size (impressions).
        local_epochs: passes over its log a client makes per round.
        keep_share: share of the training users' impressions the exported threshold keeps.
        optimizers: client and server optimizers.
        aggregator: "robust" or "mean" (`federated.aggregators.names`).
        devices: eligibility and mid-round dropout.
        runtime: TFF worker settings.
        privacy: secure aggregation and differential privacy (no compression).
    """

    rounds: int = 200
    clients_per_round: int = 20
    seed: int = 0
    eval_every: int = 1
    eval_fraction: float = 0.1
    buckets: int = TriggeringConfig().buckets
    batch_size: int = 16
    local_epochs: int = 1
    keep_share: float = 0.5
    optimizers: OptimizerConfig = DEFAULT_OPTIMIZERS
    aggregator: str = ROBUST
    devices: DeviceConfig = field(default_factory=DeviceConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    def __post_init__(self):
        for name in _COUNTS:
            if getattr(self, name) < 1:
                raise ValueError(f"{flag(name)} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"{flag('eval_fraction')} must be between 0 and 1, "
                             f"got {self.eval_fraction}")
        if self.buckets < 2 or self.buckets & (self.buckets - 1):
            raise ValueError(f"{flag('buckets')} must be a power of two >= 2, got {self.buckets}")
        if not 0 < self.keep_share <= 1:
            raise ValueError(f"{flag('keep_share')} must be in (0, 1], got {self.keep_share}")
        if self.aggregator not in SUM_AGGREGATORS:
            raise ValueError(f"{flag('aggregator')} must be one of {SUM_AGGREGATORS}, "
                             f"got {self.aggregator!r}")
        if self.privacy.compress_bits is not None:
            raise ValueError("the triggering run does not compress its updates")
        check_private_training(self.privacy, self.optimizers,
                               clients_per_round=self.clients_per_round,
                               eligibility=self.devices.eligibility)

    @property
    def triggering(self) -> TriggeringConfig:
        """The model's features (other feature options at their defaults)."""
        return TriggeringConfig(buckets=self.buckets)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> QueryTrainConfig:
        """The config `to_dict` saved."""
        return settings_from_dict(cls, values, {
            "optimizers": OptimizerConfig, "runtime": RuntimeConfig, "privacy": PrivacyConfig,
            "devices": DeviceConfig})

    def resume_conflicts(self, saved: QueryTrainConfig) -> list[str]:
        """Names the settings that differ from `saved` and would change what the run computes."""
        return resume_conflicts(self.to_dict(), saved.to_dict())
