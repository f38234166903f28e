"""The app factory."""

from __future__ import annotations

from flask import Flask, Response

from keyboard_app import api, errors, hosts, pages, resources
from keyboard_app.config import AppConfig
from keyboard_app.json_bodies import JsonProvider, JsonRequest
from keyboard_app.model_slot import LoadModel, load_tflite_suggester
from keyboard_app.payloads import MAX_BODY_BYTES

# Every asset comes from this app: no CDN, no inline script.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def create_app(config: AppConfig, *, load_model: LoadModel | None = None) -> Flask:
    """Builds the keyboard app.

    Args:
        config: Where the model and the device data are, the picker's devices, the host
            names the app answers under.
        load_model: Loads an export directory into a `Suggester`; by default its TFLite model.

    Raises:
        model.export.ExportError: The export at `config.model_path` cannot be served.
    """
    app = Flask(__name__)
    app.request_class = JsonRequest
    app.json = JsonProvider(app)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    resources.init_app(app, config, load_model or load_tflite_suggester)
    errors.init_app(app)
    hosts.init_app(app, config.allowed_hosts)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        response.headers.update(_SECURITY_HEADERS)
        return response

    return app
