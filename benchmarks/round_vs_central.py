"""Federated rounds against central training on the same examples, over a whole run.

    python -m benchmarks.round_vs_central [--users 1000] [--rounds 300] [--clients-per-round 20]
                                          [--restart-worker-every 100] [--compare-runtime]

Trains the default model two ways on identical examples: `--rounds` federated rounds (TFF, one
local epoch over all examples of the round's sampled clients, the default runtime settings),
then, for every round, one central Keras epoch over exactly that round's examples with the
same batch size (round 1 warms up on both sides and is left out of the ratios). Rounds differ
in their examples (a heavy user makes a long round), so every round is compared with its own
central epoch. Prints the ratio round / central epoch over the whole run and by stretch of
rounds, as the median of the rounds' ratios and as the ratio of their sums; the first round
against the steady rounds; and the memory of the trainer plus its TFF worker at round 10,
every 50 rounds, and the last. The TFF worker is replaced by a fresh one as the trainer
replaces it (`--restart-worker-every`, 0: never): the round after which that happens pays
for the restart, and the rounds on a fresh worker are printed on their own. The worker is
started as the trainer starts it, compiling the round's computation while it boots, so round 1
does not compile; the seconds from the worker's start to the end of round 1 are printed too.
`--compare-runtime` also times a few worker settings.
Goals (2 cores): steady round / central epoch <= 1.1 (both figures are printed: the median
of rounds weighs short rounds' fixed cost, the sums weigh time), first round <= 2 x steady
round, memory at round 300 <= 1.1 x memory at round 10.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from federated.learning.options import RuntimeConfig
from federated.training.config import TrainConfig

STEADY_FROM_ROUND = 2  # Round 1 warms the worker up; the central first epoch traces.
STRETCHES = ((2, 12), (13, 40), (41, 100), (101, 300), (301, 10**9))


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--clients-per-round", type=int, default=20)
    parser.add_argument("--restart-worker-every", type=int,
                        default=RuntimeConfig().restart_worker_every,
                        help="rounds between fresh TFF workers, as the trainer's flag; 0: never "
                             "(default %(default)s)")
    parser.add_argument("--compare-runtime", action="store_true",
                        help="also time 12 rounds under several worker settings")
    args = parser.parse_args(argv)
    if args.rounds < 12:
        parser.error("--rounds must be at least 12 (memory is measured at round 10, and a "
                     "steady round needs a few rounds after it)")

    # Imported here so --help answers at once.
    import tensorflow as tf
    from tqdm import tqdm

    from benchmarks.generated_clients import central_epoch, generated_clients
    from federated.learning.processes import make_model_fn
    from federated.learning.worker import tff_worker
    from federated.simulation.sampling import sample_clients
    from federated.training.run import training_process
    from model.network import build_model, next_word_loss

    config = dataclasses.replace(TrainConfig(), local_epochs=1,
                                 clients_per_round=args.clients_per_round)
    population = generated_clients(args.users, config)
    vocab, examples, datasets = population.vocab, population.examples, population.datasets
    model_config = config.model_config(vocab.size)
    model_fn = make_model_fn(model_config, seed=config.seed, dropout=config.model_dropout)
    process = training_process(model_fn, config, users=len(datasets))

    def round_clients(round_number: int) -> list[str]:
        return sample_clients(list(datasets), count=config.clients_per_round,
                              seed=config.seed, round_number=round_number)

    def run_rounds(runtime: RuntimeConfig, rounds: int,
                   memory_at: Sequence[int] = ()) -> tuple[list[float], dict, float]:
        """Each round's seconds, the memory at `memory_at`, and the seconds from starting the
        worker to the end of round 1 (as the trainer: compiling the round while it boots)."""
        seconds, memory = [], {}
        worker_started = time.perf_counter()
        with tff_worker(runtime, precompile=[process.next]) as workers:
            state = process.initialize()
            for round_number in tqdm(range(1, rounds + 1), desc="federated rounds"):
                started = time.perf_counter()
                state = process.next(state, [datasets[c] for c in
                                             round_clients(round_number)]).state
                if round_number == 1:
                    to_first_round = time.perf_counter() - worker_started
                if round_number in memory_at:
                    memory[round_number] = (rss_mib(os.getpid()), rss_mib(workers.process.pid))
                if round_number < rounds:  # As the trainer does; the round pays for it.
                    workers.after_round(round_number)
                seconds.append(time.perf_counter() - started)
        return seconds, memory, to_first_round

    print(f"{len(datasets)} training clients, {args.clients_per_round} per round, "
          f"vocabulary {vocab.size}, model {model_config}")
    runtime = RuntimeConfig(restart_worker_every=args.restart_worker_every)
    seconds, memory, to_first_round = run_rounds(runtime, args.rounds, memory_at=[
        10, *range(50, args.rounds, 50), args.rounds])

    # Central training, eager Keras, after TFF has traced its graphs (the other order breaks
    # Keras models in TF 2.14).
    model = build_model(model_config, seed=config.seed, dropout=config.model_dropout)
    model.compile(optimizer=tf.keras.optimizers.SGD(config.optimizers.client_learning_rate),
                  loss=next_word_loss())
    central, sizes = {}, {}
    for round_number in tqdm(range(1, args.rounds + 1), desc="central epochs"):
        central[round_number], sizes[round_number] = central_epoch(
            model, examples, round_clients(round_number), batch_size=config.batch_size)

    def summary(first: int, last: int) -> str:
        rounds = range(first, min(last, args.rounds) + 1)
        ratios = [seconds[r - 1] / central[r] for r in rounds]
        round_seconds = statistics.median(seconds[r - 1] for r in rounds)
        return (f"rounds {first}-{rounds[-1]}: round {round_seconds:.3f} s, "
                f"central epoch {statistics.median(central[r] for r in rounds):.3f} s, "
                f"{statistics.median(sizes[r] for r in rounds):.0f} examples; ratio median "
                f"{statistics.median(ratios):.2f}, of sums "
                f"{sum(seconds[r - 1] for r in rounds) / sum(central[r] for r in rounds):.2f}")

    steady = range(STEADY_FROM_ROUND, args.rounds + 1)
    ratios = [seconds[r - 1] / central[r] for r in steady]
    steady_round = statistics.median(seconds[r - 1] for r in steady)
    print(f"\n== federated round vs central epoch on the same examples (batch "
          f"{config.batch_size}, one epoch), medians")
    for first, last in STRETCHES:
        if first <= args.rounds:
            print(summary(first, last))
    print(f"ratio round / central epoch, rounds {STEADY_FROM_ROUND}-{args.rounds}: median "
          f"{statistics.median(ratios):.2f} (quartiles {np.percentile(ratios, 25):.2f}-"
          f"{np.percentile(ratios, 75):.2f}), of sums "
          f"{sum(seconds[r - 1] for r in steady) / sum(central[r] for r in steady):.2f}"
          "  (goal <= 1.1)")
    print(f"first round (the worker's warm-up): {seconds[0]:.3f} s; steady round "
          f"{steady_round:.3f} s; ratio {seconds[0] / steady_round:.2f}  (goal <= 2)")
    print(f"from starting the worker to the end of round 1 (its boot, overlapped with "
          f"compiling the round; round 1): {to_first_round:.3f} s")
    fresh = [r + 1 for r in range(1, args.rounds) if args.restart_worker_every
             and r % args.restart_worker_every == 0 and r + 1 in steady]
    if fresh:
        print(f"rounds on a fresh worker (the restart itself is charged to the round before): "
              f"median {statistics.median(seconds[r - 1] for r in fresh):.3f} s over "
              f"{len(fresh)} (rounds {', '.join(map(str, fresh[:5]))}"
              f"{', ...' if len(fresh) > 5 else ''}); steady round {steady_round:.3f} s")
    for label, index in (("trainer", 0), ("TFF worker", 1)):
        at_10, at_last = memory[10][index], memory[args.rounds][index]
        print(f"{label} memory MiB: round 10 {at_10[0]:.0f} (peak {at_10[1]:.0f}), round "
              f"{args.rounds} {at_last[0]:.0f} (peak {at_last[1]:.0f}); ratio "
              f"{at_last[0] / at_10[0]:.3f}")
    print("total memory MiB by round: " + ", ".join(
        f"{round_number}: {sum(memory[round_number][i][0] for i in (0, 1)):.0f}"
        for round_number in sorted(memory)))
    total_10 = sum(memory[10][i][0] for i in (0, 1))
    total_last = sum(memory[args.rounds][i][0] for i in (0, 1))
    print(f"total memory ratio round {args.rounds} / round 10: {total_last / total_10:.3f}"
          "  (goal <= 1.1)")

    if args.compare_runtime:
        print("\n== worker settings, 12 rounds each (median of rounds 3-12)")
        for runtime in (RuntimeConfig(max_concurrent_calls=1),
                        RuntimeConfig(max_concurrent_calls=2),
                        RuntimeConfig(max_concurrent_calls=4),
                        RuntimeConfig(max_concurrent_calls=0),
                        RuntimeConfig(max_concurrent_calls=2, intra_op_threads=1,
                                      inter_op_threads=1)):
            times, _, _ = run_rounds(runtime, 12)
            print(f"{runtime}: {statistics.median(times[2:]):.3f} s/round")


if __name__ == "__main__":
    main()
