"""Printable bank documents for a bank-transfer payment (S5: a top-up creates no invoice).

An individual gets the **PD-4 receipt** (the Sberbank form: «Извещение» and «Квитанция»); a
company or a sole proprietor gets a **bill for payment** («Счёт на оплату»), numbered by the
payment's own number (never an invoice number: no invoice exists). Both carry the GOST R
56042-2014 payment QR code, and both ask the bank to quote the billing account and the payment
number in the purpose, which is what the statement import matches on (bank/matching.py).

The documents are rendered from the *current* requisites and primary bank account of the
company the top-up is for (payments.companies.company_of: the invoice's company when an
invoice's page started it, else the method's company, else the company billing the customer's
kind, else the default) and the billing account's, at rendering time; the money then arrives on
that company's account, and the statement import attributes it to that company. A bank
document is a request to pay, not an issued invoice: were the company's bank account to
change, a reprint shows the account the money must now go to, and a payment made by an older
print still arrives on an account that is ours (or the bank returns it). Issued invoices, by
contrast, print their frozen snapshot (invoices.documents).

The documents are Russian: Russian banks read them. The page around the HTML version follows
the customer's language (templates/payments/bank/page.html).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from hutor.accounts.models import AccountKind
from hutor.core import payment_qr
from hutor.core.models import Provider
from hutor.core.words import amount_in_words_ru
from hutor.invoices.exceptions import ProviderNotConfigured
from hutor.payments.companies import company_of
from hutor.taxes.calculations import label_ru, vat_included
from hutor.taxes.queries import terms_on

if TYPE_CHECKING:
    from hutor.accounts.models import BillingAccount
    from hutor.payments.models import Payment

RECEIPT = "receipt"  # PD-4, for individuals
BILL = "bill"  # «Счёт на оплату», for companies and sole proprietors


def document_kind(account: BillingAccount) -> str:
    return RECEIPT if account.kind == AccountKind.INDIVIDUAL else BILL


def provider(payment: Payment) -> Provider:
    """The company whose requisites and bank account the payment's documents print."""
    current = company_of(payment)
    if current is None:
        raise ProviderNotConfigured(
            "the provider's requisites are not set (admin: Core > Provider requisites)"
        )
    return current


def vat_rate(payment: Payment, requisites: Provider) -> Decimal | None:
    """The VAT rate of the company's tax rule in force on the day the payment was created
    (the provider's local date); None: no VAT."""
    day = timezone.localtime(payment.created_at).date()
    return terms_on(requisites.pk, day).rate


def vat_clause(payment: Payment, requisites: Provider) -> str:
    """«Без НДС», or the VAT included in the amount at the rate in force."""
    rate = vat_rate(payment, requisites)
    vat = vat_included(payment.money, rate)
    if vat is None:
        return label_ru(None)
    return f"{label_ru(rate)} — {vat.amount:.2f} руб."


def purpose(payment: Payment, requisites: Provider | None = None) -> str:
    """The purpose of payment: the billing account and the payment number, as the statement
    import reads them back."""
    requisites = requisites or provider(payment)
    return (
        f"Пополнение баланса биллинг-аккаунта № {payment.billing_account.number}, "
        f"платёж № {payment.number}. {vat_clause(payment, requisites)}"
    )


def payer_name_parts(account: BillingAccount) -> dict[str, str]:
    """LastName/FirstName/MiddleName of an individual (payment_qr.person_name_fields)."""
    if account.kind != AccountKind.INDIVIDUAL:
        return {}
    return payment_qr.person_name_fields(account.name)


def qr_payload(payment: Payment, requisites: Provider | None = None) -> str:
    requisites = requisites or provider(payment)
    account = payment.billing_account
    extra: dict[str, str] = {"PersAcc": account.number}
    extra.update(payer_name_parts(account))
    if account.address:
        extra["PayerAddress"] = account.address
    if account.inn:
        extra["PayerINN"] = account.inn
    return payment_qr.payload(
        name=requisites.legal_name,
        personal_account=requisites.settlement_account,
        bank_name=requisites.bank_name,
        bic=requisites.bik,
        correspondent_account=requisites.correspondent_account,
        amount=payment.money,
        purpose=purpose(payment, requisites),
        payee_inn=requisites.inn,
        kpp=requisites.kpp,
        **extra,
    )


def _date_ru(value: dt.date) -> str:
    with translation.override("ru"):
        return formats.date_format(value, "j E Y") + " г."


def _cells(value: str, width: int) -> list[str]:
    """A requisite in the form's boxes, one character per box, padded to the box count."""
    return list(value.ljust(width)[: max(width, len(value))])


def context(payment: Payment) -> dict[str, Any]:
    requisites = provider(payment)
    account = payment.billing_account
    money = payment.money
    roubles, kopecks = divmod(money.minor_units, 100)
    issued = timezone.localtime(payment.created_at).date()
    rate = vat_rate(payment, requisites)
    qr = qr_payload(payment, requisites)
    kind = document_kind(account)
    title = (
        f"Счёт на оплату № {payment.number} от {_date_ru(issued)}"
        if kind == BILL
        else f"Квитанция ПД-4 на оплату, платёж № {payment.number}"
    )
    return {
        "payment": payment,
        "kind": kind,
        "title": title,
        "provider": requisites,
        "payer": account,
        "purpose": purpose(payment, requisites),
        "amount": money,
        "amount_text": f"{money.amount:,.2f}".replace(",", "\u00a0").replace(".", ","),
        "roubles": roubles,
        "kopecks": f"{kopecks:02d}",
        "amount_words": amount_in_words_ru(money),
        "vat": vat_included(money, rate),
        "vat_rate": f"{rate.normalize():f}" if rate is not None else None,
        "issue_date": _date_ru(issued),
        "pay_by": _date_ru(timezone.localtime(payment.expires_at).date()),
        "inn_cells": _cells(requisites.inn, 10 if len(requisites.inn) <= 10 else 12),
        "account_cells": _cells(requisites.settlement_account, 20),
        "bik_cells": _cells(requisites.bik, 9),
        "corr_cells": _cells(requisites.correspondent_account, 20),
        "qr_payload": qr,
        "qr_data_uri": payment_qr.png_data_uri(qr, scale=3),
    }


def render_html(payment: Payment, *, standalone: bool = True) -> str:
    """The document's HTML; `standalone` wraps it in its own page (for PDF)."""
    data = context(payment)
    with translation.override("ru"):
        return render_to_string(
            f"payments/bank/{data['kind']}.html", {**data, "standalone": standalone}
        )


def render_pdf(payment: Payment) -> bytes:
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    return bytes(HTML(string=render_html(payment)).write_pdf())


def pdf_filename(payment: Payment) -> str:
    prefix = "pd4" if document_kind(payment.billing_account) == RECEIPT else "bill"
    return f"{prefix}-{payment.number}.pdf"
