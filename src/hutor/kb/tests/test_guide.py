"""The guide to the billing panel shipped with Hutor (kb.guide): both languages, installed by
`hutor guide sync` and `hutor demo`, staff edits kept over `hutor demo` and a new release, the
newer text offered in the desk with its difference, taken or kept there."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hutor.backoffice.models import AuditEntry
from hutor.backoffice.roles import Role
from hutor.kb import actions, guide
from hutor.kb.markdown import render
from hutor.kb.models import Article, ArticleStatus

pytestmark = pytest.mark.django_db

TASKS = {
    "index",
    "account-number",
    "home-page",
    "ordering",
    "paying-an-invoice",
    "top-up",
    "renewing",
    "changing-tariff",
    "auto-renewal",
    "balance-history",
    "documents",
    "security",
    "support",
}


def test_every_task_has_an_article_in_both_languages_with_its_images():
    shipped = guide.shipped()
    assert set(shipped) == TASKS
    slugs = [s for spec in shipped.values() for s in (spec.slug_ru, spec.slug_en)]
    assert len(slugs) == len(set(slugs))
    for key, spec in shipped.items():
        for language in ("ru", "en"):
            assert getattr(spec, f"title_{language}"), (key, language)
            assert len(getattr(spec, f"body_{language}")) > 200, (key, language)
            images = guide.IMAGE.findall(getattr(spec, f"body_{language}"))
            assert all(f"-{language}-" in name for name in images), (key, language, images)
        if key != "index":
            assert spec.images(), key
        # The same pictures in both languages, each in its own language.
        ru = {n.replace("-ru-", "-") for n in guide.IMAGE.findall(spec.body_ru)}
        en = {n.replace("-en-", "-") for n in guide.IMAGE.findall(spec.body_en)}
        assert ru == en, key
        # Every image an article shows is committed (made by `make guide-screenshots`).
        for name in spec.images():
            assert (guide.IMAGES / name).is_file(), name
        # The images survive the Markdown cleaner.
        assert render(spec.body_en).count("<img") == len(guide.IMAGE.findall(spec.body_en))
    # The table of contents links every other article, in each language.
    index = shipped["index"]
    for key, spec in shipped.items():
        if key != "index":
            assert f"(/help/{spec.slug_ru}/)" in index.body_ru, key
            assert f"(/help/{spec.slug_en}/)" in index.body_en, key


def test_the_guide_is_published_and_read_in_both_languages():
    call_command("guide", "sync")
    assert Article.objects.filter(guide_key__isnull=False).count() == len(TASKS)
    assert not Article.objects.filter(guide_key__isnull=False, status=ArticleStatus.DRAFT).exists()
    client = Client()
    for spec in guide.shipped().values():
        for language in ("ru", "en"):
            page = client.get(
                f"/help/{getattr(spec, f'slug_{language}')}/", HTTP_ACCEPT_LANGUAGE=language
            )
            assert page.status_code == 200
            assert f'lang="{language}"' in page.content.decode()
    # The ticket form's suggestions find the guide too.
    found = client.get(reverse("kb:suggest"), {"q": "пополнить баланс"}).json()["results"]
    assert "/help/panel-popolnenie/" in [row["url"] for row in found]
    found = client.get(
        reverse("kb:suggest"), {"q": "second factor"}, HTTP_ACCEPT_LANGUAGE="en"
    ).json()["results"]
    assert "/help/panel-security/" in [row["url"] for row in found]


@pytest.fixture
def release(tmp_path, monkeypatch):
    """The guide's files in a folder of their own, so a test can ship a new release."""
    folder = tmp_path / "guide"
    shutil.copytree(guide.FOLDER, folder)
    monkeypatch.setattr(guide, "FOLDER", folder)
    guide.shipped.cache_clear()
    yield folder
    guide.shipped.cache_clear()


def staff_edit(key: str, **values: str) -> Article:
    article = Article.objects.get(guide_key=key)
    current = {name: getattr(article, name) for name in actions.ARTICLE_FIELDS}
    saved, _changes = actions.save_article(article=article, values=current | values)
    return saved


def test_a_staff_edit_survives_demo_and_a_new_release_which_the_desk_offers(release, desk_client):
    call_command("demo")
    edited = staff_edit("top-up", body_ru="Наш собственный текст о пополнении.")
    call_command("demo")  # `make run` again: the edit stays
    edited.refresh_from_db()
    assert edited.body_ru == "Наш собственный текст о пополнении."
    client, _staff = desk_client(Role.SUPPORT)
    page = client.get(reverse("desk:kb_article", args=[edited.pk])).content.decode()
    assert 'data-testid="kb-shipped"' not in page  # nothing newer is shipped

    # A new release changes two articles: the unedited one follows, the edited one stays.
    for key in ("top-up", "renewing"):
        path = release / f"{key}.en.md"
        path.write_text(path.read_text() + "\nA new paragraph of the new release.\n")
    guide.shipped.cache_clear()
    call_command("guide", "sync")
    renewing = Article.objects.get(guide_key="renewing")
    assert renewing.body_en.endswith("A new paragraph of the new release.\n")
    edited.refresh_from_db()
    assert edited.body_ru == "Наш собственный текст о пополнении."
    assert "A new paragraph" not in edited.body_en
    call_command("demo")
    edited.refresh_from_db()
    assert edited.body_ru == "Наш собственный текст о пополнении."

    # The desk shows the difference and both answers.
    page = client.get(reverse("desk:kb_article", args=[edited.pk])).content.decode()
    assert 'data-testid="kb-shipped"' in page
    assert "+A new paragraph of the new release." in page
    assert "-Наш собственный текст о пополнении." in page
    assert reverse("desk:kb_guide_take", args=[edited.pk]) in page
    assert reverse("desk:kb_guide_keep", args=[edited.pk]) in page
    # Not without a reason.
    answer = client.post(reverse("desk:kb_guide_take", args=[edited.pk]), {"reason": ""})
    assert answer.status_code == 200
    edited.refresh_from_db()
    assert "A new paragraph" not in edited.body_en
    # Taken: the article is the shipped text again and follows the next releases by itself.
    answer = client.post(reverse("desk:kb_guide_take", args=[edited.pk]), {"reason": "Update"})
    assert answer.status_code == 302
    edited.refresh_from_db()
    spec = guide.shipped()["top-up"]
    assert (edited.body_ru, edited.body_en) == (spec.body_ru, spec.body_en)
    assert guide.pending(edited) is None
    assert AuditEntry.objects.filter(action="kb.guide", object_id=str(edited.pk)).count() == 1
    page = client.get(reverse("desk:kb_article", args=[edited.pk])).content.decode()
    assert 'data-testid="kb-shipped"' not in page
    # Taking again is refused, not a 500.
    answer = client.post(reverse("desk:kb_guide_take", args=[edited.pk]), {"reason": "Again"})
    assert answer.status_code == 200
    assert "нет нового поставленного текста" in answer.content.decode()  # the desk speaks ru


def test_keeping_their_text_is_not_asked_again_until_the_next_release(release, desk_client):
    guide.sync()
    edited = staff_edit("security", title_en="Keeping your account safe")
    path = release / "security.en.md"
    path.write_text(path.read_text() + "\nRelease two.\n")
    guide.shipped.cache_clear()
    assert guide.sync().kept == ["security"]
    client, _staff = desk_client(Role.SUPPORT)
    answer = client.post(reverse("desk:kb_guide_keep", args=[edited.pk]), {"reason": "Ours"})
    assert answer.status_code == 302
    edited.refresh_from_db()
    assert edited.title_en == "Keeping your account safe"
    assert "Release two." not in edited.body_en
    assert guide.pending(edited) is None
    assert guide.sync().kept == []  # declined: quiet
    path.write_text(path.read_text() + "\nRelease three.\n")
    guide.shipped.cache_clear()
    assert guide.sync().kept == ["security"]  # a later release is offered again
    assert guide.pending(edited) is not None


def test_staff_own_articles_and_an_address_taken_by_one(help_center):
    """A provider's own article keeps its address: the shipped one is not installed."""
    article = help_center.payment
    values = {name: getattr(article, name) for name in actions.ARTICLE_FIELDS}
    actions.save_article(article=article, values=values | {"slug_en": "panel-top-up"})
    result = guide.sync()
    assert [line.split(":")[0] for line in result.refused] == ["top-up"]
    assert Article.objects.get(slug_en="panel-top-up").pk == article.pk
    assert Article.objects.filter(guide_key__isnull=False).count() == len(TASKS) - 1
