"""The desk's read-only pages: search, the account view, invoice, service and payment details,
the customer's own view, the audit log."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from hutor.backoffice import actions, queries, roles, search
from hutor.backoffice import audit as audit_words
from hutor.backoffice.forms import AuditFilterForm, NoteForm
from hutor.backoffice.models import AuditEntry, Role
from hutor.backoffice.views.common import account_or_404, render_desk
from hutor.core import replica
from hutor.invoices import documents
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.payments import actions as payment_actions
from hutor.payments.actions import describe_review
from hutor.payments.gateways import get_gateway
from hutor.payments.models import Gateway, Payment, PaymentStatus
from hutor.payments.refunds import can_retry as can_retry_refund
from hutor.payments.refunds import failure_text as refund_failure_text
from hutor.services import access, cancellations
from hutor.services.models import Service


@roles.require_role(Role.SUPPORT)
def home(request: HttpRequest) -> HttpResponse:
    """The search box; a unique match opens its record, several are listed."""
    query = request.GET.get("q", "")
    results = None
    if query.strip():
        # Read-only and never followed by a write: may be served by a replica.
        with replica.reading():
            results = search.search(query)
    if results is not None and results.unique is not None:
        return redirect(results.unique.url)
    recent = (
        AuditEntry.objects.filter(staff_id=request.user.pk)
        .select_related("billing_account")
        .order_by("-created_at", "-id")[:8]
    )
    return render_desk(
        request, "backoffice/home.html", {"query": query, "results": results, "recent": recent}
    )


@roles.require_role(Role.SUPPORT)
def account(request: HttpRequest, number: str) -> HttpResponse:
    billing_account = account_or_404(number)
    view = queries.account_view(billing_account, full=request.GET.get("all") == "1")
    return render_desk(
        request,
        "backoffice/account.html",
        {
            "view": view,
            "account": billing_account,
            "note_form": NoteForm(),
            "counts": queries.service_counts(billing_account),
        },
    )


@roles.require_role(Role.SUPPORT)
def as_customer(request: HttpRequest, number: str) -> HttpResponse:
    """The customer's panel home as the customer sees it, rendered from the customer's own
    template for this account, without logging in as them. Read-only: the page is inert (no
    link or button works) and the desk user has no billing account, so the panel's forms would
    find nothing to act on anyway."""
    billing_account = account_or_404(number)
    context = queries.customer_home(billing_account)
    return render(
        request,
        "backoffice/as_customer.html",
        {
            **context,
            # The customer's login, so the page's header reads as theirs (the desk user's own
            # login is untouched).
            "user": billing_account.user,
            "desk_account": billing_account,
        },
    )


@roles.require_role(Role.SUPPORT)
def invoice(request: HttpRequest, number: str) -> HttpResponse:
    item = get_object_or_404(
        Invoice.objects.select_related("billing_account", "settlement_entry"), number=number
    )
    return render_desk(
        request,
        "backoffice/invoice.html",
        {
            "invoice": item,
            "account": item.billing_account,
            "services": Service.objects.filter(invoice_lines__invoice=item)
            .select_related("tariff")
            .distinct(),
            "document": documents.render_html(item, standalone=False),
            "emails": OutboxEmail.objects.filter(params__invoice=item.number),
            "audit": AuditEntry.objects.filter(
                object_type="invoice", object_id=item.number
            ).select_related("staff"),
        },
    )


@roles.require_role(Role.SUPPORT)
def service(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        Service.objects.select_related("billing_account", "tariff", "service_type", "server"), pk=pk
    )
    invoices = Invoice.objects.filter(lines__service=item).distinct().order_by("-issued_at", "-id")
    return render_desk(
        request,
        "backoffice/service.html",
        {
            "service": item,
            "account": item.billing_account,
            "invoices": invoices,
            "tasks": item.provisioning.all()[:50],
            "module_state": access.module_state(item),
            "supports_sync": access.supports(item, "sync"),
            "supports_login": access.supports(item, "login_url"),
            "periods": item.paid_periods.select_related("invoice").order_by("-start", "-id")[:50],
            "cancel_quote": (
                cancellations.quote(item) if cancellations.cancellable(item) else None
            ),
            "events": item.events.select_related("user").order_by("-at", "-id")[:50],
            "audit": AuditEntry.objects.filter(
                object_type="service", object_id=str(item.pk)
            ).select_related("staff"),
        },
    )


@roles.require_role(Role.SUPPORT)
def payment(request: HttpRequest, number: str) -> HttpResponse:
    item = get_object_or_404(
        Payment.objects.select_related("billing_account", "method", "credit_entry"), number=number
    )
    try:
        supports_refunds = get_gateway(item.method.gateway).supports_refunds
    except LookupError:
        supports_refunds = False
    link = document_pdf = ""
    if item.status == PaymentStatus.PENDING:
        link = settings.HUTOR_BASE_URL + payment_actions.payment_link(item)
        if item.method.gateway == Gateway.BANK_TRANSFER:
            # The receipt or bill to print for the customer (the link's own page shows it).
            document_pdf = reverse(
                "payments:pay_document_pdf",
                args=[item.number, payment_actions.link_token(item)],
            )
    refunds = [
        (
            refund,
            refund_failure_text(refund) if refund.failure_code else "",
            refund.status == "pending" and not can_retry_refund(refund),
        )
        for refund in item.refunds.select_related("staff").order_by("created_at", "pk")
    ]
    reasons = [describe_review(reason, item.currency) for reason in item.review_reasons]
    return render_desk(
        request,
        "backoffice/payment.html",
        {
            "payment": item,
            "account": item.billing_account,
            "supports_refunds": supports_refunds,
            "link": link,
            "document_pdf": document_pdf,
            "refundable": actions.refundable(item),
            "refunds": refunds,
            "fiscal_receipts": list(
                item.fiscal_receipts.select_related("register__provider").order_by(
                    "created_at", "pk"
                )
            ),
            "review_reasons": reasons,
            "audit": AuditEntry.objects.filter(
                object_type="payment", object_id=item.number
            ).select_related("staff"),
        },
    )


@roles.require_page("audit")
def audit(request: HttpRequest) -> HttpResponse:
    """The audit log, searchable by staff member, billing account, action and date."""
    codes = sorted(set(roles.ACTIONS) | set(audit_words.ACTION_LABELS))  # desk's and commands'

    form = AuditFilterForm(request.GET or None, actions=codes)
    entries = AuditEntry.objects.select_related("staff", "billing_account")
    if form.is_valid():
        data = form.cleaned_data
        if data["staff"]:
            entries = entries.filter(
                Q(staff__email__icontains=data["staff"])
                | Q(staff__full_name__icontains=data["staff"])
                | Q(actor__icontains=data["staff"])
            )
        if data["account"]:
            entries = entries.filter(billing_account__number=data["account"].strip())
        if data["action"]:
            entries = entries.filter(action=data["action"])
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            entries = entries.filter(
                created_at__gte=dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
            )
        if data["date_to"]:
            entries = entries.filter(
                created_at__lt=dt.datetime.combine(
                    data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz
                )
            )
    page = Paginator(entries.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_desk(
        request,
        "backoffice/audit.html",
        {"form": form, "page": page, "page_query": query.urlencode()},
    )
