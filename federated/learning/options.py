"""The learning process's options: client and server optimizers, and the TFF workers'."""

from __future__ import annotations

from dataclasses import dataclass, field

from federated.flags import flag

SERVER_OPTIMIZERS = ("adam", "yogi", "sgdm")


@dataclass(frozen=True)
class OptimizerConfig:
    """Client and server optimizers of FedAvg with adaptive server optimization.

    Defaults start from the Stack Overflow next-word settings of Reddi et al. 2021,
    "Adaptive Federated Optimization" (client SGD lr 10^-0.5, server Adam lr 10^-2,
    epsilon 1e-5); docs/tuning.md says how they were tuned for our data.

    `server_lr_half_life` and `client_lr_half_life`: rounds over which that learning rate
    halves (0: constant). A rate depends only on the rounds trained so far (TFF counts them in
    the state; a round in which no client trains does not count), never on the rounds asked
    for, so a run extended on resume (`make retrain`) continues the same schedule.
    """

    client_learning_rate: float = 10**-0.5
    server_optimizer: str = "adam"
    server_learning_rate: float = 0.03
    server_epsilon: float = 1e-5
    server_momentum: float = 0.9
    server_lr_half_life: int = 0
    client_lr_half_life: int = 0

    def __post_init__(self):
        if self.server_optimizer not in SERVER_OPTIMIZERS:
            raise ValueError(f"{flag('optimizers.server_optimizer')} must be one of "
                             f"{SERVER_OPTIMIZERS}, got {self.server_optimizer!r}")
        for name in ("client_learning_rate", "server_learning_rate", "server_epsilon"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{flag(f'optimizers.{name}')} must be > 0, "
                                 f"got {getattr(self, name)}")
        for name in ("server_lr_half_life", "client_lr_half_life"):
            if getattr(self, name) < 0:
                raise ValueError(f"{flag(f'optimizers.{name}')} must be >= 0, "
                                 f"got {getattr(self, name)}")
        if not 0 <= self.server_momentum < 1:
            raise ValueError(f"{flag('optimizers.server_momentum')} must be in [0, 1), "
                             f"got {self.server_momentum}")


@dataclass(frozen=True)
class RuntimeConfig:
    """How the TFF workers run: where they are, and the settings of one started here.

    Attributes:
        max_concurrent_calls: the worker's limit on parallel calls of one computation (e.g.
            clients trained at once in a `federated_map`); <= 0 means no limit.
        intra_op_threads: TF threads inside one op in the worker; 0 lets TF choose.
        inter_op_threads: TF ops run in parallel in the worker; 0 lets TF choose.
        startup_seconds: how long to wait for a worker started here to serve.
        workers: "HOST:PORT" of running workers (`python -m federated.worker`) that share
            each round's clients; empty: one worker started here, on the three settings
            above (a remote worker has its own, from its command line).
        restart_worker_every: rounds after which the worker started here is replaced by a
            fresh one (TFF's worker grows over a run); 0: never. Ignored with `workers`
            (they are restarted by hand).
    """

    max_concurrent_calls: int = 2
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    startup_seconds: float = 120.0
    workers: tuple[str, ...] = field(default=())
    restart_worker_every: int = 100

    def __post_init__(self):
        # A saved config reads the addresses back as a JSON list.
        object.__setattr__(self, "workers", tuple(self.workers))
        for address in self.workers:
            worker_address(address)
        if self.restart_worker_every < 0:
            raise ValueError(f"{flag('runtime.restart_worker_every')} must be >= 0 (0: never), "
                             f"got {self.restart_worker_every}")
        if len(set(self.workers)) != len(self.workers):
            raise ValueError(f"{flag('runtime.workers')} names a worker twice: "
                             f"{','.join(self.workers)}")


def worker_address(text: str) -> tuple[str, int]:
    """(host, port) of a worker's "HOST:PORT" ("[::1]:PORT" for an IPv6 host).

    Raises:
        ValueError: `text` is not HOST:PORT with a port in 1-65535.
    """
    host, separator, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{flag('runtime.workers')}: {text!r} is not HOST:PORT (a host name "
                         "or address, a port 1-65535), e.g. localhost:8001")
    return host, int(port)
