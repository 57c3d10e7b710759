"""Invoice emails: the invoice itself (a duplicate, S7, with its PDF and a pay link) and the
"invoice paid" notice (with the paid invoice's PDF)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.invoices import documents, links
from hutor.invoices.models import Invoice
from hutor.notifications.actions import EmailDraft, enqueue_many, withdraw_many
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import Attachment, RenderedEmail, register


@register("invoice_issued")
def invoice_issued(email: OutboxEmail) -> RenderedEmail:
    invoice = Invoice.objects.select_related("billing_account").get(number=email.params["invoice"])
    context = {
        **documents.context(invoice),
        "pay_url": links.public_url(invoice),
        "pdf_url": links.public_pdf_url(invoice),
        # Without the QR image: mail clients block `data:` images; the PDF carries the code.
        "document_html": documents.render_html(invoice, standalone=False, qr=False),
    }
    return RenderedEmail(
        subject=_("Invoice No. %(number)s for payment") % {"number": invoice.number},
        text=render_to_string("invoices/email/invoice_issued.txt", context),
        html=render_to_string("invoices/email/invoice_issued.html", context),
        attachments=[
            Attachment(
                documents.pdf_filename(invoice), documents.render_pdf(invoice), "application/pdf"
            )
        ],
    )


def queue_paid_email(invoice: Invoice) -> None:
    """Queue the "invoice paid" email, once per invoice (key `invoice-paid:<number>`).

    Call it inside the transaction that marks the invoice paid: invoices.actions does for every
    settlement (issue_invoices queues the same rows for the invoices it pays at once). An
    invoice paid before its "invoice issued" email went out (paid at once from the balance, an
    auto-renewal) is announced once, as paid: that email is withdrawn, so the customer does
    not get "please pay" and "paid" together."""
    queue_paid_emails([invoice])


def queue_paid_emails(invoices: Sequence[Invoice]) -> None:
    """queue_paid_email() for many invoices: two statements whatever their number."""
    withdraw_many(keys=[f"invoice-issued:{invoice.number}" for invoice in invoices])
    enqueue_many(
        emails=[
            EmailDraft(
                key=f"invoice-paid:{invoice.number}",
                template="invoice_paid",
                billing_account=invoice.billing_account,
                language=invoice.language,
                params={"invoice": invoice.number},
            )
            for invoice in invoices
        ]
    )


@register("invoice_paid")
def invoice_paid(email: OutboxEmail) -> RenderedEmail:
    invoice = Invoice.objects.select_related("billing_account").get(number=email.params["invoice"])
    context = {
        **documents.context(invoice),
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:home"),
        "invoice_url": links.public_url(invoice),
    }
    return RenderedEmail(
        subject=_("Invoice No. %(number)s is paid") % {"number": invoice.number},
        text=render_to_string("invoices/email/invoice_paid.txt", context),
        html=render_to_string("invoices/email/invoice_paid.html", context),
        attachments=[
            Attachment(
                documents.pdf_filename(invoice), documents.render_pdf(invoice), "application/pdf"
            )
        ],
    )
