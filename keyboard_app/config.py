"""The app's configuration: read once at the edge (`__main__` or a test), then passed in."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from data.device_logs import check_device_id

if TYPE_CHECKING:
    from model.personalization import PersonalizationConfig

OWN_DEVICE = "me"
# The names a browser on this machine reaches a loopback server by.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AppConfig:
    """What `create_app` needs.

    Attributes:
        model_path: The export to serve, usually the `RUN_DIR/model` symlink; a new version
            behind it is picked up without a restart.
        queries_path: The query-suggestion export (`RUN_DIR/queries/model`), hot-reloaded
            the same way; None: no query chips.
        data_dir: Where each device's SQLite file lives.
        simulated_users: Users of the training data offered in the device picker, besides
            the own device "me".
        reload_check_seconds: How often, at most, to look for a new model version.
        allowed_hosts: The host names (without port) requests must carry in `Host`; any other
            is refused (see `keyboard_app.hosts`). IPv6 addresses without brackets.
        personalization: How devices fine-tune their personal model
            (`keyboard_app.personal`); None: every device gets the global model.
    """

    model_path: Path
    data_dir: Path
    simulated_users: tuple[str, ...] = ()
    reload_check_seconds: float = 2.0
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    queries_path: Optional[Path] = None
    personalization: Optional[PersonalizationConfig] = None

    def __post_init__(self) -> None:
        for user in self.simulated_users:
            check_device_id(user)
        if OWN_DEVICE in self.simulated_users:
            raise ValueError(f"{OWN_DEVICE!r} is the own device; it cannot be a simulated user")
        if self.reload_check_seconds <= 0:
            raise ValueError(f"reload_check_seconds must be > 0, got {self.reload_check_seconds}")
        if not self.allowed_hosts:
            raise ValueError("no allowed host: the app would refuse every request")
        for host in self.allowed_hosts:
            _check_host_name(host)

    @property
    def devices(self) -> tuple[str, ...]:
        """The devices of the picker, the own device first."""
        return (OWN_DEVICE, *self.simulated_users)


def _check_host_name(host: str) -> None:
    """Refuses a name no `Host` header can match: with a port, brackets, upper case, or an
    IPv6 address not in its compressed form (the one `Host: [::1]` carries)."""
    if ":" in host:
        try:
            valid = str(ipaddress.IPv6Address(host)) == host
        except ValueError:
            valid = False
    else:
        valid = bool(host) and host == host.strip().lower() and not any(c in host for c in "[]/")
    if not valid:
        raise ValueError(f"invalid allowed host {host!r}: give a lower-case name or address "
                         "without port or brackets, e.g. 'localhost' or '::1'")
