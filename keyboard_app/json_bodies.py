"""How request bodies become JSON values: every parsing failure is a 400 with a reason.

Flask answers a JSON parsing failure with a bare 400 outside debug mode, and only catches
`ValueError`: a body nested deeper than Python's recursion limit (about 1000 levels, 2 KB of
`[`) raises `RecursionError` from `json.loads`, which would be a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, whose `loads` raises only `ValueError` on any malformed document."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("nested too deeply") from None


class JsonRequest(Request):
    """Says what is wrong with a malformed JSON body (Flask only does so in debug mode)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if e is None:  # Not a JSON content type: Flask's 415 says so.
            return super().on_json_loading_failed(e)
        raise BadRequest(f"malformed JSON body: {e}")
