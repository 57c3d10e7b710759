"""Background work of the support center, run by `hutor worker`."""

from __future__ import annotations

from collections import Counter

from hutor.support import mailbox


def fetch_mail(*, limit: int = 100) -> Counter[str] | None:
    """One round of the support mailbox (HUTOR_SUPPORT_IMAP_URL) into tickets, the very function
    `hutor support_fetch_mail` runs; None when no mailbox is set. Call it outside any
    transaction: the IMAP calls are made between receive()'s own transactions. A failure
    (server down, wrong password, a bad URL) raises; the worker logs it and tries again on its
    next round, and an email left unseen is read then (receive() is idempotent)."""
    box = mailbox.configured()
    if box is None:
        return None
    return mailbox.fetch(box, limit=limit)
