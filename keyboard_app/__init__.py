"""The web keyboard: a Flask app serving the model's suggestions and each device's log.

`keyboard_app.app.create_app(config)` is the app factory; `python -m keyboard_app` serves it.
Views parse and format only: suggestions come from `model`, the device log from
`data.device_logs`. Nothing below this package imports it.
"""
