"""The provider's servers, where provisioning modules create customers' services.

A server belongs to a group; a tariff names the group its new services go to
(catalog.Tariff.server_group), and the services app places each new service on the
least-loaded enabled server of that group (services/placement.py). Every server of a group
runs the same provisioning module (servers.actions keeps it so): the module is what the
tariff's module parameters are written for. Written only by servers.actions.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hutor.core.secrets import EncryptedTextField, masked


class ServerGroup(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("server group")
        verbose_name_plural = _("server groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class Server(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True)
    group = models.ForeignKey(
        ServerGroup, verbose_name=_("group"), on_delete=models.PROTECT, related_name="servers"
    )
    # A registered provisioning module's name (services/provisioning MODULES).
    module = models.CharField(_("module"), max_length=32)
    host = models.CharField(_("host"), max_length=253)
    # None: the module's usual port (2087 for WHM, 8006 for Proxmox, ...).
    port = models.PositiveIntegerField(
        _("port"), null=True, blank=True, validators=[MaxValueValidator(65535)]
    )
    use_tls = models.BooleanField(_("TLS"), default=True)
    username = models.CharField(_("username"), max_length=200, blank=True)
    # A password or an API token, whichever the module logs in with; encrypted, shown masked.
    password = EncryptedTextField(_("password or API token"), blank=True, default="")
    # Settings of the module on this server that are not secret (a PowerDNS server id, the
    # nameservers of its zones, a Proxmox node): {"name": value}.
    settings = models.JSONField(_("module settings"), default=dict, blank=True)
    # How many services (not terminated or cancelled) the server takes; a full one is skipped.
    capacity = models.PositiveIntegerField(
        _("capacity, services"), default=100, validators=[MinValueValidator(1)]
    )
    enabled = models.BooleanField(_("enabled"), default=True)  # takes new services
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("server")
        verbose_name_plural = _("servers")
        ordering = ["group__code", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="server_capacity")
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return (
            f"<Server {self.name} {self.module} {self.username}@{self.host}:{self.port or ''} "
            f"password={masked(self.password)!r}>"
        )

    @property
    def address(self) -> str:
        """host[:port], for lists and messages (never the credentials)."""
        return f"{self.host}:{self.port}" if self.port else self.host
