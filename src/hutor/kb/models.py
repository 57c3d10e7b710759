"""The knowledge base: help articles in categories, each in Russian and English.

Staff write and publish articles in the desk; visitors read the published ones at /help/,
search them (kb/search.py) and say whether one helped. Every table here is written only by
kb.actions (the desk's audited actions call them), which also keep the SQLite search table in
step (on PostgreSQL the search runs on expression indexes and needs no second table).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _in_language(ru: str, en: str) -> str:
    """The Russian or the English text by the active language (Russian is the default); the
    other one when this one is empty."""
    if (get_language() or "ru").startswith("en"):
        return en or ru
    return ru or en


class Category(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name_ru = models.CharField(_("name in Russian"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_ru, self.name_en)


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("draft")  # seen only in the desk
    PUBLISHED = "published", _("published")  # on the public help pages and in search


class Article(models.Model):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    # A slug per language: /help/<slug>/ in the reader's language; either one finds the article
    # (kb.actions keeps every slug unique across both columns).
    slug_ru = models.SlugField(_("slug in Russian"), max_length=120, unique=True)
    slug_en = models.SlugField(_("slug in English"), max_length=120, unique=True)
    title_ru = models.CharField(_("title in Russian"), max_length=200)
    title_en = models.CharField(_("title in English"), max_length=200)
    # Markdown; rendered with raw HTML off and cleaned by an allow-list (kb/markdown.py).
    body_ru = models.TextField(_("text in Russian"))
    body_en = models.TextField(_("text in English"))
    position = models.PositiveIntegerField(_("position"), default=0)
    # Changed only by kb.actions.set_published.
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    # A guide article shipped with Hutor (kb/guide/<key>.<lang>.md): its key, and the hash of
    # the shipped text this article was last installed from or compared with (kb.guide). An
    # article whose own text no longer has that hash was edited by staff and is never
    # overwritten by `hutor guide sync`. Empty for the provider's own articles.
    guide_key = models.CharField(_("guide key"), max_length=64, null=True, blank=True, unique=True)
    shipped_hash = models.CharField(_("shipped text's hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["status", "category"], name="kb_article_status_cat")]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_ru, self.title_en)

    @property
    def body(self) -> str:
        return _in_language(self.body_ru, self.body_en)

    @property
    def slug(self) -> str:
        return _in_language(self.slug_ru, self.slug_en)

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class Vote(models.Model):
    """A visitor's answer to "Was this article helpful?": one per article and visitor session
    (the unique constraint makes a repeated or concurrent answer change the vote, not add one)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    # A SHA-256 of the session key: whoever reads this table cannot take over the session.
    session_hash = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "session_hash"], name="kb_vote_one_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"
