"""Cursor pagination: a page of rows after an opaque cursor, and the link to the next page.

The cursor is the last row's primary key, base64url-encoded JSON (opaque to clients: they
follow `next`). Rows are ordered by primary key (newest first, or oldest first for a ledger
statement), so a row inserted meanwhile never shifts a page the way an offset would."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from hutor.api.problems import ApiProblem

M = TypeVar("M", bound=Model)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": pk}).encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(value)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiProblem("bad_request", _("The cursor is not valid.")) from exc
    return value


def page(
    request: HttpRequest,
    queryset: QuerySet[M],
    *,
    cursor: str | None,
    limit: int,
    newest_first: bool = True,
) -> tuple[list[M], str | None]:
    """The rows of one page and the `next` link (None on the last page)."""
    limit = max(1, min(limit, MAX_LIMIT))
    queryset = queryset.order_by("-pk" if newest_first else "pk")
    if cursor:
        after = decode(cursor)
        queryset = queryset.filter(pk__lt=after) if newest_first else queryset.filter(pk__gt=after)
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    query: dict[str, Any] = request.GET.copy()
    query["cursor"] = encode(rows[-1].pk)
    return rows, f"{request.path}?{query.urlencode()}"  # type: ignore[attr-defined]
