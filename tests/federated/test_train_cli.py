"""The trainer refuses bad arguments and bad data with one line, before TensorFlow loads."""

from __future__ import annotations

import json
import sys

import pytest

from data.device_logs import DeviceStore, Message
from data.records import TypingRecord, write_records
from federated.flags import FLAGS
from federated.simulation.options import DeviceConfig
from federated.train import build_parser, config_from_args, main
from federated.training.config import DEFAULT_NETWORK_WEIGHT, TrainConfig
from federated.training.run_dir import RUN_FORMAT
from federated.training.workspace import prepare_workspace

pytestmark = pytest.mark.usefixtures("no_tensorflow_import")


@pytest.fixture
def no_tensorflow_import():
    """Fails if a refusal only came after importing TensorFlow (seconds, not milliseconds)."""
    already = "tensorflow" in sys.modules
    yield
    if not already:
        assert "tensorflow" not in sys.modules


@pytest.fixture
def histories(tmp_path, tiny_world):
    path = tmp_path / "h.jsonl"
    write_records(path, [TypingRecord(user, text) for user, texts in tiny_world.items()
                         for text in texts])
    return path


def refusal(capsys, *argv) -> str:
    with pytest.raises(SystemExit) as stop:
        main(list(argv))
    assert stop.value.code == 2
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith("python -m federated.train: error: ")
    return message.removeprefix("python -m federated.train: error: ")


def test_zero_clients_per_round(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--clients-per-round", "0")
    assert message == "--clients-per-round must be >= 1, got 0"


def test_more_clients_per_round_than_training_users(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--clients-per-round", "5")
    assert message == (f"--clients-per-round 5 is more than the 2 training users in "
                       f"{histories}; lower it")


def test_missing_data_file(capsys, tmp_path):
    message = refusal(capsys, "--data", str(tmp_path / "nope.jsonl"), "--out",
                      str(tmp_path / "run"))
    assert message == f"--data {tmp_path / 'nope.jsonl'}: no such file"


def test_empty_data_file(capsys, tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    message = refusal(capsys, "--data", str(tmp_path / "empty.jsonl"), "--out",
                      str(tmp_path / "run"))
    assert message.startswith(f"{tmp_path / 'empty.jsonl'}: no typing records")


def test_broken_line_is_reported_with_file_and_line(capsys, histories, tmp_path):
    lines = histories.read_text().splitlines()
    lines[2] = '{"user_id": "u1", "text": 42}'
    histories.write_text("\n".join(lines) + "\n")

    with pytest.raises(SystemExit):
        main(["--data", str(histories), "--out", str(tmp_path / "run")])

    assert f'{histories}:3: "text" must be a string, got int' in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_existing_run_needs_resume(capsys, histories, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text("{}")
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"))
    assert message == (f"--out {tmp_path / 'run'} already holds a run; pass --resume to "
                       "continue it, or choose another --out")


def test_compression_with_secure_aggregation_is_refused(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--secure-aggregation", "--compress")
    assert message == ("--compress cannot be combined with --secure-aggregation: quantized "
                       "updates are decoded one by one on the server")


def test_dp_settings_without_dp_are_refused(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--dp-mechanism", "tree")
    assert message == "--dp-mechanism needs --dp-noise-multiplier"


def test_dp_serves_the_network_alone_and_refuses_an_ngram(capsys, histories, tmp_path):
    def network_weight(*extra: str) -> float:
        return config_from_args(build_parser().parse_args(
            ["--data", str(histories), "--out", str(tmp_path / "run"), *extra])
        ).export_network_weight

    assert network_weight() == DEFAULT_NETWORK_WEIGHT < 1
    assert network_weight("--dp-noise-multiplier", "1") == 1.0
    assert network_weight("--attack", "boost", "--malicious-fraction", "0.1") == 1.0
    assert network_weight("--network-weight", "0.7") == 0.7
    assert "--network-weight 0.5 would export an n-gram of raw counts" in refusal(
        capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
        "--dp-noise-multiplier", "1", "--network-weight", "0.5")


def test_dp_with_device_logs_is_refused(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--clients-per-round", "1", "--dp-noise-multiplier", "0.05",
                      "--device-logs", str(tmp_path / "devices"))
    assert message.startswith("--device-logs devices are sampled first in a round")


def test_dp_with_eligibility_or_boosting_is_refused(capsys, histories, tmp_path):
    common = ("--data", str(histories), "--out", str(tmp_path / "run"),
              "--dp-noise-multiplier", "0.05", "--clients-per-round", "1")

    eligibility = refusal(capsys, *common, "--eligibility")
    boosting = refusal(capsys, *common, "--attack", "boost", "--malicious-fraction", "0.1")

    assert eligibility.startswith("--eligibility cannot be combined with --dp-noise-multiplier")
    assert boosting.startswith("--attack boost (or a --boost-factor) cannot be combined with "
                               "--dp-noise-multiplier")
    assert not (tmp_path / "run").exists()


def test_a_client_rate_schedule_with_dp_or_boosting_or_below_zero_is_refused(
        capsys, histories, tmp_path):
    common = ("--data", str(histories), "--out", str(tmp_path / "run"),
              "--clients-per-round", "1", "--client-lr-half-life", "100")

    private = refusal(capsys, *common, "--dp-noise-multiplier", "0.05")
    boosting = refusal(capsys, *common, "--attack", "boost", "--malicious-fraction", "0.1")
    negative = refusal(capsys, *common[:-1], "-1")

    assert private.startswith("--client-lr-half-life cannot be combined with "
                              "--dp-noise-multiplier")
    assert boosting.startswith("--client-lr-half-life cannot be combined with --attack boost")
    assert negative == "--client-lr-half-life must be >= 0, got -1"
    assert not (tmp_path / "run").exists()


def test_eligibility_without_timestamps(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--clients-per-round", "1", "--eligibility")
    assert message == "--eligibility needs timestamps in --data: no training record has one"


def test_dropout_rate_of_one(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--dropout-rate", "1")
    assert message == "--dropout-rate must be in [0, 1), got 1.0"


def test_malicious_users_without_an_attack(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--malicious-fraction", "0.1")
    assert message == "--malicious-fraction and --boost-factor need --attack boost or backdoor"


def test_a_bad_setting_is_named_by_the_flag_the_user_typed(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--vocab-size", "0")
    assert message == "--vocab-size must be >= 1, got 0"
    with pytest.raises(ValueError, match="^--vocab-size must be >= 1, got 0$"):
        TrainConfig(vocab_words=0)


def setting_names(values: dict, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, value in values.items():
        names |= (setting_names(value, f"{prefix}{name}.") if isinstance(value, dict)
                  else {prefix + name})
    return names


def test_every_setting_has_its_flag_in_the_table_and_the_parser():
    options = {option for action in build_parser()._actions for option in action.option_strings}
    # The worker's start-up timeout is the only setting without a flag.
    settings = setting_names(TrainConfig().to_dict()) - {"runtime.startup_seconds"}

    assert set(FLAGS) == settings
    assert set(FLAGS.values()) <= options


def test_a_device_that_is_no_training_user_gets_its_own_availability(tmp_path):
    stamps = [f"2026-03-0{day}T{hour:02d}:10:00Z" for day in range(1, 4) for hour in range(8, 20)]
    write_records(tmp_path / "h.jsonl", [
        TypingRecord(f"u{user}", f"message {i} of user {user}", stamps[i % len(stamps)])
        for user in range(6) for i in range(12)])
    store = DeviceStore(tmp_path / "devices")
    store.device("phone").record([Message(f"m{i}", f"hello from the phone {i}")
                                  for i in range(5)])
    store.close()
    config = TrainConfig(clients_per_round=2, eval_fraction=0.2,
                         devices=DeviceConfig(eligibility=True))

    workspace = prepare_workspace(tmp_path / "h.jsonl", tmp_path / "run", config, resume=False,
                                  skip_bad=False, device_logs=tmp_path / "devices")

    assert workspace.device_clients == ("phone",)
    assert workspace.availability.schedule("phone") is not None
    assert any("phone" in workspace.availability.eligible(r) for r in range(1, 200))


def test_a_run_of_the_other_trainer_is_refused_in_one_line(capsys, histories, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(
        {"format": RUN_FORMAT, "train": {"buckets": 4096}, "data": str(histories),
         "data_sha256": "x"}))

    message = refusal(capsys, "--data", str(histories), "--out", str(run), "--resume")

    assert message.startswith(
        f"the saved settings are not a TrainConfig of run format {RUN_FORMAT}")


@pytest.mark.parametrize("workers", ["localhost", "localhost:", ":8001", "host:0",
                                     "host:65536", "host:80x", "a:8001,,b:8002"])
def test_a_malformed_worker_address_is_refused_naming_it(capsys, histories, tmp_path, workers):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--workers", workers)
    assert message.startswith("--workers: ") and "is not HOST:PORT" in message


def test_a_worker_named_twice_is_refused(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--workers", "a:8001,a:8001")
    assert message == "--workers names a worker twice: a:8001,a:8001"


def test_a_negative_worker_restart_interval_is_refused(capsys, histories, tmp_path):
    message = refusal(capsys, "--data", str(histories), "--out", str(tmp_path / "run"),
                      "--restart-worker-every", "-1")
    assert message == "--restart-worker-every must be >= 0 (0: never), got -1"


def test_workers_are_saved_with_the_run_and_may_change_on_resume(histories, tmp_path):
    args = build_parser().parse_args(["--data", str(histories), "--out", str(tmp_path / "run"),
                                      "--workers", "10.0.0.2:8001,[::1]:8002"])
    config = config_from_args(args)
    assert config.runtime.workers == ("10.0.0.2:8001", "[::1]:8002")

    saved = TrainConfig.from_dict(json.loads(config.to_json()))

    assert saved == config
    assert config.resume_conflicts(TrainConfig()) == []
