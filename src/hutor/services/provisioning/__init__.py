"""Provisioning modules: how a service is created, suspended, ... on a control panel or registrar.

A module implements `ProvisioningModule` (base.py) and is registered under a name; a service
names its module in `Service.provisioning_module`. Real control-panel and registrar modules
plug in here the same way as "manual" and "log".
"""

from __future__ import annotations

from hutor.services.provisioning.base import ProvisioningModule, ProvisioningResult
from hutor.services.provisioning.log import LogModule
from hutor.services.provisioning.manual import ManualModule

MODULES: dict[str, type[ProvisioningModule]] = {"manual": ManualModule, "log": LogModule}


def get_module(name: str) -> ProvisioningModule:
    try:
        return MODULES[name]()
    except KeyError:
        raise LookupError(f"unknown provisioning module {name!r}") from None


__all__ = ["MODULES", "ProvisioningModule", "ProvisioningResult", "get_module"]
