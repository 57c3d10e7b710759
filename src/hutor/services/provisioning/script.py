"""The "script" module: a provider's own executable does the work, one JSON document in, one out.

Many small hosts automate with their own shell scripts; this module lets such a script take
every call billing makes. The server's settings name the executable (`{"executable":
"/usr/local/lib/hutor/hosting.sh", "timeout": 60}`); for each call it is run once, with no
arguments, its working directory its own folder, and an environment of only PATH, LANG and
HUTOR_OPERATION. It reads one JSON document on stdin:

    {"version": 1, "operation": "create",
     "service": {"id": 17, "identifier": "romashka.ru", "status": "active", "tariff": "start",
                 "billing_account": "1000015", "email": "olga@example.com",
                 "remote_id": "", "password": "…"},
     "params": {…the tariff's module parameters…},
     "operation_params": {"old_tariff_code": "…"},      (change_tariff)
     "new_password": "…",                                (reset_password)
     "server": {"name": "…", "host": "…", "port": null, "use_tls": true,
                "username": "…", "password": "…", "settings": {…}}}

and writes one JSON document on stdout:

    {"ok": true, "note": "…", "remote_id": "…", "password": "…", "access": {…}, "state": "active"}
    {"ok": true, "state": "suspended", "usage": {"disk_mb": 120}}         (sync)
    {"ok": true, "accounts": [{"remote_id": "…", "state": "active", "owner": "…"}]}   (list)
    {"ok": true, "url": "https://…"}                                      (login_url)
    {"ok": false, "error": "quota exceeded"}             a refusal: staff must act, no retry
    {"ok": false, "error": "panel busy", "retry": true}  a passing failure: retried
    {"ok": false, "unsupported": true}                   not something this script does

A lifecycle operation the script does not do is done with nothing to do (as for a module that
does not declare it). A script that exits non-zero without an answer, prints something that is
not JSON, or runs past its timeout has failed in passing: the worker retries it. Secrets travel
on stdin only, never in arguments (which other users of the host can read) or the environment.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hutor.core.secrets import MASK
from hutor.services.provisioning.base import (
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

PROTOCOL_VERSION = 1
DEFAULT_TIMEOUT = 60  # seconds
MAX_TIMEOUT = 3600
OUTPUT_LIMIT = 1_000_000  # bytes of stdout read as the answer
STATES = {RemoteState.ACTIVE, RemoteState.SUSPENDED, RemoteState.MISSING, RemoteState.UNKNOWN}


class ScriptRefused(ProvisioningRefused):
    """The script answered {"ok": false, "error": …}: the remote side refused (a name taken, a
    quota), and retrying will not change it."""


class ScriptFailed(ProvisioningError):
    """The script failed in passing (non-zero exit, no or broken answer, timeout, or
    {"retry": true}): the worker retries."""


class ScriptModule(ProvisioningModule):
    name = "script"
    capabilities = frozenset(
        {
            "create",
            "suspend",
            "unsuspend",
            "terminate",
            "change_tariff",
            "renew",
            "sync",
            "list",
            "reset_password",
            "login_url",
            "check",
        }
    )
    wants_password = True

    # --- Running the script -----------------------------------------------------------------

    def _executable(self, server: ServerAccess | None) -> Path:
        if server is None:
            raise ScriptRefused("the script module needs a server naming its executable")
        text = str((server.settings or {}).get("executable") or "")
        path = Path(text)
        if not text or not path.is_absolute():
            raise ScriptRefused(
                f"server {server.name}: settings.executable must be an absolute path "
                f"(it is {text!r})"
            )
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ScriptRefused(f"server {server.name}: {path} is not an executable file")
        return path

    def _timeout(self, server: ServerAccess) -> float:
        value = (server.settings or {}).get("timeout", DEFAULT_TIMEOUT)
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            seconds = DEFAULT_TIMEOUT
        return min(max(seconds, 1.0), MAX_TIMEOUT)

    def _run(
        self, server: ServerAccess | None, operation: str, document: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run the script once; its answer when {"ok": true}; else raise (see the docstring)."""
        path = self._executable(server)
        assert server is not None
        payload = json.dumps(
            {"version": PROTOCOL_VERSION, "operation": operation, **document},
            ensure_ascii=False,
            default=str,
        ).encode()
        environment = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HUTOR_OPERATION": operation,
        }
        try:
            finished = subprocess.run(  # noqa: S603 - the executable the admin configured
                [str(path)],
                input=payload,
                capture_output=True,
                timeout=self._timeout(server),
                cwd=path.parent,
                env=environment,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ScriptFailed(
                f"{path.name} {operation}: no answer within {self._timeout(server):g} s"
            ) from None
        except OSError as exc:
            raise ScriptFailed(f"{path.name} {operation}: cannot run it: {exc.strerror}") from None
        secrets = _secrets(server, document)
        answer = self._answer(finished.stdout)
        if answer is None:
            tail = _tail(finished.stderr) or _tail(finished.stdout)
            raise ScriptFailed(
                _masked(
                    f"{path.name} {operation}: exit status {finished.returncode}, "
                    f"no JSON answer{': ' + tail if tail else ''}",
                    secrets,
                )
            )
        if answer.get("ok") is True:
            return answer
        if answer.get("unsupported") is True:
            raise NotSupported(f"{path.name} does not do {operation!r}")
        error = _masked(str(answer.get("error") or "no reason given")[:1000], secrets)
        if answer.get("retry") is True:
            raise ScriptFailed(f"{path.name} {operation}: {error}")
        raise ScriptRefused(f"{path.name} {operation}: {error}")

    @staticmethod
    def _answer(stdout: bytes) -> dict[str, Any] | None:
        text = stdout[:OUTPUT_LIMIT].decode("utf-8", errors="replace").strip()
        if not text:
            return None
        # The answer is the last line that is a JSON object (a script may print progress first).
        for line in [text, *reversed(text.splitlines())]:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
        return None

    # --- The document -------------------------------------------------------------------------

    def _document(self, ctx: ProvisioningContext, **extra: Any) -> dict[str, Any]:
        service = ctx.service
        account = service.billing_account
        return {
            "service": {
                "id": service.pk,
                "identifier": service.identifier,
                "status": service.status,
                "tariff": service.tariff.code,
                "billing_account": account.number,
                "email": account.contact_email,
                "remote_id": ctx.remote_id,
                "password": ctx.password,
            },
            "params": dict(ctx.params),
            "operation_params": dict(ctx.operation_params),
            "server": _server(ctx.server),
            **extra,
        }

    def _lifecycle(self, ctx: ProvisioningContext, operation: str) -> ProvisioningResult:
        try:
            answer = self._run(ctx.server, operation, self._document(ctx))
        except NotSupported:
            return ProvisioningResult(done=True, note=f"script: no {operation} (not supported)")
        return _result(answer)

    # --- The capabilities ---------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "create")

    def suspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "suspend")

    def unsuspend(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "unsuspend")

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "terminate")

    def change_tariff(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "change_tariff")

    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._lifecycle(ctx, "renew")

    def sync(self, ctx: ProvisioningContext) -> SyncResult:
        answer = self._run(ctx.server, "sync", self._document(ctx))
        return SyncResult(
            state=_state(answer.get("state")),
            usage=_mapping(answer.get("usage")),
            access=_mapping(answer.get("access")),
        )

    def list(self, server: ServerAccess) -> Sequence[RemoteAccount]:
        answer = self._run(server, "list", {"server": _server(server)})
        accounts = answer.get("accounts")
        if not isinstance(accounts, list):
            raise ScriptFailed('list: the answer has no "accounts" list')
        return [
            RemoteAccount(
                remote_id=str(item.get("remote_id", "")),
                state=_state(item.get("state")),
                owner=str(item.get("owner", "")),
                details=_mapping(item.get("details")),
            )
            for item in accounts
            if isinstance(item, dict) and item.get("remote_id")
        ]

    def reset_password(self, ctx: ProvisioningContext, *, password: str) -> ProvisioningResult:
        answer = self._run(ctx.server, "reset_password", self._document(ctx, new_password=password))
        result = _result(answer)
        if not result.password:  # the script set the one it was given
            result = ProvisioningResult(**{**result.__dict__, "password": password})
        return result

    def login_url(self, ctx: ProvisioningContext) -> str:
        url = str(self._run(ctx.server, "login_url", self._document(ctx)).get("url") or "")
        if not url.startswith(("https://", "http://")):
            raise ScriptFailed("login_url: the answer has no http(s) url")
        return url

    def check(self, server: ServerAccess) -> str:
        answer = self._run(server, "check", {"server": _server(server)})
        return str(answer.get("note") or "OK")


def _server(server: ServerAccess | None) -> dict[str, Any] | None:
    if server is None:
        return None
    return {
        "name": server.name,
        "host": server.host,
        "port": server.port,
        "use_tls": server.use_tls,
        "username": server.username,
        "password": server.password,
        "settings": dict(server.settings or {}),
    }


def _result(answer: Mapping[str, Any]) -> ProvisioningResult:
    state = answer.get("state")
    return ProvisioningResult(
        done=answer.get("done", True) is not False,
        note=str(answer.get("note") or "")[:1000],
        remote_id=str(answer.get("remote_id") or "")[:255],
        password=str(answer.get("password") or ""),
        access=_mapping(answer.get("access")),
        state=_state(state) if state else "",
    )


def _state(value: Any) -> str:
    return str(value) if value in STATES else RemoteState.UNKNOWN


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _secrets(server: ServerAccess, document: Mapping[str, Any]) -> list[str]:
    service = document.get("service") or {}
    found = [server.password, service.get("password"), document.get("new_password")]
    return [s for s in found if isinstance(s, str) and s]


def _masked(text: str, secrets: Sequence[str]) -> str:
    """An error line without the secrets the script was given (a script may echo its input)."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _tail(data: bytes, limit: int = 300) -> str:
    text = " ".join(data.decode("utf-8", errors="replace").split())
    return text[-limit:]
