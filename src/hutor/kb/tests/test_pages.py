"""The public help pages through HTTP: no login, the reader's language, safe Markdown, "was this
helpful" (one vote per session, repeats change it, never a 500), suggestions while typing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from hutor.kb import actions
from hutor.kb.models import Vote

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_the_help_index_lists_categories_and_published_articles_in_russian(client, help_center):
    response = client.get("/help/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Оплата услуг и пополнение баланса" in page
    assert "Смена тарифа" in page
    assert "Черновик" not in page
    assert 'href="/help/payment-ru/"' in page
    assert 'name="q"' in page


def test_the_help_index_in_english(help_center):
    page = english().get("/help/").content.decode()
    assert "Payment for services and top-ups" in page
    assert 'href="/help/payment/"' in page
    assert "How can we help?" in page


def test_search_results_on_the_page(client, help_center):
    page = client.get("/help/", {"q": "оплатить"}).content.decode()
    assert page.index("Оплата услуг и пополнение баланса") < page.index("Продление хостинга")
    assert "Смена тарифа" not in page
    page = client.get("/help/", {"q": "zzzqqq"}).content.decode()
    assert "Ничего не найдено" in page
    page = english().get("/help/", {"q": '""" ;;'}).content.decode()
    assert "Type a word or two" in page


def test_an_article_in_the_readers_language_and_its_other_address(client, help_center):
    response = client.get("/help/payment-ru/")
    assert response.status_code == 200
    assert "Оплата картой или банковским переводом" in response.content.decode()
    # The English address in a Russian session leads to the Russian one, and back.
    assert client.get("/help/payment/").url == "/help/payment-ru/"
    assert english().get("/help/payment-ru/").url == "/help/payment/"
    response = english().get("/help/payment/")
    assert "Pay by card or by bank transfer" in response.content.decode()


def test_a_draft_or_unknown_article_is_not_found(client, help_center):
    assert client.get("/help/draft-ru/").status_code == 404
    assert client.get("/help/no-such-thing/").status_code == 404
    assert client.post("/help/draft-ru/vote/", {"helpful": "yes"}).status_code == 404


def test_markdown_is_rendered_without_any_html_of_the_author(client, help_center):
    values = {name: getattr(help_center.payment, name) for name in actions.ARTICLE_FIELDS}
    values["body_ru"] = (
        "## Раздел\n\n**жирный** <script>alert(1)</script> <b onclick=x>b</b>\n\n"
        "[наш сайт](https://example.com/) [плохая](javascript:alert(1)) "
        '<a href="https://evil.example/">raw</a>\n\n![img](data:image/png;base64,xx)\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    actions.save_article(article=help_center.payment, values=values)
    page = client.get("/help/payment-ru/").content.decode()
    body = page[page.index('class="kb-prose"') :]
    body = body[: body.index("kb-vote")]
    assert "<h2>Раздел</h2>" in body and "<strong>жирный</strong>" in body
    assert "<script" not in body and "&lt;script&gt;" in body
    assert "onclick" not in body.replace("&lt;b onclick=x&gt;", "")
    assert '<a href="https://example.com/" rel="nofollow noopener noreferrer">' in body
    assert '<a href="javascript' not in body and '<a href="https://evil' not in body
    assert "&lt;a href=" in body  # the raw tag shown as text
    assert '<img alt="img">' in body and "data:image" not in body
    assert "<table>" in body


def test_was_this_helpful_counts_one_vote_per_session(help_center):
    visitor = Client()
    url = "/help/payment-ru/vote/"
    response = visitor.post(url, {"helpful": "yes"})
    assert response.status_code == 302 and response.url == "/help/payment-ru/#helpful"
    assert visitor.post(url, {"helpful": "yes"}).status_code == 302  # a repeat: still one
    assert list(Vote.objects.values_list("helpful", flat=True)) == [True]
    assert visitor.post(url, {"helpful": "no"}).status_code == 302  # changes the answer
    assert list(Vote.objects.values_list("helpful", flat=True)) == [False]
    assert "Спасибо. Мы сделаем" in visitor.get("/help/payment-ru/").content.decode()
    Client().post(url, {"helpful": "yes"})  # another visitor
    assert Vote.objects.filter(article=help_center.payment).count() == 2
    # An htmx request gets the block back; a wrong answer is refused without a 500.
    response = visitor.post(url, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="helpful"' in response.content.decode()
    assert visitor.post(url, {"helpful": "maybe"}).status_code == 400
    assert visitor.get(url).status_code == 405
    assert Vote.objects.filter(article=help_center.payment).count() == 2


def test_suggestions_for_a_ticket_subject_as_json_and_html(client, help_center):
    response = client.get("/help/suggest/", {"q": "не могу оплатить"})
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["results"][0] == {
        "title": "Оплата услуг и пополнение баланса",
        "url": "/help/payment-ru/",
    }
    assert len(data["results"]) <= 5
    data = json.loads(english().get("/help/suggest/", {"q": "renew"}).content)
    assert data["results"] == [{"title": "Renewing hosting", "url": "/help/renewal/"}]
    assert json.loads(client.get("/help/suggest/").content) == {"query": "", "results": []}
    html = client.get("/help/suggest/", {"q": "тариф", "format": "html"}).content.decode()
    assert 'href="/help/tariff-ru/"' in html and "Смена тарифа" in html
    assert (
        client.get("/help/suggest/", {"q": "zzzqqq"}, HTTP_HX_REQUEST="true").content.strip() == b""
    )


def test_suggestions_are_limited_per_client_address(client, help_center, settings):
    settings.HUTOR_KB_SEARCHES_PER_IP_HOUR = 3
    for _ in range(3):
        assert client.get("/help/suggest/", {"q": "тариф"}).status_code == 200
    response = client.get("/help/suggest/", {"q": "тариф"})
    assert response.status_code == 429
    assert json.loads(response.content)["results"] == []
    assert client.get("/help/", {"q": "тариф"}).status_code == 429
    assert client.get("/help/").status_code == 200  # browsing is not a search
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.get("/help/suggest/", {"q": "тариф"}).status_code == 200


def test_the_storefront_and_the_panel_link_to_the_help_center(client, catalog, account_factory):
    assert 'href="/help/"' in client.get("/").content.decode()
    account = account_factory()
    client.force_login(account.user)
    assert 'href="/help/"' in client.get("/panel/").content.decode()
