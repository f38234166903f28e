"""Personalizing one device against centralized training of the same steps, in one run.

    python -m benchmarks.personalize_device [--model RUN_DIR/model] [--messages 200]
                                            [--repeats 3] [--epochs N]

Takes the export's data (its `metadata.data`), the first user (seeded) with at least
`--messages` messages, and their newest `--messages` messages. Times what the keyboard runs,
`model.personalization.personalize` with the default `PersonalizationConfig` (model built,
global weights assigned, examples encoded, loop traced, fine-tuned, interpolated), the first
call and the median of `--repeats` more; `--epochs` changes the config's epochs only. Then the
project's centralized trainer (`federated.evaluation.centralized.train`) for the same number of
steps on the same examples and batch size. Prints both and their ratio. Goal (2 cores):
personalizing <= 2 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DEFAULT_MODEL = Path("runs/demo/run/model")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help="a model export (default %(default)s)")
    parser.add_argument("--messages", type=int, default=200,
                        help="the device's messages (default %(default)s)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed calls after the first (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="which user (default %(default)s)")
    parser.add_argument("--epochs", type=int,
                        help="fine-tuning epochs (default: PersonalizationConfig's)")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.repeats < 1 or (args.epochs is not None and args.epochs < 1):
        parser.error("--messages, --repeats and --epochs must be >= 1")

    # Imported here so --help answers at once.
    from data.records import group_by_user, read_records
    from federated.evaluation.centralized import CentralizedConfig, train
    from model.export import WEIGHTS_FILE, read_export_info
    from model.network import build_model
    from model.personalization import PersonalizationConfig, personalize
    from model.sequences import to_examples
    from model.vocab import Vocabulary

    info = read_export_info(args.model)
    vocab = Vocabulary.load(info.directory / "vocab.txt")
    with np.load(info.directory / WEIGHTS_FILE) as stored:
        weights = {name: stored[name] for name in stored.files}
    by_user = group_by_user(read_records(Path(info.metadata["data"])).records)
    heavy = sorted(user for user, records in by_user.items() if len(records) >= args.messages)
    if not heavy:
        parser.error(f"no user of {info.metadata['data']} has {args.messages} messages")
    user = heavy[np.random.default_rng(args.seed).integers(len(heavy))]
    records = sorted(by_user[user], key=lambda record: record.timestamp or "")
    messages = [record.text for record in records][-args.messages:]
    config = PersonalizationConfig()
    if args.epochs is not None:
        config = dataclasses.replace(config, epochs=args.epochs)
    inputs, targets = to_examples(messages, vocab, max_words=info.model_config.max_words)
    steps = config.epochs * math.ceil(len(inputs) / config.batch_size)
    print(f"model {info.version} ({info.model_config}), user {user}: {len(messages)} messages, "
          f"{len(inputs)} examples; {config}")

    seconds = []
    for _ in range(1 + args.repeats):
        started = time.perf_counter()
        personalize(weights, info.model_config, vocab, messages, config)
        seconds.append(time.perf_counter() - started)
    first, steady = seconds[0], statistics.median(seconds[1:])

    central = CentralizedConfig(examples=steps * config.batch_size, learning_rate=1e-3,
                                batch_size=config.batch_size, seed=config.seed)
    model = build_model(info.model_config, seed=0)
    started = time.perf_counter()
    train(model, central, inputs, targets)
    central_seconds = time.perf_counter() - started

    print(json.dumps({"first_call_seconds": round(first, 3),
                      "median_call_seconds": round(steady, 3), "steps": steps,
                      "centralized_seconds": round(central_seconds, 3),
                      "centralized_steps": central.steps}))
    print(f"personalize, first call (tracing):  {first:.3f} s")
    print(f"personalize, median of {args.repeats} more:     {steady:.3f} s  (goal <= 2 s)")
    print(f"centralized trainer, {central.steps} steps:    {central_seconds:.3f} s")
    print(f"ratio personalize / centralized:    first {first / central_seconds:.2f}, median "
          f"{steady / central_seconds:.2f}")


if __name__ == "__main__":
    main()
