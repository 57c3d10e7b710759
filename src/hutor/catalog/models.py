"""What the provider sells: service types, their tariffs, and a tariff's price per period.

Catalog text is kept in both languages (`*_ru`, `*_en`); `name` and `description` give the one
of the active language. Prices here are for new documents only: an issued invoice keeps its
own copy of every amount, so editing the catalog never changes a document.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hutor.core.fields import AmountField, CurrencyField


def pick(value_ru: str, value_en: str) -> str:
    """A catalog text in the active language: the Russian one unless the language is English
    and the English text is filled in."""
    return value_en if value_en and (get_language() or "ru")[:2] == "en" else value_ru


class Bilingual(models.Model):
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name_ru

    def _pick(self, field: str) -> str:
        return pick(getattr(self, f"{field}_ru"), getattr(self, f"{field}_en"))

    @property
    def name(self) -> str:
        return self._pick("name")

    @property
    def description(self) -> str:
        return self._pick("description")


class IdentifierKind(models.TextChoices):
    NONE = "none", _("None")  # e.g. server administration
    DOMAIN = "domain", _("Domain name")  # hosting, domains, SSL certificates
    HOSTNAME = "hostname", _("Hostname")  # VPS


class BillingUnit(models.TextChoices):
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")  # domains are sold and renewed by whole years


class ServiceType(Bilingual):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    identifier_kind = models.CharField(
        _("identifier"), max_length=16, choices=IdentifierKind.choices, default=IdentifierKind.NONE
    )
    billing_unit = models.CharField(
        _("billing unit"), max_length=8, choices=BillingUnit.choices, default=BillingUnit.MONTH
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["position", "code"]


class Tariff(Bilingual):
    service_type = models.ForeignKey(
        ServiceType,
        verbose_name=_("service type"),
        on_delete=models.PROTECT,
        related_name="tariffs",
    )
    code = models.SlugField(_("code"), max_length=64)
    # For domain registration tariffs: the zone they register, without the dot ("ru", "рф").
    domain_zone = models.CharField(_("domain zone"), max_length=63, blank=True)
    # Days before paid-until its renewal invoice is issued, where this tariff (a zone) wants its
    # own: a registry that expires domains early, a zone with a long transfer lock. Empty: the
    # service type's (HUTOR_BILLING_RENEW_DAYS_BEFORE).
    renew_days_before = models.PositiveSmallIntegerField(
        _("renewal invoice, days before"), null=True, blank=True
    )
    # An expired domain of this zone: the days its registry still renews it at the usual price
    # (empty: HUTOR_BILLING_TERMINATE_AFTER_DAYS), then the days it can only be restored from
    # redemption, at the price's restore fee on top (0: the zone has no redemption period).
    # After both the registry deletes it, and the billing run terminates the service.
    grace_days = models.PositiveSmallIntegerField(
        _("renewal grace after expiry, days"), null=True, blank=True
    )
    redemption_days = models.PositiveSmallIntegerField(
        _("redemption period, days"), default=0, db_default=0
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Where its new services are created: the least-loaded enabled server of this group, whose
    # module provisions them (services/placement.py); none: the "manual" module, staff to-dos.
    server_group = models.ForeignKey(
        "servers.ServerGroup",
        verbose_name=_("server group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tariffs",
    )
    # The provider company that sells it and issues its documents; empty: the company for the
    # customer's kind, else the default (core.companies.company_for).
    company = models.ForeignKey(
        "core.Provider",
        verbose_name=_("provider company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tariffs",
    )
    # What the group's module makes of this tariff ({"package": "basic"} for cPanel, a zone
    # template for PowerDNS, cores and memory for Proxmox): each module documents its keys.
    module_params = models.JSONField(
        _("module parameters"), default=dict, db_default={}, blank=True
    )

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["service_type__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "code"], name="tariff_code_unique")
        ]


class TariffFeature(models.Model):
    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="features"
    )
    name_ru = models.CharField(_("feature (Russian)"), max_length=200)
    name_en = models.CharField(_("feature (English)"), max_length=200)
    value = models.CharField(_("value"), max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("tariff feature")
        verbose_name_plural = _("tariff features")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name_ru} {self.value}".strip()

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru


class TariffPrice(models.Model):
    """The price of one billing period of a tariff. Domains use multiples of 12 months."""

    PERIODS = (1, 3, 6, 12, 24, 36)

    tariff = models.ForeignKey(
        Tariff, verbose_name=_("tariff"), on_delete=models.CASCADE, related_name="prices"
    )
    period_months = models.PositiveSmallIntegerField(
        _("period, months"), choices=[(p, str(p)) for p in PERIODS]
    )
    price = AmountField(_("price"))
    setup_fee = AmountField(_("setup fee"), default=0)
    # A domain restored from its registry's redemption period pays this on top of the renewal.
    restore_fee = AmountField(_("restore fee"), default=0, db_default=0)
    currency = CurrencyField(_("currency"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tariff price")
        verbose_name_plural = _("tariff prices")
        ordering = ["tariff", "period_months"]
        constraints = [
            models.UniqueConstraint(
                fields=["tariff", "period_months", "currency"], name="tariff_price_unique"
            ),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="tariff_price_positive"),
            models.CheckConstraint(
                condition=models.Q(setup_fee__gte=0), name="tariff_setup_fee_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(restore_fee__gte=0), name="tariff_restore_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.code} {self.period_months} mo: {self.price} {self.currency}"

    @property
    def monthly_price(self) -> Decimal:
        """Price per month, for comparing periods on the storefront (not rounded here)."""
        return self.price / self.period_months
