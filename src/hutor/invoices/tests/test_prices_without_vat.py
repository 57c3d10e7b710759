"""Prices stated without VAT (issue 17, a company's `prices_include_vat` off): the invoice adds
VAT on top by the tax rule in force on its date, each line shows net, VAT and gross, and the
ledger moves the gross. The worked example of docs/documents-and-taxes.md ("Prices stated
without VAT"), reproduced: a VPS-1 (990.00 a month + setup 500.00, net) sold by company B, a
VAT payer at 22 %, ordered on 10.02.2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from hutor.catalog.models import Tariff
from hutor.core.money import Money
from hutor.core.tests.companies import company_b
from hutor.invoices.models import InvoiceStatus
from hutor.ledger import queries as ledger_queries
from hutor.services.actions import order_invoice, place_order
from hutor.taxes.actions import add_rule
from hutor.taxes.calculations import vat_on_top

pytestmark = pytest.mark.django_db

FEB_10 = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)


def test_vat_on_top_rounds_each_amount_half_up():
    assert vat_on_top(Money("990.00"), Decimal(22)) == Money("217.80")
    assert vat_on_top(Money("0.03"), Decimal(22)) == Money("0.01")  # 0.0066 -> 0.01
    assert vat_on_top(Money("199.00"), Decimal(5)) == Money("9.95")
    assert vat_on_top(Money("199.00"), None) is None


def test_the_worked_example_net_vat_gross_and_the_ledger_moves_the_gross(
    catalog, account_factory, top_up
):
    b = company_b(prices_include_vat=False)
    add_rule(provider=b, regime="general", rate=Decimal(22), effective_from=dt.date(2026, 1, 1))
    Tariff.objects.filter(pk=catalog.vps1.pk).update(company=b)
    account = account_factory(
        name="ООО «Ромашка»",
        kind="company",
        inn="7736207543",
        kpp="773601001",
        address="119021, г. Москва, ул. Льва Толстого, д. 16",
        language="en",
    )
    with time_machine.travel(FEB_10, tick=False):
        service = place_order(
            billing_account=account,
            price=catalog.price(catalog.vps1, 1),
            identifier="vps1.example.com",
        )
        invoice = order_invoice(service)
        period, setup = invoice.lines.order_by("position")
        assert (period.amount, period.vat_amount) == (Decimal("1207.80"), Decimal("217.80"))
        assert (setup.amount, setup.vat_amount) == (Decimal("610.00"), Decimal("110.00"))
        assert invoice.total == Decimal("1817.80") and invoice.vat_amount == Decimal("327.80")
        assert invoice.vat_rate == Decimal(22) and invoice.provider["prices_include_vat"] is False
        assert invoice.provider["inn"] == b.inn

        client = Client()
        client.force_login(account.user)
        page = client.get(f"/panel/invoices/{invoice.number}/", headers={"accept-language": "en"})
        html = " ".join(page.content.decode().split())
        assert page.status_code == 200
        assert "Amount without VAT" in html and "Amount with VAT" in html
        for figure in ("990.00", "217.80", "1,207.80", "500.00", "110.00", "610.00"):
            assert figure in html, figure
        assert "Total without VAT:" in html and "1,490.00" in html and "1,817.80" in html

        # The customer pays the gross; the invoice is paid by one entry of the gross.
        top_up(account, "1817.80")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert ledger_queries.balance(account).amount == Decimal("0.00")
