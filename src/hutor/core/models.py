from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter for public document numbers (billing accounts, invoices, payments).

    The row is locked (SELECT ... FOR UPDATE on PostgreSQL, the write lock of an IMMEDIATE
    transaction on SQLite) for the rest of the caller's transaction, so concurrent callers queue
    and each gets the next value. Because the increment commits or rolls back together with the
    document that uses the number, numbers are never handed out twice and leave no gaps.
    """

    name = models.CharField(_("name"), max_length=64, primary_key=True)
    next_value = models.BigIntegerField(_("next value"))

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class Provider(models.Model):
    """A provider company (legal entity) whose requisites are printed on its documents.

    A provider may run several companies (one bills individuals, another companies; two
    brands); exactly one is the default (`is_default`), the one documents fall back to.
    core.companies.company_for() says which company sells a tariff to a customer. Issued
    documents copy these values into their own snapshot, so editing them here never changes a
    document already issued. The bank fields below are the company's primary bank account
    (CompanyBankAccount), kept in step by core.companies.
    """

    legal_name = models.CharField(_("legal name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=200)
    inn = models.CharField(_("INN"), max_length=12)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True)
    address = models.CharField(_("address"), max_length=500)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=300)
    bik = models.CharField(_("BIK"), max_length=9)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20)
    settlement_account = models.CharField(_("settlement account"), max_length=20)
    director = models.CharField(_("director"), max_length=200, blank=True)
    accountant = models.CharField(_("chief accountant"), max_length=200, blank=True)
    # The company's tax regime and VAT rate are date-effective rules (taxes.TaxRule): the
    # one in force on a document's date is frozen into it.
    is_default = models.BooleanField(_("default company"), default=False)
    # The customer kinds (accounts.AccountKind codes) this company bills when a tariff names
    # no company; a kind belongs to one company at most (core.companies checks it).
    customer_kinds = models.JSONField(_("customer kinds"), default=list, blank=True)
    # False: catalog prices are net and invoices add VAT on top (taxes.calculations).
    prices_include_vat = models.BooleanField(_("prices include VAT"), default=True)

    class Meta:
        verbose_name = _("provider company")
        verbose_name_plural = _("provider companies")
        ordering = ["-is_default", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="provider_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.legal_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The first company is the default: there is always exactly one once there is any.
        if not self.is_default and not Provider.objects.filter(is_default=True).exists():
            self.is_default = True
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> Provider | None:
        """The default company (documents not tied to a tariff's company use it)."""
        return cls.objects.filter(is_default=True).first()


class CompanyBankAccount(models.Model):
    """A settlement account of a provider company; one per company is primary (printed on its
    documents and copied into the company's bank fields). A bank statement line is attributed
    to the company whose account received it."""

    company = models.ForeignKey(
        Provider,
        verbose_name=_("provider company"),
        on_delete=models.CASCADE,
        related_name="bank_accounts",
    )
    bank_name = models.CharField(_("bank"), max_length=300)
    bik = models.CharField(_("BIK"), max_length=9)
    account = models.CharField(_("settlement account"), max_length=20)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("company bank account")
        verbose_name_plural = _("company bank accounts")
        ordering = ["company", "-is_primary", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bik", "account"], name="company_bank_account_unique"),
            models.UniqueConstraint(
                fields=["company"],
                condition=models.Q(is_primary=True),
                name="company_bank_account_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account}"


class Event(models.Model):
    """A domain event, written by `hutor.core.events.publish()` in the transaction of the change
    it announces (the transactional outbox): it exists exactly when the change committed.

    Its `id` is the webhook-id receivers deduplicate by (Standard Webhooks). `data` holds codes,
    numbers and decimal strings only, never words: the event is for machines. The billing
    account is kept as its id, not a foreign key: core sits below the accounts app, and an event
    is a record of what happened, not a relation to maintain.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("event"), max_length=64)
    account_id = models.BigIntegerField(_("billing account id"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    # An event announced once per key (a domain's expiry once per date); NULL: no such rule.
    key = models.CharField(_("key"), max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["account_id"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.webhook_id}"

    @property
    def webhook_id(self) -> str:
        """The id receivers see in the `webhook-id` header (and may deduplicate by)."""
        return f"evt_{self.id.hex}"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one `hutor worker` process (core/heartbeat.py): written each
    time round its loop, read by /readyz and /metrics to tell that background work runs."""

    name = models.CharField(_("name"), max_length=300, unique=True)  # host:pid
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last sign of life"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.name
