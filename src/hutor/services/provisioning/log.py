from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hutor.services.provisioning.base import ProvisioningModule, ProvisioningResult

if TYPE_CHECKING:
    from hutor.services.models import Service

log = logging.getLogger("hutor.provisioning")


class LogModule(ProvisioningModule):
    """For the demo and tests: records each call in the log and reports it done."""

    name = "log"

    def _done(self, what: str, service: Service) -> ProvisioningResult:
        log.info("provisioning %s: service %s %s", what, service.pk, service.identifier)
        return ProvisioningResult(done=True, note=f"logged {what}")

    def create(self, service: Service) -> ProvisioningResult:
        return self._done("create", service)

    def suspend(self, service: Service) -> ProvisioningResult:
        return self._done("suspend", service)

    def unsuspend(self, service: Service) -> ProvisioningResult:
        return self._done("unsuspend", service)

    def terminate(self, service: Service) -> ProvisioningResult:
        return self._done("terminate", service)

    def change_tariff(self, service: Service, *, old_tariff_code: str) -> ProvisioningResult:
        return self._done(f"change tariff from {old_tariff_code}", service)
