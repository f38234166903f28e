"""The training run's configuration: read at the command line, saved with the run."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from model.config import ModelConfig

SERVER_OPTIMIZERS = ("adam", "yogi", "sgdm")
AGGREGATORS = ("robust", "mean")

# Settings that may differ between a run and its resumption: they change how long or how
# fast it runs, not what it computes.
RESUMABLE_CHANGES = ("rounds", "runtime")


@dataclass(frozen=True)
class OptimizerConfig:
    """Client and server optimizers of FedAvg with adaptive server optimization.

    Defaults start from the Stack Overflow next-word settings of Reddi et al. 2021,
    "Adaptive Federated Optimization" (client SGD lr 10^-0.5, server Adam lr 10^-2,
    epsilon 1e-5); see the README for how they were tuned for our data.
    """

    client_learning_rate: float = 10**-0.5
    server_optimizer: str = "adam"
    server_learning_rate: float = 0.03
    server_epsilon: float = 1e-5
    server_momentum: float = 0.9

    def __post_init__(self):
        if self.server_optimizer not in SERVER_OPTIMIZERS:
            raise ValueError(f"server optimizer must be one of {SERVER_OPTIMIZERS}, "
                             f"got {self.server_optimizer!r}")
        for name in ("client_learning_rate", "server_learning_rate", "server_epsilon"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.server_momentum < 1:
            raise ValueError(f"server_momentum must be in [0, 1), got {self.server_momentum}")


@dataclass(frozen=True)
class RuntimeConfig:
    """How the TFF worker runs.

    Attributes:
        max_concurrent_calls: the worker's limit on parallel calls of one computation (e.g.
            clients trained at once in a `federated_map`); <= 0 means no limit.
        intra_op_threads: TF threads inside one op in the worker; 0 lets TF choose.
        inter_op_threads: TF ops run in parallel in the worker; 0 lets TF choose.
        startup_seconds: how long to wait for the worker to serve before giving up.
    """

    max_concurrent_calls: int = 2
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    startup_seconds: float = 120.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes.

    Attributes:
        rounds: federated rounds to reach (a resumed run continues up to this round).
        clients_per_round: devices sampled uniformly per round.
        seed: seeds user split, sampling, initialization and shuffling.
        eval_every: evaluate the global model on held-out users every this many rounds
            (and always after the last round).
        eval_fraction: share of users held out for evaluation (never trained on, never in
            the vocabulary).
        vocab_words: regular words in the vocabulary (special tokens come on top).
        embedding_dim, lstm_units, max_words: model size (see `model.network.ModelConfig`).
        batch_size: client batch size.
        local_epochs: passes over its data a client makes per round.
        optimizers: client and server optimizers.
        aggregator: how client updates are averaged: "robust" clips each update to an
            adaptively estimated norm and zeroes extreme ones (keeps training stable when
            one client's local SGD blows up), "mean" is the plain weighted mean.
        runtime: TFF worker settings.
    """

    rounds: int = 100
    clients_per_round: int = 20
    seed: int = 0
    eval_every: int = 10
    eval_fraction: float = 0.1
    vocab_words: int = 4000
    embedding_dim: int = 96
    lstm_units: int = 256
    max_words: int = 20
    batch_size: int = 16
    local_epochs: int = 3
    optimizers: OptimizerConfig = field(default_factory=OptimizerConfig)
    aggregator: str = "robust"
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    def __post_init__(self):
        for name in ("rounds", "clients_per_round", "eval_every", "vocab_words",
                     "embedding_dim", "lstm_units", "max_words", "batch_size",
                     "local_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, "
                                 f"got {getattr(self, name)}")
        if self.aggregator not in AGGREGATORS:
            raise ValueError(f"--aggregator must be one of {AGGREGATORS}, got {self.aggregator!r}")
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"--eval-fraction must be between 0 and 1, got {self.eval_fraction}")

    def model_config(self, vocab_size: int) -> ModelConfig:
        """The network for a vocabulary of `vocab_size` ids."""
        return ModelConfig(vocab_size=vocab_size, embedding_dim=self.embedding_dim,
                           lstm_units=self.lstm_units, max_words=self.max_words)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        values = dict(values)
        values["optimizers"] = OptimizerConfig(**values["optimizers"])
        values["runtime"] = RuntimeConfig(**values["runtime"])
        return cls(**values)

    def resume_conflicts(self, saved: TrainConfig) -> list[str]:
        """Names the settings that differ from `saved` and would change what the run computes."""
        mine, theirs = self.to_dict(), saved.to_dict()
        return [f"{name}: {theirs[name]!r} saved, {mine[name]!r} now"
                for name in mine if name not in RESUMABLE_CHANGES and mine[name] != theirs[name]]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
