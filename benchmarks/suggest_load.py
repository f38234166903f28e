"""How the keyboard answers suggestions under load: 1, 4 and 50 concurrent clients.

    python -m benchmarks.suggest_load [--model RUN_DIR/model] [--clients 1,4,50]
        [--seconds S] [--max-requests N] [--server-arg=--threads=8 ...]

Starts `python -m keyboard_app` on a free loopback port (waitress, as served), then, for each
client count, keeps that many keep-alive connections each asking `POST /api/suggest` for the
next keystroke as soon as the previous answer arrived (asyncio, one process: lighter on the
shared cores than one thread per client). Each client types its own messages (the benchmark
sentences after two vocabulary words of its own), so no client's contexts are another's:
the server's context cache helps only as it would one user typing. Each level warms up for
a second, then runs for `--seconds` or `--max-requests` answers, whichever comes first; the
server is stopped at the end. Prints p50/p99 latency and answers per second per level.
Goal at 50 clients on 2 cores: p99 <= 50 ms and >= 1,000 answers/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.suggest_latency import SENTENCES, keystrokes, start_server
from model.export import VOCAB_FILE, read_export_info
from model.vocab import Vocabulary

P99_GOAL_MS = 50.0
RATE_GOAL = 1000.0
GOAL_CLIENTS = 50
WARM_UP_SECONDS = 1.0


def client_texts(words: Sequence[str], client: int) -> list[str]:
    """The keystrokes of client number `client`: each sentence after two words of its own."""
    first, second = words[(7 * client) % len(words)], words[(7 * client + 3) % len(words)]
    return keystrokes([f"{first} {second} {sentence}" for sentence in SENTENCES])


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process used so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Level:
    """What `clients` concurrent clients got: one latency (s) per answer, failures, and the
    server's CPU time over the level (warm-up included; None if unknown)."""

    clients: int
    seconds: float
    latencies: list[float]
    failures: int
    server_cpu: float | None = None
    answers_total: int = 0

    def summary(self) -> str:
        p50, p99 = np.percentile(np.array(self.latencies) * 1000, [50, 99])
        rate = len(self.latencies) / self.seconds
        cpu = (f", server CPU {1000 * self.server_cpu / self.answers_total:.2f} ms/answer"
               if self.server_cpu is not None and self.answers_total else "")
        return (f"{self.clients:>3} clients: {len(self.latencies):>6} answers in "
                f"{self.seconds:4.1f} s, {rate:6.0f} answers/s, p50 {p50:6.2f} ms, "
                f"p99 {p99:6.2f} ms, {self.failures} failures{cpu}")


async def _answer(reader: asyncio.StreamReader) -> int:
    """Reads one HTTP response; returns its status."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _client(port: int, texts: Sequence[str], stop: float, record_from: float,
                  level: Level, budget: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /api/suggest HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\n").encode()
    index = 0
    try:
        while budget[0] > 0 and (now := time.perf_counter()) < stop:
            body = json.dumps({"text": texts[index % len(texts)]}).encode()
            index += 1
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = await _answer(reader)
            level.answers_total += 1
            if now >= record_from:
                budget[0] -= 1
                if status == 200:
                    level.latencies.append(time.perf_counter() - now)
                else:
                    level.failures += 1
    finally:
        writer.close()


async def run_level(port: int, words: Sequence[str], clients: int, seconds: float,
                    max_requests: int) -> Level:
    """`clients` keep-alive connections asking as fast as answered, after a warm-up."""
    level = Level(clients, 0.0, [], 0)
    record_from = time.perf_counter() + WARM_UP_SECONDS
    stop = record_from + seconds
    budget = [max_requests]
    await asyncio.gather(*(_client(port, client_texts(words, number), stop, record_from, level,
                                   budget) for number in range(clients)))
    level.seconds = time.perf_counter() - record_from
    return level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("runs/demo/run/model"))
    parser.add_argument("--clients", default="1,4,50",
                        help="comma-separated concurrent client counts (default: 1,4,50)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="measured seconds per level, at most (default: 5)")
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="measured answers per level, at most (default: 20000)")
    parser.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                        help="passed to python -m keyboard_app, e.g. --server-arg=--threads=8")
    args = parser.parse_args(argv)
    counts = [int(count) for count in args.clients.split(",")]
    if not args.model.exists():
        parser.error(f"{args.model}: no model export (train one, or pass --model)")
    if min(counts) < 1 or args.seconds <= 0 or args.max_requests < 1:
        parser.error("client counts, --seconds and --max-requests must be positive")
    words = Vocabulary.load(read_export_info(args.model).directory / VOCAB_FILE).words

    print(f"model: {args.model.resolve()}; server args: {' '.join(args.server_arg) or '-'}")
    levels = []
    with tempfile.TemporaryDirectory(prefix="keyboard-load-") as data_dir:
        server, port = start_server(args.model, Path(data_dir), *args.server_arg)
        try:
            for count in counts:
                cpu_before = cpu_seconds(server.pid)
                level = asyncio.run(run_level(port, words, count, args.seconds,
                                              args.max_requests))
                cpu_after = cpu_seconds(server.pid)
                if cpu_before is not None and cpu_after is not None:
                    level.server_cpu = cpu_after - cpu_before
                levels.append(level)
                print(level.summary(), flush=True)
        finally:
            server.terminate()
            server.wait(timeout=10)
    for level in levels:
        if level.clients == GOAL_CLIENTS:
            p99 = np.percentile(np.array(level.latencies) * 1000, 99)
            rate = len(level.latencies) / level.seconds
            met = p99 <= P99_GOAL_MS and rate >= RATE_GOAL
            print(f"goal at {GOAL_CLIENTS} clients (p99 <= {P99_GOAL_MS:.0f} ms, >= "
                  f"{RATE_GOAL:.0f} answers/s): {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
