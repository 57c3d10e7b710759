"""Several provider companies: the one default, the mapping rule, bank accounts."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from hutor.core import companies
from hutor.core.companies import BankAccountDraft, CompanyError, company_for, save_company
from hutor.core.models import CompanyBankAccount, Provider

pytestmark = pytest.mark.django_db


def account(number: str, primary: bool = True) -> BankAccountDraft:
    return BankAccountDraft(
        bank_name="АО «Т-Банк»",
        bik="044525974",
        account=number,
        correspondent_account="30101810145250000974",
        is_primary=primary,
    )


def second_company(kinds: list[str] | None = None) -> Provider:
    return save_company(
        company=Provider(),
        values={
            "legal_name": "ИП Петров Пётр Петрович",
            "short_name": "Петров",
            "inn": "500100732259",
            "address": "г. Тула",
        },
        customer_kinds=kinds or [],
        bank_accounts=[account("40802810000000000002"), account("40802810000000000003", False)],
    )


def test_the_first_company_is_the_default_and_stays_the_only_one(provider):
    b = second_company()
    provider.refresh_from_db()
    assert provider.is_default and not b.is_default
    assert Provider.current() == provider
    with pytest.raises(IntegrityError), transaction.atomic():
        Provider.objects.filter(pk=b.pk).update(is_default=True)
    save_company(
        company=b,
        values={},
        customer_kinds=[],
        bank_accounts=[account("40802810000000000002")],
        make_default=True,
    )
    assert Provider.current() == b
    assert list(Provider.objects.filter(is_default=True)) == [b]


def test_the_rule_tariff_then_kind_then_default(provider):
    b = second_company(kinds=["company", "sole_proprietor"])
    assert company_for(None, "individual") == provider  # nobody bills individuals: default
    assert company_for(None, "company") == b
    assert company_for(None, "sole_proprietor") == b
    assert company_for(provider.pk, "company") == provider  # the tariff's company wins
    assert company_for(b.pk, "individual") == b
    loaded = companies.load()  # the batch form answers the same
    for tariff_company in (None, provider.pk, b.pk):
        for kind in companies.CUSTOMER_KINDS:
            assert loaded.company_for(tariff_company, kind) == company_for(tariff_company, kind)


def test_a_kind_belongs_to_one_company(provider):
    second_company(kinds=["company"])
    with translation.override("en"), pytest.raises(CompanyError, match="already billed"):
        save_company(
            company=provider,
            values={},
            customer_kinds=["company"],
            bank_accounts=[account("40702810000000000009")],
        )
    provider.refresh_from_db()
    assert provider.customer_kinds == []


def test_bank_accounts_one_primary_copied_to_the_company(provider):
    b = second_company()
    assert b.settlement_account == "40802810000000000002" and b.bik == "044525974"
    assert [a.is_primary for a in b.bank_accounts.all()] == [True, False]
    for bad, words in [
        ([], "at least one"),
        ([account("40802810000000000002", False)], "exactly one"),
        ([account("4080281000000000000")], "20 digits"),
        ([account("40802810000000000002"), account("40802810000000000002", False)], "twice"),
    ]:
        with translation.override("en"), pytest.raises(CompanyError, match=words):
            save_company(company=b, values={}, customer_kinds=[], bank_accounts=bad)
    with translation.override("en"), pytest.raises(CompanyError, match="another company"):
        save_company(
            company=provider,
            values={},
            customer_kinds=[],
            bank_accounts=[account("40802810000000000003")],
        )
    assert CompanyBankAccount.objects.filter(company=b).count() == 2


def test_the_company_of_a_receiving_account(provider):
    b = second_company()
    assert companies.company_of_bank_account("044525974", "40802810000000000003") == b
    assert companies.company_of_bank_account("", "40802810000000000002") == b
    # the conftest company has no listed accounts yet: its own bank fields answer
    assert companies.company_of_bank_account("044525225", "40702810938000000001") == provider
    assert companies.company_of_bank_account("044525225", "40702810938000000099") is None
