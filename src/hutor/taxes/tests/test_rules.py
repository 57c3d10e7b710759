"""Tax rules: which rate each regime takes, one rule per company and date, the rule in force on
a day, VAT rounding per line and per document, and the rules edited in the admin."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from hutor.conftest import open_desk_session
from hutor.core.money import Money
from hutor.taxes import actions
from hutor.taxes.calculations import NO_RULE, TaxTerms, check_rule, label_ru, lines_vat
from hutor.taxes.exceptions import TaxRuleInvalid
from hutor.taxes.models import SINCE_EVER, TaxRegime, TaxRule
from hutor.taxes.queries import terms_on

pytestmark = pytest.mark.django_db

NEW_YEAR = dt.date(2026, 1, 1)


def rub(amount: str) -> Money:
    return Money(amount, "RUB")


@pytest.mark.parametrize(
    ("regime", "rate", "ok"),
    [
        (TaxRegime.GENERAL, Decimal(22), True),
        (TaxRegime.GENERAL, Decimal(20), True),
        (TaxRegime.GENERAL, Decimal(10), True),
        (TaxRegime.GENERAL, Decimal(0), True),
        (TaxRegime.GENERAL, Decimal(5), False),
        (TaxRegime.GENERAL, None, False),
        (TaxRegime.SIMPLIFIED, None, True),
        (TaxRegime.SIMPLIFIED, Decimal(0), False),
        (TaxRegime.SIMPLIFIED_VAT5, Decimal(5), True),
        (TaxRegime.SIMPLIFIED_VAT5, Decimal(7), False),
        (TaxRegime.SIMPLIFIED_VAT7, Decimal(7), True),
        (TaxRegime.SIMPLIFIED_VAT7, None, False),
        ("patent", None, False),
    ],
)
def test_a_regime_takes_only_its_rates(regime, rate, ok):
    assert (check_rule(regime, rate) is None) == ok


def test_the_refusals_speak_the_readers_language():
    with translation.override("ru"):
        assert "5" in str(check_rule(TaxRegime.SIMPLIFIED_VAT5, Decimal(7)))
        assert str(check_rule(TaxRegime.SIMPLIFIED, Decimal(5))).startswith("Для упрощённой")
    with translation.override("en"):
        assert str(check_rule(TaxRegime.SIMPLIFIED, Decimal(5))).startswith("The simplified")


def test_the_rule_in_force_is_the_latest_that_took_effect(provider):
    actions.add_rule(
        provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(20), effective_from=SINCE_EVER
    )
    actions.add_rule(
        provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(22), effective_from=NEW_YEAR
    )
    assert terms_on(provider.pk, dt.date(1999, 12, 31)) == NO_RULE
    assert terms_on(provider.pk, dt.date(2025, 12, 31)) == TaxTerms("general", Decimal(20))
    assert terms_on(provider.pk, NEW_YEAR) == TaxTerms("general", Decimal(22))
    assert terms_on(provider.pk, dt.date(2031, 6, 1)).rate == 22


def test_two_rules_on_one_date_are_refused_and_a_bad_rate_writes_nothing(provider):
    actions.add_rule(
        provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(22), effective_from=NEW_YEAR
    )
    with translation.override("en"), pytest.raises(TaxRuleInvalid, match="already has a tax"):
        actions.add_rule(
            provider=provider, regime=TaxRegime.SIMPLIFIED, rate=None, effective_from=NEW_YEAR
        )
    with pytest.raises(TaxRuleInvalid):
        actions.add_rule(
            provider=provider,
            regime=TaxRegime.SIMPLIFIED_VAT5,
            rate=Decimal(22),
            effective_from=dt.date(2027, 1, 1),
        )
    assert TaxRule.objects.count() == 1


def test_only_a_rule_not_yet_in_force_can_be_withdrawn(provider):
    past = actions.add_rule(
        provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(20), effective_from=SINCE_EVER
    )
    future = actions.add_rule(
        provider=provider,
        regime=TaxRegime.GENERAL,
        rate=Decimal(22),
        effective_from=dt.date.today() + dt.timedelta(days=30),
    )
    with pytest.raises(TaxRuleInvalid):
        actions.withdraw_rule(rule=past)
    actions.withdraw_rule(rule=future)
    assert list(TaxRule.objects.all()) == [past]


def test_vat_is_rounded_half_up_per_line_and_the_document_sums_the_lines():
    # 199.00 x 20 / 120 = 33.1666... -> 33.17; 0.03 x 20 / 120 = 0.005 -> 0.01 (half up).
    result = lines_vat([rub("199.00"), rub("199.00"), rub("0.03")], Decimal(20))
    assert result is not None
    lines, total = result
    assert lines == [rub("33.17"), rub("33.17"), rub("0.01")]
    assert total == rub("66.35")  # the VAT of the total in one go would be 66.34 (398.03 / 6)
    assert lines_vat([rub("199.00")], None) is None
    assert lines_vat([rub("100.00")], Decimal(0)) == ([rub("0.00")], rub("0.00"))


def test_documents_state_the_tax_in_russian():
    assert label_ru(None) == "Без НДС"
    assert label_ru(Decimal("22.00")) == "В т.ч. НДС 22%"
    assert label_ru(Decimal("5.00")) == "В т.ч. НДС 5%"


ADD = "/admin/taxes/taxrule/add/"


def _form(provider, **fields):
    return {"provider": provider.pk, "regime": "general", "rate": "22", "effective_from": ""} | {
        key: str(value) for key, value in fields.items()
    }


def test_the_admin_adds_rules_and_says_what_is_wrong(client, admin_user, provider):
    open_desk_session(client, admin_user)
    ok = client.post(ADD, _form(provider, effective_from="2026-01-01"))
    assert ok.status_code == 302
    assert terms_on(provider.pk, NEW_YEAR) == TaxTerms("general", Decimal(22))

    bad = client.post(
        ADD,
        _form(provider, regime="simplified_vat5", rate="7", effective_from="2027-01-01"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    same = client.post(ADD, _form(provider, effective_from="2026-01-01"))  # staff's Russian
    assert bad.status_code == 200
    assert "takes the rate 5 %" in bad.content.decode()
    assert same.status_code == 200
    assert "уже есть налоговое правило, действующее с" in same.content.decode()
    assert TaxRule.objects.count() == 1


def test_the_admin_does_not_edit_or_delete_a_rule_in_force(client, admin_user, provider):
    rule = actions.add_rule(
        provider=provider, regime=TaxRegime.GENERAL, rate=Decimal(20), effective_from=SINCE_EVER
    )
    open_desk_session(client, admin_user)
    assert client.get(f"/admin/taxes/taxrule/{rule.pk}/delete/").status_code == 403
    page = client.post(
        f"/admin/taxes/taxrule/{rule.pk}/change/", _form(provider, effective_from="2000-01-01")
    )
    assert page.status_code == 403
    rule.refresh_from_db()
    assert rule.rate == 20


@pytest.mark.parametrize("rate", ["-22", "100.01", "1e30", "22.5", "abc", "NaN"])
def test_the_admin_refuses_a_rate_no_regime_takes(client, admin_user, provider, rate):
    open_desk_session(client, admin_user)
    response = client.post(ADD, _form(provider, rate=rate, effective_from="2026-01-01"))
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert not TaxRule.objects.exists()
