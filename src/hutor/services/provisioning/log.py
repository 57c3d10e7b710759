from __future__ import annotations

import logging

from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningModule,
    ProvisioningResult,
    RemoteState,
    ServerAccess,
    SyncResult,
)

log = logging.getLogger("hutor.provisioning")


class LogModule(ProvisioningModule):
    """For the demo and tests: records each call in the log and reports it done (its server, if
    any, is never contacted)."""

    name = "log"
    capabilities = frozenset(
        {"create", "suspend", "unsuspend", "terminate", "change_tariff", "sync", "check"}
    )

    def _done(self, what: str, ctx: ProvisioningContext, remote_id: str = "") -> ProvisioningResult:
        service = ctx.service
        where = f" on {ctx.server.name}" if ctx.server else ""
        log.info("provisioning %s: service %s %s%s", what, service.pk, service.identifier, where)
        return ProvisioningResult(done=True, note=f"logged {what}", remote_id=remote_id)

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._done("create", ctx, remote_id=ctx.remote_id or f"log-{ctx.service.pk}")

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._done("suspend", ctx)

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._done("unsuspend", ctx)

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._done("terminate", ctx)

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._done(f"change tariff from {ctx.old_tariff_code}", ctx)

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        # What billing believes, since nothing remote exists.
        state = {"active": RemoteState.ACTIVE, "suspended": RemoteState.SUSPENDED}
        return SyncResult(state=state.get(ctx.service.status, RemoteState.MISSING))

    def check(self, server: ServerAccess) -> str:
        return "log module: nothing to reach"
