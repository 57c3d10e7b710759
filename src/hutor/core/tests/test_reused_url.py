"""{% reused_url %} (core/templatetags/fragments.py) gives what {% url %} gives, the route
reversed once per process: for ids, invoice numbers, slugs and paths, values that need quoting
or that the route refuses, another script prefix and another language."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, get_script_prefix, set_script_prefix
from django.utils import translation

from hutor.core.templatetags.fragments import uncached

ROUTES = {
    "panel:service_renew": [1, 987_654_321, "42", "007"],
    "panel:invoice_detail": ["2026-000123", "A.b~c_d-1", 17, "СЧ-1", "a b", "x&y", "a%2Fb", "None"],
    # Converters other than int and str: a slug is reversed every time, a path without "/"
    # between the halves, with "/" reversed.
    "kb:article": ["intro", "a-b_c", 12],
    "panel:offer_version": ["1.0", "2026/1", "x~y"],
}


def both(name: str, value: object, *, autoescape: bool = True) -> tuple[str, str]:
    context = {"value": value}
    fast = Template('{% load fragments %}{% reused_url "' + name + '" value %}')
    plain = Template('{% url "' + name + '" value %}')
    return (
        fast.render(Context(context, autoescape=autoescape)),
        plain.render(Context(context, autoescape=autoescape)),
    )


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in ROUTES.items() for value in values]
)
def test_the_same_url_as_the_url_tag(name, value):
    for _ in range(2):  # the first reverses the route, the second reuses its halves
        fast, plain = both(name, value)
        assert fast == plain
    fast, plain = both(name, value, autoescape=False)
    assert fast == plain


@pytest.mark.parametrize(
    ("name", "value"),
    [("panel:service_renew", value) for value in ["abc", "1a", "", None, "1/2"]]
    + [("kb:article", "a.b"), ("panel:invoice_detail", "a/b")],
)
def test_a_value_the_route_refuses_is_refused_as_by_the_url_tag(name, value):
    for tag in ["url", "reused_url"]:
        template = Template("{% load fragments %}{% " + tag + ' "' + name + '" value %}')
        with pytest.raises(NoReverseMatch):
            template.render(Context({"value": value}))


def test_another_script_prefix_and_language():
    template = Template('{% load fragments %}{% reused_url "panel:service_detail" 5 %}')
    assert template.render(Context()) == "/panel/services/5/"
    prefix = get_script_prefix()
    set_script_prefix("/billing/")
    try:
        assert template.render(Context()) == "/billing/panel/services/5/"
        with translation.override("en"):
            assert template.render(Context()) == "/billing/panel/services/5/"
    finally:
        set_script_prefix(prefix)
    assert template.render(Context()) == "/panel/services/5/"
    with uncached():
        assert template.render(Context()) == "/panel/services/5/"


@pytest.mark.parametrize(
    "tag",
    [
        "{% reused_url %}",
        "{% reused_url panel:home 1 %}",
        '{% reused_url "panel:service_detail" %}',
        '{% reused_url "panel:service_detail" 1 2 %}',
    ],
)
def test_a_malformed_tag_is_refused(tag):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load fragments %}" + tag)
