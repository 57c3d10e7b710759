"""Monthly closing documents: the act of services rendered (акт оказанных услуг) or the УПД
(универсальный передаточный документ: status 1, act and invoice-factura in one, when it carries
VAT; status 2, the act's function only, when it does not),
issued at the end of each month to company and sole-proprietor customers for the services
rendered in it, and their corrections.

Services rendered are what was consumed, not what was paid in the month: the parts of the
services' paid periods (services.PaidPeriod) that fall in the month, each valued at what the
customer actually paid for the period, pro rata by days (documents.calculations). An issued
document is never edited: when what was rendered in a closed month changes (a refund, a tariff
change), closing that month again issues a correction document that refers to the original and
carries the differences. Written only by documents.actions; advance invoices-factura
(AdvanceInvoice) only by documents.advances.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hutor.accounts.models import AccountKind
from hutor.core.fields import AmountField, CurrencyField


class ClosingKind(models.TextChoices):
    ACT = "act", _("Act of services rendered")
    # УПД: status 1 (the invoice-factura and the act in one) when the tax terms frozen into it
    # carry VAT, status 2 (the act only) when they do not (ClosingDocument.upd_status).
    UPD = "upd", _("Universal transfer document")


class ClosingSetting(models.Model):
    """Which closing document a provider company issues to a customer type (no row: an act)."""

    provider = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    account_kind = models.CharField(_("customer type"), max_length=20, choices=AccountKind.choices)
    document_kind = models.CharField(
        _("closing document"), max_length=8, choices=ClosingKind.choices, default=ClosingKind.ACT
    )

    class Meta:
        verbose_name = _("closing document setting")
        verbose_name_plural = _("closing document settings")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "account_kind"], name="closing_setting_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_kind}: {self.document_kind}"


class ClosingDocument(models.Model):
    """One month's act or УПД of one billing account, or a correction of one.

    `number` comes from its company's gapless series per calendar year (core.sequences,
    documents.actions.sequence_name: "closing-YYYY-c<company id>"), shared by originals and
    corrections; `issued_on` is the month's last day.
    A customer served by two companies in a month gets one document from each. The
    provider's and the customer's requisites, the offer and the tax terms in force on
    `issued_on` are frozen here. A correction (`correction` ≥ 1) names the document it
    corrects (`corrects`, always the original) and its lines carry the amounts before and
    after; its totals are those after, and `total - total_before` is the difference.
    """

    kind = models.CharField(_("kind"), max_length=8, choices=ClosingKind.choices)
    year = models.PositiveSmallIntegerField(_("year of the series"))
    number = models.PositiveIntegerField(_("number"))
    issued_on = models.DateField(_("date"))
    month = models.DateField(
        pgettext_lazy("closing document", "month"),
        help_text=_("The first day of the month closed."),
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="closing_documents",
    )
    correction = models.PositiveSmallIntegerField(
        pgettext_lazy("closing document", "correction number"), default=0
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    # The provider company that rendered the services and issues the document (its series).
    company = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        related_name="closing_documents",
    )
    provider = models.JSONField(_("provider requisites"))
    payer = models.JSONField(_("customer requisites"))
    offer_number = models.CharField(_("offer number"), max_length=32, blank=True)
    offer_date = models.DateField(_("offer date"), null=True, blank=True)
    tax_regime = models.CharField(_("tax regime"), max_length=20, blank=True)
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    total = AmountField(_("total"))
    vat_amount = AmountField(_("VAT"), null=True, blank=True)
    total_before = AmountField(_("total before the correction"), null=True, blank=True)
    vat_before = AmountField(_("VAT before the correction"), null=True, blank=True)
    currency = CurrencyField(_("currency"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("closing document")
        verbose_name_plural = _("closing documents")
        ordering = ["-issued_on", "-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year", "number"], name="closing_number_unique_per_company"
            ),
            models.UniqueConstraint(
                fields=["billing_account", "company", "month", "kind", "correction"],
                name="closing_one_per_month_per_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}/{self.year} {self.issued_on}"

    @property
    def has_vat(self) -> bool:
        return self.vat_rate is not None

    @property
    def upd_status(self) -> int | None:
        """A УПД's status: 1 (it serves as the invoice-factura too) where the provider charged
        VAT on its date, 2 (the act only) where not; None for an act. Derived from the frozen
        rate, so it never changes after issue."""
        if self.kind != ClosingKind.UPD:
            return None
        return 1 if self.has_vat else 2

    @property
    def has_fns_xml(self) -> bool:
        """A УПД, or the invoice-factura of a VAT payer's act, has its FNS XML file too
        (documents.upd_xml); their corrections do not (another schema, not found)."""
        return self.corrects_id is None and (self.kind == ClosingKind.UPD or self.has_vat)

    @property
    def has_invoice_factura(self) -> bool:
        """An act of a VAT payer has an invoice-factura of its own (a correction act: a
        correction invoice-factura); a УПД of status 1 is one itself, of status 2 needs none."""
        return self.kind == ClosingKind.ACT and self.has_vat


class ClosingLine(models.Model):
    """A service rendered in the month: the parts of its paid periods that fall in it; or a
    one-off charge rendered in it (`invoice_line`: a setup fee, a domain's restore, a manual
    invoice's item, dated the day its invoice was paid, `start` = `end`)."""

    document = models.ForeignKey(
        ClosingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invoice_line = models.ForeignKey(
        "invoices.InvoiceLine",
        verbose_name=_("one-off charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description_ru = models.CharField(_("description (Russian)"), max_length=300)
    description_en = models.CharField(_("description (English)"), max_length=300)
    start = models.DateField(_("from"))
    end = models.DateField(_("until (included)"))
    amount = AmountField(_("amount"))
    vat_amount = AmountField(_("VAT"), null=True, blank=True)
    amount_before = AmountField(_("amount before the correction"), null=True, blank=True)
    vat_before = AmountField(_("VAT before the correction"), null=True, blank=True)

    class Meta:
        verbose_name = _("closing document line")
        verbose_name_plural = _("closing document lines")
        ordering = ["document", "position"]

    def __str__(self) -> str:
        return f"{self.document_id}/{self.position} {self.description_ru}"

    @property
    def difference(self) -> Decimal | None:
        """A correction line's change (after less before); None on an original's line."""
        return None if self.amount_before is None else self.amount - self.amount_before

    @property
    def description(self) -> str:
        from django.utils.translation import get_language

        en = (get_language() or "ru").startswith("en")
        return self.description_en if en and self.description_en else self.description_ru


class AdvanceInvoice(models.Model):
    """An advance invoice-factura (счёт-фактура на аванс, Tax Code art. 168 p. 3): issued by a
    VAT-paying provider for the part of a company's or sole proprietor's payment that is a
    prepayment (not covering services already rendered), at the calculated rate of the tax
    rule in force on the payment's day (22/122, 20/120, 5/105, 7/107).

    One per payment (the unique `payment`), issued by the company the payment is for
    (payments.companies.company_of) and numbered in that company's gapless series per calendar
    year (core.sequences, documents.advances.sequence_name: "advance-YYYY-c<company id>"),
    dated the payment's local day. Requisites,
    the offer, the payment document and the tax terms are frozen here; written only by
    documents.advances.
    """

    year = models.PositiveSmallIntegerField(_("year of the series"))
    number = models.PositiveIntegerField(_("number"))
    issued_on = models.DateField(_("date"))
    payment = models.OneToOneField(
        "payments.Payment",
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="advance_invoices",
    )
    # The provider company that received the prepayment and issues the document (its series).
    company = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        related_name="advance_invoices",
    )
    payment_document = models.CharField(_("payment document number"), max_length=64)
    payment_date = models.DateField(_("payment document date"))
    provider = models.JSONField(_("provider requisites"))
    payer = models.JSONField(_("customer requisites"))
    offer_number = models.CharField(_("offer number"), max_length=32, blank=True)
    offer_date = models.DateField(_("offer date"), null=True, blank=True)
    tax_regime = models.CharField(_("tax regime"), max_length=20)
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2)
    amount = AmountField(_("prepayment"))
    vat_amount = AmountField(_("VAT"))
    currency = CurrencyField(_("currency"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("advance invoice-factura")
        verbose_name_plural = _("advance invoices-factura")
        ordering = ["-issued_on", "-year", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "year", "number"], name="advance_number_unique_per_company"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="advance_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.issued_on}"

    @property
    def display_number(self) -> str:
        """The number as printed: «А-12», the letter keeping the series apart from the
        invoices-factura of acts, which carry the act's number."""
        return f"А-{self.number}"


class EdoParticipant(models.Model):
    """The identifier an electronic document operator (оператор ЭДО) gave a provider company or
    a customer: the FNS file name of a УПД names the recipient's and the sender's
    (ON_NSCHFDOPPR_<recipient>_<sender>_<date>_<GUID>, documents.upd_xml). Exactly one of
    `company` and `billing_account` is set. Without a row the identifier is left empty in the
    file name: such a file is for reading and archiving, an operator needs both."""

    company = models.OneToOneField(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    billing_account = models.OneToOneField(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    participant_id = models.CharField(
        _("EDO participant identifier"),
        max_length=46,
        validators=[
            RegexValidator(
                r"^[0-9A-Za-z][0-9A-Za-z-]*$",
                _("Letters, digits and hyphens, as the EDO operator gave it."),
            )
        ],
        help_text=_("As the EDO operator assigned it, e.g. 2BM-7707083893-773601001."),
    )

    class Meta:
        verbose_name = _("EDO participant identifier")
        verbose_name_plural = _("EDO participant identifiers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(company__isnull=False, billing_account__isnull=True)
                | models.Q(company__isnull=True, billing_account__isnull=False),
                name="edo_participant_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.participant_id

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (self.company_id is None) == (self.billing_account_id is None):
            raise ValidationError(_("Choose either a provider company or a billing account."))
