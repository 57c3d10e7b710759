"""A customer's services: instances of tariffs with a paid-until date."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hutor.core.fields import AmountField, CurrencyField
from hutor.core.queue import QueueJob
from hutor.core.secrets import EncryptedTextField


class ServiceStatus(models.TextChoices):
    PENDING = "pending", _("Pending payment")  # ordered; activated when its invoice is paid
    ACTIVE = "active", _("Active")  # paid until `paid_until`
    SUSPENDED = "suspended", _("Suspended")  # unpaid past the grace period; data kept
    # A domain unpaid at paid-until: domains are not suspended, they expire (the registrar keeps
    # them for the redemption period); paying the renewal makes it active again.
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")  # removed for good
    CANCELLED = "cancelled", pgettext_lazy("service", "Cancelled")  # withdrawn before paid


class Service(models.Model):
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    service_type = models.ForeignKey(
        "catalog.ServiceType", verbose_name=_("service type"), on_delete=models.PROTECT
    )
    tariff = models.ForeignKey("catalog.Tariff", verbose_name=_("tariff"), on_delete=models.PROTECT)
    period_months = models.PositiveSmallIntegerField(_("billing period, months"))
    identifier = models.CharField(
        _("identifier"), max_length=253, blank=True, help_text=_("Domain name or hostname.")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.PENDING
    )
    paid_until = models.DateField(_("paid until"), null=True, blank=True)
    auto_renew = models.BooleanField(_("auto-renew"), default=True)
    # The day of the last tariff change: at most one a day (see services.actions.change_tariff).
    tariff_changed_on = models.DateField(_("tariff changed on"), null=True, blank=True)
    # The module that provisions it: its server's (every server of a group runs one module),
    # set when it is ordered (services.placement.module_for); "manual" without a server group.
    provisioning_module = models.CharField(
        _("provisioning module"), max_length=32, default="manual"
    )
    # Where it lives: chosen when its create task runs (services.placement.place), kept for
    # every later call; its id on that server, and what the customer needs to use it.
    server = models.ForeignKey(
        "servers.Server",
        verbose_name=_("server"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
    )
    remote_id = models.CharField(_("remote id"), max_length=255, blank=True)
    password = EncryptedTextField(_("password"), blank=True, default="")
    # Access details that are not secret: {"login": …, "panel_url": …, "nameservers": [...]}.
    access = models.JSONField(_("access details"), default=dict, blank=True)
    # When the customer's panel showed the password (once, then masked): cleared when a reset
    # sets a new one, so the new one is shown once too (services.access.reveal_password).
    password_shown_at = models.DateTimeField(_("password shown at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    # The day the service was suspended or expired (the termination countdown starts here);
    # cleared when it is paid again.
    lapsed_on = models.DateField(_("suspended or expired on"), null=True, blank=True)
    # The order form's one-time token: a resubmitted or double-clicked form finds this service
    # instead of creating a second one.
    order_token = models.UUIDField(_("order token"), unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["billing_account", "status"]),
            models.Index(fields=["identifier"]),
            models.Index(fields=["status", "paid_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.tariff} {self.identifier}".strip()


class PeriodSource(models.TextChoices):
    ORDER = "order", pgettext_lazy("paid period", "Order")  # the order invoice: the first period
    RENEWAL = "renewal", pgettext_lazy("paid period", "Renewal")  # a renewal invoice, paid
    TARIFF_CHANGE = "tariff_change", pgettext_lazy("paid period", "Tariff change")  # repriced
    EXTENSION = "extension", _("Extension by staff")  # free days (goodwill), worth nothing
    BACKFILL = "backfill", _("Before paid periods were recorded")  # migration 0004


class PaidPeriod(models.Model):
    """Days of a service that the customer has paid for, and what they paid for them.

    The service's paid time is the union of its periods, `[start, end)` each; the last one
    ends at `paid_until`. A tariff change values the unused days of each period at what was
    actually paid for them (`amount` over the period's days), never at a list price
    (services.calculations.quote_tariff_change), and then splits the period at the day of the
    change: the used part keeps its share of the amount, the rest is a new period at the new
    tariff's price. The amounts of a service's periods therefore add up to exactly what its
    paid invoices brought in, less what tariff changes credited back.
    Written only by services.actions (one writer); read by the tariff-change rule.
    """

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="paid_periods"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("until (not included)"))
    tariff_code = models.CharField(_("tariff"), max_length=64)
    # The billing period the amount is the price of, and its length in days: the daily price
    # of the rest of a split period is still the whole period's price over these days.
    period_months = models.PositiveSmallIntegerField(_("billing period, months"))
    period_days = models.PositiveSmallIntegerField(_("days of the billing period"))
    amount = AmountField(_("amount paid"))
    currency = CurrencyField(_("currency"))
    source = models.CharField(_("source"), max_length=16, choices=PeriodSource.choices)
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("paid period")
        verbose_name_plural = _("paid periods")
        ordering = ["service", "start", "id"]
        indexes = [models.Index(fields=["service", "end"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="period_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="period_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.start}–{self.end} {self.tariff_code} {self.amount}"


class TariffChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for payment")  # an upgrade whose invoice is unpaid
    APPLIED = "applied", _("Applied")
    CANCELLED = "cancelled", pgettext_lazy("tariff change", "Cancelled")  # invoice withdrawn


class TariffChange(models.Model):
    """One tariff change of a service, with the quote it was made on.

    `breakdown` is the quote per paid period: `[{"period": id, "used": "…", "paid": "…",
    "new": "…"}]` (decimal strings): the period is split at `effective_on`, its used part keeps
    `used`, the rest becomes a period at the new tariff worth `new`. An upgrade waits for its
    invoice (pending) and is applied, as quoted, when the invoice is paid; a downgrade is
    applied at once with its credit.
    """

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="tariff_changes"
    )
    from_tariff_code = models.CharField(_("from tariff"), max_length=64)
    to_tariff_code = models.CharField(_("to tariff"), max_length=64)
    effective_on = models.DateField(_("effective from"))
    # > 0 charged by `invoice`, < 0 credited to the balance, 0 nothing moved.
    amount = AmountField(_("amount"))
    currency = CurrencyField(_("currency"))
    status = models.CharField(_("status"), max_length=16, choices=TariffChangeStatus.choices)
    breakdown = models.JSONField(_("quote by paid period"), default=list, blank=True)
    invoice = models.OneToOneField(
        "invoices.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tariff change")
        verbose_name_plural = _("tariff changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.from_tariff_code} → {self.to_tariff_code}"


class EventCode(models.TextChoices):
    """What happened to a service (ServiceEvent.code): the lifecycle's transitions and the
    changes recorded beside them."""

    ACTIVATE = "activate", _("Activated")
    SUSPEND = "suspend", _("Suspended")
    EXPIRE = "expire", _("Expired")
    REACTIVATE = "reactivate", _("Reactivated")
    TERMINATE = "terminate", _("Terminated")
    CANCEL = "cancel", pgettext_lazy("service event", "Order cancelled")
    REFUSE = "refuse", _("Refused by the registry, refunded")
    NAMESERVERS = "nameservers", _("Nameservers changed")
    AUTH_CODE = "auth_code", _("Transfer code given")
    TRANSFER_LOCK = "transfer_lock", _("Transfer lock turned on")
    TRANSFER_UNLOCK = "transfer_unlock", _("Transfer lock turned off")
    AUTO_RENEW_ON = "auto_renew_on", _("Auto-renewal turned on")
    AUTO_RENEW_OFF = "auto_renew_off", _("Auto-renewal turned off")
    TARIFF_CHANGE = "tariff_change", _("Tariff changed")
    EXTEND = "extend", _("Paid-until extended")
    REGISTRY_DATE = "registry_date", _("Paid-until set to the registry's expiry")
    CANCEL_REFUND = "cancel_refund", _("Cancelled, unused days given back")


class ServiceEvent(models.Model):
    """The service's history: every lifecycle transition and auto-renew switch, with who made
    it. Stored as a code and parameters; rendered in the reader's language."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", pgettext_lazy("actor", "Staff member")
        BILLING_RUN = "run", _("Billing run")
        PAYMENT = "payment", _("Payment")  # an invoice paid, from any path
        SYSTEM = "system", _("System")

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="events"
    )
    code = models.CharField(_("event"), max_length=32, choices=EventCode.choices)
    from_status = models.CharField(
        _("from"), max_length=16, blank=True, choices=ServiceStatus.choices
    )
    to_status = models.CharField(_("to"), max_length=16, blank=True, choices=ServiceStatus.choices)
    actor = models.CharField(_("by"), max_length=16, choices=Actor.choices)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("service event")
        verbose_name_plural = _("service events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["service", "at"])]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.code}"


class ProvisioningOperation(models.TextChoices):
    CREATE = "create", _("Create")
    SUSPEND = "suspend", _("Suspend")
    UNSUSPEND = "unsuspend", _("Unsuspend")
    TERMINATE = "terminate", _("Terminate")
    CHANGE_TARIFF = "change_tariff", _("Change tariff")
    RENEW = "renew", _("Renew")
    RESTORE = "restore", _("Restore from redemption")


class ProvisioningStatus(models.TextChoices):
    PENDING = "pending", _("Queued")  # waiting for the worker (also between retries)
    RUNNING = "running", _("Running")  # claimed by a worker; reclaimed if its lease lapses
    TODO = "todo", _("To do")  # waiting for staff (manual module): marked done in the admin
    DONE = "done", _("Done")
    # Gave up after the last retry, or at once when a retry cannot help until staff act (no
    # server with room): staff retry it or mark it done by hand.
    FAILED = "failed", _("Needs attention")


class ProvisioningTask(QueueJob):
    """One call of a provisioning module for a service: queued in the transaction that decided
    it (services.actions.provision), run by `hutor worker` with retries (services.tasks), and
    kept as a record staff can see."""

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="provisioning"
    )
    operation = models.CharField(
        _("operation"), max_length=20, choices=ProvisioningOperation.choices
    )
    module = models.CharField(_("module"), max_length=32)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ProvisioningStatus.choices,
        default=ProvisioningStatus.PENDING,
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    # attempts, next_attempt_at, last_error: the queue's (core.queue.QueueJob)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning task")
        verbose_name_plural = _("provisioning tasks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.service}"


class Cancellation(models.Model):
    """A service cancelled by its customer (or staff for them) with the unused paid days given
    back to the balance (services.cancellations): one per service.

    `amount` is what was credited (a `cancellation_credit` ledger entry, `entry`), 0 when
    nothing was given back; `reason` says why it is 0 ("not_refundable": the service type's
    unused time is not given back; "nothing_unused": no paid day was left). `breakdown` keeps
    what each paid period was before the cut: `[{"period": id, "start": …, "end": …,
    "paid": "…", "unused_days": n, "unused": "…"}]` (a period not started yet is removed).
    """

    service = models.OneToOneField(
        Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="cancellation"
    )
    day = models.DateField(_("cancelled on"))  # the first day given back
    amount = AmountField(_("amount given back"))
    currency = CurrencyField(_("currency"))
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    breakdown = models.JSONField(_("paid periods before the cut"), default=list, blank=True)
    actor = models.CharField(_("by"), max_length=16, choices=ServiceEvent.Actor.choices)
    user = models.ForeignKey(
        "accounts.User",
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entry = models.ForeignKey(
        "ledger.JournalEntry",
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["day"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="cancellation_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.day} {self.amount}"
