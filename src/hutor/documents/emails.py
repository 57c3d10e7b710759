"""The emails that bring a customer their documents, in the customer's language, each queued
in the transaction that issues the document (the outbox, keyed by the document: sent once),
rendered and sent by the worker:

- the month's closing documents: once per document issued (an act / УПД, or a correction),
  with its PDF and, for a VAT payer's act, the invoice-factura attached;
- an advance invoice-factura: once per document, with its PDF attached.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from hutor.documents import advance_pdf, closing_pdf
from hutor.documents.models import AdvanceInvoice, ClosingDocument
from hutor.notifications.actions import enqueue
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import Attachment, RenderedEmail, register

TEMPLATE = "closing_document"
ADVANCE_TEMPLATE = "advance_invoice"


def _queue_once(
    template: str, document: ClosingDocument | AdvanceInvoice, param: str
) -> OutboxEmail:
    """Queue a document's email in the caller's transaction; once per document (its key)."""
    return enqueue(
        key=f"{template}:{document.pk}",
        template=template,
        billing_account=document.billing_account,
        params={param: document.pk},
    )


def queue(document: ClosingDocument) -> OutboxEmail:
    """Queue a closing document's email."""
    return _queue_once(TEMPLATE, document, "document_id")


@register(TEMPLATE)
def closing_document(email: OutboxEmail) -> RenderedEmail:
    document = ClosingDocument.objects.select_related("billing_account", "corrects").get(
        pk=email.params["document_id"]
    )
    language = email.language
    attachments = [
        Attachment(
            closing_pdf.pdf_filename(document),
            closing_pdf.render_pdf(document, language),
            "application/pdf",
        )
    ]
    if closing_pdf.has_invoice_factura(document):
        attachments.append(
            Attachment(
                f"invoice-factura-{document.year}-{document.number}.pdf",
                closing_pdf.render_invoice_factura_pdf(document, language),
                "application/pdf",
            )
        )
    month = formats.date_format(document.month, "m.Y")
    context = {
        "document": document,
        "title": closing_pdf.title(document, language),
        "month": month,
        "account": document.billing_account,
        "with_factura": len(attachments) > 1,
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:closing_documents"),
    }
    return RenderedEmail(
        subject=_("Closing documents for %(month)s: %(title)s")
        % {"month": month, "title": context["title"]},
        text=render_to_string("documents/email/closing_document.txt", context),
        html=render_to_string("documents/email/closing_document.html", context),
        attachments=attachments,
    )


def queue_advance(invoice: AdvanceInvoice) -> OutboxEmail:
    """Queue an advance invoice-factura's email."""
    return _queue_once(ADVANCE_TEMPLATE, invoice, "advance_invoice_id")


@register(ADVANCE_TEMPLATE)
def advance_invoice(email: OutboxEmail) -> RenderedEmail:
    invoice = AdvanceInvoice.objects.select_related("billing_account", "payment").get(
        pk=email.params["advance_invoice_id"]
    )
    language = email.language
    title = advance_pdf.title(invoice, language)
    context = {
        "invoice": invoice,
        "title": title,
        "account": invoice.billing_account,
        "company": invoice.provider.get("short_name") or invoice.provider.get("legal_name", ""),
        "panel_url": settings.HUTOR_BASE_URL + reverse("panel:closing_documents"),
    }
    return RenderedEmail(
        subject=title,
        text=render_to_string("documents/email/advance_invoice.txt", context),
        html=render_to_string("documents/email/advance_invoice.html", context),
        attachments=[
            Attachment(
                advance_pdf.pdf_filename(invoice),
                advance_pdf.render_pdf(invoice, language),
                "application/pdf",
            )
        ],
    )
