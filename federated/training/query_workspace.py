"""Everything a triggering run needs before TensorFlow starts: checked logs, the user split,
the query candidates.

Pure Python. The users are split exactly as the next-word run splits them
(`federated.training.workspace.split_histories`: the typing histories, the seed and the
held-out share), so with the same data, seed and share both models hold out the same users.
Candidates come from the training users' searches only; held-out users' impressions are
never trained on. With `device_logs`, the keyboard's devices' query chips
(`data.device_logs.export_device_impressions`) are training clients too, as the next-word run's
device logs are.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from data.device_logs import export_device_impressions
from data.impressions import (
    ImpressionRecord,
    group_impressions_by_user,
    impressions_path,
    read_impressions,
    searches_path,
)
from data.records import read_records
from federated.simulation.availability import Availability, build_availability
from federated.training.query_config import QueryTrainConfig
from federated.training.query_metrics import QueryRoundMetrics
from federated.training.run_dir import RunDir, run_config_json
from federated.training.workspace import check_run_dir, file_sha256, split_histories
from model.atomic_files import atomic_write_text
from model.query_candidates import QueryIndex, build_query_index


@dataclass(frozen=True)
class QueryWorkspace:
    """A checked triggering run.

    Attributes:
        run_dir: the run directory (created).
        config: the run's settings.
        data_path, data_sha256: the typing histories (they decide the user split).
        logs_sha256: hashes of the impression and search logs beside them.
        train_impressions: each training user's impressions, in the order shown (users
            without impressions are absent).
        eval_impressions: the same for the held-out users.
        candidates: the query index built from the training users' searches.
        device_clients: the devices with logged query chips (`device_logs`): clients like the
            others, which take the first places of this invocation's first round.
        resume_round: the checkpointed round to continue from (0: start fresh).
        availability: which training users' phones can train when (None: all, always).
    """

    run_dir: Path
    config: QueryTrainConfig
    data_path: Path
    data_sha256: str
    logs_sha256: dict[str, str]
    train_impressions: dict[str, list[ImpressionRecord]]
    eval_impressions: dict[str, list[ImpressionRecord]]
    candidates: QueryIndex
    resume_round: int
    availability: Optional[Availability] = None
    device_clients: tuple[str, ...] = ()

    @property
    def files(self) -> RunDir:
        return RunDir(self.run_dir)


def log_paths(data_path: Path) -> dict[str, Path]:
    """The logs beside the histories (`data.impressions` names them), by kind."""
    return {"impressions": Path(impressions_path(data_path)),
            "searches": Path(searches_path(data_path))}


def prepare_query_workspace(data_path: Path, run_dir: Path, config: QueryTrainConfig, *,
                            resume: bool, skip_bad: bool,
                            device_logs: Optional[Path] = None) -> QueryWorkspace:
    """Checks the arguments against the data and the run directory, then splits the logs.

    Raises:
        ValueError / FileNotFoundError: with a one-line message saying what to change.
    """
    if not data_path.is_file():
        raise FileNotFoundError(f"--data {data_path}: no such file")
    if device_logs and config.privacy.dp:
        raise ValueError("--device-logs devices are sampled first in a round, which the DP "
                         "accountant's uniform sampling does not cover: drop --device-logs or "
                         "--dp-noise-multiplier")
    logs = log_paths(data_path)
    for kind, path in logs.items():
        if not path.is_file():
            raise FileNotFoundError(f"no {kind} log {path} beside --data {data_path}; "
                                    "generate the data again with `python -m data.generate`")
    data_sha256 = file_sha256(data_path)
    logs_sha256 = {kind: file_sha256(path) for kind, path in logs.items()}
    resume_round = check_run_dir(run_dir, config, data_sha256, resume=resume,
                                 read_config=QueryTrainConfig.from_dict,
                                 row_type=QueryRoundMetrics, logs_sha256=logs_sha256)
    split = split_histories(data_path, eval_fraction=config.eval_fraction, seed=config.seed,
                            skip_bad=skip_bad)
    loaded = read_impressions(logs["impressions"], skip_bad=skip_bad)
    if loaded.problems:
        print(f"skipped {len(loaded.problems)} bad impressions of {logs['impressions']} "
              f"(first: {loaded.problems[0]})", file=sys.stderr)
    by_user = group_impressions_by_user(loaded.impressions)
    strangers = sorted(set(by_user) - set(split.train) - set(split.eval))
    if strangers:
        raise ValueError(f"{logs['impressions']} has impressions of {len(strangers)} users "
                         f"without typing history in {data_path} (first: {strangers[0]})")
    train = {user: by_user[user] for user in split.train if user in by_user}
    searches = read_records(logs["searches"], skip_bad=skip_bad).records
    candidates = build_query_index((r.user_id, r.text, r.topic) for r in searches
                                   if r.user_id in split.train)
    device_clients = (_add_device_impressions(train, set(split.eval), device_logs, candidates)
                      if device_logs else ())
    if config.clients_per_round > len(train):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(train)} training users with impressions; lower it")
    availability = (build_availability(split.train, config.devices, seed=config.seed,
                                       users=train)
                    if config.devices.eligibility else None)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RunDir(run_dir).config,
                      run_config_json(config.to_dict(), data_path, data_sha256,
                                      logs_sha256=logs_sha256))
    return QueryWorkspace(
        run_dir=run_dir, config=config, data_path=data_path, data_sha256=data_sha256,
        logs_sha256=logs_sha256, train_impressions=train,
        eval_impressions={user: by_user[user] for user in split.eval if user in by_user},
        candidates=candidates, resume_round=resume_round, availability=availability,
        device_clients=device_clients)


def _add_device_impressions(train: dict[str, list[ImpressionRecord]], eval_users: set[str],
                            device_logs: Path, candidates: QueryIndex) -> tuple[str, ...]:
    """Adds the devices' query chips to `train` (after a same-named user's own); returns the
    devices that did. Devices of held-out users are left out, as in the next-word run.

    Raises:
        ValueError: a chip whose query is not a candidate, or that no record may hold; the
            device logs are left as they are.
    """
    by_device = group_impressions_by_user(export_device_impressions(device_logs))
    for device, impressions in by_device.items():
        unknown = [i.candidate for i in impressions if i.candidate not in candidates]
        if unknown:
            raise ValueError(f"--device-logs {device_logs}: device {device} logged "
                             f"{len(unknown)} chips of queries that are not candidates of this "
                             f"run (first: {unknown[0]!r}); train with the data the keyboard's "
                             "query model was trained on")
    for device in sorted(set(by_device) & eval_users):
        print(f"device {device} is a held-out evaluation user: its chips are not trained on",
              file=sys.stderr)
    devices = tuple(sorted(set(by_device) - eval_users))
    for device in devices:
        train[device] = train.get(device, []) + by_device[device]
    print(f"device logs: {sum(len(by_device[d]) for d in devices)} query chips from "
          f"{len(devices)} devices, first in this invocation's first round", file=sys.stderr)
    return devices
