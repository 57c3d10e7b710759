"""Email renderers, registered by the app that owns each kind of email.

A renderer turns an outbox row into the message at delivery time, in the row's language; so
links with one-time tokens are made fresh and are never stored in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hutor.notifications.models import OutboxEmail


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    # Extra headers (In-Reply-To, References, Reply-To of a ticket's thread); the Message-ID
    # is always the outbox row's own and cannot be overridden here.
    headers: dict[str, str] = field(default_factory=dict)


Renderer = Callable[["OutboxEmail"], RenderedEmail]
_renderers: dict[str, Renderer] = {}


def register(template: str) -> Callable[[Renderer], Renderer]:
    def decorator(renderer: Renderer) -> Renderer:
        if template in _renderers and _renderers[template] is not renderer:
            raise ValueError(f"email template {template!r} is registered twice")
        _renderers[template] = renderer
        return renderer

    return decorator


def renderer_for(template: str) -> Renderer:
    try:
        return _renderers[template]
    except KeyError:
        raise LookupError(f"no renderer for email template {template!r}") from None
