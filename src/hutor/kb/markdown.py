"""Markdown of help articles to safe HTML.

Two locks, so that no author (nor a stolen desk login) can put script into a public page:
markdown-it-py parses CommonMark with raw HTML switched off (a `<script>` in the text comes out
as the visible text "<script>") and refuses javascript:, vbscript: and data: links; then nh3
(the Rust sanitizer Ammonia) keeps only an allow-list of tags, attributes and URL schemes, and
gives every link rel="nofollow noopener noreferrer" (articles are written by staff but may
point anywhere; the help pages give such links no search-engine weight and no window.opener).
"""

from __future__ import annotations

import html as htmllib
import re

import nh3
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_PARSER.enable("table").enable("strikethrough")

TAGS = {
    "a", "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code", "pre",
    "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h1>")


def render(text: str) -> SafeString:
    """An article's Markdown as HTML that is safe to put in a page."""
    html = _PARSER.render(text or "")
    html = _HEADING.sub(r"<\1h2>", html)  # the page's one <h1> is the article's title
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        filter_style_properties={"text-align"},
    )
    return mark_safe(cleaned)  # noqa: S308  # cleaned by nh3's allow-list just above


def plain(text: str, limit: int = 220) -> str:
    """The article's text without markup, cut to `limit` characters at a word (for a
    result's snippet)."""
    words = " ".join(htmllib.unescape(strip_tags(render(text))).split())
    if len(words) <= limit:
        return words
    return words[:limit].rsplit(" ", 1)[0] + "…"
