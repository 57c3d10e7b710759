"""The billing panel's links into the guide (kb.guide): the "?" of a page, the footer's
table of contents."""

from __future__ import annotations

from django import template

from hutor.kb import guide

register = template.Library()


@register.simple_tag
def panel_guide_links(url_name: str | None) -> dict[str, str | None]:
    """The page's "?" (`help`) and the footer's table of contents (`index`), one query."""
    return guide.panel_links(url_name)
