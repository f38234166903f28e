"""`python -m federated.worker` reads its options into the worker's settings, and refuses a bad
port, before TensorFlow loads (serving a trainer: `tests/federated/training/
test_several_workers.py`)."""

from __future__ import annotations

import sys

import pytest

from federated.command_line import runtime_config
from federated.learning.options import RuntimeConfig
from federated.worker import build_parser, main


def test_the_worker_options_make_a_local_worker_that_is_never_restarted():
    args = build_parser().parse_args(["--port", "8001", "--max-concurrent-clients", "4",
                                      "--intra-op-threads", "1"])

    assert runtime_config(args) == RuntimeConfig(max_concurrent_calls=4, intra_op_threads=1,
                                                 workers=(), restart_worker_every=0)


@pytest.mark.parametrize("port", ["0", "65536"])
def test_a_port_out_of_range_is_refused_before_tensorflow_loads(port, capsys):
    already = "tensorflow" in sys.modules

    with pytest.raises(SystemExit) as exit_info:
        main(["--port", port])

    assert exit_info.value.code == 2
    assert f"--port must be in 1-65535, got {port}" in capsys.readouterr().err
    assert already or "tensorflow" not in sys.modules
