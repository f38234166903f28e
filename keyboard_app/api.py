"""The JSON API: suggestions and query chips for the typed text, and the calling device's
events, panel and personalization.

State-changing requests must carry the `X-Keyboard-Request: 1` header: a page of another
site cannot send it without a CORS preflight, which this app never grants. Together with the
SameSite device cookie this keeps other sites from writing to a device's log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import BadRequest, Conflict, Forbidden

from data.device_logs import DeviceStats, Message
from keyboard_app.devices import (
    cookie_device,
    known_device,
    page_device,
    require_device_log,
    set_device_cookie,
)
from keyboard_app.payloads import (
    parse_device_choice,
    parse_events,
    parse_events_device,
    parse_queries_request,
    parse_suggest_request,
)
from keyboard_app.personal import PersonalStatus
from keyboard_app.resources import resources
from model.query_chips import local_hour

CSRF_HEADER = "X-Keyboard-Request"
RECENT_MESSAGES = 20

bp = Blueprint("api", __name__, url_prefix="/api")
View = TypeVar("View", bound=Callable[..., Any])


def state_changing(view: View) -> View:
    """Refuses requests without the CSRF header (403)."""
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get(CSRF_HEADER) != "1":
            raise Forbidden(f"missing header {CSRF_HEADER}: 1 (required on requests that "
                            "change a device's data)")
        return view(*args, **kwargs)
    return checked  # type: ignore[return-value]


def _stats_json(stats: DeviceStats) -> dict[str, Any]:
    return {"messages": stats.messages, "impressions": stats.impressions,
            "clicks": stats.clicks, "click_through_rate": stats.click_through_rate,
            "query_impressions": stats.query_impressions, "query_clicks": stats.query_clicks,
            "query_click_through_rate": stats.query_click_through_rate}


def _personal_json(status: PersonalStatus) -> dict[str, Any]:
    recall = status.recall
    return {"serving": status.serving, "built_from": status.built_from,
            "trained_messages": status.trained_messages, "job": status.job,
            "problem": status.problem, "personal_words": status.personal_words,
            "min_messages": status.min_messages,
            "recall": recall and {"global": recall.global_top1, "personal": recall.personal_top1,
                                  "messages": recall.messages, "words": recall.words}}


def _device_json(device: str) -> dict[str, Any]:
    log = resources().store.device(device)
    personal = resources().personal
    status = personal.status(device) if personal else None
    return {"device": device, "devices": list(resources().config.devices),
            "model_version": status.model_version if status else
            resources().models.current.version,
            "personal": status and _personal_json(status),
            "stats": _stats_json(log.stats()),
            "messages": [{"text": message.text, "time": message.time}
                         for message in log.messages(limit=RECENT_MESSAGES)]}


@bp.post("/suggest")
def suggest():
    """`{"text": typed so far}` -> `{"suggestions": best first, "model_version": ...}`, from
    the calling device's personal model if it has one (the global model without a cookie)."""
    text = parse_suggest_request(request.get_json())
    suggester = resources().suggester(cookie_device())  # One model for the whole request.
    return jsonify(suggestions=suggester.suggest(text), model_version=suggester.version)


@bp.post("/queries")
def queries():
    """`{"text", "utc_offset_minutes"}` -> `{"query": chip or null, "model_version"}`, for the
    calling device (its recent chips are features). A chip: `query`, `score`,
    `baseline_score`, `context`, `position`, `model_version`; null below the threshold, when
    nothing is proposed, or when the app serves no query model (`model_version` null)."""
    text, utc_offset = parse_queries_request(request.get_json())
    log = require_device_log()
    slot = resources().queries
    if slot is None:
        return jsonify(query=None, model_version=None)
    chooser = slot.current  # One model for the whole request.
    chip = chooser.choose(text, hour=local_hour(utc_offset),
                          history=log.recent_queries(chooser.history_size))
    return jsonify(query=chip and {
        "query": chip.query, "score": chip.score, "baseline_score": chip.baseline_score,
        "context": chip.context, "position": chip.position,
        "model_version": chip.model_version}, model_version=chooser.version)


@bp.post("/events")
@state_changing
def events():
    """Stores the calling device's impressions, clicks and messages; returns its counts.
    Events that name the device they were typed on are refused (409) on any other device."""
    payload = request.get_json()
    parsed = parse_events(payload)
    log = require_device_log(typed_on=parse_events_device(payload))
    stored = log.record(parsed)
    personal = resources().personal
    if personal and stored and any(isinstance(event, Message) for event in parsed):
        personal.messages_logged(cookie_device())
    return jsonify(stored=stored, stats=_stats_json(log.stats()))


@bp.get("/device")
def device():
    """The calling device, the picker's choices, the model version and the device's panel."""
    return jsonify(_device_json(page_device()))


@bp.post("/device")
@state_changing
def choose_device():
    """`{"device": id}`: switches this browser to that device (sets the cookie)."""
    chosen = known_device(parse_device_choice(request.get_json()))
    return set_device_cookie(jsonify(_device_json(chosen)), chosen)


@bp.post("/personalize")
@state_changing
def personalize():
    """Starts personalizing the calling device in the background; returns its panel (poll
    `GET /api/device` for the job's end). 409 before the device logged any message."""
    require_device_log()
    device = cookie_device()
    personal = resources().personal
    if personal is None:
        raise BadRequest("this keyboard does not personalize: every device gets the global "
                         "model")
    try:
        personal.personalize(device)
    except ValueError as error:
        raise Conflict(str(error)) from None
    return jsonify(_device_json(device))
