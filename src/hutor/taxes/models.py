"""The provider company's tax rules by date: which regime and VAT rate are in force on a day.

A rule holds from its `effective_from` date until the next rule of the same company; the rule
in force on an invoice's issue date (the provider's local date, core.clock.today()) is frozen
into the invoice, so a change of rate takes effect on its date with no staff action and never
touches a document already issued. Written only by taxes.actions.

The taxes app sits just above core (it names core's Provider) and below invoices and payments,
which read it; closing documents (acts, УПД, invoices-factura) belong to an app above invoices.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

# The first rule of an installation that had one provider-wide VAT rate (migration 0002)
# holds from this date: before any invoice Hutor can have issued.
SINCE_EVER = dt.date(2000, 1, 1)


class TaxRegime(models.TextChoices):
    # ОСНО: a VAT payer at the general rates (22 % from 2026, 20 % before; 10 %, 0 %).
    GENERAL = "general", _("General regime, VAT")
    # УСН released from VAT (income under the threshold): documents say «Без НДС».
    SIMPLIFIED = "simplified", _("Simplified regime, no VAT")
    # УСН paying VAT at the reduced rate 5 %, without deductions.
    SIMPLIFIED_VAT5 = "simplified_vat5", _("Simplified regime, VAT 5 %")
    # УСН paying VAT at the reduced rate 7 %, without deductions.
    SIMPLIFIED_VAT7 = "simplified_vat7", _("Simplified regime, VAT 7 %")


class TaxRule(models.Model):
    """From `effective_from` on, the company's documents carry this regime and rate.

    `rate` is the VAT percent (NULL for a regime without VAT); calculations.check_rule() says
    which rates each regime takes. Prices include VAT (the Russian B2C norm): the VAT of an
    amount is the part of it that is tax; a company whose prices are stated without VAT has it
    added on top (docs/documents-and-taxes.md).
    """

    provider = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        related_name="tax_rules",
    )
    regime = models.CharField(_("tax regime"), max_length=20, choices=TaxRegime.choices)
    rate = models.DecimalField(
        _("VAT rate, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty for the simplified regime without VAT."),
    )
    effective_from = models.DateField(
        _("effective from"), help_text=_("The first day (provider's local date) it applies.")
    )

    class Meta:
        verbose_name = _("tax rule")
        verbose_name_plural = _("tax rules")
        ordering = ["provider", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "effective_from"], name="tax_rule_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        rate = "" if self.rate is None else f" {self.rate.normalize():f}%"
        return f"{self.effective_from:%Y-%m-%d} {self.regime}{rate}"
