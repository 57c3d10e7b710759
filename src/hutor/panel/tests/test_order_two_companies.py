"""An order mixing tariffs of two provider companies (issue 17, part 6): one invoice per
company, each with its own number and its company's requisites; one balance pays both. Over
HTTP, as a logged-in customer ordering a hosting (the default company's) with its domain (a
tariff of company B)."""

from __future__ import annotations

import pytest

from hutor.catalog.models import Tariff
from hutor.core.tests.companies import B_ACCOUNT, company_b
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.panel.tests.test_order_domain import URL, customer, data, registry
from hutor.services.actions import ordered_together

pytestmark = pytest.mark.django_db
__all__ = ["customer", "registry"]  # fixtures


def test_an_order_of_two_companies_tariffs_is_two_invoices(catalog, registry, customer, top_up):
    account, profile, client = customer
    b = company_b()
    Tariff.objects.filter(pk=catalog.ru.pk).update(company=b)
    more = {"register_domain": "on", "contact_profile": str(profile.pk)}
    response = client.post(URL, data(client, catalog, "romashka.ru", **more))
    assert response.status_code == 302
    hosting_invoice, domain_invoice = Invoice.objects.order_by("number")
    assert hosting_invoice.number != domain_invoice.number
    assert hosting_invoice.issued_at == domain_invoice.issued_at
    assert hosting_invoice.provider["inn"] == "7707083893"
    assert hosting_invoice.provider["settlement_account"] == "40702810938000000001"
    assert domain_invoice.provider["inn"] == "7728168971"
    assert domain_invoice.provider["settlement_account"] == B_ACCOUNT
    assert domain_invoice.provider["id"] == b.pk
    [hosting_line] = hosting_invoice.lines.all()
    [domain_line] = domain_invoice.lines.all()
    assert hosting_line.service.tariff == catalog.start
    assert domain_line.service.tariff == catalog.ru
    assert (hosting_invoice.total, domain_invoice.total) == (199, 199)
    # The order is still one order: its services are found together from either of them.
    assert ordered_together(domain_line.service) == [hosting_line.service, domain_line.service]
    # One balance per customer across the companies: one top-up pays both invoices.
    top_up(account, "398.00")
    assert set(Invoice.objects.values_list("status", flat=True)) == {InvoiceStatus.PAID}


def test_the_company_for_the_customer_s_kind_issues_when_the_tariff_names_none(
    catalog, registry, customer
):
    _account, _profile, client = customer  # an individual
    company_b(kinds=["individual"])
    assert client.post(URL, data(client, catalog, "romashka.ru")).status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.provider["inn"] == "7728168971" and invoice.provider["bik"] == "044525974"
