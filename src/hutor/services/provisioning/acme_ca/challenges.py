"""Proving control of a certificate's names (RFC 8555 section 8): where each challenge's answer
is published, and its removal once the CA has looked.

DNS-01 (section 8.4) when the name lies in a zone held by the PowerDNS server the ACME server's
`dns_server` setting names (a Hutor server of module "powerdns"; its API key stays encrypted on
that row): a TXT record `_acme-challenge.<name>` written through PowerDNS's API. A wildcard
name can only be proven this way.

HTTP-01 (section 8.3) otherwise, when the `webroot` setting names a directory: the key
authorization written to `<webroot>/.well-known/acme-challenge/<token>`, which the provider's
web server for the name must serve (the worker writes it, so the directory is on the worker's
machine or shared with the web server).

A name neither can prove is refused before the CA is asked to validate anything.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from acme import challenges, messages
from django.utils.translation import gettext as _

from hutor.services.provisioning.acme_ca.session import AcmeRefused, Session
from hutor.services.provisioning.base import ServerAccess
from hutor.services.provisioning.powerdns import DEFAULT_TIMEOUT, PowerDNSClient, PowerDNSError

log = logging.getLogger(__name__)
CHALLENGE_TTL = 60  # seconds: resolvers forget an old challenge's TXT soon


def powerdns_for(name: str) -> tuple[PowerDNSClient, ServerAccess]:
    """The PowerDNS API of the Hutor server named `name` (read only, outside any transaction)."""
    from hutor.servers.models import Server  # the servers app sits above the module registry

    server = Server.objects.filter(name=name).first()
    if server is None or server.module != "powerdns":
        raise AcmeRefused(
            _("The setting «dns_server» names «%(name)s», which is no server of module powerdns.")
            % {"name": name}
        )
    access = ServerAccess.of(server)
    settings = access.settings or {}
    client = PowerDNSClient(
        access.base_url(8081),
        access.password,
        server_id=str(settings.get("server_id") or "localhost"),
        timeout=float(settings.get("timeout") or DEFAULT_TIMEOUT),
    )
    return client, access


@dataclass
class Publisher:
    """Publishes the answers of one order's challenges and removes them afterwards."""

    session: Session
    dns: PowerDNSClient | None = None
    _zones: dict[str, str | None] = field(default_factory=dict)
    _records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _files: list[Path] = field(default_factory=list)
    answers: list[tuple[messages.ChallengeBody, challenges.ChallengeResponse]] = field(
        default_factory=list
    )
    methods: dict[str, str] = field(default_factory=dict)  # name -> "dns-01" | "http-01"

    @classmethod
    def for_session(cls, session: Session) -> Publisher:
        dns = powerdns_for(session.settings.dns_server)[0] if session.settings.dns_server else None
        return cls(session=session, dns=dns)

    def zone_of(self, name: str) -> str | None:
        """The zone on the PowerDNS server that holds `name`: the longest suffix of at least
        two labels that the server has as a zone."""
        if self.dns is None:
            return None
        if name not in self._zones:
            labels = name.rstrip(".").split(".")
            found = None
            for start in range(len(labels) - 1):
                zone = self.dns.get_zone(".".join(labels[start:]))
                if zone is not None:
                    found = zone.name
                    break
            self._zones[name] = found
        return self._zones[name]

    def prepare(self, authz: messages.AuthorizationResource) -> None:
        """Choose a challenge of a pending authorization and note what to publish for it."""
        name = authz.body.identifier.value
        wildcard = bool(authz.body.wildcard)
        offered = {c.chall.typ: c for c in authz.body.challenges}
        zone = self.zone_of(name)
        key = self.session.key
        if zone is not None and "dns-01" in offered:
            chosen = offered["dns-01"]
            response, value = chosen.response_and_validation(key)
            record = chosen.chall.validation_domain_name(name)
            self._records.setdefault((zone, record), []).append(f'"{value}"')
        elif self.session.settings.webroot and not wildcard and "http-01" in offered:
            chosen = offered["http-01"]
            response, value = chosen.response_and_validation(key)
            path = Path(self.session.settings.webroot) / chosen.chall.path.lstrip("/")
            self._write(path, value)
        else:
            raise AcmeRefused(
                _(
                    "Hutor cannot prove control of %(name)s: its zone is not on the PowerDNS "
                    "server of the setting «dns_server», and %(why)s."
                )
                % {
                    "name": shown_name(name, wildcard),
                    "why": _("a wildcard needs DNS-01")
                    if wildcard
                    else _("no «webroot» is set for HTTP-01"),
                }
            )
        self.methods[shown_name(name, wildcard)] = chosen.chall.typ
        self.answers.append((chosen, response))

    def publish(self) -> None:
        """Write the TXT records (one RRset per record name: a name and its wildcard share
        `_acme-challenge.<name>`)."""
        assert self.dns is not None or not self._records
        for (zone, record), values in self._records.items():
            assert self.dns is not None
            self.dns.replace_rrset(zone, record, "TXT", CHALLENGE_TTL, values)

    def remove(self) -> None:
        """Remove what was published, whatever the outcome (a missing record is success). A
        removal that fails is logged, never raised: it must not hide what the CA said, and a
        stale challenge answer proves nothing to anyone."""
        for zone, record in self._records:
            assert self.dns is not None
            try:
                self.dns.delete_rrset(zone, record, "TXT")
            except PowerDNSError as exc:
                log.warning("ACME challenge record %s TXT left in %s: %s", record, zone, exc)
        for path in self._files:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("ACME challenge file %s left: %s", path, exc)

    def _write(self, path: Path, value: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by the web server, whatever the worker's umask.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        os.chmod(path, 0o644)
        self._files.append(path)


def shown_name(name: str, wildcard: bool) -> str:
    return f"*.{name}" if wildcard else name
