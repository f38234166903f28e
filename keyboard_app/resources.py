"""The app's long-lived resources (model slot, device store), attached with `init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from data.device_logs import DeviceStore
from keyboard_app.config import AppConfig
from keyboard_app.model_slot import LoadModel, ModelSlot

_EXTENSION = "keyboard_app"


@dataclass(frozen=True)
class Resources:
    config: AppConfig
    models: ModelSlot
    store: DeviceStore


def init_app(app: Flask, config: AppConfig, load_model: LoadModel) -> None:
    """Loads the model once for the process and opens the device store."""
    app.extensions[_EXTENSION] = Resources(
        config=config,
        models=ModelSlot(config.model_path, load_model,
                         check_seconds=config.reload_check_seconds),
        store=DeviceStore(config.data_dir))


def resources(app: Flask | None = None) -> Resources:
    """The resources of `app`, by default of the app handling the current request."""
    return (app or current_app).extensions[_EXTENSION]
