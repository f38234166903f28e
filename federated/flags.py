"""The command-line flag of every training setting: one table, by the setting's field.

`TrainConfig` and its parts name the flag in their validation messages from here, so a
message always names what the user typed; the trainer's parser has an option for each entry
(a test checks both directions). Field names are dotted below `TrainConfig`
("privacy.dp_clip").
"""

from __future__ import annotations

FLAGS: dict[str, str] = {
    "rounds": "--rounds",
    "clients_per_round": "--clients-per-round",
    "seed": "--seed",
    "eval_every": "--eval-every",
    "eval_users": "--eval-users",
    "eval_fraction": "--eval-fraction",
    "validation": "--validation",
    "vocab_words": "--vocab-size",
    "embedding_dim": "--embedding-dim",
    "lstm_units": "--lstm-units",
    "max_words": "--max-words",
    "model_dropout": "--model-dropout",
    "network_weight": "--network-weight",
    "batch_size": "--batch-size",
    "local_epochs": "--local-epochs",
    "max_client_messages": "--max-client-messages",
    "aggregator": "--aggregator",
    "trim_fraction": "--trim-fraction",
    "bucket_size": "--bucket-size",
    "optimizers.client_learning_rate": "--client-lr",
    "optimizers.server_optimizer": "--server-optimizer",
    "optimizers.server_learning_rate": "--server-lr",
    "optimizers.server_epsilon": "--server-epsilon",
    "optimizers.server_momentum": "--server-momentum",
    "optimizers.server_lr_half_life": "--server-lr-half-life",
    "optimizers.client_lr_half_life": "--client-lr-half-life",
    "devices.eligibility": "--eligibility",
    "devices.start_time": "--start-time",
    "devices.round_minutes": "--round-minutes",
    "devices.dropout_rate": "--dropout-rate",
    "attack.attack": "--attack",
    "attack.malicious_fraction": "--malicious-fraction",
    "attack.boost_factor": "--boost-factor",
    "attack.trigger": "--backdoor-trigger",
    "attack.target": "--backdoor-target",
    "runtime.max_concurrent_calls": "--max-concurrent-clients",
    "runtime.intra_op_threads": "--intra-op-threads",
    "runtime.inter_op_threads": "--inter-op-threads",
    "runtime.workers": "--workers",
    "runtime.restart_worker_every": "--restart-worker-every",
    "privacy.secure_aggregation": "--secure-aggregation",
    "privacy.dp_noise_multiplier": "--dp-noise-multiplier",
    "privacy.dp_mechanism": "--dp-mechanism",
    "privacy.dp_clip": "--dp-clip",
    "privacy.dp_delta": "--dp-delta",
    "privacy.compress_bits": "--compress-bits",
}


# Settings only the query-suggestion trainer has (`python -m federated.train_queries`, whose
# other settings are named as in `FLAGS`).
QUERY_FLAGS: dict[str, str] = {
    "buckets": "--buckets",
    "keep_share": "--keep-share",
}


def flag(field: str) -> str:
    """The flag that sets `field` (a dotted field name, a key of `FLAGS` or `QUERY_FLAGS`)."""
    return FLAGS[field] if field in FLAGS else QUERY_FLAGS[field]
