"""Invoices: numbered demands for payment of a service's period, settled from the balance.

An invoice is frozen once issued: its number, lines, amounts and the snapshots of payer and
provider requisites never change, so it renders identically forever, whatever happens to the
catalog or the requisites later. Only its status moves, through the transitions in actions.py.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.money import Money


class InvoiceStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")  # issued, waiting for the balance to cover it
    PAID = "paid", _("Paid")  # settled from the balance by exactly one journal entry
    CANCELLED = "cancelled", pgettext_lazy("invoice", "Cancelled")  # withdrawn unpaid; number kept


class InvoiceKind(models.TextChoices):
    ORDER = "order", _("New service")
    RENEWAL = "renewal", _("Renewal")
    TARIFF_CHANGE = "tariff_change", _("Tariff change")
    MANUAL = "manual", _("Manual invoice")  # free lines a staff member wrote (no service)


class FrozenInvoiceError(Exception):
    """An issued invoice's key fields cannot change."""


# Fields that may change after issue; everything else is frozen.
MUTABLE_FIELDS = frozenset({"status", "paid_at", "cancelled_at", "settlement_entry"})


class Invoice(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InvoiceKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID
    )
    currency = CurrencyField(_("currency"))
    total = AmountField(_("total"))
    # The tax rule in force on the issue date, frozen (taxes.queries.terms_on): the regime
    # ("" when no rule was in force), the VAT rate (NULL: «Без НДС») and the VAT included in
    # the total, the sum of the lines' VAT (taxes/calculations.py gives the rounding).
    tax_regime = models.CharField(_("tax regime"), max_length=20, blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    vat_amount = AmountField(_("VAT included"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    settlement_entry = models.OneToOneField(
        "ledger.JournalEntry",
        verbose_name=_("settlement entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_invoice",
    )
    # Snapshots taken at issue: {"name", "inn", "kpp", "address", "email", "kind", "number"}
    # for the payer; the Provider row's fields for the provider.
    payer = models.JSONField(_("payer"))
    provider = models.JSONField(_("provider"))
    language = models.CharField(_("language"), max_length=8, default="ru")
    # The one-time key of the desk form that issued a manual invoice: a form submitted twice
    # issues one invoice (the unique constraint decides, not a lookup before the insert).
    issue_key = models.CharField(
        _("issue key"), max_length=64, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["billing_account", "status", "issued_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(total__gt=0), name="invoice_total_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="paid") | models.Q(settlement_entry__isnull=False),
                name="invoice_paid_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= MUTABLE_FIELDS:
                raise FrozenInvoiceError(
                    f"invoice {self.number} is issued; only its status can change"
                )
        super().save(*args, **kwargs)

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    @property
    def vat_money(self) -> Money | None:
        return None if self.vat_amount is None else Money(self.vat_amount, self.currency)

    @property
    def is_open(self) -> bool:
        return self.status == InvoiceStatus.UNPAID


class LineKind(models.TextChoices):
    PERIOD = "period", _("Service period")  # the tariff for a period from-to
    SETUP = "setup", _("Setup fee")
    PRORATION = "proration", _("Tariff change")  # prorated difference for the paid remainder
    RESTORE = "restore", _("Domain restore")  # a domain out of its registry's redemption period
    ITEM = "item", _("Item")  # a manual invoice's free line: quantity × unit price, no service


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    # The service the line pays for; services react to the paid invoice (services/receivers.py).
    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    service_type_code = models.CharField(_("service type"), max_length=32)
    tariff_code = models.CharField(_("tariff"), max_length=64, blank=True)
    description_ru = models.CharField(_("description (Russian)"), max_length=300)
    description_en = models.CharField(_("description (English)"), max_length=300)
    period_start = models.DateField(pgettext_lazy("period", "from"), null=True, blank=True)
    period_end = models.DateField(pgettext_lazy("period", "to"), null=True, blank=True)
    period_months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    # amount = quantity × unit_price, rounded (a service's line: 1 × its amount, no unit price).
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price = AmountField(_("unit price"), null=True, blank=True)
    amount = AmountField(_("amount"))
    # The VAT included in the amount at the invoice's rate (NULL: no VAT, or an invoice issued
    # before VAT was frozen per line).
    vat_amount = AmountField(_("VAT included"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoice_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice.number}/{self.position} {self.description_ru}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise FrozenInvoiceError("invoice lines are frozen once issued")
        super().save(*args, **kwargs)

    @property
    def description(self) -> str:
        return (
            self.description_en
            if (get_language() or "ru").startswith("en")
            else self.description_ru
        )
