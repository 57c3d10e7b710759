"""Invoices, payments and the balance: read them; cancel an invoice, start a top-up (a
payment link or a bank document, no invoice), record a bank payment by hand, adjust the
balance, refund to it. Money moves only through the desk's and the payments' own actions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Status

from hutor.accounts.models import BillingAccount
from hutor.api import pagination, present, security
from hutor.api import schemas as s
from hutor.api.endpoints.common import PROBLEMS, write
from hutor.api.problems import ApiProblem
from hutor.backoffice import actions as desk
from hutor.core.money import InvalidAmount, Money
from hutor.invoices import documents
from hutor.invoices.calculations import ManualLine
from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries
from hutor.ledger.models import JournalEntry, Posting
from hutor.payments import actions as payment_actions
from hutor.payments import refunds
from hutor.payments.models import Gateway, Payment, PaymentMethod, Refund

router = Router()

INVOICES = Invoice.objects.select_related("billing_account").prefetch_related("lines")
PAYMENTS = Payment.objects.select_related("billing_account", "method")


def _money(value: s.MoneyIn, account: BillingAccount) -> Money:
    try:
        money = Money(value.amount, value.currency)
    except InvalidAmount as exc:
        raise ApiProblem("validation_error", _("Not an amount of money.")) from exc
    if money.currency != account.currency:
        raise ApiProblem(
            "refused",
            _("The billing account is kept in %(currency)s.") % {"currency": account.currency},
        )
    return money


# --- Invoices ----------------------------------------------------------------------------------


@router.get(
    "/accounts/{number}/invoices",
    response={200: s.InvoicePage, **PROBLEMS},
    url_name="account_invoices",
    tags=["invoices"],
)
def list_invoices(
    request: HttpRequest,
    number: str,
    status: str = "",
    cursor: str = "",
    limit: int = pagination.DEFAULT_LIMIT,
) -> s.InvoicePage:
    """The account's invoices, newest first (optionally of one status: unpaid, paid,
    cancelled)."""
    account = security.account(request, number)
    queryset = INVOICES.filter(billing_account=account)
    if status:
        queryset = queryset.filter(status=status)
    rows, next_url = pagination.page(request, queryset, cursor=cursor, limit=limit)
    return s.InvoicePage(items=[present.invoice(r) for r in rows], next=next_url)


@router.get(
    "/invoices/{number}",
    response={200: s.InvoiceOut, **PROBLEMS},
    url_name="invoice",
    tags=["invoices"],
)
def get_invoice(request: HttpRequest, number: str) -> s.InvoiceOut:
    return present.invoice(security.get_visible(request, INVOICES, number=number))


@router.get(
    "/invoices/{number}/pdf",
    response={200: None, **PROBLEMS},
    url_name="invoice_pdf",
    tags=["invoices"],
    openapi_extra={
        "responses": {
            "200": {
                "description": "The invoice as PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def invoice_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """The invoice's PDF, as the customer receives it by email."""
    invoice = security.get_visible(request, INVOICES, number=number)
    answer = HttpResponse(documents.render_pdf(invoice), content_type="application/pdf")
    answer["Content-Disposition"] = f'inline; filename="{documents.pdf_filename(invoice)}"'
    return answer


@write(
    router, "/invoices/{number}/cancel", {200: s.InvoiceOut}, "invoice_cancel", tags=["invoices"]
)
def cancel_invoice(request: HttpRequest, number: str, data: s.ReasonIn) -> s.InvoiceOut:
    """Withdraw an unpaid invoice (its number stays used; an order's service is cancelled)."""
    invoice = security.get_visible(request, INVOICES, number=number)
    staff, actor = security.staff_acting(request, "invoice.cancel")
    invoice = desk.cancel_invoice(staff=staff, invoice=invoice, reason=data.reason, actor=actor)
    return present.invoice(INVOICES.get(pk=invoice.pk))


@write(
    router, "/accounts/{number}/invoices", {201: s.InvoiceOut}, "invoice_create", tags=["invoices"]
)
def create_invoice(
    request: HttpRequest, response: HttpResponse, number: str, data: s.ManualInvoiceIn
) -> Status[s.InvoiceOut]:
    """Issue a manual invoice of free lines (quantity × unit price, no service) in the
    account's currency: numbered, emailed, announced (invoice.issued), and paid from the
    balance at once when it covers it, as an order's invoice is."""
    account = security.account(request, number)
    staff, actor = security.staff_acting(request, "invoice.create")
    if data.currency != account.currency:
        raise ApiProblem(
            "refused",
            _("The billing account is kept in %(currency)s.") % {"currency": account.currency},
        )
    invoice = desk.issue_manual_invoice(
        staff=staff,
        account=account,
        lines=[
            ManualLine(line.description, Decimal(line.quantity), Decimal(line.unit_price))
            for line in data.lines
        ],
        due_date=data.due_date,
        reason=data.reason,
        actor=actor,
    )
    response["Location"] = reverse("api:invoice", args=[invoice.number])
    return Status(201, present.invoice(INVOICES.get(pk=invoice.pk)))


# --- Payments ----------------------------------------------------------------------------------


@router.get(
    "/accounts/{number}/payments",
    response={200: s.PaymentPage, **PROBLEMS},
    url_name="account_payments",
    tags=["payments"],
)
def list_payments(
    request: HttpRequest,
    number: str,
    status: str = "",
    cursor: str = "",
    limit: int = pagination.DEFAULT_LIMIT,
) -> s.PaymentPage:
    """The account's payments (top-ups), newest first."""
    account = security.account(request, number)
    queryset = PAYMENTS.filter(billing_account=account)
    if status:
        queryset = queryset.filter(status=status)
    rows, next_url = pagination.page(request, queryset, cursor=cursor, limit=limit)
    return s.PaymentPage(items=[present.payment(r) for r in rows], next=next_url)


@write(router, "/accounts/{number}/top-ups", {201: s.TopUpOut}, "top_up", tags=["payments"])
def start_top_up(request: HttpRequest, number: str, data: s.TopUpIn) -> Status[s.TopUpOut]:
    """Start a top-up of any amount (no invoice): a pending payment and the link that pays it,
    through the payment service, or, for a bank transfer, the printable bank document."""
    account = security.account(request, number)
    security.require(request, "payment_link.create", customer_may=True)
    method = PaymentMethod.objects.filter(slug=data.method, is_enabled=True).first()
    if method is None:
        raise ApiProblem("refused", _("This payment method is not available."))
    amount = _money(data.amount, account)
    staff, actor = security.acting(request)
    if staff is not None:
        payment, url = desk.create_payment_link(
            staff=staff,
            account=account,
            method=method,
            amount=amount,
            reason=data.reason,
            actor=actor,
        )
    else:
        with transaction.atomic():
            payment = payment_actions.start_top_up(
                billing_account=account, method=method, amount=amount
            )
            security.customer_audit(
                request,
                "payment_link.create",
                account,
                "payment",
                payment.number,
                amount=amount,
                method=method.slug,
                payment=payment.number,
            )
        url = settings.HUTOR_BASE_URL + payment_actions.payment_link(payment)
    document = None
    if method.gateway == Gateway.BANK_TRANSFER:
        document = settings.HUTOR_BASE_URL + reverse(
            "payments:pay_document_pdf", args=[payment.number, payment_actions.link_token(payment)]
        )
    return Status(
        201,
        s.TopUpOut(
            payment=present.payment(PAYMENTS.get(pk=payment.pk)),
            pay_url=url,
            document_pdf_url=document,
        ),
    )


@write(
    router,
    "/accounts/{number}/payments/manual",
    {201: s.PaymentOut},
    "payment_manual",
    tags=["payments"],
)
def record_manual_payment(
    request: HttpRequest, number: str, data: s.ManualPaymentIn
) -> Status[s.PaymentOut]:
    """Credit a bank payment the statement import did not match (keyed by its document: the
    same document twice credits once), then settle open invoices."""
    account = security.account(request, number)
    staff, actor = security.staff_acting(request, "payment.manual")
    payment = desk.record_manual_payment(
        staff=staff,
        account=account,
        amount=_money(data.amount, account),
        document_number=data.document_number,
        document_date=data.document_date,
        reason=data.reason,
        actor=actor,
    )
    return Status(201, present.payment(PAYMENTS.get(pk=payment.pk)))


@router.get(
    "/payments/{number}/refunds",
    response={200: s.GatewayRefundPage, **PROBLEMS},
    url_name="payment_refunds",
    tags=["payments"],
)
def list_gateway_refunds(
    request: HttpRequest, number: str, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT
) -> s.GatewayRefundPage:
    """The payment's refunds through its payment service, newest first, with their outcome."""
    payment = security.get_visible(request, PAYMENTS, number=number)
    queryset = Refund.objects.select_related("payment").filter(payment=payment)
    rows, next_url = pagination.page(request, queryset, cursor=cursor, limit=limit)
    return s.GatewayRefundPage(items=[present.gateway_refund(r) for r in rows], next=next_url)


@write(
    router,
    "/payments/{number}/refunds",
    {202: s.GatewayRefundOut},
    "payment_refund",
    tags=["payments"],
)
def refund_to_gateway(
    request: HttpRequest, response: HttpResponse, number: str, data: s.GatewayRefundIn
) -> Status[s.GatewayRefundOut]:
    """Return part or all of a succeeded payment to the payer through the payment service
    that took it (the desk's refund.gateway): at most what is left of the payment after
    earlier refunds, and only if the balance covers it (debited now). Answered 202 with the
    refund pending: the service is asked once this commits, outside the transaction; follow
    `Location` for the outcome (succeeded, or failed with the balance given back)."""
    payment = security.get_visible(request, PAYMENTS, number=number)
    staff, actor = security.staff_acting(request, "refund.gateway")
    refund = desk.open_gateway_refund(
        staff=staff,
        payment=payment,
        amount=_money(data.amount, payment.billing_account),
        reason=data.reason,
        actor=actor,
    )
    # After the commit (of the refund and of this request's Idempotency-Key): never inside
    # the transaction, never for a request rolled back. The worker asks again if this fails.
    transaction.on_commit(lambda: refunds.send_refund(refund))
    response["Location"] = reverse("api:payment_refunds", args=[payment.number])
    return Status(202, present.gateway_refund(refund))


# --- Balance -----------------------------------------------------------------------------------


@router.get(
    "/accounts/{number}/balance",
    response={200: s.BalanceOut, **PROBLEMS},
    url_name="balance",
    tags=["balance"],
)
def balance(request: HttpRequest, number: str) -> s.BalanceOut:
    account = security.account(request, number)
    return s.BalanceOut(
        account=account.number, balance=s.MoneyOut.of(ledger_queries.balance(account))
    )


@router.get(
    "/accounts/{number}/statement",
    response={200: s.StatementPage, **PROBLEMS},
    url_name="statement",
    tags=["balance"],
)
def statement(
    request: HttpRequest, number: str, cursor: str = "", limit: int = pagination.DEFAULT_LIMIT
) -> s.StatementPage:
    """The balance's history, oldest first: every posting on the customer's balance with its
    entry's kind, reference and description, and the balance after it."""
    account = security.account(request, number)
    queryset = Posting.objects.filter(account__billing_account=account).select_related("entry")
    rows, next_url = pagination.page(
        request, queryset, cursor=cursor, limit=limit, newest_first=False
    )
    running = Decimal(0)
    if rows:
        before = queryset.filter(pk__lt=rows[0].pk).aggregate(total=Sum("amount"))["total"]
        running = Decimal(before or 0)
    items = []
    for posting in rows:
        running += posting.amount
        items.append(
            s.StatementLineOut(
                id=posting.pk,
                entry=posting.entry_id,
                kind=posting.entry.kind,
                reference=posting.entry.reference,
                memo=posting.entry.memo,
                amount=s.MoneyOut.of(Money(posting.amount, posting.currency)),
                balance_after=s.MoneyOut.of(Money(running, posting.currency)),
                created_at=s.stamp(posting.entry.created_at) or "",
            )
        )
    return s.StatementPage(items=items, next=next_url)


def _entry(entry: JournalEntry, amount: Money) -> s.EntryOut:
    return s.EntryOut(
        entry=entry.pk,
        kind=entry.kind,
        amount=s.MoneyOut.of(amount),
        reference=entry.reference,
        created_at=s.stamp(entry.created_at) or "",
    )


@write(
    router,
    "/accounts/{number}/balance/adjustments",
    {201: s.EntryOut},
    "balance_adjust",
    tags=["balance"],
)
def adjust(request: HttpRequest, number: str, data: s.AdjustmentIn) -> Status[s.EntryOut]:
    """Correct the balance: a credit, or a debit (refused when the balance does not cover it)."""
    account = security.account(request, number)
    staff, actor = security.staff_acting(request, "balance.adjust")
    amount = _money(data.amount, account)
    entry = desk.adjust_balance(
        staff=staff,
        account=account,
        amount=amount,
        credit=data.direction == "credit",
        reason=data.reason,
        actor=actor,
    )
    return Status(201, _entry(entry, amount if data.direction == "credit" else -amount))


@write(
    router,
    "/accounts/{number}/balance/refunds",
    {201: s.EntryOut},
    "balance_refund",
    tags=["balance"],
)
def refund(request: HttpRequest, number: str, data: s.RefundIn) -> Status[s.EntryOut]:
    """Credit money the provider owes the customer to the balance (kind refund); open
    invoices are then settled from it."""
    account = security.account(request, number)
    staff, actor = security.staff_acting(request, "refund.balance")
    amount = _money(data.amount, account)
    entry = desk.refund_to_balance(
        staff=staff,
        account=account,
        amount=amount,
        reason=data.reason,
        reference=data.reference,
        actor=actor,
    )
    return Status(201, _entry(entry, amount))
