"""Closing documents of several provider companies (issue 17, part 6): a customer served by
two companies gets an act from each, numbered in the issuing company's own gapless series
("closing-YYYY-c<company id>", whichever company is the default), with that
company's requisites; a correction stays in its company's series. Through
`hutor documents close-month` and the desk's "close the month again"."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from hutor.catalog.models import Tariff
from hutor.core.models import Provider, Sequence
from hutor.core.tests.companies import company_b
from hutor.documents.actions import sequence_name
from hutor.documents.models import ClosingDocument
from hutor.documents.tests.test_closing import COMPANY, at, close
from hutor.services.actions import place_order
from hutor.services.tariffs import change_tariff

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_companies_customers(account_factory, catalog, top_up, provider):
    """Company B sells VPS; three company customers order a hosting «Старт» (the default
    company's) for a month and a VPS-1 (B's) on 10.02.2026, paid from the balance."""
    b = company_b()
    Tariff.objects.filter(pk=catalog.vps1.pk).update(company=b)
    made = []
    with time_machine.travel(at("2026-02-10"), tick=False):
        for n in range(3):
            account = account_factory(**(COMPANY | {"name": f"ООО «Ромашка-{n}»"}))
            top_up(account, "5000.00")
            place_order(
                billing_account=account,
                price=catalog.price(catalog.start, 1),
                identifier=f"shop{n}.ru",
            )
            place_order(
                billing_account=account,
                price=catalog.price(catalog.vps1, 1),
                identifier=f"vps{n}.example.com",
            )
            made.append(account)
    return provider, b, made


def test_an_act_per_company_each_in_its_own_gapless_series(two_companies_customers, catalog):
    a, b, accounts = two_companies_customers
    assert sequence_name(2026, a) == f"closing-2026-c{a.pk}"
    assert sequence_name(2026, b) == f"closing-2026-c{b.pk}"
    assert "issued=6" in close("2026-02", "2026-03-01")
    for account in accounts:
        mine = ClosingDocument.objects.filter(billing_account=account)
        assert {d.company_id for d in mine} == {a.pk, b.pk}
        act_a, act_b = mine.get(company=a), mine.get(company=b)
        assert act_a.provider["inn"] == a.inn and act_b.provider["inn"] == b.inn
        assert act_b.provider["settlement_account"] == b.settlement_account
        assert [line.service.tariff for line in act_a.lines.all()] == [catalog.start]
        # The VPS's month and its setup fee (a one-off charge, paid with the order): B's.
        assert [line.service.tariff for line in act_b.lines.all()] == [catalog.vps1] * 2
        assert act_b.lines.get(invoice_line__isnull=False).amount == Decimal("500.00")
    for company in (a, b):
        numbers = ClosingDocument.objects.filter(company=company).values_list("number", flat=True)
        assert sorted(numbers) == [1, 2, 3]  # gapless, per company
    # A rerun adds nothing to either series.
    assert "issued=0 corrections=0 unchanged=3" in close("2026-02", "2026-03-02")
    assert Sequence.objects.get(name=f"closing-2026-c{b.pk}").next_value == 4
    assert Sequence.objects.get(name=f"closing-2026-c{a.pk}").next_value == 4


def test_a_correction_is_numbered_in_its_company_s_series(two_companies_customers, catalog):
    a, b, accounts = two_companies_customers
    close("2026-02", "2026-03-01")
    shop = accounts[0].services.get(tariff=catalog.start)
    with time_machine.travel(at("2026-02-20"), tick=False):  # recorded late, dated February
        change_tariff(service=shop, new_tariff=catalog.pro)
    out = close("2026-02", "2026-03-05")
    assert "corrections=1" in out
    correction = ClosingDocument.objects.get(correction=1)
    assert correction.company_id == a.pk and correction.number == 4
    assert correction.corrects.company_id == a.pk
    assert correction.total > Decimal(0)
    assert not ClosingDocument.objects.filter(company=b, correction__gt=0).exists()


def test_moving_the_default_mid_year_leaves_each_series_where_it_was(
    two_companies_customers, catalog
):
    """A series is named by its company's id, not by which company is the default: after the
    default moves from A to B, A's next document is still A's number 4, not a second number 1.
    And a month closed again keeps each part of a service with the company whose invoice sold
    it: the hosting's days before the late upgrade stay A's (its invoice was A's); the upgrade,
    invoiced now that B is the default, is B's (the hosting tariffs name no company)."""
    a, b, accounts = two_companies_customers
    close("2026-02", "2026-03-01")
    Provider.objects.filter(pk=a.pk).update(is_default=False)
    Provider.objects.filter(pk=b.pk).update(is_default=True)
    shop = accounts[0].services.get(tariff=catalog.start)
    with time_machine.travel(at("2026-02-20"), tick=False):
        change_tariff(service=shop, new_tariff=catalog.pro)
    assert "corrections=2 unchanged=2" in close("2026-02", "2026-03-05")
    of_a = ClosingDocument.objects.get(correction=1, company=a)
    of_b = ClosingDocument.objects.get(correction=1, company=b)
    assert (of_a.number, of_b.number) == (4, 4)  # each company's series, each continued
    assert of_a.corrects.company_id == a.pk and of_b.corrects.company_id == b.pk
    assert of_a.total < of_a.corrects.total and of_b.total > of_b.corrects.total
    names = set(Sequence.objects.filter(name__startswith="closing-").values_list("name", flat=True))
    assert names == {f"closing-2026-c{a.pk}", f"closing-2026-c{b.pk}"}
    # The other customers' months are untouched: no line moved to B with the default.
    for account in accounts[1:]:
        assert not ClosingDocument.objects.filter(billing_account=account, correction=1).exists()
