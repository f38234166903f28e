"""The web keyboard: a Flask app serving the model's suggestions and each device's log.

`create_app(config)` is the app factory (in `keyboard_app.app`). Importing this package is
cheap and imports neither Flask nor TensorFlow, so `keyboard_app.device_store` can be used by
the trainer on its own.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # Deferred so that importing `keyboard_app.device_store` does not import Flask.
    if name == "create_app":
        from keyboard_app.app import create_app

        return create_app
    raise AttributeError(f"module 'keyboard_app' has no attribute {name!r}")
