"""A customer's services: instances of tariffs with a paid-until date."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    provisioning_module = models.CharField(
        _("provisioning module"), max_length=32, default="manual"
    )
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


class ProvisioningOperation(models.TextChoices):
    CREATE = "create", _("Create")
    SUSPEND = "suspend", _("Suspend")
    UNSUSPEND = "unsuspend", _("Unsuspend")
    TERMINATE = "terminate", _("Terminate")
    CHANGE_TARIFF = "change_tariff", _("Change tariff")


class ProvisioningStatus(models.TextChoices):
    PENDING = "pending", _("Queued")  # waiting for the worker (also between retries)
    RUNNING = "running", _("Running")  # claimed by a worker; reclaimed if its lease lapses
    TODO = "todo", _("To do")  # waiting for staff (manual module): marked done in the admin
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")  # gave up after the last retry; staff can retry it


class ProvisioningTask(models.Model):
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
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning task")
        verbose_name_plural = _("provisioning tasks")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.service}"
