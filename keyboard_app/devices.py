"""Which device a request comes from: a SameSite cookie set by the app or the picker."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import BadRequest, Conflict

from data.device_logs import DeviceLog
from keyboard_app.config import OWN_DEVICE
from keyboard_app.resources import resources

DEVICE_COOKIE = "device"
_COOKIE_SECONDS = 365 * 24 * 3600


def cookie_device() -> str | None:
    """The device named by the request's cookie, if it is one of the app's devices."""
    device = request.cookies.get(DEVICE_COOKIE)
    return device if device in resources().config.devices else None


def page_device() -> str:
    """The device a page load shows: the cookie's, else the own device."""
    return cookie_device() or OWN_DEVICE


def known_device(device: str) -> str:
    """Returns `device` if the picker offers it; otherwise the request is bad."""
    if device not in resources().config.devices:
        raise BadRequest(f"unknown device {device[:40]!r}; choose one of "
                         f"{', '.join(resources().config.devices)}")
    return device


def require_device_log(typed_on: str | None = None) -> DeviceLog:
    """The log of the calling device; a request without a valid device cookie is bad, and one
    whose events were `typed_on` another device conflicts (409: the browser switched device
    in another tab since; the page picks its device again and resends, nothing is lost)."""
    device = cookie_device()
    if device is None:
        raise BadRequest(f"no valid {DEVICE_COOKIE!r} cookie; load the keyboard page or pick a "
                         "device with POST /api/device first")
    if typed_on is not None and typed_on != device:
        raise Conflict(f"these events were typed on device {typed_on[:40]!r}, but this browser "
                       f"is now on {device!r}: pick {typed_on[:40]!r} again to send them")
    return resources().store.device(device)


def set_device_cookie(response: Response, device: str) -> Response:
    # SameSite=Strict: other sites' pages never send it, one half of the CSRF protection.
    response.set_cookie(DEVICE_COOKIE, device, max_age=_COOKIE_SECONDS, httponly=True,
                        samesite="Strict")
    return response
