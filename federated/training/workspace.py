"""Everything a run needs before TensorFlow starts: checked data, user split, vocabulary.

Pure Python, so bad arguments and bad data are refused in a second, not after TF loads.
The vocabulary is fixed when a run starts (`RUN_DIR/vocab.txt`) and reused when it resumes,
or taken from the export a run is initialized from, so model shapes never change under it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from data.device_logs import export_device_records
from data.records import TypingRecord, group_by_user, read_records
from data.split import UserSplit, split_users
from federated.simulation.attacks import choose_malicious, poison_users
from federated.simulation.availability import Availability, build_availability
from federated.training import checkpoint
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics, read_rows
from federated.training.run_dir import RunDir, read_run_config, run_config_json
from model.atomic_files import atomic_write_text
from model.export import VOCAB_FILE, ExportInfo, read_export_info
from model.vocab import NUM_SPECIAL_TOKENS, Vocabulary, build_vocabulary


@dataclass(frozen=True)
class Workspace:
    """A checked run: where it writes, what it computes, and the data it trains on.

    Attributes:
        run_dir: the run directory (created).
        config: the run's settings.
        data_path, data_sha256: the typing histories and their hash (provenance).
        vocab: built from training users only (or fixed by the run or the init export).
        train_texts: messages per training user; disjoint from the evaluation users. Keyboard
            devices' committed messages (`--device-logs`) are training data: a device named
            after a training user adds to that user's history, another one is a new user.
        device_clients: the devices with logged messages: clients like the others, which take
            the first places of the invocation's first round (`federated.training.run`).
        eval_records: the held-out evaluation users' records (text, and topic if any).
        resume_round: the checkpointed round to continue from (0: start fresh).
        init_from: the export whose weights start a fresh run, if any.
        availability: which training users' phones can train when (None: all, always).
        malicious_clients: the training users that attack (`TrainConfig.attack`); a
            backdoor's poisoned messages are already in their `train_texts`.
    """

    run_dir: Path
    config: TrainConfig
    data_path: Path
    data_sha256: str
    vocab: Vocabulary
    train_texts: dict[str, list[str]]
    eval_records: dict[str, list[TypingRecord]]
    device_clients: tuple[str, ...]
    resume_round: int
    init_from: Optional[ExportInfo] = None
    availability: Optional[Availability] = None
    malicious_clients: tuple[str, ...] = ()

    @property
    def files(self) -> RunDir:
        """The paths of the run directory's files."""
        return RunDir(self.run_dir)

    @property
    def eval_texts(self) -> dict[str, list[str]]:
        """Messages per held-out evaluation user."""
        return texts_by_user(self.eval_records)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_histories(data_path: Path, *, eval_fraction: float, seed: int, skip_bad: bool,
                    validation: bool = False) -> UserSplit:
    """Reads the histories and holds out evaluation users (seeded by the run's seed): the
    held-out users, or with `validation` validation users drawn from the others (the held-out
    users are then left out altogether)."""
    loaded = read_records(data_path, skip_bad=skip_bad)
    if loaded.problems:
        print(f"skipped {len(loaded.problems)} bad records of {data_path} "
              f"(first: {loaded.problems[0]})", file=sys.stderr)
    split = split_users(group_by_user(loaded.records), eval_fraction=eval_fraction, seed=seed)
    if validation:
        split = split_users(split.train, eval_fraction=eval_fraction, seed=seed)
    return split


def texts_by_user(records_by_user) -> dict[str, list[str]]:
    return {user: [record.text for record in records]
            for user, records in records_by_user.items()}


def prepare_workspace(data_path: Path, run_dir: Path, config: TrainConfig, *, resume: bool,
                      skip_bad: bool, device_logs: Optional[Path] = None,
                      init_from: Optional[Path] = None) -> Workspace:
    """Checks the arguments against the data and the run directory, then splits the data.

    Raises:
        ValueError / FileNotFoundError: with a one-line message saying what to change.
    """
    if not data_path.is_file():
        raise FileNotFoundError(f"--data {data_path}: no such file")
    if resume and init_from:
        raise ValueError("--resume continues a run's own model; --init-from starts a new run "
                         "from an export: use one of them")
    if device_logs and config.privacy.dp:
        raise ValueError("--device-logs devices are sampled first in a round, which the DP "
                         "accountant's uniform sampling does not cover: drop --device-logs or "
                         "--dp-noise-multiplier")
    init_export = read_export_info(init_from) if init_from else None
    if init_export:
        config = _with_model_of(config, init_export)
    data_sha256 = file_sha256(data_path)
    resume_round = check_run_dir(run_dir, config, data_sha256, resume=resume)
    split = split_histories(data_path, eval_fraction=config.eval_fraction, seed=config.seed,
                            skip_bad=skip_bad, validation=config.validation)
    if config.clients_per_round > len(split.train):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(split.train)} training users in {data_path}; lower it")
    train_records, device_clients = _with_device_logs(split.train, set(split.eval), device_logs)
    train_texts = texts_by_user(train_records)
    # Devices train when their own timestamps say their phone is idle, like any phone.
    availability = (build_availability(train_records, config.devices, seed=config.seed)
                    if config.devices.eligibility else None)
    malicious = choose_malicious(split.train, config.attack.malicious_fraction,
                                 seed=config.seed, exclude=device_clients)
    # The vocabulary comes from the clean histories: a backdoor target has to be a word the
    # keyboard already knows, and benign and attacked runs share one vocabulary.
    vocab = _run_vocabulary(run_dir, train_texts, config, init_export)
    if config.attack.attack == "backdoor" and config.attack.target_word not in vocab:
        raise ValueError(f"--backdoor-target {config.attack.target_word!r} is not in the "
                         "run's vocabulary; choose a word the training users type")
    run_dir.mkdir(parents=True, exist_ok=True)
    if not RunDir(run_dir).vocab.exists():
        vocab.save(RunDir(run_dir).vocab)
    train_texts = poison_users(train_texts, malicious, config.attack, seed=config.seed,
                               max_words=config.max_words)
    atomic_write_text(RunDir(run_dir).config,
                      run_config_json(config.to_dict(), data_path, data_sha256))
    return Workspace(
        run_dir=run_dir, config=config, data_path=data_path, data_sha256=data_sha256,
        vocab=vocab, train_texts=train_texts, eval_records=split.eval,
        device_clients=device_clients, resume_round=resume_round, init_from=init_export,
        availability=availability, malicious_clients=tuple(malicious))


def _with_device_logs(train: dict[str, list[TypingRecord]], eval_users: set[str],
                      device_logs: Optional[Path]
                      ) -> tuple[dict[str, list[TypingRecord]], tuple[str, ...]]:
    """The training users' records with the devices' committed messages added (a device named
    like a training user adds to that user's history, another one is a new user), and the
    devices that added some.

    Devices of held-out evaluation users are left out: nothing trains on evaluation users.
    """
    if device_logs is None:
        return train, ()
    logged = group_by_user(export_device_records(device_logs))
    for device in sorted(set(logged) & eval_users):
        print(f"device {device} is a held-out evaluation user: its logs are not trained on",
              file=sys.stderr)
    devices = sorted(set(logged) - eval_users)
    print(f"device logs: {sum(len(logged[d]) for d in devices)} messages from "
          f"{len(devices)} devices, first in this invocation's first round", file=sys.stderr)
    return ({**train, **{device: train.get(device, []) + logged[device] for device in devices}},
            tuple(devices))


def _with_model_of(config: TrainConfig, export: ExportInfo) -> TrainConfig:
    """The run's config with the model size and vocabulary size of `export`."""
    model = export.model_config
    return dataclasses.replace(
        config, vocab_words=model.vocab_size - NUM_SPECIAL_TOKENS,
        embedding_dim=model.embedding_dim, lstm_units=model.lstm_units,
        max_words=model.max_words)


def _run_vocabulary(run_dir: Path, train_texts: dict[str, list[str]], config: TrainConfig,
                    init_export: Optional[ExportInfo]) -> Vocabulary:
    """The run's fixed vocabulary: saved in the run, else the init export's, else built."""
    path = RunDir(run_dir).vocab
    if path.exists():
        return Vocabulary.load(path)
    if init_export:
        return Vocabulary.load(init_export.directory / VOCAB_FILE)
    return build_vocabulary(train_texts, size=config.vocab_words)


def check_run_dir(run_dir: Path, config: Any, data_sha256: str, *, resume: bool,
                  read_config: Callable[[dict[str, Any]], Any] = TrainConfig.from_dict,
                  row_type: type = RoundMetrics,
                  logs_sha256: Optional[dict[str, str]] = None) -> int:
    """Returns the round to resume from, refusing runs that cannot be continued.

    Args:
        run_dir: the run directory (`--out`).
        config: the settings asked for now (a `TrainConfig`, or any config with `rounds` and
            `resume_conflicts`, which `read_config` reads back from config.json).
        data_sha256: the typing histories' hash now.
        resume: whether `--resume` was given.
        read_config: turns config.json's `train` back into a config.
        row_type: the rows of the run's metrics.csv (checked here, before TensorFlow loads).
        logs_sha256: the hashes of other input files now (saved in config.json), if any.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"--out {run_dir} is a file, not a directory")
    if not resume:
        if run_dir.exists() and any(run_dir.iterdir()):
            raise ValueError(f"--out {run_dir} already holds a run; pass --resume to continue "
                             "it, or choose another --out")
        return 0
    files = RunDir(run_dir)
    if not files.config.exists():
        return 0
    saved = read_run_config(files)
    read_rows(files.metrics, row_type)  # Refuses another run format's columns in one line.
    problems = config.resume_conflicts(read_config(saved["train"]))
    if saved["data_sha256"] != data_sha256:
        problems.append(f"data: {saved['data']} has changed since the run started")
    if saved.get("logs_sha256") != logs_sha256:
        problems.append("the logs beside the data have changed since the run started")
    if problems:
        raise ValueError(f"cannot resume {run_dir} with other settings ("
                         + "; ".join(problems) + "); use the saved ones or another --out")
    resume_round = checkpoint.latest_round(files.checkpoints)
    if resume_round > config.rounds:
        raise ValueError(f"{run_dir} has reached round {resume_round}, past --rounds "
                         f"{config.rounds}")
    return resume_round


def reload_workspace(run_dir: Path) -> Workspace:
    """The workspace of an existing run, for reports: same split, the run's vocabulary."""
    files = RunDir(run_dir)
    saved = read_run_config(files)
    config = TrainConfig.from_dict(saved["train"])
    data_path = Path(saved["data"])
    if not data_path.is_file():
        raise FileNotFoundError(f"{run_dir}: its data {data_path} is gone")
    if file_sha256(data_path) != saved["data_sha256"]:
        raise ValueError(f"{run_dir}: its data {data_path} has changed since training")
    split = split_histories(data_path, eval_fraction=config.eval_fraction, seed=config.seed,
                            skip_bad=True, validation=config.validation)
    return Workspace(
        run_dir=run_dir, config=config, data_path=data_path,
        data_sha256=saved["data_sha256"], vocab=Vocabulary.load(files.vocab),
        train_texts=texts_by_user(split.train), eval_records=split.eval,
        device_clients=(), resume_round=checkpoint.latest_round(files.checkpoints))
