"""The public offer (публичная оферта): the contract a customer accepts by ordering.

A provider changes its offer from time to time; a customer is bound by the version they
accepted. So the offer is kept as numbered versions: staff write a draft, publish it, and from
then on its text never changes (a correction is a new version). The version in force is the
published one with the latest effective date not after today. Each order records which
version its customer accepted, when, from which address and with which browser. Every table
here is written only by offers.actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("draft")  # seen and edited only in the desk
    PUBLISHED = "published", _("published")  # public, and never edited again


class Offer(models.Model):
    # As the provider numbers its contracts: "1", "2026/01", "ПО-3"; documents say
    # «договор-оферта № <number> от <effective_from>».
    number = models.CharField(_("number"), max_length=32, unique=True)
    effective_from = models.DateField(_("in force from"))
    # Plain text, paragraphs separated by blank lines. Russian is the contract; English is a
    # translation for reading and may be empty.
    text_ru = models.TextField(_("text in Russian"))
    text_en = models.TextField(_("text in English"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("public offer version")
        verbose_name_plural = _("public offer versions")
        ordering = ["-effective_from", "-id"]

    def __str__(self) -> str:
        return f"№ {self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == OfferStatus.PUBLISHED

    @property
    def text(self) -> str:
        """The text to show in the active language: the English translation when there is one
        and the reader reads English, else the Russian contract."""
        if (get_language() or "ru").startswith("en") and self.text_en:
            return self.text_en
        return self.text_ru

    @property
    def is_translated(self) -> bool:
        """Whether `text` is the English translation, not the Russian contract."""
        return bool(self.text_en) and (get_language() or "ru").startswith("en")


class Acceptance(models.Model):
    """A customer's acceptance (акцепт) of one version, recorded with the order that made it."""

    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="offer_acceptances",
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="acceptances"
    )
    accepted_at = models.DateTimeField(_("accepted at"))
    # Where the acceptance came from, as the web server saw it; empty when unknown (an order
    # placed through the API by the provider's own website passes its visitor's).
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    # The order it came with (the services' order token): one acceptance per order.
    order_token = models.UUIDField(_("order"), null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("offer acceptance")
        verbose_name_plural = _("offer acceptances")
        ordering = ["-accepted_at", "-id"]
        indexes = [
            models.Index(fields=["billing_account", "-accepted_at"], name="offers_acc_account")
        ]

    def __str__(self) -> str:
        return f"{self.offer} @ {self.accepted_at:%Y-%m-%d %H:%M}"
