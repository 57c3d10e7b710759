from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hutor.services.models import Service


@dataclass(frozen=True)
class ProvisioningResult:
    """done: the operation happened; False means it waits for someone (a staff to-do)."""

    done: bool
    note: str = ""


class ProvisioningModule(abc.ABC):
    """The five things billing asks of a control panel or registrar.

    Calls are made after the billing decision is committed to the service row; a module must be
    idempotent (a retried call for an operation already performed reports done).
    """

    name: str

    @abc.abstractmethod
    def create(self, service: Service) -> ProvisioningResult: ...

    @abc.abstractmethod
    def suspend(self, service: Service) -> ProvisioningResult: ...

    @abc.abstractmethod
    def unsuspend(self, service: Service) -> ProvisioningResult: ...

    @abc.abstractmethod
    def terminate(self, service: Service) -> ProvisioningResult: ...

    @abc.abstractmethod
    def change_tariff(self, service: Service, *, old_tariff_code: str) -> ProvisioningResult: ...
