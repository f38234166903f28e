"""The training run's configuration: read at the command line, saved with the run."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from model.config import ModelConfig
from model.tokenizer import tokenize

SERVER_OPTIMIZERS = ("adam", "yogi", "sgdm")
# Aggregators that only need the sum of the client updates: the ones secure aggregation,
# differential privacy and compression (a quantizing sum) can be combined with; an
# aggregator that needs every update on the server (a median) is refused with them.
SUM_AGGREGATORS = ("robust", "mean")
DP_MECHANISMS = ("adaptive", "tree")

# About the norm of a client update of the default model on the demo data (robust
# aggregation's 80th-percentile estimate is 0.93 at round 300 with the default one local
# epoch; 1.6 at round 10 and 2.1 at round 100 with three).
DEFAULT_DP_CLIP = 1.0
MAX_COMPRESS_BITS = 8
AGGREGATORS = ("robust", "mean", "median", "trimmed-mean", "similarity-filter")
ATTACKS = ("none", "boost", "backdoor")

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
class PrivacyConfig:
    """Secure aggregation, user-level differential privacy and compressed uploads.

    Attributes:
        secure_aggregation: clients' updates (and training metrics) reach the server only
            as a sum, through TFF's secure-sum intrinsics.
        dp_noise_multiplier: turns on user-level differential privacy: each client update is
            clipped to an L2 norm and Gaussian noise of this many clip norms is added to
            their sum. None: no differential privacy.
        dp_mechanism: "adaptive" (DP-FedAvg: fresh noise each round, the clip norm adapts
            to the median update norm; uniform sampling of clients) or "tree" (DP-FTRL:
            noise correlated across rounds by tree aggregation, fixed clip norm; each user
            trains at most once per epoch of shuffled users). None: "adaptive".
        dp_clip: the clip norm ("tree") or its starting value ("adaptive"). None:
            `DEFAULT_DP_CLIP`.
        dp_delta: the delta of the reported (epsilon, delta). None: 1 / users^1.1.
        compress_bits: quantize every weight matrix of an update to this many bits per
            value before it is uploaded. None: no compression.
    """

    secure_aggregation: bool = False
    dp_noise_multiplier: Optional[float] = None
    dp_mechanism: Optional[str] = None
    dp_clip: Optional[float] = None
    dp_delta: Optional[float] = None
    compress_bits: Optional[int] = None

    def __post_init__(self):
        if self.dp_noise_multiplier is None:
            given = [f"--dp-{name}" for name in ("mechanism", "clip", "delta")
                     if getattr(self, f"dp_{name}") is not None]
            if given:
                raise ValueError(f"{', '.join(given)} needs --dp-noise-multiplier")
        elif self.dp_noise_multiplier <= 0:
            raise ValueError(f"--dp-noise-multiplier must be > 0, got {self.dp_noise_multiplier}")
        if self.dp_mechanism is not None and self.dp_mechanism not in DP_MECHANISMS:
            raise ValueError(f"--dp-mechanism must be one of {DP_MECHANISMS}, "
                             f"got {self.dp_mechanism!r}")
        if self.dp_clip is not None and self.dp_clip <= 0:
            raise ValueError(f"--dp-clip must be > 0, got {self.dp_clip}")
        if self.dp_delta is not None and not 0 < self.dp_delta < 1:
            raise ValueError(f"--dp-delta must be between 0 and 1, got {self.dp_delta}")
        if self.compress_bits is not None:
            if not 1 <= self.compress_bits <= MAX_COMPRESS_BITS:
                raise ValueError(f"--compress-bits must be between 1 and {MAX_COMPRESS_BITS}, "
                                 f"got {self.compress_bits}")
            # TFF's quantizing sum (EncodedSumFactory) decodes each client's update on the
            # server with that client's own range: neither a secure sum nor a DP clip bound
            # survives that (rounding can push a clipped update past the clip norm).
            if self.secure_aggregation:
                raise ValueError("--compress cannot be combined with --secure-aggregation: "
                                 "quantized updates are decoded one by one on the server")
            if self.dp:
                raise ValueError("--compress cannot be combined with --dp-noise-multiplier: "
                                 "quantizing a clipped update can push it past the clip norm")

    @property
    def dp(self) -> bool:
        """Whether the run is differentially private."""
        return self.dp_noise_multiplier is not None

    @property
    def mechanism(self) -> str:
        """The DP mechanism in effect (meaningful when `dp`)."""
        return self.dp_mechanism or "adaptive"

    @property
    def clip(self) -> float:
        """The DP clip norm in effect (the starting value for "adaptive")."""
        return DEFAULT_DP_CLIP if self.dp_clip is None else self.dp_clip

    @property
    def sampling(self) -> str:
        """How each round's clients are drawn (`federated.sampling.SAMPLERS`)."""
        return ("shuffled-epochs" if self.dp and self.mechanism == "tree"
                else "without-replacement")

    def delta(self, users: int) -> float:
        """The DP delta in effect for a population of `users`."""
        return self.dp_delta if self.dp_delta is not None else users ** -1.1


@dataclass(frozen=True)
class DeviceConfig:
    """Which simulated devices can train in a round, and how many fail mid-round.

    Attributes:
        eligibility: sample only devices that are idle, charging and on an unmetered network
            at the round's simulated clock time (`federated.availability`); off: every
            training user is always available.
        start_time: the simulated clock time ("HH:MM") of round 1.
        round_minutes: simulated minutes between the starts of consecutive rounds.
        dropout_rate: chance that a sampled device fails mid-round (its update never
            arrives); the round aggregates the survivors.
    """

    eligibility: bool = False
    start_time: str = "22:00"
    round_minutes: float = 5.0
    dropout_rate: float = 0.0

    def __post_init__(self):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.start_time):
            raise ValueError(f"--start-time must be HH:MM (24-hour clock), got {self.start_time!r}")
        if not 0 < self.round_minutes < math.inf:
            raise ValueError(f"--round-minutes must be > 0, got {self.round_minutes}")
        if not 0 <= self.dropout_rate < 1:
            raise ValueError(f"--dropout-rate must be in [0, 1), got {self.dropout_rate}")

    @property
    def start_minute(self) -> int:
        """Minutes after midnight of round 1's clock time."""
        hours, minutes = self.start_time.split(":")
        return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class AttackConfig:
    """A seeded share of the training users attacks the model (`federated.attacks`).

    Attributes:
        attack: "none"; "boost": model-update poisoning, a malicious client multiplies its
            update by `boost_factor`; "backdoor": data poisoning, malicious clients' local data
            teaches `trigger` -> `target` (their update is also multiplied by `boost_factor`).
        malicious_fraction: share of the training users that are malicious (never held-out
            users, never device-log clients); 0 with an attack measures the benign run.
        boost_factor: what a malicious client multiplies its model update by (not 0); a
            negative factor reverses the update, pushing the model uphill on the client's data.
        trigger: the backdoor's context words (e.g. "best pizza in").
        target: the one word the backdoor wants suggested after the trigger.
    """

    attack: str = "none"
    malicious_fraction: float = 0.0
    boost_factor: float = 1.0
    trigger: str = "best pizza in"
    target: str = "walmart"

    def __post_init__(self):
        if self.attack not in ATTACKS:
            raise ValueError(f"--attack must be one of {ATTACKS}, got {self.attack!r}")
        if not 0 <= self.malicious_fraction < 1:
            raise ValueError(f"--malicious-fraction must be in [0, 1), "
                             f"got {self.malicious_fraction}")
        if self.attack == "none" and (self.malicious_fraction > 0 or self.boost_factor != 1):
            raise ValueError("--malicious-fraction and --boost-factor need --attack boost or "
                             "--attack backdoor")
        if self.boost_factor == 0 or not math.isfinite(self.boost_factor):
            raise ValueError(f"--boost-factor must be a non-zero number, "
                             f"got {self.boost_factor}")
        if not tokenize(self.trigger):
            raise ValueError(f"--backdoor-trigger must contain a word, got {self.trigger!r}")
        if len(tokenize(self.target)) != 1:
            raise ValueError(f"--backdoor-target must be one word, got {self.target!r}")

    @property
    def trigger_words(self) -> list[str]:
        return tokenize(self.trigger)

    @property
    def target_word(self) -> str:
        return tokenize(self.target)[0]


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
            one client's local SGD blows up), "mean" is the plain weighted mean, "median"
            and "trimmed-mean" are coordinate-wise (each client counts once),
            "similarity-filter" is "robust" leaving out clients whose updates are unusually
            alike (`federated.similarity_filter`).
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
    eval_fraction: float = 0.1
    vocab_words: int = 4000
    embedding_dim: int = 96
    lstm_units: int = 256
    max_words: int = 20
    batch_size: int = 16
    local_epochs: int = 1
    optimizers: OptimizerConfig = field(default_factory=OptimizerConfig)
    aggregator: str = "robust"
    trim_fraction: float = 0.1
    bucket_size: int = 1
    devices: DeviceConfig = field(default_factory=DeviceConfig)
    attack: AttackConfig = field(default_factory=AttackConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)

    def __post_init__(self):
        for name in ("rounds", "clients_per_round", "eval_every", "vocab_words",
                     "embedding_dim", "lstm_units", "max_words", "batch_size",
                     "local_epochs", "bucket_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, "
                                 f"got {getattr(self, name)}")
        if self.aggregator not in AGGREGATORS:
            raise ValueError(f"--aggregator must be one of {AGGREGATORS}, got {self.aggregator!r}")
        if not 0 < self.eval_fraction < 1:
            raise ValueError(f"--eval-fraction must be between 0 and 1, got {self.eval_fraction}")
        if not 0 <= self.trim_fraction < 0.5:
            raise ValueError(f"--trim-fraction must be in [0, 0.5), got {self.trim_fraction}")
        if self.bucket_size > 1 and self.aggregator not in ("median", "trimmed-mean"):
            raise ValueError("--bucket-size needs --aggregator median or trimmed-mean")
        if len(self.attack.trigger_words) >= self.max_words:
            raise ValueError(f"--backdoor-trigger must be shorter than --max-words "
                             f"{self.max_words} words")
        self._check_privacy()

    def _check_privacy(self) -> None:
        privacy = self.privacy
        sums_only = (privacy.secure_aggregation or privacy.dp
                     or privacy.compress_bits is not None)
        if sums_only and self.aggregator not in SUM_AGGREGATORS:
            raise ValueError(f"--aggregator {self.aggregator} needs every client's update on "
                             "the server: it cannot be combined with --secure-aggregation, "
                             "--dp-noise-multiplier or --compress")
        if privacy.dp and privacy.mechanism == "adaptive" and (
                privacy.dp_noise_multiplier >= self.clients_per_round / 10):
            # TFF noises the clipped count that adapts the clip norm with a standard
            # deviation of 5% of the clients per round and raises the updates' noise so the
            # total is Z; from Z = clients / 10 on, no noise on the updates can make it up.
            raise ValueError(f"--dp-noise-multiplier {privacy.dp_noise_multiplier} with "
                             "adaptive clipping needs fewer than clients-per-round / 10 "
                             f"(= {self.clients_per_round / 10:g}); raise --clients-per-round "
                             "or use --dp-mechanism tree")
        if privacy.dp and self.devices.eligibility:
            # The accountant assumes every training user can be sampled in every round;
            # sampling among the eligible few raises each one's chance (dropouts only
            # lower it, so they keep the guarantee).
            raise ValueError("--eligibility cannot be combined with --dp-noise-multiplier: "
                             "the privacy accountant assumes every user can be sampled")
        if privacy.dp and self.attack.boost_factor != 1:
            raise ValueError("--attack boost (or a --boost-factor) cannot be combined with "
                             "--dp-noise-multiplier: the boosting process weighs clients by "
                             "examples, DP needs every client to weigh the same")

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
        values["privacy"] = PrivacyConfig(**values.get("privacy", {}))  # Older runs: none.
        # Runs saved before devices and attacks existed had neither: the defaults.
        values["devices"] = DeviceConfig(**values.get("devices", {}))
        values["attack"] = AttackConfig(**values.get("attack", {}))
        return cls(**values)

    def resume_conflicts(self, saved: TrainConfig) -> list[str]:
        """Names the settings that differ from `saved` and would change what the run computes."""
        mine, theirs = self.to_dict(), saved.to_dict()
        return [f"{name}: {theirs[name]!r} saved, {mine[name]!r} now"
                for name in mine if name not in RESUMABLE_CHANGES and mine[name] != theirs[name]]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"
