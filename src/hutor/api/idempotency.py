"""The wrapper around every API view: the token is found and counted against its rate limit,
and a POST is performed at most once per Idempotency-Key (per token).

The key's row is inserted in the same transaction as the action, under a unique constraint on
(token, key). On PostgreSQL a second request with the same key blocks on that insert until the
first commits, then fails it, reads the stored answer and replays it; on SQLite the
transactions queue at BEGIN. So 20 identical POSTs sent together perform one action and get
one answer. The same key with another method, path or body is refused (409). Answers that say
"try again" (401, 429, 5xx) are not kept: the key stays free for the retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from hutor.api import limits, problems, tokens
from hutor.api.models import ApiToken, IdempotencyRecord
from hutor.api.security import ATTRIBUTE
from hutor.core import clock

KEPT_HEADERS = ("Location", "ETag", "Content-Disposition")
REPLAYED = "Idempotent-Replayed"


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path(), request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _replay(request: HttpRequest, record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        return problems.response(
            request,
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
        )
    answer = HttpResponse(record.body, status=record.status_code, content_type=record.content_type)
    for name, value in record.headers.items():
        answer[name] = value
    answer[REPLAYED] = "true"
    return answer


def _once(request: HttpRequest, token: ApiToken, view: Callable[[], HttpResponse]) -> HttpResponse:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 255:
        return problems.response(
            request,
            "idempotency_key_required",
            _("Send an Idempotency-Key header (up to 255 characters) with every POST."),
        )
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token, key=key, fingerprint=fingerprint, created_at=clock.now()
                )
        except IntegrityError:
            return _replay(
                request, IdempotencyRecord.objects.get(token=token, key=key), fingerprint
            )
        with transaction.atomic():
            answer = view()
            if answer.status_code >= 400:  # a refusal changes nothing, whatever ran before it
                transaction.set_rollback(True)
        if answer.status_code in (401, 429) or answer.status_code >= 500 or answer.streaming:
            transaction.set_rollback(True)  # not kept: the client may retry with the key
            return answer
        record.status_code = answer.status_code
        record.body = answer.content.decode()
        record.content_type = answer.get("Content-Type", "application/json")
        record.headers = {name: answer[name] for name in KEPT_HEADERS if answer.has_header(name)}
        record.save(update_fields=["status_code", "body", "content_type", "headers"])
    return answer


def _has_nul(request: HttpRequest) -> bool:
    """A NUL character anywhere in the query or the body: PostgreSQL's text cannot hold one
    (and no name, number or reason has one), so such a request is refused before anything."""
    if any(
        "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
    ):
        return True
    body = request.body
    return b"\x00" in body or b"\\u0000" in body.lower()


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if _has_nul(request):
            return problems.response(
                request, "bad_request", _("The request contains a NUL character.")
            )
        secret = _bearer(request)
        token = tokens.find(secret) if secret else None
        if token is None:
            if secret:  # a token was sent, and it is not a live one
                return problems.response(
                    request,
                    "unauthenticated",
                    _("The API token is unknown, revoked or expired."),
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return view(request, *args, **kwargs)  # public operations; others answer 401
        wait = limits.take(token.pk, request.method or "GET")
        if wait is not None:
            return problems.response(
                request,
                "rate_limited",
                _("Too many requests with this token; try again in %(seconds)d s.")
                % {"seconds": wait},
                headers={"Retry-After": str(wait)},
            )
        setattr(request, ATTRIBUTE, token)
        if request.method != "POST":
            return view(request, *args, **kwargs)
        return _once(request, token, lambda: view(request, *args, **kwargs))

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def prune(before: dt.datetime, batch: int) -> int:
    """Forget the keys used before `before` (HUTOR_API_IDEMPOTENCY_DAYS, at least one day): a
    retry with such a key performs the action again. In batches; returns how many."""
    from hutor.core.pruning import delete_in_batches

    return delete_in_batches(IdempotencyRecord.objects.filter(created_at__lt=before), batch)
