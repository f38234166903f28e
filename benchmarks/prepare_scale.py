"""Wall time and peak memory of generating a population and preparing it for training.

    python -m benchmarks.prepare_scale [--users 1000,10000] [--dir runs/prepare-scale]
                                       [--compare-jobs]

For each population size, each stage in a fresh subprocess:

- generate: ``python -m data.generate --users N --seed 1`` (histories, searches, impressions),
  with its default ``--jobs`` (the CPUs); with ``--compare-jobs``, also with ``--jobs 1``, side
  by side: the speed-up, and whether the two wrote the same bytes (a difference stops the
  benchmark with an error);
- prepare: what ``python -m federated.train`` does with them before its first round, with its
  default settings: read and check the histories, hold out users, build the vocabulary
  (`prepare_workspace`: "workspace"), import TensorFlow and TFF ("import"), encode every
  user's examples ("encode"), build the client datasets and the held-out users' evaluation
  datasets, and look up the first round's cohort ("datasets").

Prints one row per size: each stage's wall and CPU seconds (the generator's workers included)
and peak resident memory (that child's own VmHWM, `benchmarks.child_usage`: for the generator,
the process where the users' records meet), the wall seconds of the preparation's steps, and
the load average (1 min) before the size started: the machine's other work shows in the wall
times, less in the CPU times, not in the memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.child_usage import run_measured
from data.generate import default_jobs
from data.impressions import impressions_path, searches_path
from federated.training.workspace import file_sha256

_STEPS = ("workspace", "import", "encode", "datasets")


def prepare(data: Path, run_dir: Path) -> dict[str, float]:
    """The trainer's preparation of `data` in `run_dir` (emptied first), in the trainer's
    order (TensorFlow imported after the workspace is checked); seconds per step."""
    from federated.training.config import TrainConfig
    from federated.training.workspace import prepare_workspace

    shutil.rmtree(run_dir, ignore_errors=True)
    config = TrainConfig()
    seconds = {}
    started = time.perf_counter()
    workspace = prepare_workspace(data, run_dir, config, resume=False, skip_bad=False)
    seconds["workspace"] = time.perf_counter() - started
    started = time.perf_counter()
    from federated.simulation.sampling import sample_clients
    from federated.training.run import datasets_of, encoded_users

    seconds["import"] = time.perf_counter() - started
    started = time.perf_counter()
    train_examples, eval_examples = encoded_users(workspace)
    seconds["encode"] = time.perf_counter() - started
    started = time.perf_counter()
    datasets, _ = datasets_of(config, train_examples, eval_examples)
    cohort = sample_clients(list(datasets), count=config.clients_per_round, seed=config.seed,
                            round_number=1)
    _ = [datasets[client] for client in cohort]
    seconds["datasets"] = time.perf_counter() - started
    return seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", default="1000,10000",
                        help="population sizes, comma-separated (default %(default)s)")
    parser.add_argument("--dir", type=Path, default=Path("runs/prepare-scale"),
                        help="where the generated files and run directories go "
                             "(default %(default)s)")
    parser.add_argument("--compare-jobs", action="store_true",
                        help="also generate with --jobs 1: the speed-up of the default jobs, and "
                             "a check that both wrote the same bytes")
    parser.add_argument("--prepare", type=Path, metavar="DATA", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:  # The child that measures the preparation steps.
        print(json.dumps(prepare(args.prepare, args.prepare.with_suffix(".run"))))
        return
    sizes = [int(users) for users in args.users.split(",")]
    if min(sizes) < 2:
        parser.error("every population needs at least 2 users (some are held out)")
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"data.generate's default --jobs here: {default_jobs()}")
    print("   users  load | generate: wall s  cpu s  MiB | prepare: wall s  cpu s   MiB | "
          "steps s: " + " ".join(_STEPS))
    for users in sizes:
        load = os.getloadavg()[0]
        data = args.dir / f"histories-{users}.jsonl"
        generated = run_measured("data.generate", ["--users", str(users), "--seed", "1",
                                                   "--out", str(data), "--quiet"])
        prepared = run_measured("benchmarks.prepare_scale", ["--prepare", str(data)])
        steps = json.loads(prepared.stdout.strip().splitlines()[-1])
        print(f"{users:8d}  {load:4.1f} | {generated.seconds:16.1f} {generated.cpu_seconds:6.1f} "
              f"{generated.peak_mib:4.0f} | {prepared.seconds:15.1f} {prepared.cpu_seconds:6.1f} "
              f"{prepared.peak_mib:5.0f} | " + " ".join(f"{steps[step]:.1f}" for step in _STEPS),
              flush=True)
        if args.compare_jobs:
            alone = args.dir / f"histories-{users}-one-job.jsonl"
            one_job = run_measured("data.generate", ["--users", str(users), "--seed", "1",
                                                     "--out", str(alone), "--quiet", "--jobs", "1"])
            same = all(file_sha256(Path(mine)) == file_sha256(Path(theirs)) for mine, theirs in
                       zip(_generated_files(data), _generated_files(alone)))
            print(f"{'':14}generate with --jobs 1: {one_job.seconds:.1f} s wall, "
                  f"{one_job.cpu_seconds:.1f} CPU s, {one_job.peak_mib:.0f} MiB; the default "
                  f"jobs {one_job.seconds / generated.seconds:.2f}x as fast; same bytes: "
                  f"{'yes' if same else 'NO'}", flush=True)
            if not same:
                raise SystemExit(f"{data} and {alone} differ: the jobs changed the output")


def _generated_files(data: Path) -> list[str]:
    """The generator's three files for `data`."""
    return [str(data), searches_path(data), impressions_path(data)]


if __name__ == "__main__":
    main()
