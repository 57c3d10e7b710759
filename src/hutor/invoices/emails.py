"""The invoice email: a duplicate of the invoice (S7), with its PDF attached and a pay link."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from hutor.invoices import documents, links
from hutor.invoices.models import Invoice
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import Attachment, RenderedEmail, register


@register("invoice_issued")
def invoice_issued(email: OutboxEmail) -> RenderedEmail:
    invoice = Invoice.objects.select_related("billing_account").get(number=email.params["invoice"])
    context = {
        **documents.context(invoice),
        "pay_url": links.public_url(invoice),
        "pdf_url": links.public_pdf_url(invoice),
        "document_html": documents.render_html(invoice, standalone=False),
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
