"""What the API sends and takes. Amounts are decimal strings with their currency; timestamps
are ISO 8601 with the UTC offset of the provider's time zone; dates are ISO dates."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from hutor.core.money import Money

AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
QUANTITY = r"^[0-9]{1,6}(\.[0-9]{1,3})?$"
Timestamp = str  # documented as date-time by `stamp_field`


def stamp(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def stamp_field(*, optional: bool = False) -> Any:
    return Field(None if optional else ..., json_schema_extra={"format": "date-time"})


class MoneyOut(Schema):
    amount: str = Field(..., examples=["123.45"], pattern=r"^-?[0-9]+\.[0-9]{2}$")
    currency: str = Field(..., examples=["RUB"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        rounded = money.rounded()
        return cls(amount=f"{rounded.amount:.2f}", currency=rounded.currency)


class MoneyIn(Schema):
    amount: str = Field(..., pattern=AMOUNT, examples=["1500.00"])
    currency: str = Field("RUB", pattern=r"^[A-Z]{3}$")


class Page(Schema):
    next: str | None = Field(None, description="The next page's URL; null on the last page.")


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ReasonIn(Schema):
    reason: str = Field("", max_length=2000, description="Why; required for staff tokens.")


# --- Catalog -------------------------------------------------------------------------------


class PriceOut(Schema):
    period_months: int
    price: MoneyOut
    setup_fee: MoneyOut


class TariffOut(Schema):
    code: str
    service_type: str
    name: str
    description: str
    domain_zone: str
    prices: list[PriceOut]


class ServiceTypeOut(Schema):
    code: str
    name: str
    description: str
    identifier_kind: str
    billing_unit: str
    tariffs: list[TariffOut]


# --- Accounts ------------------------------------------------------------------------------

Kind = Literal["individual", "sole_proprietor", "company"]
Language = Literal["ru", "en"]


class AccountIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field(..., min_length=1, max_length=300)
    kind: Kind = "individual"
    inn: str = Field("", max_length=12)
    kpp: str = Field("", max_length=9)
    address: str = Field("", max_length=500)
    phone: str = Field("", max_length=50)
    language: Language = "ru"
    reason: str = Field("", max_length=2000)


class ContactsIn(Schema):
    name: str = Field(..., min_length=1, max_length=300)
    phone: str = Field("", max_length=50)
    address: str = Field("", max_length=500)
    inn: str = Field("", max_length=12)
    kpp: str = Field("", max_length=9)
    language: Language = "ru"
    reason: str = Field("", max_length=2000)


class AccountOut(Schema):
    number: str
    contact_email: str
    kind: str
    name: str
    inn: str
    kpp: str
    address: str
    phone: str
    currency: str
    language: str
    created_at: Timestamp = stamp_field()
    balance: MoneyOut


class AccountPage(Page):
    items: list[AccountOut]


# --- Services and orders -----------------------------------------------------------------------


class ServiceOut(Schema):
    id: int
    account: str
    service_type: str
    tariff: str
    period_months: int
    identifier: str
    status: str
    paid_until: dt.date | None
    auto_renew: bool
    created_at: Timestamp = stamp_field()


class ServicePage(Page):
    items: list[ServiceOut]


class OrderIn(Schema):
    tariff: str = Field(..., max_length=64, description="The tariff's code.")
    service_type: str = Field("", max_length=32, description="Needed when codes repeat.")
    period_months: int = Field(..., ge=1, le=120)
    identifier: str = Field("", max_length=255, description="Domain name or host name.")
    reason: str = Field("", max_length=2000)
    offer: str = Field(
        "",
        max_length=32,
        description="The number of the public offer the customer read and accepted "
        "(GET /catalog/offer): a customer's order is refused without the one in force while "
        "an offer is published. Staff orders ignore it.",
    )
    customer_ip: str = Field(
        "",
        max_length=45,
        description="Where the customer accepted the offer, when the order comes from the "
        "provider's own website: its visitor's address (else the API client's is recorded).",
    )
    customer_user_agent: str = Field(
        "", max_length=500, description="The visitor's browser, as for customer_ip."
    )


class OfferOut(Schema):
    number: str = Field(..., description="As documents quote it: «договор-оферта № … от …».")
    effective_from: dt.date
    url: str = Field(..., description="The offer's public page (its text, ru and en).")


class RenewIn(Schema):
    period_months: int = Field(..., ge=1, le=120)
    reason: str = Field("", max_length=2000)


class TariffChangeIn(Schema):
    tariff: str = Field(..., max_length=64)
    reason: str = Field("", max_length=2000)


class QuoteOut(Schema):
    service: int
    tariff: str
    amount: MoneyOut = Field(..., description="> 0 to pay, < 0 credited to the balance.")
    remaining_days: int


# --- Invoices, payments, balance ---------------------------------------------------------------


class InvoiceLineOut(Schema):
    position: int
    description: str
    service: int | None
    tariff: str
    period_start: dt.date | None
    period_end: dt.date | None
    quantity: str = Field("1", examples=["1", "2.5"])
    unit_price: MoneyOut | None = Field(None, description="A manual invoice's lines only.")
    amount: MoneyOut


class InvoiceOut(Schema):
    number: str
    account: str
    kind: str
    status: str
    total: MoneyOut
    issue_date: dt.date
    due_date: dt.date
    issued_at: Timestamp = stamp_field()
    paid_at: Timestamp | None = stamp_field(optional=True)
    cancelled_at: Timestamp | None = stamp_field(optional=True)
    lines: list[InvoiceLineOut]
    pdf: str


class InvoiceLineIn(Schema):
    description: str = Field(..., min_length=1, max_length=300)
    quantity: str = Field("1", pattern=QUANTITY, examples=["1", "2.5"])
    unit_price: str = Field(..., pattern=AMOUNT, examples=["1500.00"])


class ManualInvoiceIn(Schema):
    lines: list[InvoiceLineIn] = Field(..., min_length=1, max_length=50)
    currency: str = Field("RUB", pattern=r"^[A-Z]{3}$", description="The account's currency.")
    due_date: dt.date | None = Field(None, description="Five days from today when left out.")
    reason: str = Field("", max_length=2000)


class InvoicePage(Page):
    items: list[InvoiceOut]


class OrderOut(Schema):
    service: ServiceOut
    invoice: InvoiceOut | None


class TariffChangeOut(Schema):
    service: ServiceOut
    invoice: InvoiceOut | None


class PaymentOut(Schema):
    number: str
    account: str
    method: str
    amount: MoneyOut
    status: str
    created_at: Timestamp = stamp_field()
    expires_at: Timestamp = stamp_field()
    completed_at: Timestamp | None = stamp_field(optional=True)


class PaymentPage(Page):
    items: list[PaymentOut]


class TopUpIn(Schema):
    method: str = Field(..., max_length=40, description="The payment method's slug.")
    amount: MoneyIn
    reason: str = Field("", max_length=2000)


class TopUpOut(Schema):
    payment: PaymentOut
    pay_url: str = Field(..., description="The payment service's page, or the bank document.")
    document_pdf_url: str | None = None


class ManualPaymentIn(Schema):
    amount: MoneyIn
    document_number: str = Field(..., min_length=1, max_length=64)
    document_date: dt.date
    reason: str = Field("", max_length=2000)


class AdjustmentIn(Schema):
    amount: MoneyIn
    direction: Literal["credit", "debit"]
    reason: str = Field("", max_length=2000)


class RefundIn(Schema):
    amount: MoneyIn
    reference: str = Field("", max_length=100)
    reason: str = Field("", max_length=2000)


class GatewayRefundIn(Schema):
    amount: MoneyIn
    reason: str = Field("", max_length=2000)


class GatewayRefundOut(Schema):
    id: int
    payment: str
    amount: MoneyOut
    status: str = Field(..., description="pending, succeeded or failed")
    refund_id: str = Field(..., description="The payment service's id of the refund.")
    failure: str = Field(..., description="Why it failed, in the request's language.")
    created_at: Timestamp = stamp_field()
    finished_at: Timestamp | None = stamp_field(optional=True)


class GatewayRefundPage(Page):
    items: list[GatewayRefundOut]


class EntryOut(Schema):
    entry: int
    kind: str
    amount: MoneyOut
    reference: str
    created_at: Timestamp = stamp_field()


class BalanceOut(Schema):
    account: str
    balance: MoneyOut


class StatementLineOut(Schema):
    id: int
    entry: int
    kind: str
    reference: str
    memo: str
    amount: MoneyOut
    balance_after: MoneyOut
    created_at: Timestamp = stamp_field()


class StatementPage(Page):
    items: list[StatementLineOut]


class HitOut(Schema):
    kind: str
    title: str
    detail: str
    account: str
    url: str


class SearchOut(Schema):
    query: str
    hits: list[HitOut]
    suggestions: list[HitOut]
    notes: list[str]
