"""Which provider company sells what, and the writes to the companies' rows.

One rule (docs/documents-and-taxes.md, "Provider companies"): a service is sold, and its
documents issued, by the tariff's company when the tariff names one; else by the company that
bills the customer's kind (individual, sole proprietor, company); else by the default company.
Invoices, closing documents, payment methods, bank statements and fiscal receipts all ask this
module, never decide it themselves. A customer keeps one balance across the companies.

core sits below accounts and catalog, so the rule takes the tariff's company id and the
account's kind code, not their models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from hutor.core.models import CompanyBankAccount, Provider

# The customer kinds a company may bill (accounts.AccountKind's codes; core cannot import it).
CUSTOMER_KINDS = ("individual", "sole_proprietor", "company")


class CompanyError(ValueError):
    """A company's settings refused, with a message in the reader's language."""


@dataclass(frozen=True)
class Companies:
    """The companies as loaded once (a batch of invoices asks many times, reads once)."""

    by_id: dict[int, Provider]
    default: Provider | None

    def company_for(self, tariff_company_id: int | None, account_kind: str) -> Provider | None:
        """The tariff's company, else the one billing `account_kind`, else the default."""
        if tariff_company_id is not None and tariff_company_id in self.by_id:
            return self.by_id[tariff_company_id]
        for company in self.by_id.values():
            if account_kind in (company.customer_kinds or []):
                return company
        return self.default


def load() -> Companies:
    companies = list(Provider.objects.order_by("pk"))
    default = next((c for c in companies if c.is_default), None)
    return Companies(by_id={c.pk: c for c in companies}, default=default)


def company_for(tariff_company_id: int | None, account_kind: str) -> Provider | None:
    """The company that sells a tariff (its company id, or None) to a customer of
    `account_kind`; None only when no company is configured at all."""
    return load().company_for(tariff_company_id, account_kind)


def check_kinds(company: Provider, kinds: Iterable[str]) -> list[str]:
    """The kinds cleaned (known, each once, in the canonical order); raises CompanyError when
    a kind is unknown or already billed by another company."""
    wanted = set(kinds)
    unknown = wanted - set(CUSTOMER_KINDS)
    if unknown:
        raise CompanyError(_("Unknown customer kind: %(kind)s.") % {"kind": sorted(unknown)[0]})
    for other in Provider.objects.exclude(pk=company.pk):
        taken = wanted & set(other.customer_kinds or [])
        if taken:
            raise CompanyError(
                _("Customers of this kind are already billed by %(company)s.")
                % {"company": str(other)}
            )
    return [kind for kind in CUSTOMER_KINDS if kind in wanted]


@dataclass(frozen=True)
class BankAccountDraft:
    bank_name: str
    bik: str
    account: str
    correspondent_account: str
    is_primary: bool = False


def check_bank_accounts(drafts: Sequence[BankAccountDraft]) -> str | None:
    """Why a company's list of bank accounts is refused (reader's language), or None."""
    if not drafts:
        return _("A company needs at least one bank account.")
    if sum(1 for d in drafts if d.is_primary) != 1:
        return _("Mark exactly one bank account as primary.")
    for d in drafts:
        if not (d.bik.isdigit() and len(d.bik) == 9):
            return _("A BIK is 9 digits.")
        if not (d.account.isdigit() and len(d.account) == 20):
            return _("A settlement account is 20 digits.")
        if not (d.correspondent_account.isdigit() and len(d.correspondent_account) == 20):
            return _("A correspondent account is 20 digits.")
        if not d.bank_name.strip():
            return _("Name the bank.")
    keys = [(d.bik, d.account) for d in drafts]
    if len(set(keys)) != len(keys):
        return _("The same bank account is listed twice.")
    return None


def save_company(
    *,
    company: Provider,
    values: dict[str, Any],
    customer_kinds: Iterable[str],
    bank_accounts: Sequence[BankAccountDraft],
    make_default: bool = False,
) -> Provider:
    """Write a company's requisites, kinds and bank accounts in one transaction; the primary
    account's requisites become the company's bank fields (what documents print). Raises
    CompanyError (nothing written) on bad input. `make_default` moves the default here; the
    default is never unset otherwise, so there is always exactly one."""
    problem = check_bank_accounts(bank_accounts)
    if problem:
        raise CompanyError(problem)
    with transaction.atomic():
        # The default company's row serializes writers of companies (creations included).
        list(Provider.objects.select_for_update().filter(is_default=True))
        if company.pk is None:
            # The first company was created with pk=1 by hand (the desk's requisites, the
            # demo), which PostgreSQL's id sequence does not know: take the next id here.
            last = Provider.objects.aggregate(last=Max("pk"))["last"]
            company.pk = (last or 0) + 1
            company._state.adding = True
        kinds = check_kinds(company, customer_kinds)
        for name, value in values.items():
            setattr(company, name, value)
        primary = next(d for d in bank_accounts if d.is_primary)
        company.bank_name = primary.bank_name
        company.bik = primary.bik
        company.settlement_account = primary.account
        company.correspondent_account = primary.correspondent_account
        company.customer_kinds = kinds
        taken = CompanyBankAccount.objects.filter(
            bik__in=[d.bik for d in bank_accounts], account__in=[d.account for d in bank_accounts]
        )
        if company.pk is not None:
            taken = taken.exclude(company_id=company.pk)
        owned = {(a.bik, a.account) for a in taken}
        if any((d.bik, d.account) in owned for d in bank_accounts):
            raise CompanyError(_("This bank account belongs to another company."))
        if make_default and not company.is_default:
            Provider.objects.filter(is_default=True).update(is_default=False)
            company.is_default = True
        company.save()
        CompanyBankAccount.objects.filter(company=company).delete()
        CompanyBankAccount.objects.bulk_create(
            [
                CompanyBankAccount(
                    company=company,
                    bank_name=d.bank_name,
                    bik=d.bik,
                    account=d.account,
                    correspondent_account=d.correspondent_account,
                    is_primary=d.is_primary,
                )
                for d in bank_accounts
            ]
        )
    return company


def company_of_bank_account(bik: str, account: str) -> Provider | None:
    """The company whose settlement account this is (a bank statement's recipient); the BIK
    may be empty when the statement does not say it. None: not one of ours."""
    accounts = CompanyBankAccount.objects.select_related("company").filter(account=account)
    if bik:
        accounts = accounts.filter(bik=bik)
    found = accounts.order_by("pk").first()
    if found is not None:
        return found.company
    # A company entered before its bank accounts were listed: its own bank fields.
    companies = Provider.objects.filter(settlement_account=account)
    if bik:
        companies = companies.filter(bik=bik)
    return companies.order_by("pk").first()


def accounts() -> dict[str, Provider]:
    """Every settlement account of every company, with its company (the bank import's "ours")."""
    found: dict[str, Provider] = {}
    companies = {c.pk: c for c in Provider.objects.all()}
    for company in companies.values():
        if company.settlement_account:
            found[company.settlement_account] = company
    for bank_account in CompanyBankAccount.objects.all():
        found.setdefault(bank_account.account, companies[bank_account.company_id])
    return found
