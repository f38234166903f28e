"""The keyboard page."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template

from keyboard_app.devices import page_device, set_device_cookie
from keyboard_app.payloads import MAX_TEXT_CHARS
from keyboard_app.resources import resources

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The phone keyboard; gives a first-time browser the own device's cookie."""
    device = page_device()
    page = render_template("index.html", device=device, devices=resources().config.devices,
                           model_version=resources().models.current.version,
                           max_text_chars=MAX_TEXT_CHARS)
    return set_device_cookie(make_response(page), device)
