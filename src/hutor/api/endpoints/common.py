"""What every operation module shares: the problems an operation may answer, the
Idempotency-Key header of a POST, and the decorator of a write operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Router

from hutor.api import schemas as s

IDEMPOTENCY = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": True,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Same key and body: the first answer is replayed.",
        }
    ]
}
PROBLEMS = {400: s.Problem, 401: s.Problem, 403: s.Problem, 404: s.Problem, 409: s.Problem}
WRITE_PROBLEMS = {**PROBLEMS, 422: s.Problem, 429: s.Problem}


def write(
    router: Router,
    path: str,
    answers: dict[int, Any],
    url_name: str,
    *,
    tags: list[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@router.post` of a write: its answers plus the write problems, the Idempotency-Key
    header in the document, the router's tags unless others are given."""
    return router.post(
        path,
        response={**answers, **WRITE_PROBLEMS},
        url_name=url_name,
        openapi_extra=IDEMPOTENCY,
        tags=tags,
    )
