"""The staff desk's own tables: who may do what (StaffProfile), staff notes on a billing
account, and the append-only audit log of every desk action."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Desk roles, each one allowed everything the one above it is, and more (roles.RANK)."""

    SUPPORT = "support", _("Support")  # reads everything, resends emails, writes notes
    SALES = "sales", _("Sales")  # + orders, invoices and payment links on a customer's behalf
    ACCOUNTANT = "accountant", _("Accountant")  # + manual payments, refunds, adjustments
    ADMIN = "admin", _("Administrator")  # + catalog, payment methods, requisites, staff


class StaffProfile(models.Model):
    """A staff member's desk role. A login without one (and not a superuser) has no desk."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Note(models.Model):
    """A staff member's note on a billing account ("called on 12 May, promised to pay")."""

    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        related_name="desk_notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]


class AuditLogImmutable(Exception):
    """Audit entries are written once and never changed or deleted."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogImmutable("audit entries cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditLogImmutable("audit entries cannot be deleted")


class AuditEntry(models.Model):
    """Who did what, when, why, and what it changed: one row per desk or command-line action,
    written in the same transaction as the action itself, so an action without its entry cannot
    exist. Who is a staff login, or, for a `hutor` command run without `--user`, the named
    system actor `actor` (the operating-system user who ran it, e.g. "cli:root")."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    actor = models.CharField(_("actor"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # The record acted on ("invoice" + "26-000123", "service" + "17"), for links and search.
    object_type = models.CharField(_("object type"), max_length=32, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    reason = models.TextField(_("reason"))
    # {"field": {"from": old, "to": new}} for changed fields, plus the facts of the action
    # (amounts, entry ids, numbers created), all JSON-safe strings and numbers.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["billing_account", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False) | ~Q(actor=""), name="audit_entry_has_someone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.staff or self.actor} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable(f"audit entry {self.pk} cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogImmutable(f"audit entry {self.pk} cannot be deleted")
