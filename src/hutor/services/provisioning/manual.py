from __future__ import annotations

from typing import TYPE_CHECKING

from hutor.services.provisioning.base import ProvisioningModule, ProvisioningResult

if TYPE_CHECKING:
    from hutor.services.models import Service


class ManualModule(ProvisioningModule):
    """Nothing is automated: every operation becomes a to-do for staff (ProvisioningTask)."""

    name = "manual"
    queued = False

    def _todo(self, what: str, service: Service) -> ProvisioningResult:
        return ProvisioningResult(
            done=False, note=f"{what}: {service.tariff.code} {service.identifier}"
        )

    def create(self, service: Service) -> ProvisioningResult:
        return self._todo("create", service)

    def suspend(self, service: Service) -> ProvisioningResult:
        return self._todo("suspend", service)

    def unsuspend(self, service: Service) -> ProvisioningResult:
        return self._todo("unsuspend", service)

    def terminate(self, service: Service) -> ProvisioningResult:
        return self._todo("terminate", service)

    def change_tariff(self, service: Service, *, old_tariff_code: str) -> ProvisioningResult:
        return self._todo(f"change tariff from {old_tariff_code}", service)
