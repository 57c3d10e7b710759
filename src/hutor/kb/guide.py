"""The customer's guide to the billing panel, shipped with Hutor as help articles.

Each article is two Markdown files, `kb/guide/<key>.<lang>.md` (ru and en), with a small front
matter (`slug`, `title`, `position`). `sync()` (run by `hutor guide sync` and `hutor demo`)
installs them in the help center's "guide" category through kb.actions:

* a missing article is created and published;
* an article still holding the text it was installed with (its text hashes to its
  `shipped_hash`) follows the shipped text: a new release's text replaces it;
* an article staff edited (its text no longer hashes to `shipped_hash`) is never overwritten:
  when the shipped text changed since, the desk shows the difference (`pending()`) and staff
  take the new text or keep theirs (audited, backoffice.actions.kb).

The images an article shows are `/static/hutor/guide/<key>-<step>-<lang>-<desktop|phone>.png`,
made by the browser test kb/tests/test_guide_screenshots.py (`make guide-screenshots`).

`PANEL_PAGES` maps each page of the billing panel (its URL name) to the guide article about it:
the panel's "?" link (panel/templatetags/guide.py) reads it, and a test walks every panel URL.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import transaction
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from hutor.kb import actions
from hutor.kb.exceptions import KbError
from hutor.kb.models import Article, ArticleStatus, Category

FOLDER = Path(__file__).resolve().parent / "guide"
IMAGES = Path(__file__).resolve().parent / "static" / "hutor" / "guide"
LANGUAGES = ("ru", "en")
CATEGORY = ("guide", "Руководство по панели биллинга", "A guide to the billing panel", 5)
INDEX = "index"  # the guide's own table of contents, linked from the panel's footer
CONTENT_FIELDS = ("slug_ru", "slug_en", "title_ru", "title_en", "body_ru", "body_en")
IMAGE = re.compile(r"/static/hutor/guide/([a-z0-9-]+\.png)")
# A desktop picture in an article's cleaned HTML (kb.markdown's output: attributes quoted).
DESKTOP_IMG = re.compile(r'<img src="/static/hutor/guide/([a-z0-9-]+)-desktop\.png"[^>]*>')

# The billing panel's pages (URL names in the "panel" namespace) and the guide article each
# one's "?" opens. The other panel URLs are no page of the panel (a POST, a file, a public page)
# and are listed in panel/tests/test_guide_links.py with the reason.
PANEL_PAGES = {
    "home": "home-page",
    "services": "renewing",
    "service_detail": "renewing",
    "service_renew": "renewing",
    "service_change_tariff": "changing-tariff",
    "service_cancel_refund": "changing-tariff",
    "invoices": "documents",
    "invoice_detail": "paying-an-invoice",
    "top_up": "top-up",
    "payments": "top-up",
    "payment_detail": "top-up",
    "balance": "balance-history",
    "reconciliation": "documents",
    "closing_documents": "documents",
    "profile": "security",
    "contacts": "ordering",
    "contact_create": "ordering",
    "contact_edit": "ordering",
    "contact_delete": "ordering",
    "tickets": "support",
    "ticket_create": "support",
    "ticket_detail": "support",
}


@dataclass(frozen=True)
class Shipped:
    """One shipped guide article, both languages, as the files say."""

    key: str
    position: int
    slug_ru: str
    slug_en: str
    title_ru: str
    title_en: str
    body_ru: str
    body_en: str

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in CONTENT_FIELDS}

    @property
    def hash(self) -> str:
        return text_hash(self.values())

    def images(self) -> set[str]:
        """The image files the article shows, in both languages."""
        return set(IMAGE.findall(self.body_ru)) | set(IMAGE.findall(self.body_en))


def text_hash(values: dict[str, str]) -> str:
    joined = "\x00".join(values[name] for name in CONTENT_FIELDS)
    return hashlib.sha256(joined.encode()).hexdigest()


def article_hash(article: Article) -> str:
    return text_hash({name: getattr(article, name) for name in CONTENT_FIELDS})


def _read(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise ValueError(f"{path.name}: no front matter")
    meta = {}
    for line in head.splitlines():
        name, _colon, value = line.partition(":")
        meta[name.strip()] = value.strip().strip('"')
    return meta, body.lstrip("\n")


@cache
def shipped() -> dict[str, Shipped]:
    """Every shipped article by key, read from kb/guide/ (in position order)."""
    found = {}
    for path in sorted(FOLDER.glob("*.ru.md")):
        key = path.name.removesuffix(".ru.md")
        meta_ru, body_ru = _read(path)
        meta_en, body_en = _read(FOLDER / f"{key}.en.md")
        found[key] = Shipped(
            key=key,
            position=int(meta_ru["position"]),
            slug_ru=meta_ru["slug"],
            slug_en=meta_en["slug"],
            title_ru=meta_ru["title"],
            title_en=meta_en["title"],
            body_ru=body_ru,
            body_en=body_en,
        )
    return dict(sorted(found.items(), key=lambda item: item[1].position))


def _category() -> Category:
    slug, name_ru, name_en, position = CATEGORY
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        values = {"slug": slug, "name_ru": name_ru, "name_en": name_en, "position": position}
        category, _changes = actions.save_category(category=None, values=values)
    return category


@dataclass
class SyncResult:
    created: list[str]
    updated: list[str]
    kept: list[str]  # edited by staff, a newer shipped text waits in the desk
    refused: list[str]  # "key: message" (e.g. an address taken by the provider's own article)


def sync() -> SyncResult:
    """Install or update the shipped guide articles; staff edits are kept (see the module)."""
    result = SyncResult([], [], [], [])
    category = _category()
    for key, spec in shipped().items():
        article = Article.objects.filter(guide_key=key).first()
        try:
            if article is None:
                article = actions.install_shipped(
                    key=key,
                    category=category,
                    values=spec.values(),
                    position=spec.position,
                    shipped_hash=spec.hash,
                )
                if article.status != ArticleStatus.PUBLISHED:
                    actions.set_published(article=article, published=True)
                result.created.append(key)
            elif article.shipped_hash == spec.hash:
                continue
            elif article_hash(article) in (article.shipped_hash, spec.hash):
                # Not edited, or edited into the very text now shipped: follow the release.
                actions.take_shipped(article=article, values=spec.values(), shipped_hash=spec.hash)
                result.updated.append(key)
            else:
                result.kept.append(key)
        except KbError as exc:
            result.refused.append(f"{key}: {exc}")
    return result


@dataclass(frozen=True)
class Pending:
    """A newer shipped text for an article staff edited: what it is and how it differs."""

    spec: Shipped
    diff: str  # a unified diff, staff's text to the shipped one, field by field


def pending(article: Article) -> Pending | None:
    """The newer shipped text staff have not yet taken or declined, or None."""
    spec = shipped().get(article.guide_key or "")
    if spec is None or article.shipped_hash == spec.hash:
        return None
    if article_hash(article) in (article.shipped_hash, spec.hash):
        return None  # not edited, or already the shipped text: the next sync updates it
    lines: list[str] = []
    for name in CONTENT_FIELDS:
        lines.extend(
            difflib.unified_diff(
                getattr(article, name).splitlines(),
                getattr(spec, name).splitlines(),
                fromfile=f"{name} (yours)",
                tofile=f"{name} (shipped)",
                lineterm="",
            )
        )
    return Pending(spec=spec, diff="\n".join(lines))


def phone_pictures(html: SafeString) -> SafeString:
    """An article's HTML with each guide picture that has a phone version offered to narrow
    screens (`<picture>`): a phone reader sees the phone's page, not a shrunk desktop. Run on
    the cleaned HTML; what it adds is built from the matched name's [a-z0-9-] only."""

    def picture(match: re.Match[str]) -> str:
        name = match.group(1)
        if not (IMAGES / f"{name}-phone.png").is_file():
            return match.group(0)
        phone = f"/static/hutor/guide/{name}-phone.png"
        return (
            f'<picture><source media="(max-width: 640px)" srcset="{phone}">'
            f"{match.group(0)}</picture>"
        )

    return mark_safe(DESKTOP_IMG.sub(picture, html))  # noqa: S308 - see the docstring


# A panel page's links into the guide, by (language, URL name, URL configuration, script prefix),
# kept by each process: forgotten when an article is saved or deleted in this process, and at
# the latest LINKS_SECONDS after they were read (what bounds how long another process's change
# takes to show: a link to an article renamed or unpublished meanwhile finds no page).
LINKS_SECONDS = 60.0
_links: dict[tuple[object, ...], dict[str, str | None]] = {}
_read_at = [0.0]


def forget_links() -> None:
    """Read the links again when next shown (every test starts with none kept)."""
    _links.clear()


def article_changed(**kwargs: object) -> None:
    """An article was saved or deleted: forget the links now, and again once the transaction
    commits, since a page rendered meanwhile may have kept the rows as they were before it."""
    forget_links()
    transaction.on_commit(forget_links)


def panel_links(url_name: str | None) -> dict[str, str | None]:
    """A panel page's links into the guide, in the active language: `help`, the published
    article about the page (by its URL name; None when there is none) and `index`, the guide's
    table of contents (the help center when the guide is not installed). One query the first
    time a process shows the page in a language (see LINKS_SECONDS), none after."""
    now = time.monotonic()
    if now - _read_at[0] > LINKS_SECONDS:
        _links.clear()
        _read_at[0] = now
    key = (get_language(), url_name, get_urlconf(), get_script_prefix())
    links = _links.get(key)
    if links is None:
        links = _links[key] = _read_links(url_name)
    return links


def _read_links(url_name: str | None) -> dict[str, str | None]:
    key = PANEL_PAGES.get(url_name or "")
    articles = {
        article.guide_key: reverse("kb:article", kwargs={"slug": article.slug})
        for article in Article.objects.filter(
            guide_key__in=[INDEX, key] if key else [INDEX], status=ArticleStatus.PUBLISHED
        ).only("guide_key", "slug_ru", "slug_en")
    }
    return {
        "help": articles.get(key) if key else None,
        "index": articles.get(INDEX) or reverse("kb:index"),
    }
