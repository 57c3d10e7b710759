"""{% form_token "<action>" %}: the hidden one-time token of a money form (panel.submissions)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from hutor.panel import submissions

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context: dict[str, Any], action: str) -> SafeString:
    # The page's billing account: the "account" the view passed, or the one customer_required
    # put on the request.
    account = context.get("account") or context["request"].account
    return format_html(
        '<input type="hidden" name="{}" value="{}">',
        submissions.FIELD,
        submissions.issue(account, action),
    )
