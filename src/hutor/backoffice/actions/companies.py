"""Provider companies at the desk: added or changed (audited)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from hutor.backoffice.audit import diff, record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.core import companies
from hutor.core.models import Provider

if TYPE_CHECKING:
    from hutor.accounts.models import User

AUDITED = (
    "legal_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "address",
    "phone",
    "email",
    "website",
    "director",
    "accountant",
    "customer_kinds",
    "prices_include_vat",
    "is_default",
    "settlement_account",
)


def _state(company: Provider) -> dict[str, Any]:
    state = {name: getattr(company, name, None) for name in AUDITED}
    if company.pk is not None:
        state["bank_accounts"] = [
            f"{a.bik} {a.account}{' *' if a.is_primary else ''}"
            for a in company.bank_accounts.all()
        ]
    return state


def save_company(
    *,
    staff: User,
    company: Provider | None,
    values: Mapping[str, Any],
    customer_kinds: Sequence[str],
    bank_accounts: Sequence[companies.BankAccountDraft],
    make_default: bool,
    reason: str,
) -> Provider:
    """Add a provider company (`company` None) or change one: requisites, the customer kinds
    it bills, its prices with or without VAT, its bank accounts, the default. Issued documents
    keep their own copy of the requisites."""
    require_reason(reason)
    target = company if company is not None else Provider()
    before = _state(target) if company is not None else {}
    try:
        with transaction.atomic():
            saved = companies.save_company(
                company=target,
                values=dict(values),
                customer_kinds=customer_kinds,
                bank_accounts=bank_accounts,
                make_default=make_default,
            )
            changes = diff(before, _state(saved))
            if company is not None and not changes:
                raise DeskError(_("Nothing to change."))
            record(
                staff=staff,
                action="company.save",
                reason=reason,
                object_type="provider",
                object_id=saved.pk,
                changes=changes,
            )
    except companies.CompanyError as exc:
        raise DeskError(str(exc)) from exc
    return saved
