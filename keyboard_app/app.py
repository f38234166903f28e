"""The app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response
from werkzeug.exceptions import BadRequest

from keyboard_app import api, errors, pages, resources
from keyboard_app.config import AppConfig
from keyboard_app.model_slot import LoadModel, load_tflite_suggester
from keyboard_app.payloads import MAX_BODY_BYTES

# Every asset comes from this app: no CDN, no inline script.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class JsonRequest(Request):
    """Says what is wrong with a malformed JSON body (Flask only does so in debug mode)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # Not a JSON content type: Flask's 415 says so.
            return super().on_json_loading_failed(e)
        raise BadRequest(f"malformed JSON body: {e}")


def create_app(config: AppConfig, *, load_model: LoadModel | None = None) -> Flask:
    """Builds the keyboard app.

    Args:
        config: Where the model and the device data are, and the picker's devices.
        load_model: Loads an export directory into a `Suggester`; by default its TFLite model.

    Raises:
        model.export.ExportError: The export at `config.model_path` cannot be served.
    """
    app = Flask(__name__)
    app.request_class = JsonRequest
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    resources.init_app(app, config, load_model or load_tflite_suggester)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(_SECURITY_HEADERS)
        return response

    return app
