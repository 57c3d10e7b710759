"""Provisioning modules: how a service is created, suspended, ... on a control panel, DNS
server, hypervisor or registrar.

A module implements `ProvisioningModule` (base.py: the contract, its capabilities and result
types) and is registered under its name (`register`); a server names its module, and a service
records the module that provisions it (`Service.provisioning_module`). Real modules plug in
here the same way as "manual" and "log". docs/provisioning.md has the contract and an example.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from hutor.core.secrets import MASK, SecretError
from hutor.services.provisioning.acme_ca import AcmeModule
from hutor.services.provisioning.base import (
    CAPABILITIES,
    NotSupported,
    ProvisioningContext,
    ProvisioningError,
    ProvisioningModule,
    ProvisioningRefused,
    ProvisioningResult,
    RemoteAccount,
    RemoteState,
    ServerAccess,
    SyncResult,
)
from hutor.services.provisioning.cpanel import CpanelModule
from hutor.services.provisioning.csr import certificate_names, make_csr
from hutor.services.provisioning.epp import EppRegistrar
from hutor.services.provisioning.gogetssl import GoGetSSLModule
from hutor.services.provisioning.ispmanager import IspmanagerModule
from hutor.services.provisioning.log import LogModule
from hutor.services.provisioning.manual import ManualModule
from hutor.services.provisioning.powerdns_module import PowerDNSModule
from hutor.services.provisioning.proxmox import ProxmoxModule
from hutor.services.provisioning.regru import RegruModule
from hutor.services.provisioning.script import ScriptModule

if TYPE_CHECKING:
    from hutor.servers.models import Server
    from hutor.services.models import Service

log = logging.getLogger("hutor.provisioning")

# The lifecycle's operations, each a method of the same name
# (services.models.ProvisioningOperation).
OPERATIONS = ("create", "suspend", "unsuspend", "terminate", "change_tariff", "renew", "restore")

# The modules shipped; a provider's own module plugs in with `register` (e.g. in its app's
# AppConfig.ready()).
MODULES: dict[str, type[ProvisioningModule]] = {
    module.name: module
    for module in (
        ManualModule,
        LogModule,
        ScriptModule,
        CpanelModule,
        IspmanagerModule,
        ProxmoxModule,
        PowerDNSModule,
        RegruModule,
        GoGetSSLModule,
        EppRegistrar,
        AcmeModule,
    )
}


def module_renews(name: str) -> bool:
    """Does a paid renewal of the named module's services renew on the remote side (the `renew`
    capability)? Asked per row by the billing run's bulk renewal path: a lookup, no instance
    made."""
    module = MODULES.get(name)
    if module is None or getattr(module, "renews_itself", False):
        return False  # an ACME certificate is renewed by its expiry (services.certificates)
    return module.supports("renew")


def close_all() -> None:
    """Every module releases what it keeps between calls (the worker stopping); a failure is
    logged, never raised: the process is going away anyway."""
    for module in list(MODULES.values()):
        try:
            module.close()
        except Exception:
            log.exception("closing the %s module failed", module.name)


def register(module: type[ProvisioningModule]) -> type[ProvisioningModule]:
    """Make a module known under its `name` (usable as a class decorator)."""
    MODULES[module.name] = module
    return module


def registry() -> dict[str, type[ProvisioningModule]]:
    """The registered modules by name (servers name theirs from these)."""
    return MODULES


def get_module(name: str) -> ProvisioningModule:
    try:
        return MODULES[name]()
    except KeyError:
        raise LookupError(f"unknown provisioning module {name!r}") from None


# What other apps add to a call's context: each provider gets the service and returns
# ProvisioningContext fields ({"registrant": …, "nameservers": …} from the domains app), or {}.
ContextProvider = Callable[["Service"], Mapping[str, Any]]
CONTEXT_PROVIDERS: list[ContextProvider] = []


def provide_context(provider: ContextProvider) -> ContextProvider:
    """Add a context provider (in the providing app's AppConfig.ready())."""
    if provider not in CONTEXT_PROVIDERS:
        CONTEXT_PROVIDERS.append(provider)
    return provider


def context_for(service: Service, params: Mapping[str, str] | None = None) -> ProvisioningContext:
    """The context of a call for the service: its tariff's module parameters and its server
    (the credential decrypted now, for this call only), and what the providers add."""
    server = service.server if service.server_id is not None else None
    params_of_tariff = dict(service.tariff.module_params or {})
    extra: dict[str, Any] = {}
    module = MODULES.get(service.provisioning_module)
    if module is not None and module.wants_private_key:
        extra["csr_pem"] = certificate_request(service, params_of_tariff)
    for provider in CONTEXT_PROVIDERS:
        extra.update(provider(service))
    return ProvisioningContext(
        service=service,
        params=params_of_tariff,
        server=ServerAccess.of(server) if server is not None else None,
        operation_params=dict(params or {}),
        **extra,
    )


def certificate_request(service: Service, params: Mapping[str, Any]) -> str:
    """The CSR a certificate service is ordered with: the customer's own, or one Hutor makes
    from the key it keeps for the service (csr.py); "" before the key exists."""
    given = str(service.access.get("csr_pem") or "")
    if given or not service.password:
        return given
    names = certificate_names(service.identifier, dict(params))
    return make_csr(service.password.reveal(), names)


def perform(
    module: ProvisioningModule, service: Service, operation: str, params: Mapping[str, str]
) -> ProvisioningResult:
    """Call one lifecycle operation of a module (services.models.ProvisioningOperation values).
    An operation the module does not declare is done with nothing to do."""
    if operation not in OPERATIONS:
        raise LookupError(f"unknown provisioning operation {operation!r}")
    if operation == "restore" and not module.supports(operation):
        # A paid restore must happen: where the module cannot ask the registry, staff do.
        return ProvisioningResult(
            done=False,
            note=_("Restore the domain from the registry's redemption period by hand."),
        )
    if not module.supports(operation):
        return ProvisioningResult(done=True, note=f"{module.name}: no {operation} (not supported)")
    result: ProvisioningResult = getattr(module, operation)(context_for(service, params))
    return result


def check_server(server: Server) -> tuple[bool | None, str]:
    """Ask a server's module to reach it (the `check` capability), outside any transaction:
    (True, what it answered), (False, the error) or (None, why it was not checked); one line
    either way, the credential never in it."""
    if server.module not in MODULES:
        return False, _("unknown module «%(module)s»") % {"module": server.module}
    module = get_module(server.module)
    if not module.supports("check"):
        return None, _("the module «%(module)s» cannot check a server") % {"module": server.module}
    try:
        access = ServerAccess.of(server)
    except SecretError as exc:
        return False, str(exc)
    try:
        answer = module.check(access)
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        if access.password:
            text = text.replace(access.password, MASK)
        return False, " ".join(text.split())
    return True, " ".join(str(answer).split())


__all__ = [
    "CAPABILITIES",
    "MODULES",
    "OPERATIONS",
    "NotSupported",
    "ProvisioningContext",
    "ProvisioningError",
    "ProvisioningModule",
    "ProvisioningRefused",
    "ProvisioningResult",
    "RemoteAccount",
    "RemoteState",
    "ServerAccess",
    "SyncResult",
    "check_server",
    "close_all",
    "context_for",
    "get_module",
    "module_renews",
    "perform",
    "provide_context",
    "register",
    "registry",
]
