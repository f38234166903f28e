"""Every error as JSON `{"error": ...}`: what the client sent wrong, never a stack trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from keyboard_app.payloads import InvalidPayloadError, PayloadTooLargeError

logger = logging.getLogger(__name__)


def _error(message: str, status: int):
    return jsonify(error=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _error(error.description or error.name, error.code or 500)

    @app.errorhandler(InvalidPayloadError)
    def invalid_payload(error: InvalidPayloadError):
        return _error(str(error), 400)

    @app.errorhandler(PayloadTooLargeError)
    def payload_too_large(error: PayloadTooLargeError):
        return _error(str(error), 413)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logger.exception("unexpected error")
        return _error("internal error; see the server log", 500)
