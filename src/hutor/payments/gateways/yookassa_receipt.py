"""YooKassa's own 54-ФЗ receipts («Чеки от ЮKassa», or a cash register connected through
YooKassa): the `receipt` object sent with a payment and with its refunds, when the method's
setting `receipts` is on (docs/payments.md). Hutor's ATOL receipts (hutor.fiscal) then skip the
method's payments, so a payment never gets two receipts.

Codes from yookassa.ru/developers/54fz/parameters-values: `vat_code` 1 no VAT, 2 0 %,
5 10/110, 6 20/120, 9 5/105, 10 7/107, 12 22/122 (a top-up is a prepayment, so the calculated
rate); `tax_system_code` 1 general, 2 simplified (income), 3 simplified (income minus
expenses); `payment_mode` full_prepayment; `payment_subject` service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from hutor.taxes.models import TaxRegime
from hutor.taxes.queries import terms_on

if TYPE_CHECKING:
    from hutor.core.money import Money
    from hutor.payments.models import Payment

# The calculated rate of a prepayment at each VAT rate.
PREPAYMENT_VAT_CODES = {0: 2, 10: 5, 20: 6, 5: 9, 7: 10, 22: 12}
NO_VAT = 1
GENERAL = 1
SIMPLIFIED_INCOME = 2


def wanted(payment: Payment) -> bool:
    return bool((payment.method.settings or {}).get("receipts"))


def receipt(payment: Payment, money: Money) -> dict[str, Any]:
    """The receipt of `money` of `payment` (the payment itself, or a refund of it): one item,
    the top-up, at the tax rule of the payment's company (payments.companies) in force on the
    day the payment was made."""
    from hutor.payments.companies import company_of

    provider = company_of(payment)
    terms = terms_on(provider.pk if provider else None, timezone.localdate(payment.created_at))
    rate = None if terms.rate is None else int(terms.rate)
    vat_code = NO_VAT if rate is None else PREPAYMENT_VAT_CODES.get(rate, NO_VAT)
    settings = payment.method.settings or {}
    if terms.regime == TaxRegime.GENERAL:
        tax_system = GENERAL
    else:
        tax_system = int(settings.get("tax_system_code") or SIMPLIFIED_INCOME)
    value = f"{money.rounded().amount}"
    return {
        "customer": {"email": payment.billing_account.contact_email},
        "items": [
            {
                "description": f"Пополнение баланса биллинг-аккаунта № "
                f"{payment.billing_account.number}"[:128],
                "quantity": "1.00",
                "amount": {"value": value, "currency": money.currency},
                "vat_code": vat_code,
                "payment_mode": "full_prepayment",
                "payment_subject": "service",
            }
        ],
        "tax_system_code": tax_system,
    }
