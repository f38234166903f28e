"""The app's long-lived resources (model slots, device store), attached with `init_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask import Flask, current_app

from data.device_logs import DeviceStore
from keyboard_app.config import AppConfig
from keyboard_app.model_slot import LoadModel, ModelSlot
from keyboard_app.personal import PersonalModels, Served
from model.query_chips import ChipChooser, load_chip_chooser
from model.suggest import Suggester
from model.triggering_export import read_triggering_version

_EXTENSION = "keyboard_app"


@dataclass(frozen=True)
class Resources:
    """`models` serves the next words, `queries` the query chips (None: no chips),
    `personal` each device's personal model (None: no personalization)."""

    config: AppConfig
    models: ModelSlot[Suggester]
    store: DeviceStore
    queries: Optional[ModelSlot[ChipChooser]] = None
    personal: Optional[PersonalModels] = None

    def suggester(self, device: Optional[str]) -> Served:
        """The next-word model `device` is served: its personal one, or the global one."""
        if self.personal is None:
            return self.models.current
        return self.personal.suggester(device)


def init_app(app: Flask, config: AppConfig, load_model: LoadModel) -> None:
    """Loads the models once for the process and opens the device store.

    Raises:
        model.export.ExportError: an export cannot be served.
    """
    queries = (ModelSlot(config.queries_path, load_chip_chooser,
                         read_version=read_triggering_version,
                         check_seconds=config.reload_check_seconds)
               if config.queries_path is not None else None)
    models = ModelSlot(config.model_path, load_model, check_seconds=config.reload_check_seconds)
    store = DeviceStore(config.data_dir)
    personal = (PersonalModels(store, models, load_model, config.personalization)
                if config.personalization is not None else None)
    app.extensions[_EXTENSION] = Resources(config=config, models=models, store=store,
                                           queries=queries, personal=personal)


def resources(app: Flask | None = None) -> Resources:
    """The resources of `app`, by default of the app handling the current request."""
    return (app or current_app).extensions[_EXTENSION]
