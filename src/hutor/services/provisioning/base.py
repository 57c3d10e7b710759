from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from hutor.services.models import Service


@dataclass(frozen=True)
class ProvisioningResult:
    """done: the operation happened; False means it waits for someone (a staff to-do)."""

    done: bool
    note: str = ""


class ProvisioningModule(abc.ABC):
    """The five things billing asks of a control panel or registrar.

    Calls are made by `hutor worker` after the billing decision is committed to the service
    row (services.tasks), and retried with backoff when they raise; so a module must be
    idempotent (a retried call for an operation already performed reports done). A result with
    done=False leaves the task a to-do for staff.
    """

    name: str
    # False for a module whose calls only make a staff to-do and touch nothing outside Hutor
    # (manual): its task is a to-do from the start instead of waiting for the worker.
    queued: ClassVar[bool] = True

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
