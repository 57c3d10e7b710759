"""Every page of the billing panel has a "?" opening the guide article about it, in the page's
language, and the panel's footer links the guide (kb.guide.PANEL_PAGES is the one mapping)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils.html import escape

from hutor.accounts.emails import email_change_token
from hutor.core.money import Money
from hutor.domains.actions import create_contact_profile
from hutor.domains.tests.data import person
from hutor.invoices.models import Invoice
from hutor.kb import guide
from hutor.kb.models import Article
from hutor.payments.actions import start_top_up
from hutor.services.actions import place_order
from hutor.support.actions import open_ticket
from hutor.support.tests.data import department

pytestmark = pytest.mark.django_db

# The panel's URLs that are no page of the panel, and why (every other one is in PANEL_PAGES).
NOT_PAGES = {
    "storefront": "public: the storefront",
    "offer": "public: the offer",
    "offer_version": "public: the offer",
    "domain_search": "public: the domain search",
    "login": "the login page",
    "logout": "an action",
    "invoice_public": "public: an invoice's page from its email",
    "invoice_public_pay": "an action",
    "service_auto_renew": "an action (POST)",
    "service_cancel": "an action (POST)",
    "domain_transfer_code": "an action (POST); its answer is shown once",
    "profile_email": "an action (POST)",
    "payment_document": "a bank document on a page of its own, to print",
    "service_reset_password": "an action (POST)",
    "service_log_in": "an action (POST)",
    "domain_sync": "an action (POST)",
    "domain_nameservers": "an action (POST)",
    "domain_lock": "an action (POST)",
    "service_certificate_check": "an action (POST)",
    "service_certificate": "a file",
    "invoice_pdf": "a file",
    "invoice_pay": "an action (POST)",
    "payment_document_pdf": "a file",
    "payment_pay": "an action (POST)",
    "balance_csv": "a file",
    "balance_xlsx": "a file",
    "closing_document_pdf": "a file",
    "advance_invoice_pdf": "a file",
    "closing_document_xml": "a file",
    "advance_invoice_xml": "a file",
    "profile_email_confirm": "a link from an email, answered by a redirect",
    "ticket_close": "an action (POST)",
    "ticket_file": "a file",
    "order": "public: the order form, before any login",
    "order_done": "public: the order's result",
    "activate": "public: setting the first password",
}
HELP = re.compile(r'<a class="panel-help" href="([^"]+)"')
GUIDE = re.compile(r'<a href="([^"]+)" data-testid="guide-index"')


def panel_names() -> set[str]:
    _namespace, resolver = get_resolver().namespace_dict["panel"]
    return {name for name in resolver.reverse_dict if isinstance(name, str)}


def test_every_panel_url_is_a_page_with_help_or_listed_as_none():
    names = panel_names()
    assert set(guide.PANEL_PAGES) | set(NOT_PAGES) == names
    assert set(guide.PANEL_PAGES) & set(NOT_PAGES) == set()
    assert set(guide.PANEL_PAGES.values()) <= set(guide.shipped())


@pytest.fixture
def customer(account_factory, catalog, payment_methods, top_up):
    guide.sync()
    account = account_factory(password="Pass-word-2026")
    service = place_order(
        billing_account=account, price=catalog.price(catalog.start, 1), identifier="guide.ru"
    )
    top_up(account, "100")
    bank = start_top_up(billing_account=account, method=payment_methods.bank, amount=Money("500"))
    contact = create_contact_profile(billing_account=account, **person())
    ticket = open_ticket(
        subject="Help", text="My site", department=department(), billing_account=account
    )
    client = Client()
    client.force_login(account.user)
    return client, {
        "pk": service.pk,
        "number": {
            "invoice_detail": Invoice.objects.get(billing_account=account).number,
            "payment_detail": bank.number,
            "ticket_detail": ticket.number,
        },
        "contact": contact.pk,
        "token": email_change_token(account, "new@example.com"),
    }


def page_url(name: str, objects: dict) -> str:
    _namespace, resolver = get_resolver().namespace_dict["panel"]
    params = resolver.reverse_dict.getlist(name)[0][0][0][1]
    kwargs: dict[str, object] = {}
    for param in params:
        if param == "number":
            kwargs[param] = objects["number"][name]
        elif param == "pk":
            kwargs[param] = objects["contact"] if name.startswith("contact") else objects["pk"]
        else:
            kwargs[param] = objects[param]
    return reverse(f"panel:{name}", kwargs=kwargs)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_panel_page_has_a_help_link_to_its_article_in_the_page_language(customer, language):
    client, objects = customer
    client.cookies["django_language"] = language
    articles = {a.guide_key: a for a in Article.objects.filter(guide_key__isnull=False)}
    for name, key in sorted(guide.PANEL_PAGES.items()):
        url = page_url(name, objects)
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200, (name, url, page.status_code)
        assert f'lang="{language}"' in page.content.decode()
        found = HELP.findall(page.content.decode())
        assert len(found) == 1, (name, url)
        slug = getattr(articles[key], f"slug_{language}")
        assert found[0] == f"/help/{slug}/", (name, found)
        article = client.get(found[0], HTTP_ACCEPT_LANGUAGE=language)
        assert article.status_code == 200, (name, found[0])
        assert escape(getattr(articles[key], f"title_{language}")) in article.content.decode()
        index = GUIDE.findall(page.content.decode())
        assert index == [f"/help/{getattr(articles['index'], f'slug_{language}')}/"], name


def test_the_help_link_falls_back_to_nothing_when_the_guide_is_not_installed(account_factory):
    client = Client()
    client.force_login(account_factory(password="Pass-word-2026").user)
    page = client.get(reverse("panel:home")).content.decode()
    assert HELP.findall(page) == []
    assert GUIDE.findall(page) == [reverse("kb:index")]
