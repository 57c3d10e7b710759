"""The desk's provider companies (administrators, issue 17): the list, a company added and
changed (requisites, the customer kinds it bills, prices with or without VAT, bank accounts
with one primary, the default moved), each change audited; bad input said on the form with
nothing saved; other roles get 403."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.tests.conftest import desk_session
from hutor.core.companies import company_for
from hutor.core.models import CompanyBankAccount, Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_desk(staff_factory):
    return desk_session(Client(), staff_factory(Role.ADMIN))


def form(**values: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "legal_name": "ООО «Второй Хостинг»",
        "short_name": "Второй Хостинг",
        "inn": "7728168971",
        "kpp": "772801001",
        "address": "107078, г. Москва, ул. Каланчёвская, д. 27",
        "customer_kinds": ["company", "sole_proprietor"],
        "bank_name_1": "АО «Т-Банк»",
        "bik_1": "044525974",
        "account_1": "40702810600000000777",
        "correspondent_account_1": "30101810145250000974",
        "bank_name_2": "АО «Альфа-Банк»",
        "bik_2": "044525593",
        "account_2": "40702810700000000888",
        "correspondent_account_2": "30101810200000000593",
        "primary": "2",
        "reason": "A second legal entity for companies",
    }
    data.update(values)
    return data


def test_add_a_company_then_change_it_audited(admin_desk, provider):
    response = admin_desk.post(reverse("desk:company_add"), form())
    assert response.status_code == 302, response.content.decode()[:2000]
    b = Provider.objects.get(inn="7728168971")
    assert not b.is_default and b.customer_kinds == ["sole_proprietor", "company"]
    assert b.prices_include_vat is False  # the box was left unticked
    assert b.settlement_account == "40702810700000000888"  # the primary one
    assert CompanyBankAccount.objects.filter(company=b).count() == 2
    assert company_for(None, "company") == b and company_for(None, "individual") == provider
    entry = AuditEntry.objects.get(action="company.save")
    assert entry.reason == "A second legal entity for companies"
    assert entry.changes["inn"] == {"from": None, "to": "7728168971"}

    page = admin_desk.get(reverse("desk:companies")).content.decode()
    assert "Второй Хостинг" in page and "40702810700000000888 *" in page
    assert "Тестовый Хостинг" in page and reverse("desk:company_edit", args=[b.pk]) in page
    edit = admin_desk.get(reverse("desk:company_edit", args=[b.pk])).content.decode()
    assert "40702810600000000777" in edit and 'value="7728168971"' in edit

    changed = form(
        prices_include_vat="on", make_default="on", customer_kinds=["company"], reason="Move"
    )
    assert admin_desk.post(reverse("desk:company_edit", args=[b.pk]), changed).status_code == 302
    b.refresh_from_db()
    assert b.is_default and b.prices_include_vat and Provider.current() == b
    entry = AuditEntry.objects.filter(action="company.save").latest("pk")
    assert entry.changes["is_default"] == {"from": False, "to": True}
    assert entry.changes["customer_kinds"]["to"] == ["company"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"primary": "3"}, "Mark exactly one bank account as primary."),
        ({"account_2": "4070281070000000088"}, "A settlement account is 20 digits."),
        ({"inn": "12345"}, "Enter a valid value."),
    ],
)
def test_bad_input_is_said_and_nothing_is_saved(admin_desk, provider, values, message):
    response = admin_desk.post(
        reverse("desk:company_add"), form(**values), headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert Provider.objects.count() == 1 and not AuditEntry.objects.exists()
    assert message in response.content.decode()


def test_a_kind_already_billed_elsewhere_is_refused(admin_desk, provider):
    assert admin_desk.post(reverse("desk:company_add"), form()).status_code == 302
    again = form(inn="7707083893", account_1="40702810600000000999", account_2="", bik_2="")
    again.update(bank_name_2="", correspondent_account_2="", primary="1")
    response = admin_desk.post(
        reverse("desk:company_edit", args=[provider.pk]), again, headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert "Customers of this kind are already billed by Второй Хостинг." in (
        response.content.decode()
    )
    provider.refresh_from_db()
    assert provider.customer_kinds == []


def test_other_roles_may_not(staff_factory, provider):
    support = desk_session(Client(), staff_factory(Role.SUPPORT))
    assert support.get(reverse("desk:companies")).status_code == 403
    assert support.post(reverse("desk:company_add"), form()).status_code == 403
