"""Signing per the Standard Webhooks specification
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).

A secret is `whsec_` followed by the base64 of 24 to 64 random bytes; the key is those bytes.
Each request carries three headers:

    webhook-id         the event's id (the same on every attempt: receivers deduplicate by it)
    webhook-timestamp  the attempt's time, whole seconds since the Unix epoch
    webhook-signature  "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))

The body is signed exactly as sent (bytes), so `body()` fixes one serialisation of an event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from hutor.core.models import Event

PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec allows 24 to 64


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret: its base64 part decoded."""
    encoded = secret.removeprefix(PREFIX)
    return base64.b64decode(encoded, validate=True)


def payload(event: Event) -> dict[str, Any]:
    """The JSON the receiver gets, in the spec's recommended shape (type, timestamp, data)."""
    return {
        "type": event.kind,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def body(event: Event) -> bytes:
    """The request body: compact JSON, keys sorted, UTF-8 (the same bytes on every attempt)."""
    return json.dumps(
        payload(event), ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


def signature(secret: str, *, msg_id: str, timestamp: int, content: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + content
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, *, msg_id: str, timestamp: int, content: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id=msg_id, timestamp=timestamp, content=content),
        "content-type": "application/json",
    }
