"""The provisioning contract: what billing asks of a control panel, DNS server, hypervisor or
registrar, and what it gets back (docs/provisioning.md has the table and an example).

A module declares the capabilities it has (`capabilities`); billing calls only those: an
operation a module does not declare is done with nothing to do (a DNS zone has no tariff to
change). Every call is made by `hutor worker` from a durable task (services.tasks), outside any
transaction, and retried with backoff when it raises; so each must be idempotent on the remote
side: creating an account that exists with the same owner is success, terminating a missing
one is success, suspending a suspended one is success.

Imports no app's models at run time: the servers app names modules from this registry.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from hutor.servers.models import Server
    from hutor.services.models import Service
    from hutor.services.provisioning.registrar import Registrant

# Every capability a module may declare. The first five are the lifecycle's operations
# (services.lifecycle queues them); the rest are asked for by staff, the panel, reconciliation.
CAPABILITIES = frozenset(
    {
        "create",  # the account/zone/VM exists after it
        "suspend",  # access stopped, data kept
        "unsuspend",  # back as before
        "terminate",  # removed with its data
        "change_tariff",  # the remote side follows the tariff's module parameters
        "renew",  # extend where the remote side has its own expiry (registrars)
        "sync",  # the remote state and usage of one service
        "list",  # every account a server holds, for reconciliation
        "reset_password",  # a new password set on the remote side
        "login_url",  # a single sign-on link into the control panel
        "check",  # can the server be reached with its credentials
        # A registrar's (registrar.RegistrarModule): domains.
        "availability",  # is a name free to register, several at once
        "info",  # the registry's status, expiry date, nameservers, lock
        "transfer_in",  # with the auth code the losing registrar gave
        "transfer_out",  # unlock and give the auth code
        "set_nameservers",
        "update_contacts",  # the registrant's data changed
        "lock",  # clientTransferProhibited on or off
        "restore",  # out of the registry's redemption period (RFC 3915), paid separately
        # A certificate authority's (ca.CertificateAuthorityModule): SSL certificates.
        "validation",  # what must be published to prove control of the names
        "status",  # where the order is: validating, issued, ...
        "download",  # the issued certificate and its chain
        "reissue",  # a new certificate for a new key (CSR) in the same order
        "revoke",
    }
)


def unimplemented(method: Any) -> Any:
    """Marks a contract's default method (which raises NotSupported): a module that declares
    the capability must override it."""
    method.unimplemented = True
    return method


class ProvisioningError(Exception):
    """The remote side refused or failed (its message kept for staff). Raised by a module: the
    task is retried with backoff, then needs attention."""


class ProvisioningRefused(ProvisioningError):
    """The remote side refused, and no retry will change it (a name taken, a quota reached, a
    tariff's parameter the server does not know): the task needs attention at once, with the
    server's message, for staff to fix the cause and retry. Billing is not touched, but for a
    domain's registration (registrar.py): the customer gets the price back at once.

    `refusal` says why in a word the customer can be told in their language (registrar.Refusal:
    set only where the name itself is refused, "taken" or "not_allowed", which refunds the
    customer; a refusal that is the provider's to fix, such as a reseller balance, has none);
    the message is the remote side's own words."""

    def __init__(self, message: str = "", *, refusal: str = "") -> None:
        super().__init__(message)
        self.refusal = refusal


class NotSupported(ProvisioningError):
    """A capability the module does not declare was asked for."""


class RemoteState:
    """How the remote side holds a service (`SyncResult.state`, `RemoteAccount.state`)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    MISSING = "missing"  # the server does not know it
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ServerAccess:
    """The server a call goes to, its credential decrypted for the call (never printed: the
    password is left out of repr)."""

    name: str
    module: str
    host: str
    port: int | None
    use_tls: bool
    username: str
    password: str = field(repr=False)
    settings: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, server: Server) -> ServerAccess:
        return cls(
            name=server.name,
            module=server.module,
            host=server.host,
            port=server.port,
            use_tls=server.use_tls,
            username=server.username,
            password=server.password.reveal() if server.password else "",
            settings=dict(server.settings or {}),
        )

    def base_url(self, default_port: int) -> str:
        """scheme://host:port, for a module speaking HTTP(S)."""
        scheme = "https" if self.use_tls else "http"
        return f"{scheme}://{self.host}:{self.port or default_port}"


@dataclass(frozen=True)
class ProvisioningContext:
    """What a call gets: the service (with its tariff), the tariff's module parameters, the
    server with its credential, and the operation's own parameters (a tariff change's
    `old_tariff_code`, a domain's `years`). A domain's call also gets its registrant, its
    nameservers and, for a transfer in, the auth code (registrar.py); a certificate's, the
    CSR (ca.py)."""

    service: Service
    params: Mapping[str, Any]
    server: ServerAccess | None = None
    operation_params: Mapping[str, str] = field(default_factory=dict)
    registrant: Registrant | None = None
    nameservers: tuple[str, ...] = ()
    auth_code: str = field(default="", repr=False)
    csr_pem: str = ""

    @property
    def remote_id(self) -> str:
        """The service's id on its server, once created (`ProvisioningResult.remote_id`)."""
        return self.service.remote_id

    @property
    def password(self) -> str:
        """The service's password (decrypted), for a module that sets one on create."""
        return self.service.password.reveal() if self.service.password else ""

    @property
    def old_tariff_code(self) -> str:
        return self.operation_params.get("old_tariff_code", "")


@dataclass(frozen=True)
class ProvisioningResult:
    """done: the operation happened; False means it waits for someone (a staff to-do).

    A create may report the service's id on the server, the password it set and the access
    details a customer needs (login, panel address, nameservers, IP): they are kept on the
    service (services.placement.record_result), the password encrypted."""

    done: bool
    note: str = ""
    remote_id: str = ""
    password: str = field(default="", repr=False)
    access: Mapping[str, Any] = field(default_factory=dict)
    state: str = ""  # RemoteState, when the call learnt it


@dataclass(frozen=True)
class SyncResult:
    """The remote state of one service and its usage ({"disk_mb": 120, "traffic_mb": …})."""

    state: str
    usage: Mapping[str, Any] = field(default_factory=dict)
    access: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteAccount:
    """One account (site, zone, VM) a server holds, for reconciliation with billing."""

    remote_id: str
    state: str
    owner: str = ""  # the login or contact the server knows it by
    details: Mapping[str, Any] = field(default_factory=dict)


class ProvisioningModule(abc.ABC):
    """A control panel, DNS server, hypervisor or registrar, behind the calls billing makes.

    Subclasses set `name`, declare `capabilities` and implement exactly those methods; the rest
    raise NotSupported. A result with done=False leaves the task a to-do for staff; raising
    ProvisioningError (or any error) makes the worker retry it with backoff, then leaves it
    needing attention.
    """

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    # False for a module whose calls only make a staff to-do and touch nothing outside Hutor
    # (manual): its task is a to-do from the start instead of waiting for the worker.
    queued: ClassVar[bool] = True
    # True: before the first create, a password is generated and kept (encrypted) on the
    # service, so a retried create sets the same one (`ProvisioningContext.password`).
    wants_password: ClassVar[bool] = False
    # True (a CA): a private key is generated and kept (encrypted) on the service before a
    # call, and the call's `csr_pem` is a CSR of it for the service's names (ca.py).
    wants_private_key: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = cls.capabilities - CAPABILITIES
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown capabilities {sorted(unknown)}")
        missing = [
            c
            for c in cls.capabilities
            if getattr(cls, c, None) is None or getattr(getattr(cls, c), "unimplemented", False)
        ]
        if missing:
            raise TypeError(f"{cls.__name__} declares {sorted(missing)} but does not implement it")

    @classmethod
    def close(cls) -> None:
        """Release what the module keeps between calls (an EPP session pool): `hutor worker`
        calls it when it stops. Nothing to do for most modules."""
        return None

    @classmethod
    def supports(cls, capability: str) -> bool:
        return capability in cls.capabilities

    def _unsupported(self, capability: str) -> NotSupported:
        return NotSupported(f"module {self.name!r} does not support {capability!r}")

    # The lifecycle's operations (services.lifecycle.TRANSITIONS).
    @unimplemented
    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        raise self._unsupported("create")

    @unimplemented
    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        raise self._unsupported("suspend")

    @unimplemented
    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        raise self._unsupported("unsuspend")

    @unimplemented
    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        raise self._unsupported("terminate")

    @unimplemented
    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        """The service is now on `ctx.service.tariff` (`ctx.params` are its parameters);
        `ctx.old_tariff_code` names the one it left."""
        raise self._unsupported("change_tariff")

    @unimplemented
    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        raise self._unsupported("renew")

    # Asked for by staff, the panel and reconciliation.
    @unimplemented
    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        raise self._unsupported("sync")

    @unimplemented
    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        raise self._unsupported("list")

    @unimplemented
    def reset_password(self, ctx: ProvisioningContext, *, password: str) -> ProvisioningResult:
        raise self._unsupported("reset_password")

    @unimplemented
    def login_url(self, ctx: ProvisioningContext) -> str:
        raise self._unsupported("login_url")

    @unimplemented
    def check(self, server: ServerAccess) -> str:
        """Reach the server with its credential; return a short description (a version) or
        raise ProvisioningError with what went wrong."""
        raise self._unsupported("check")
