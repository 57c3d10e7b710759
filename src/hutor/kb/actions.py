"""The knowledge base's state changes: the only writers of its tables.

Each is one transaction and returns what changed as codes and plain values, so the desk's
audited actions (hutor.backoffice.actions.kb) can record them; the SQLite search table is
updated inside the same transaction (kb.search.index).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from hutor.core import clock
from hutor.core.changes import changes as what_changed
from hutor.kb import search
from hutor.kb.exceptions import KbError
from hutor.kb.models import Article, ArticleStatus, Category, Vote

ARTICLE_FIELDS = (
    "category",
    "slug_ru",
    "slug_en",
    "title_ru",
    "title_en",
    "body_ru",
    "body_en",
    "position",
)
CATEGORY_FIELDS = ("slug", "name_ru", "name_en", "position")
REFS = {"category": "slug"}  # how the audit names an article's category

# Paths under /help/ that are pages of their own, never an article's slug.
RESERVED_SLUGS = frozenset({"suggest", "search", "category", "vote"})


def _check_slugs(article: Article | None, slug_ru: str, slug_en: str) -> None:
    """Every slug names one article (unique across both languages' columns; one slug may serve
    both languages of the same article) and is no page's."""
    for slug in {slug_ru, slug_en}:
        if slug in RESERVED_SLUGS:
            raise KbError(
                _("The address %(slug)s is taken by a page of the help center.") % {"slug": slug}
            )
        taken = Article.objects.filter(Q(slug_ru=slug) | Q(slug_en=slug))
        if article is not None:
            taken = taken.exclude(pk=article.pk)
        if taken.exists():
            raise KbError(_("Another article already has the address %(slug)s.") % {"slug": slug})


def save_article(*, article: Article | None, values: Mapping[str, Any]) -> tuple[Article, dict]:
    """Write a new article (`article` None, as a draft) or change one; returns the article
    and what changed. A published article stays published: its new text is live at once."""
    values = {name: values[name] for name in ARTICLE_FIELDS}
    _check_slugs(article, values["slug_ru"], values["slug_en"])
    now = clock.now()
    try:
        with transaction.atomic():
            if article is None:
                article = Article.objects.create(**values, created_at=now, updated_at=now)
                changes = what_changed({}, values, refs=REFS)
            else:
                article = Article.objects.select_for_update().get(pk=article.pk)
                changes = what_changed(
                    {n: getattr(article, n) for n in ARTICLE_FIELDS}, values, refs=REFS
                )
                for name, value in values.items():
                    setattr(article, name, value)
                article.updated_at = now
                article.save(update_fields=[*ARTICLE_FIELDS, "updated_at"])
            search.index(article)
    except IntegrityError as exc:  # a slug taken by a concurrent save
        raise KbError(_("Another article already has this address.")) from exc
    return article, changes


def set_published(*, article: Article, published: bool) -> dict[str, Any]:
    """Publish a draft or take an article off the public pages; raises KbError when it is
    already so (a repeated click changes nothing)."""
    target = ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.status == target:
            raise KbError(
                _("The article is already published.")
                if published
                else _("The article is already a draft.")
            )
        changes = {"status": {"from": locked.status, "to": str(target)}}
        locked.status = target
        update = ["status", "updated_at"]
        if published and locked.published_at is None:
            locked.published_at = clock.now()
            update.append("published_at")
        locked.updated_at = clock.now()
        locked.save(update_fields=update)
    article.status = locked.status
    article.published_at = locked.published_at
    return changes


def save_category(*, category: Category | None, values: Mapping[str, Any]) -> tuple[Category, dict]:
    """Add a help category or change one; returns it and what changed."""
    values = {name: values[name] for name in CATEGORY_FIELDS}
    taken = Category.objects.filter(slug=values["slug"])
    if category is not None:
        taken = taken.exclude(pk=category.pk)
    if taken.exists():
        raise KbError(_("Another category already has the address %(slug)s.") % values)
    try:
        with transaction.atomic():
            if category is None:
                category = Category.objects.create(**values)
                return category, what_changed({}, values, refs=REFS)
            category = Category.objects.select_for_update().get(pk=category.pk)
            changes = what_changed(
                {n: getattr(category, n) for n in CATEGORY_FIELDS}, values, refs=REFS
            )
            for name, value in values.items():
                setattr(category, name, value)
            category.save(update_fields=list(CATEGORY_FIELDS))
    except IntegrityError as exc:
        raise KbError(_("Another category already has this address.")) from exc
    return category, changes


def session_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def vote(*, article: Article, session_key: str, helpful: bool) -> bool:
    """Record a visitor's "was this helpful": one vote per article and session, a repeat
    changes the answer. Returns True when this is the session's first vote on the article."""
    key = session_hash(session_key)
    with transaction.atomic():
        updated = Vote.objects.filter(article=article, session_hash=key).update(helpful=helpful)
        if updated:
            return False
        try:
            with transaction.atomic():  # a savepoint: a concurrent first vote may win the race
                Vote.objects.create(
                    article=article, session_hash=key, helpful=helpful, created_at=clock.now()
                )
        except IntegrityError:
            Vote.objects.filter(article=article, session_hash=key).update(helpful=helpful)
            return False
    return True


def reindex() -> int:
    """Rebuild the SQLite search table from the articles; see kb.search.reindex_all."""
    with transaction.atomic():
        return search.reindex_all()


def install_shipped(
    *,
    key: str,
    category: Category,
    values: Mapping[str, Any],
    position: int,
    shipped_hash: str,
) -> Article:
    """Create a shipped guide article (a draft; kb.guide.sync publishes it), remembering which
    shipped text it holds."""
    with transaction.atomic():
        article, _changes = save_article(
            article=None, values={**values, "category": category, "position": position}
        )
        article.guide_key = key
        article.shipped_hash = shipped_hash
        article.save(update_fields=["guide_key", "shipped_hash"])
    return article


def take_shipped(
    *, article: Article, values: Mapping[str, Any], shipped_hash: str
) -> dict[str, Any]:
    """Replace a guide article's text by the shipped one (a new release's, or staff taking it
    over their own edit); returns what changed."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        merged = {name: getattr(locked, name) for name in ARTICLE_FIELDS}
        merged.update(values)
        saved, changes = save_article(article=locked, values=merged)
        if saved.shipped_hash != shipped_hash:
            changes["shipped_hash"] = {"from": saved.shipped_hash, "to": shipped_hash}
        saved.shipped_hash = shipped_hash
        saved.save(update_fields=["shipped_hash"])
    for name in (*ARTICLE_FIELDS, "shipped_hash", "updated_at"):
        setattr(article, name, getattr(saved, name))
    return changes


def keep_own(*, article: Article, shipped_hash: str) -> dict[str, Any]:
    """Staff keep their edit of a guide article over a newer shipped text: the article now
    counts as compared with that text, so it is not offered again (a later release is)."""
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.shipped_hash == shipped_hash:
            raise KbError(_("This shipped text was already taken or declined."))
        changes = {"shipped_hash": {"from": locked.shipped_hash, "to": shipped_hash}}
        locked.shipped_hash = shipped_hash
        locked.save(update_fields=["shipped_hash"])
    article.shipped_hash = shipped_hash
    return changes
