"""The generator streams: its peak memory does not grow with the number of users."""

from __future__ import annotations

import pytest

from benchmarks.child_usage import run_measured
from tests.paths import REPO

# Peak resident memory allowed to `python -m data.generate` at 20,000 users (4 messages each on
# average, impressions included), in the process where every user's records meet. With --jobs 2
# each worker also holds its own copy of the simulator and the logging baseline, about 45-50 MiB,
# which this test does not measure. Measured on Linux: about 61-67 MiB streaming (55 MiB at 1,000
# users), about 124 MiB when every user's records and impressions are held until written.
PEAK_MIB_AT_20K_USERS = 100


@pytest.mark.slow
def test_generating_20k_users_stays_within_the_memory_bound(tmp_path):
    out = tmp_path / "histories.jsonl"

    usage = run_measured("data.generate", ["--users", "20000", "--seed", "1",
                                           "--mean-messages", "4", "--out", str(out), "--quiet",
                                           "--jobs", "2"],
                         cwd=REPO)

    assert "20000 users" in usage.stdout
    assert usage.peak_mib < PEAK_MIB_AT_20K_USERS, usage
