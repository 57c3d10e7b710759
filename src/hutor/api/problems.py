"""Errors as RFC 9457 problem details (`application/problem+json`).

Every refusal carries a stable `code` (what a program branches on) and a `detail` in the
request's language (Accept-Language: ru or en, Russian by default, as everywhere in Hutor).
`type` is a URI of the code under /api/v1/problems/ (documented in docs/api.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CONTENT_TYPE = "application/problem+json"

# code -> (HTTP status, title). The codes are the API's contract: never renamed.
PROBLEMS: dict[str, tuple[int, Promise]] = {
    "validation_error": (422, _("The request is not valid")),
    "bad_request": (400, _("Bad request")),
    "idempotency_key_required": (400, _("An Idempotency-Key header is required")),
    "idempotency_key_reused": (409, _("The Idempotency-Key was used for another request")),
    "unauthenticated": (401, _("A valid API token is required")),
    "forbidden": (403, _("This token may not do this")),
    "not_found": (404, _("Not found")),
    "conflict": (409, _("The request conflicts with the current state")),
    "already_done": (409, _("This was already done")),
    "refused": (422, _("The action was refused")),
    "reason_required": (422, _("A reason is required")),
    "precondition_failed": (412, _("The record has changed since it was read")),
    "precondition_required": (428, _("An If-Match header is required")),
    "rate_limited": (429, _("Too many requests")),
    "method_not_allowed": (405, _("Method not allowed")),
    "server_error": (500, _("Internal error")),
}


# The first code of each status, for the document's descriptions.
PROBLEMS_BY_STATUS: dict[int, Promise] = {}
for _status, _title in PROBLEMS.values():
    PROBLEMS_BY_STATUS.setdefault(_status, _title)


class ApiProblem(Exception):
    """Raised by an endpoint (or the API's plumbing) to answer with a problem document."""

    def __init__(
        self,
        code: str,
        detail: str | Promise = "",
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(str(detail) or code)
        self.code = code
        self.status = status or PROBLEMS[code][0]
        self.detail = str(detail)
        self.headers = headers or {}
        self.errors = errors


def body(code: str, detail: str = "", *, status: int | None = None, **extra: Any) -> dict[str, Any]:
    known_status, title = PROBLEMS[code]
    document: dict[str, Any] = {
        "type": f"/api/v1/problems/{code}",
        "title": str(title),
        "status": status or known_status,
        "code": code,
        "detail": detail or str(title),
    }
    document.update({k: v for k, v in extra.items() if v is not None})
    return document


def response(
    request: HttpRequest | None,
    code: str,
    detail: str = "",
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    document = body(
        code,
        detail,
        status=status,
        errors=errors,
        instance=request.path if request is not None else None,
    )
    answer = HttpResponse(
        json.dumps(document, ensure_ascii=False),
        status=document["status"],
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        answer[name] = value
    answer["Content-Language"] = _language()
    return answer


def from_exception(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
    return response(
        request, exc.code, exc.detail, status=exc.status, headers=exc.headers, errors=exc.errors
    )


def _language() -> str:
    from django.utils.translation import get_language

    return (get_language() or "ru")[:2]
