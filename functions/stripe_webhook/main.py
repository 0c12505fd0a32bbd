"""Cloud Function (HTTP) `stripe_webhook`: Stripe → raw event log → ledger → "stripe data changed".

The composition root of this runtime: it builds the engine and publisher once per instance,
lazily, and maps failures to what Stripe should do (5xx = retry later).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import functions_framework
from flask import Request
from sqlalchemy.exc import SQLAlchemyError
from vaultra.bootstrap import get_engine
from vaultra.config import get_settings
from vaultra.events.publisher import build_publisher
from vaultra.logs import configure_logging
from vaultra.services.webhook import WebhookReceiver
from vaultra.web.limits import STRIPE_MAX_BODY_BYTES
from vaultra.web.wsgi_body import BodyRejected, discard_body, read_body

log = logging.getLogger("vaultra.functions.stripe_webhook")
_receiver: WebhookReceiver | None = None


def _get_receiver() -> WebhookReceiver:
    global _receiver
    if _receiver is None:
        settings = get_settings()
        configure_logging()
        _receiver = WebhookReceiver(
            get_engine(settings),
            build_publisher(settings),
            settings.webhook_secrets(),
            settings.stripe_webhook_tolerance_s,
        )
    return _receiver


def _json(body: dict[str, Any], status: int) -> tuple[str, int, dict[str, str]]:
    return json.dumps(body), status, {"Content-Type": "application/json"}


@functions_framework.http
def stripe_webhook(request: Request) -> tuple[str, int, dict[str, str]]:
    if request.method != "POST":
        discard_body(request)  # or functions-framework reads it whole, however large
        return _json({"error": "use POST"}, 405)
    # The body is capped before it is read (a 10^20 Content-Length is refused at once), and a
    # refused one is left unread. A client trickling it is bounded by the function's `timeout`:
    # see vaultra.web.wsgi_body.
    try:
        body = read_body(request, STRIPE_MAX_BODY_BYTES)
    except BodyRejected as exc:
        log.warning("refused a webhook delivery: %s", exc.detail)
        return _json({"error": exc.detail}, exc.status)
    try:
        response = _get_receiver().receive(body, request.headers.get("Stripe-Signature"))
    except SQLAlchemyError as exc:
        log.error("database error while storing a Stripe event: %s", type(exc).__name__)
        return _json({"error": "temporarily unable to store the event; retry"}, 503)
    except Exception:
        log.exception("unexpected error while handling a Stripe event")
        return _json({"error": "internal error; retry"}, 500)
    if response.status_code == 400:  # not a genuine delivery: one line, no traceback
        log.warning("refused a webhook delivery: %s", response.body.get("error"))
    return _json(response.body, response.status_code)
