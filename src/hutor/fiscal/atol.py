"""ATOL Online, API v5 (ФФД 1.2): the small part Hutor uses.

- `POST {base}getToken` with {"login", "pass"} answers {"token", "error": null}; the token
  lasts 24 hours and goes in the `Token` header of the other requests.
- `POST {base}{group_code}/sell` (or `/sell_refund`) with the receipt answers
  {"uuid", "status": "wait", "error": null}: accepted, not yet fiscalised.
- `GET {base}{group_code}/report/{uuid}` answers status `wait`, `done` (with `payload`:
  fiscal_document_number, fiscal_document_attribute, fn_number, receipt_datetime, …) or `fail`
  (with `error`).
- Errors: {"error": {"code", "text", "type", "error_id"}}. Code 33 ("В системе существует чек
  с external_id …") answers a repeated external_id with the first receipt's uuid: the receipt
  was already accepted, and only its report is asked. Code 34 on a report: not processed yet.
  Codes 10 and 11 (the token missing or expired): a new token is asked once.

Every call is made outside any transaction, with a timeout; no answer raises `Unanswered`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import requests
from django.utils import timezone

from hutor.fiscal.calculations import wire

TIMEOUT = 30  # seconds per request
DUPLICATE = 33  # IncomingExternalIdAlreadyExists
NOT_READY = 34  # StateCheckNotFound: the report is not ready, ask later
TOKEN_CODES = frozenset({10, 11})  # MissingToken, ExpiredToken
# Refusals of the receipt itself: it was not registered, and sending it again as it is would
# be refused again (IncomingValidationException, ValidationException, operation unsupported).
REFUSED_CODES = frozenset({13, 31, 32})


class Unanswered(Exception):
    """No usable answer (network, timeout, 5xx, a body that is not the documented JSON, a
    refused login): try again later with the same external_id."""


@dataclass(frozen=True)
class Sent:
    """The operator has the receipt (accepted now, or before: `duplicate`)."""

    uuid: str
    duplicate: bool = False


@dataclass(frozen=True)
class Refused:
    """The operator refused the receipt (not registered); the error as it gave it."""

    code: str
    text: str


@dataclass(frozen=True)
class Report:
    status: str  # wait, done, fail
    fields: dict[str, Any] = field(default_factory=dict)  # of a done receipt
    code: str = ""
    text: str = ""


class Client:
    """One worker pass's connection: the token is asked once and reused."""

    def __init__(self, *, base_url: str, login: str, password: str, group_code: str) -> None:
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.login = login
        self.password = password
        self.group_code = group_code
        self.token = ""

    def _request(self, verb: str, path: str, body: str | None = None) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Token"] = self.token
        try:
            response = requests.request(
                verb,
                self.base + path,
                data=body.encode() if body is not None else None,
                headers=headers,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise Unanswered(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise Unanswered(f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise Unanswered(f"HTTP {response.status_code}: not JSON") from exc
        if not isinstance(data, dict):
            raise Unanswered(f"HTTP {response.status_code}: not a JSON object")
        return response.status_code, data

    def _authorize(self) -> None:
        self.token = ""
        status, data = self._request(
            "POST", "getToken", wire({"login": self.login, "pass": self.password})
        )
        token = data.get("token")
        if not token:
            code, text = _error(data)
            raise Unanswered(f"getToken: HTTP {status}, error {code}: {text}")
        self.token = str(token)

    def _call(self, verb: str, path: str, body: str | None = None) -> tuple[int, dict[str, Any]]:
        if not self.token:
            self._authorize()
        status, data = self._request(verb, path, body)
        code, _text = _error(data)
        if code.isdigit() and int(code) in TOKEN_CODES:
            self._authorize()
            status, data = self._request(verb, path, body)
        return status, data

    def send(self, operation: str, payload: dict[str, Any]) -> Sent | Refused:
        """Register a receipt (`sell` or `sell_refund`); raises Unanswered to try again."""
        status, data = self._call("POST", f"{self.group_code}/{operation}", wire(payload))
        code, text = _error(data)
        uuid = str(data.get("uuid") or "")
        if not code and uuid:
            return Sent(uuid)
        if code == str(DUPLICATE):
            if uuid:
                return Sent(uuid, duplicate=True)
            return Refused(code, text or "duplicate external_id without a uuid")
        if code.isdigit() and int(code) in REFUSED_CODES:
            return Refused(code, text)
        raise Unanswered(f"HTTP {status}, error {code or '-'}: {text}")

    def report(self, uuid: str) -> Report:
        """The state of an accepted receipt; raises Unanswered to ask again."""
        status, data = self._call("GET", f"{self.group_code}/report/{uuid}")
        code, text = _error(data)
        state = str(data.get("status") or "")
        if state == "done":
            payload = data.get("payload") or {}
            return Report("done", fields=_fiscal_fields(payload))
        if state == "fail":
            return Report("fail", code=code, text=text)
        if state == "wait" or code == str(NOT_READY):
            return Report("wait", code=code, text=text)
        raise Unanswered(f"report: HTTP {status}, error {code or '-'}: {text}")


def _error(data: dict[str, Any]) -> tuple[str, str]:
    error = data.get("error")
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code", "")), str(error.get("text", ""))[:500]


def _fiscal_fields(payload: dict[str, Any]) -> dict[str, Any]:
    moment = None
    raw = str(payload.get("receipt_datetime") or "")
    try:
        moment = timezone.make_aware(dt.datetime.strptime(raw, "%d.%m.%Y %H:%M:%S"))
    except ValueError:
        moment = None
    return {
        "fiscal_document_number": str(payload.get("fiscal_document_number") or "")[:20],
        "fiscal_document_attribute": str(payload.get("fiscal_document_attribute") or "")[:20],
        "fn_number": str(payload.get("fn_number") or "")[:20],
        "registered_at": moment,
    }
