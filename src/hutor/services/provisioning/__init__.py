"""Provisioning modules: how a service is created, suspended, ... on a control panel or registrar.

A module implements `ProvisioningModule` (base.py) and is registered under a name; a service
names its module in `Service.provisioning_module`. Real control-panel and registrar modules
plug in here the same way as "manual" and "log".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hutor.services.provisioning.base import ProvisioningModule, ProvisioningResult
from hutor.services.provisioning.log import LogModule
from hutor.services.provisioning.manual import ManualModule

if TYPE_CHECKING:
    from hutor.services.models import Service

# The registry: a module plugs in by adding its class here under its name (`register`).
MODULES: dict[str, type[ProvisioningModule]] = {"manual": ManualModule, "log": LogModule}


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


def perform(
    module: ProvisioningModule, service: Service, operation: str, params: Mapping[str, str]
) -> ProvisioningResult:
    """Call one operation of a module (services.models.ProvisioningOperation values)."""
    if operation == "change_tariff":
        return module.change_tariff(service, old_tariff_code=params.get("old_tariff_code", ""))
    if operation not in ("create", "suspend", "unsuspend", "terminate"):
        raise LookupError(f"unknown provisioning operation {operation!r}")
    result: ProvisioningResult = getattr(module, operation)(service)
    return result


__all__ = [
    "MODULES",
    "ProvisioningModule",
    "ProvisioningResult",
    "get_module",
    "perform",
    "register",
    "registry",
]
