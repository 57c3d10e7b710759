"""The billing panel's links into the guide (kb.guide): the "?" of a page, the footer's
table of contents."""

from __future__ import annotations

from django import template

from hutor.kb import guide

register = template.Library()


@register.simple_tag
def page_help_url(url_name: str | None) -> str | None:
    """The guide article about the panel page with this URL name, in the active language."""
    return guide.page_help_url(url_name)


@register.simple_tag
def guide_index_url() -> str:
    return guide.index_url()
