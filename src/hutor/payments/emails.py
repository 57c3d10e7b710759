from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.invoices.models import Invoice
from hutor.ledger import queries as ledger_queries
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register
from hutor.payments.models import Payment


@register("payment_credited")
def payment_credited(email: OutboxEmail) -> RenderedEmail:
    payment = Payment.objects.select_related("billing_account", "method").get(
        number=email.params["payment"]
    )
    context = {
        "payment": payment,
        "account": payment.billing_account,
        "balance": ledger_queries.balance(payment.billing_account),
        # What the money did: the invoices this credit paid (numbers stored when it was queued).
        "invoices": list(
            Invoice.objects.filter(number__in=email.params.get("invoices") or [])
            .prefetch_related("lines")
            .order_by("issued_at", "id")
        ),
        "language": email.language,
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:home"),
    }
    return RenderedEmail(
        subject=_("Payment %(number)s credited to billing account %(account)s")
        % {"number": payment.number, "account": payment.billing_account.number},
        text=render_to_string("payments/email/payment_credited.txt", context),
        html=render_to_string("payments/email/payment_credited.html", context),
    )
