"""Staff writing the knowledge base in the desk, over HTTP: every desk role may write and
publish (support and above), each change is audited with its reason, a visitor without a desk
session is sent to the desk's login, refused changes say why."""

from __future__ import annotations

import pytest
from django.test import Client

from hutor.backoffice.models import AuditEntry, Role
from hutor.kb.models import Article, ArticleStatus, Category

pytestmark = pytest.mark.django_db


def article_form(category, **changes):
    data = {
        "category": category.pk,
        "title_ru": "Как оплатить счёт",
        "slug_ru": "kak-oplatit-schet",
        "body_ru": "Оплата счёта с **баланса**.",
        "title_en": "How to pay an invoice",
        "slug_en": "how-to-pay-an-invoice",
        "body_en": "Paying an invoice from the **balance**.",
        "position": "5",
        "reason": "New article for the billing FAQ",
    }
    return data | changes


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.ADMIN])
def test_staff_write_and_publish_an_article_and_each_step_is_audited(
    desk_client, help_center, role
):
    client, staff = desk_client(role)
    assert client.get("/desk/kb/").status_code == 200
    assert client.get("/desk/kb/new/").status_code == 200
    response = client.post("/desk/kb/new/", article_form(help_center.billing))
    article = Article.objects.get(slug_en="how-to-pay-an-invoice")
    assert response.status_code == 302 and response.url == f"/desk/kb/{article.pk}/"
    assert article.status == ArticleStatus.DRAFT
    assert Client().get("/help/kak-oplatit-schet/").status_code == 404  # a draft

    page = client.get(f"/desk/kb/{article.pk}/").content.decode()
    assert "<strong>баланса</strong>" in page and "<strong>balance</strong>" in page

    response = client.post(f"/desk/kb/{article.pk}/publish/", {"reason": "Reviewed"})
    assert response.status_code == 302
    assert Client().get("/help/kak-oplatit-schet/").status_code == 200
    assert Client().get("/help/suggest/", {"q": "оплатить счёт"}).json()["results"][0] == {
        "title": "Как оплатить счёт",
        "url": "/help/kak-oplatit-schet/",
    }

    edit = article_form(help_center.billing, title_en="Paying an invoice", reason="Shorter title")
    assert client.post(f"/desk/kb/{article.pk}/edit/", edit).status_code == 302
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "Paying an invoice" in english.get("/help/how-to-pay-an-invoice/").content.decode()

    response = client.post(f"/desk/kb/{article.pk}/unpublish/", {"reason": "Outdated"})
    assert response.status_code == 302
    assert Client().get("/help/kak-oplatit-schet/").status_code == 404

    entries = list(AuditEntry.objects.order_by("pk").values_list("action", "reason", "staff_id"))
    assert entries == [
        ("kb.edit", "New article for the billing FAQ", staff.pk),
        ("kb.publish", "Reviewed", staff.pk),
        ("kb.edit", "Shorter title", staff.pk),
        ("kb.publish", "Outdated", staff.pk),
    ]
    changes = AuditEntry.objects.filter(action="kb.edit").order_by("pk").last().changes
    assert changes == {"title_en": {"from": "How to pay an invoice", "to": "Paying an invoice"}}
    publish = AuditEntry.objects.filter(action="kb.publish").order_by("pk").first()
    assert publish.object_type == "kb_article" and publish.object_id == str(article.pk)
    assert publish.changes == {"status": {"from": "draft", "to": "published"}}


def test_the_audit_log_reads_the_kb_entries_in_words(desk_client, help_center):
    client, _staff = desk_client(Role.SUPPORT)
    client.post(f"/desk/kb/{help_center.draft.pk}/publish/", {"reason": "Ready"})
    auditor, _ = desk_client(Role.ADMIN)
    page = auditor.get("/desk/audit/").content.decode()
    assert "Справочная статья опубликована или снята" in page
    assert "опубликована" in page


def test_a_category_is_added_and_renamed_with_a_reason(desk_client, help_center):
    client, _staff = desk_client(Role.SUPPORT)
    data = {"name_ru": "Домены", "name_en": "Domains", "slug": "domains", "position": "3"}
    assert client.post("/desk/kb/categories/new/", data).status_code == 200  # no reason
    assert not Category.objects.filter(slug="domains").exists()
    response = client.post("/desk/kb/categories/new/", data | {"reason": "New section"})
    assert response.status_code == 302
    category = Category.objects.get(slug="domains")
    response = client.post(
        f"/desk/kb/categories/{category.pk}/",
        data | {"name_en": "Domain names", "reason": "Wording"},
    )
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.name_en == "Domain names"
    assert AuditEntry.objects.filter(action="kb.category").count() == 2
    taken = data | {"slug": "billing", "reason": "Clash"}
    page = client.post(f"/desk/kb/categories/{category.pk}/", taken).content.decode()
    assert "уже у другого раздела" in page


def test_refused_changes_say_why_and_change_nothing(desk_client, help_center):
    client, _staff = desk_client(Role.SUPPORT)
    taken = article_form(help_center.billing, slug_en="payment")  # the payment article's
    page = client.post("/desk/kb/new/", taken).content.decode()
    assert "уже у другой статьи" in page
    reserved = article_form(help_center.billing, slug_ru="suggest")
    assert "занят страницей справки" in client.post("/desk/kb/new/", reserved).content.decode()
    no_reason = article_form(help_center.billing, reason=" ")
    assert client.post("/desk/kb/new/", no_reason).status_code == 200
    assert not Article.objects.filter(title_ru="Как оплатить счёт").exists()
    # Publishing twice: the second click is told it is done already.
    client.post(f"/desk/kb/{help_center.payment.pk}/publish/", {"reason": "again"})
    assert (
        "уже опубликована"
        in client.post(
            f"/desk/kb/{help_center.payment.pk}/publish/", {"reason": "again"}
        ).content.decode()
    )
    assert not AuditEntry.objects.exists()


def test_only_staff_with_a_desk_session_reach_the_kb_pages(client, help_center, account_factory):
    for url in ("/desk/kb/", "/desk/kb/new/", f"/desk/kb/{help_center.payment.pk}/publish/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/desk/login/")
    customer = account_factory()
    client.force_login(customer.user)
    response = client.post("/desk/kb/new/", article_form(help_center.billing))
    assert response.status_code == 302 and response.url.startswith("/desk/login/")
    assert not Article.objects.filter(slug_en="how-to-pay-an-invoice").exists()
