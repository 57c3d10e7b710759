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

{% reused_url "app:name" value %}: `{% url "app:name" value %}` for a route with one `int` or
`str` argument (an id, an invoice number), the route reversed once per process and key (the
parts' shared key and the current app): the value goes between the two halves. A value the
route's converter might refuse, or one that would need quoting, is reversed as `{% url %}` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.context import Context
from django.template.loader_tags import BlockNode
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
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


def _shared(context: Context) -> tuple[Any, ...]:
    """What every part of one rendering shares, read once for the rendering."""
    shared = context.render_context.get(_SHARED)
    if shared is None:
        shared = (get_language(), get_urlconf(), get_script_prefix())
        context.render_context[_SHARED] = shared
    return shared


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
        key = (*_shared(context), *(expression.resolve(context) for expression in self.keys))
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


# Probes of a route's one argument: what `int` and `str` converters accept, what `int` refuses.
_PROBE = "7391026438"
_DIGITS = re.compile(r"[0-9]+")
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+")  # nothing reverse() would quote or escape, no "/"
_URL_KEY = "hutor.core.fragments.url_key"  # in a rendering's render_context


class _Halves(NamedTuple):
    """A route's URL before and after its one argument (HTML-escaped too), and the values that
    go between them as they are."""

    head: str
    tail: str
    head_html: str
    tail_html: str
    plain: re.Pattern[str]


def _halves(name: str, current_app: str | None) -> _Halves | None:
    """None for a route whose argument is neither `int` nor `str` (reversed every time)."""

    def accepts(value: str) -> bool:
        try:
            reverse(name, args=[value], current_app=current_app)
        except NoReverseMatch:
            return False
        return True

    url = reverse(name, args=[_PROBE], current_app=current_app)
    head, found, tail = url.partition(_PROBE)
    if not found or _PROBE in tail:
        return None
    if accepts("a.b~c-d_e"):
        plain = _PLAIN  # a `str` converter: anything without "/"
    elif not accepts("1a"):
        plain = _DIGITS  # an `int` converter
    else:
        return None
    return _Halves(head, tail, conditional_escape(head), conditional_escape(tail), plain)


def _url_key(context: Context) -> tuple[Any, ...]:
    """The parts' shared key and the current app as {% url %} reads it, once per rendering."""
    key = context.render_context.get(_URL_KEY)
    if key is None:
        request = getattr(context, "request", None)
        try:
            current_app = request.current_app  # type: ignore[union-attr]
        except AttributeError:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        key = (*_shared(context), current_app)
        context.render_context[_URL_KEY] = key
    return key


class ReusedURLNode(template.Node):
    child_nodelists = ()

    def __init__(self, name: str, value: FilterExpression) -> None:
        self.name = name
        self.value = value
        self.generation = _State.generation
        self.halves: dict[tuple[Any, ...], _Halves | None] = {}

    def render(self, context: Context) -> str:
        value = self.value.resolve(context)
        key = _url_key(context)
        if self.generation != _State.generation:
            self.halves, self.generation = {}, _State.generation
        if key in self.halves:
            halves = self.halves[key]
        else:
            halves = _halves(self.name, key[-1])
            if len(self.halves) < MAX_KEYS:
                self.halves[key] = halves
        text = str(value)
        if halves is None or not _State.enabled or not halves.plain.fullmatch(text):
            url = reverse(self.name, args=[value], current_app=key[-1])
            return conditional_escape(url) if context.autoescape else url
        if context.autoescape:  # the value's characters need no escaping
            return SafeString(halves.head_html + text + halves.tail_html)
        return halves.head + text + halves.tail


@register.tag
def reused_url(parser: Parser, token: Token) -> ReusedURLNode:
    """{% reused_url "app:name" value %}: see the module's docstring."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1][:1] not in {'"', "'"} or bits[1][-1:] != bits[1][:1]:
        raise template.TemplateSyntaxError(
            '{% reused_url %} takes a quoted URL name and one value: {% reused_url "app:name" id %}'
        )
    return ReusedURLNode(bits[1][1:-1], parser.compile_filter(bits[2]))
