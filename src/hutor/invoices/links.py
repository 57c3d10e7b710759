"""Signed links to an invoice, for customers who follow the email without logging in."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from hutor.invoices.models import Invoice

_signer = signing.Signer(salt="hutor.invoices.public-link")


def token(invoice: Invoice) -> str:
    return _signer.sign(invoice.number)


def number_from_token(value: str) -> str | None:
    try:
        return _signer.unsign(value)
    except signing.BadSignature:
        return None


def public_path(invoice: Invoice) -> str:
    # The page lives in the panel (it offers the payment methods, which sit above invoices):
    # named here, never imported.
    return reverse("panel:invoice_public", args=[token(invoice)])


def public_url(invoice: Invoice) -> str:
    return settings.HUTOR_BASE_URL + public_path(invoice)


def public_pdf_url(invoice: Invoice) -> str:
    return settings.HUTOR_BASE_URL + reverse("invoices:public_pdf", args=[token(invoice)])
