"""The API's own tables: tokens (who calls) and idempotency records (what a POST answered).

A token's secret is shown once, when it is made, and stored only as its SHA-256: the secret
is 256 random bits, so a plain hash is as strong as a slow one and lets every request be
checked in one indexed lookup by the token's public prefix."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.models import Role


class TokenKind(models.TextChoices):
    STAFF = "staff", _("Staff")  # made in the desk: acts with one desk role
    CUSTOMER = "customer", _("Customer")  # made in the panel: acts on one billing account only


class ApiToken(models.Model):
    """A bearer token. A staff token may do exactly what its desk role may (narrowed by
    `scopes`, a list of desk action codes, when not empty); a customer token only what the
    customer may do in the panel, on its own billing account."""

    kind = models.CharField(_("kind"), max_length=16, choices=TokenKind.choices)
    name = models.CharField(_("name"), max_length=60)
    # The public part of the token ("htr_<prefix>_<secret>"), for lookup and for lists.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_tokens",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="staff", billing_account__isnull=True) & ~Q(role="")
                    | Q(kind="customer", billing_account__isnull=False, role="")
                ),
                name="api_token_staff_has_role_customer_has_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with a given Idempotency-Key, per token. The row is inserted
    in the same transaction as the action it guards, under the unique (token, key): a second
    request with the key waits on the first one's insert, then finds its answer and replays it,
    so the action happens once however many copies arrive together."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), default=0)
    body = models.TextField(_("response body"), blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_token_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'pending'})"
