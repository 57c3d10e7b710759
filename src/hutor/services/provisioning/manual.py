from __future__ import annotations

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningModule,
    ProvisioningResult,
)


class ManualModule(ProvisioningModule):
    """Nothing is automated: every operation becomes a to-do for staff (ProvisioningTask)."""

    name = "manual"
    capabilities = frozenset({"create", "suspend", "unsuspend", "terminate", "change_tariff"})
    queued = False

    def _todo(self, what: str, ctx: ProvisioningContext) -> ProvisioningResult:
        service = ctx.service
        return ProvisioningResult(
            done=False, note=f"{what}: {service.tariff.code} {service.identifier}"
        )

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._todo("create", ctx)

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._todo("suspend", ctx)

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._todo("unsuspend", ctx)

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._todo("terminate", ctx)

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._todo(f"change tariff from {ctx.old_tariff_code}", ctx)
