"""Staff writing the knowledge base: the kb app's own actions, each with its audit entry in the
same transaction (an article's text is recorded as its length, not copied into the audit)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.backoffice.audit import record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.kb import actions as kb
from hutor.kb import guide
from hutor.kb.exceptions import KbError
from hutor.kb.models import Article, Category

if TYPE_CHECKING:
    from hutor.accounts.models import User


def save_article(
    *, staff: User, article: Article | None, values: Mapping[str, Any], reason: str
) -> Article:
    """Write a new help article (a draft) or change one."""
    require_reason(reason)
    try:
        with transaction.atomic():
            saved, changes = kb.save_article(article=article, values=values)
            record(
                staff=staff,
                action="kb.edit",
                reason=reason,
                object_type="kb_article",
                object_id=saved.pk,
                changes=changes,
            )
    except KbError as exc:
        raise DeskError(str(exc)) from exc
    return saved


def publish_article(*, staff: User, article: Article, published: bool, reason: str) -> Article:
    """Put an article on the public help pages, or take it off them."""
    require_reason(reason)
    try:
        with transaction.atomic():
            changes = kb.set_published(article=article, published=published)
            record(
                staff=staff,
                action="kb.publish",
                reason=reason,
                object_type="kb_article",
                object_id=article.pk,
                changes=changes,
            )
    except KbError as exc:
        raise DeskError(str(exc)) from exc
    return article


def save_category(
    *, staff: User, category: Category | None, values: Mapping[str, Any], reason: str
) -> Category:
    """Add a help category or change one."""
    require_reason(reason)
    try:
        with transaction.atomic():
            saved, changes = kb.save_category(category=category, values=values)
            record(
                staff=staff,
                action="kb.category",
                reason=reason,
                object_type="kb_category",
                object_id=saved.pk,
                changes=changes,
            )
    except KbError as exc:
        raise DeskError(str(exc)) from exc
    return saved


def answer_shipped_text(*, staff: User, article: Article, take: bool, reason: str) -> Article:
    """A guide article staff edited, and a newer text shipped with Hutor (kb.guide.pending):
    take the shipped text over theirs, or keep theirs (the same text is not offered again)."""
    require_reason(reason)
    waiting = guide.pending(article)
    if waiting is None:
        raise DeskError(_("No newer shipped text waits for this article."))
    try:
        with transaction.atomic():
            if take:
                changes = kb.take_shipped(
                    article=article, values=waiting.spec.values(), shipped_hash=waiting.spec.hash
                )
            else:
                changes = kb.keep_own(article=article, shipped_hash=waiting.spec.hash)
            record(
                staff=staff,
                action="kb.guide",
                reason=reason,
                object_type="kb_article",
                object_id=article.pk,
                changes={"choice": "take" if take else "keep", **changes},
            )
    except KbError as exc:
        raise DeskError(str(exc)) from exc
    return article
