"""Reading the support mailbox over IMAP (RFC 9051 / 3501) with the standard library's imaplib.

Unseen messages are fetched with BODY.PEEK[] (which leaves them unseen), each is taken into a
ticket by inbound.receive() in its own transaction, and only then flagged \\Seen. A crash
between the two leaves the message unseen: the next run reads it again and receive() knows it
by its Message-ID, so it still adds one message. No network call happens inside a transaction.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings

from hutor.support import inbound

log = logging.getLogger("hutor.support")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = True


def from_url(url: str) -> Mailbox:
    """imaps://user:password@host:993/INBOX or imap://... (plain, for a local server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("HUTOR_SUPPORT_IMAP_URL must be imap://… or imaps://…")
    tls = parts.scheme == "imaps"
    return Mailbox(
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


def configured() -> Mailbox | None:
    url = getattr(settings, "HUTOR_SUPPORT_IMAP_URL", "")
    return from_url(url) if url else None


def fetch(mailbox: Mailbox, *, limit: int = 100) -> Counter[str]:
    """Take up to `limit` unseen messages into tickets; returns how many of each outcome."""
    counts: Counter[str] = Counter()
    client_class = imaplib.IMAP4_SSL if mailbox.tls else imaplib.IMAP4
    client = client_class(mailbox.host, mailbox.port, timeout=30)
    try:
        client.login(mailbox.user, mailbox.password)
        client.select(_quote(mailbox.folder))
        _status, data = client.uid("SEARCH", "UNSEEN")
        uids = [uid.decode() for uid in (data[0] or b"").split()[:limit]]
        for uid in uids:
            _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if not isinstance(raw, bytes):
                continue
            outcome = inbound.receive(raw)
            counts[outcome.result.value] += 1
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            log.info("support mail uid %s: %s", uid, outcome.result.value)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return counts


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
