"""Fixtures of the knowledge base's tests: articles written through kb.actions, desk logins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from hutor.backoffice.tests.conftest import desk_client, staff_factory  # noqa: F401
from hutor.kb import actions


def write(category, slug, title_ru, title_en, body_ru, body_en, *, published=True, position=0):
    article, _changes = actions.save_article(
        article=None,
        values={
            "category": category,
            "slug_ru": f"{slug}-ru",
            "slug_en": slug,
            "title_ru": title_ru,
            "title_en": title_en,
            "body_ru": body_ru,
            "body_en": body_en,
            "position": position,
        },
    )
    if published:
        actions.set_published(article=article, published=True)
    return article


@pytest.fixture
def help_center(db):
    """Two categories; a payment article, a renewal article that mentions payment only in its
    text, a tariff article, and an unpublished draft about payment."""
    billing, _ = actions.save_category(
        category=None,
        values={"slug": "billing", "name_ru": "Оплата", "name_en": "Billing", "position": 1},
    )
    services, _ = actions.save_category(
        category=None,
        values={"slug": "services", "name_ru": "Услуги", "name_en": "Services", "position": 2},
    )
    return SimpleNamespace(
        billing=billing,
        services=services,
        payment=write(
            billing,
            "payment",
            "Оплата услуг и пополнение баланса",
            "Payment for services and top-ups",
            "Оплата картой или банковским переводом. Номер счёта указан в письме.",
            "Pay by card or by bank transfer. The invoice number is in the email.",
            position=1,
        ),
        renewal=write(
            services,
            "renewal",
            "Продление хостинга",
            "Renewing hosting",
            "Хостинг продлевается автоматически; при нехватке денег нужна оплата счёта.",
            "Hosting renews by itself; when the balance is short the invoice needs a payment.",
            position=2,
        ),
        tariff=write(
            services,
            "tariff",
            "Смена тарифа",
            "Changing a tariff",
            "Тариф меняется на странице услуги.",
            "You change a tariff on the service's page.",
            position=3,
        ),
        draft=write(
            billing,
            "draft",
            "Черновик об оплате",
            "A draft about payment",
            "Оплата.",
            "Payment.",
            published=False,
        ),
    )
