"""The desk's tax rules page: an administrator sees each company's rules with the one in force,
adds next year's rate ahead of time, withdraws it before it takes effect; a rule that does not
fit its regime is refused on the form in the reader's language and nothing is written; a rule in
force stays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hutor.backoffice.models import AuditEntry, Role
from hutor.core import clock
from hutor.core.models import Provider
from hutor.taxes import actions as taxes
from hutor.taxes.models import TaxRule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("provider")]


def next_new_year() -> dt.date:
    return dt.date(clock.today().year + 1, 1, 1)


def test_the_rules_by_date_with_the_one_in_force(desk_client):
    client, _admin = desk_client(Role.ADMIN)
    provider = Provider.objects.get(pk=1)
    taxes.add_rule(
        provider=provider, regime="general", rate=Decimal(20), effective_from=dt.date(2019, 1, 1)
    )
    taxes.add_rule(
        provider=provider, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1)
    )
    taxes.add_rule(
        provider=provider, regime="simplified", rate=None, effective_from=next_new_year()
    )
    page = client.get("/desk/taxes/").content.decode()
    assert "01.01.2026" in page and "01.01.2019" in page
    assert page.index("01.01.2026") < page.index("действует") < page.index("01.01.2019")
    assert "запланировано" in page and "без НДС" in page
    # Only the scheduled rule can be withdrawn.
    assert page.count("/withdraw/") == 1


def test_next_years_rate_added_ahead_then_withdrawn(desk_client):
    client, admin = desk_client(Role.ADMIN)
    day = next_new_year()
    response = client.post(
        "/desk/taxes/1/new/",
        {"regime": "general", "rate": "22", "effective_from": day.isoformat(), "reason": "Закон"},
    )
    assert response.status_code == 302
    rule = TaxRule.objects.get(effective_from=day)
    assert rule.regime == "general" and rule.rate == Decimal(22)
    entry = AuditEntry.objects.get(action="tax.rule_add")
    assert entry.staff == admin and entry.changes["rate"] == {"from": None, "to": "22"}
    response = client.post(f"/desk/taxes/rules/{rule.pk}/withdraw/", {"reason": "Ошибка"})
    assert response.status_code == 302 and not TaxRule.objects.exists()


@pytest.mark.parametrize(
    ("language", "values", "message"),
    [
        (
            "ru",
            {"regime": "general", "rate": "13"},
            "Для общей системы ставка НДС — 22, 20, 18, 10 или 0 %.",
        ),
        (
            "en",
            {"regime": "simplified", "rate": "5"},
            "The simplified regime without VAT has no VAT rate",
        ),
    ],
)
def test_a_rate_that_does_not_fit_is_refused_on_the_form(desk_client, language, values, message):
    client, _admin = desk_client(Role.ADMIN)
    client.cookies["django_language"] = language
    data = values | {"effective_from": next_new_year().isoformat(), "reason": "x"}
    response = client.post("/desk/taxes/1/new/", data, headers={"Accept-Language": language})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TaxRule.objects.exists() and not AuditEntry.objects.exists()


def test_a_rule_in_force_cannot_be_withdrawn(desk_client):
    client, _admin = desk_client(Role.ADMIN)
    rule = taxes.add_rule(
        provider=Provider.objects.get(pk=1),
        regime="general",
        rate=Decimal(22),
        effective_from=dt.date(2026, 1, 1),
    )
    response = client.post(f"/desk/taxes/rules/{rule.pk}/withdraw/", {"reason": "Ошибка"})
    assert response.status_code == 200
    assert "Вступившее в силу налоговое правило нельзя" in response.content.decode()
    assert TaxRule.objects.filter(pk=rule.pk).exists()
