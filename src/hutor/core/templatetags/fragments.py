"""{% reused key ... %}…{% endreused %}: a part of a page rendered once per process for each
value of its keys, then reused (docs/performance.md, "The panel home page").

The layout's header, navigation and footer are the same for every customer who sees the same
page in the same language: dozens of `{% url %}` and translations that cost more than the page's
own queries. Inside `{% reused %}` goes only what depends on the active language (always part
of the key, with the URL configuration and script prefix that `{% url %}` reads) and on the keys
named in the tag (the page's URL name, the user's role flags): never a CSRF token, the user's
name or email, a message, a form token or the request's path, nor a `{% block %}` (refused).
A variable a reused part sets with `as` is set only when it renders, so nothing outside it may
read one.

The parts are kept on the compiled template's node (Django's cached loader keeps those for the
process), at most MAX_KEYS per tag, and dropped when a setting changes (tests). `uncached()`
renders them afresh, to compare a page against its cached rendering.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_KEYS = 512  # per tag: URL names × languages × flags, far more than there are
_SHARED = "hutor.core.fragments.shared"  # in a rendering's render_context


class _State:
    generation = 0  # bumped when a setting changes: every part renders afresh
    enabled = True


@contextmanager
def uncached() -> Iterator[None]:
    """Render every reused part afresh inside the block (and keep nothing)."""
    _State.enabled = False
    try:
        yield
    finally:
        _State.enabled = True


def _forget(**kwargs: Any) -> None:
    _State.generation += 1


setting_changed.connect(_forget, dispatch_uid="hutor.core.fragments")


class ReusedNode(template.Node):
    # Blocks are refused inside (see reused()), so {% extends %}, which looks for blocks on
    # every rendering, need not walk the parts.
    child_nodelists = ()

    def __init__(self, nodelist: NodeList, keys: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.keys = keys
        self.generation = _State.generation
        self.parts: dict[tuple[Any, ...], SafeString] = {}

    def render(self, context: Context) -> SafeString:
        if not _State.enabled:
            return mark_safe(self.nodelist.render(context))  # noqa: S308
        # What every part of one rendering shares, read once for the rendering.
        shared = context.render_context.get(_SHARED)
        if shared is None:
            shared = (get_language(), get_urlconf(), get_script_prefix())
            context.render_context[_SHARED] = shared
        key = (*shared, *(expression.resolve(context) for expression in self.keys))
        if self.generation != _State.generation:
            self.parts, self.generation = {}, _State.generation
        part = self.parts.get(key)
        if part is None:
            # What the template rendered, already escaped where it had to be.
            part = mark_safe(self.nodelist.render(context))  # noqa: S308
            if len(self.parts) < MAX_KEYS:
                self.parts[key] = part
        return part


@register.tag
def reused(parser: Parser, token: Token) -> ReusedNode:
    """{% reused key ... %}…{% endreused %}: see the module's docstring."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endreused",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        # A child template's block would be kept for every page that shares the keys.
        raise template.TemplateSyntaxError("{% reused %} cannot hold a {% block %}")
    return ReusedNode(nodelist, keys)
