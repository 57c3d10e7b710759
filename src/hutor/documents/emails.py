"""The email that brings a customer the month's closing documents: sent once per document
issued (an act / УПД, or a correction), with its PDF and, for a VAT payer's act, the
invoice-factura attached, in the customer's language. Queued in the transaction that issues the
document (the outbox), rendered and sent by the worker."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from hutor.documents import closing_pdf
from hutor.documents.models import ClosingDocument
from hutor.notifications.actions import enqueue
from hutor.notifications.models import OutboxEmail
from hutor.notifications.registry import Attachment, RenderedEmail, register

TEMPLATE = "closing_document"


def queue(document: ClosingDocument) -> OutboxEmail:
    """Queue the document's email; once per document (its key)."""
    return enqueue(
        key=f"{TEMPLATE}:{document.pk}",
        template=TEMPLATE,
        billing_account=document.billing_account,
        params={"document_id": document.pk},
    )


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
