"""The reminder of an unpaid invoice ("invoice_reminder"), queued by the billing run at the
configured days around the due date (HUTOR_BILLING_REMINDER_DAYS)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from hutor.invoices import documents, links
from hutor.invoices.models import Invoice, InvoiceStatus
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import RenderedEmail, register


@register("invoice_reminder")
def invoice_reminder(email: OutboxEmail) -> RenderedEmail:
    invoice = Invoice.objects.select_related("billing_account").get(number=email.params["invoice"])
    offset = int(email.params.get("offset", 0))
    lines = list(invoice.lines.all())
    expiring = set(settings.HUTOR_BILLING_EXPIRING_TYPES)
    context = {
        **documents.context(invoice),
        "offset": offset,
        "days_left": -offset,
        "days_late": offset,
        # Paid meanwhile (the email waited in the queue): say so rather than ask for money.
        "is_paid": invoice.status == InvoiceStatus.PAID,
        "is_cancelled": invoice.status == InvoiceStatus.CANCELLED,
        "services": [line for line in lines if line.service_id is not None],
        "has_domain": any(line.service_type_code in expiring for line in lines),
        "grace_days": settings.HUTOR_BILLING_GRACE_DAYS,
        "pay_url": links.public_url(invoice),
        "panel_url": settings.HUTOR_BASE_URL + "/panel/",
    }
    if offset < 0:
        subject = _("Reminder: invoice No. %(number)s is due on %(date)s")
    elif offset == 0:
        subject = _("Reminder: invoice No. %(number)s is due today")
    else:
        subject = _("Invoice No. %(number)s is overdue")
    return RenderedEmail(
        subject=subject % {"number": invoice.number, "date": invoice.due_date.strftime("%d.%m.%Y")},
        text=render_to_string("billing/email/invoice_reminder.txt", context),
        html=render_to_string("billing/email/invoice_reminder.html", context),
    )
