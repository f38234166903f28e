"""The privacy options of a run: secure aggregation, user-level DP, compressed uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from federated.flags import flag

DP_MECHANISMS = ("adaptive", "tree")
# About the norm of a client update of the default model on the demo data (robust
# aggregation's estimate of the 80th percentile; docs/privacy.md).
DEFAULT_DP_CLIP = 1.0
MAX_COMPRESS_BITS = 8


@dataclass(frozen=True)
class PrivacyConfig:
    """Secure aggregation, user-level differential privacy and compressed uploads.

    Attributes:
        secure_aggregation: clients' updates (and training metrics) reach the server only
            as a sum, through TFF's secure-sum intrinsics.
        dp_noise_multiplier: turns on user-level differential privacy: each client update is
            clipped to an L2 norm and Gaussian noise of this many clip norms is added to
            their sum. None: no differential privacy.
        dp_mechanism: "adaptive" (DP-FedAvg: fresh noise each round, the clip norm adapts
            to the median update norm; uniform sampling of clients) or "tree" (DP-FTRL:
            noise correlated across rounds by tree aggregation, fixed clip norm; each user
            trains at most once per epoch of shuffled users). None: "adaptive".
        dp_clip: the clip norm ("tree") or its starting value ("adaptive"). None:
            `DEFAULT_DP_CLIP`.
        dp_delta: the delta of the reported (epsilon, delta). None: 1 / users^1.1.
        compress_bits: quantize every weight matrix of an update to this many bits per
            value before it is uploaded. None: no compression.
    """

    secure_aggregation: bool = False
    dp_noise_multiplier: Optional[float] = None
    dp_mechanism: Optional[str] = None
    dp_clip: Optional[float] = None
    dp_delta: Optional[float] = None
    compress_bits: Optional[int] = None

    def __post_init__(self):
        if self.dp_noise_multiplier is None:
            given = [flag(f"privacy.dp_{name}") for name in ("mechanism", "clip", "delta")
                     if getattr(self, f"dp_{name}") is not None]
            if given:
                raise ValueError(f"{', '.join(given)} needs {flag('privacy.dp_noise_multiplier')}")
        elif self.dp_noise_multiplier <= 0:
            raise ValueError(f"{flag('privacy.dp_noise_multiplier')} must be > 0, "
                             f"got {self.dp_noise_multiplier}")
        if self.dp_mechanism is not None and self.dp_mechanism not in DP_MECHANISMS:
            raise ValueError(f"{flag('privacy.dp_mechanism')} must be one of {DP_MECHANISMS}, "
                             f"got {self.dp_mechanism!r}")
        if self.dp_clip is not None and self.dp_clip <= 0:
            raise ValueError(f"{flag('privacy.dp_clip')} must be > 0, got {self.dp_clip}")
        if self.dp_delta is not None and not 0 < self.dp_delta < 1:
            raise ValueError(f"{flag('privacy.dp_delta')} must be between 0 and 1, "
                             f"got {self.dp_delta}")
        if self.compress_bits is not None:
            self._check_compression()

    def _check_compression(self) -> None:
        if not 1 <= self.compress_bits <= MAX_COMPRESS_BITS:
            raise ValueError(f"{flag('privacy.compress_bits')} must be between 1 and "
                             f"{MAX_COMPRESS_BITS}, got {self.compress_bits}")
        # TFF's quantizing sum (EncodedSumFactory) decodes each client's update on the
        # server with that client's own range: neither a secure sum nor a DP clip bound
        # survives that (rounding can push a clipped update past the clip norm).
        if self.secure_aggregation:
            raise ValueError(f"--compress cannot be combined with "
                             f"{flag('privacy.secure_aggregation')}: quantized updates are "
                             "decoded one by one on the server")
        if self.dp:
            raise ValueError(f"--compress cannot be combined with "
                             f"{flag('privacy.dp_noise_multiplier')}: quantizing a clipped "
                             "update can push it past the clip norm")

    @property
    def dp(self) -> bool:
        """Whether the run is differentially private."""
        return self.dp_noise_multiplier is not None

    @property
    def mechanism(self) -> str:
        """The DP mechanism in effect (meaningful when `dp`)."""
        return self.dp_mechanism or "adaptive"

    @property
    def clip(self) -> float:
        """The DP clip norm in effect (the starting value for "adaptive")."""
        return DEFAULT_DP_CLIP if self.dp_clip is None else self.dp_clip

    @property
    def sampling(self) -> str:
        """How each round's clients are drawn (`federated.simulation.sampling.SAMPLERS`)."""
        return ("shuffled-epochs" if self.dp and self.mechanism == "tree"
                else "without-replacement")

    def delta(self, users: int) -> float:
        """The DP delta in effect for a population of `users`."""
        return self.dp_delta if self.dp_delta is not None else users ** -1.1
