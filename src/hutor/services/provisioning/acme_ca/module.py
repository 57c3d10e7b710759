"""The "acme" module: SSL certificates from an ACME CA (RFC 8555: Let's Encrypt, ZeroSSL
without external account binding, a provider's own step-ca), through certbot's `acme` library
(docs/ssl.md, "ACME"; the contract is ca.py).

create and renew each place a new order for the service's names (`ctx.service.identifier`,
then the tariff's `alt_names`, where "{domain}" stands for the identifier), with `ctx.csr_pem`
(whose names must be exactly those), prove control of every name (challenges.py: DNS-01 on the
provider's PowerDNS, else HTTP-01 into a webroot), wait for the CA, finalize and download the
chain: done=True with the certificate in `access` (ca.certificate_access) and the order's URL as
the service's remote id. The published answers are removed whatever the outcome. A CA that is
slow or fails in passing raises AcmeFailed (retried: the retried call places a new order); a CA
that refuses raises AcmeRefused with the CA's problem detail. reissue is the same new order with
the new CSR; status and download read the last order; revoke revokes the certificate kept on the
service; terminate revokes it only where the tariff says `revoke_on_terminate`.

Every call runs in the worker outside any transaction (base.py); the only database read here is
the PowerDNS server's row (challenges.powerdns_for).
"""

from __future__ import annotations

from acme import messages
from cryptography import x509
from django.utils.translation import gettext as _

from hutor.services.provisioning.acme_ca.challenges import Publisher
from hutor.services.provisioning.acme_ca.session import (
    AcmeFailed,
    AcmeRefused,
    Session,
    certificate_names,
    deadline,
    issued,
    problem_text,
    translated,
)
from hutor.services.provisioning.base import (
    ProvisioningContext,
    ProvisioningResult,
    ServerAccess,
)
from hutor.services.provisioning.ca import (
    CertificateAuthorityModule,
    CertificateState,
    CertificateStatus,
    IssuedCertificate,
    certificate_access,
)
from hutor.services.provisioning.csr import certificate_names as names_ordered
from hutor.services.provisioning.zone_template import TemplateError, canonical_zone

# RFC 5280 section 5.3.1 reason codes, by the names `revoke(reason=…)` takes.
REVOCATION_REASONS = {
    "": 0,
    "unspecified": 0,
    "keyCompromise": 1,
    "affiliationChanged": 3,
    "superseded": 4,
    "cessationOfOperation": 5,
}
ORDER_STATES = {
    "pending": CertificateState.VALIDATING,
    "ready": CertificateState.PROCESSING,
    "processing": CertificateState.PROCESSING,
    "valid": CertificateState.ISSUED,
    "invalid": CertificateState.FAILED,
}


def names_of(ctx: ProvisioningContext) -> list[str]:
    """The certificate's names in ASCII, the service's identifier first, each once."""
    extra = ctx.params.get("alt_names") or []
    if not isinstance(extra, list | tuple):
        raise AcmeRefused(_("The tariff's «alt_names» must be a list of names."))
    wanted = names_ordered(ctx.service.identifier.strip(), dict(ctx.params))
    names: list[str] = []
    for name in wanted:
        wildcard = name.startswith("*.")
        try:
            ascii_name = canonical_zone(name[2:] if wildcard else name).rstrip(".")
        except TemplateError:
            raise AcmeRefused(
                _("%(name)s is not a valid domain name.") % {"name": name or "-"}
            ) from None
        ascii_name = f"*.{ascii_name}" if wildcard else ascii_name
        if ascii_name not in names:
            names.append(ascii_name)
    return names


class AcmeModule(CertificateAuthorityModule):
    name = "acme"
    capabilities = frozenset(
        {"create", "renew", "terminate", "status", "download", "reissue", "revoke", "check"}
    )
    renews_itself = True  # free certificates: renewed by the daily run before they expire

    # --- the lifecycle ----------------------------------------------------------------------

    def create(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._issue(ctx, "create")

    def renew(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._issue(ctx, "renew")

    def reissue(self, ctx: ProvisioningContext) -> ProvisioningResult:
        return self._issue(ctx, "reissue")

    def terminate(self, ctx: ProvisioningContext) -> ProvisioningResult:
        if not ctx.params.get("revoke_on_terminate"):
            return ProvisioningResult(done=True, note="not revoked: it expires by itself")
        if not (ctx.service.access or {}).get("certificate_pem"):
            return ProvisioningResult(done=True, note="no certificate to revoke")
        return self.revoke(ctx, reason="cessationOfOperation")

    # --- the CA's own ------------------------------------------------------------------------

    def status(self, ctx: ProvisioningContext) -> CertificateStatus:
        if (ctx.service.access or {}).get("state") == CertificateState.REVOKED:
            return CertificateStatus(state=CertificateState.REVOKED)
        if not ctx.remote_id:
            return CertificateStatus(state=CertificateState.FAILED, detail=_("No order placed."))
        session = Session.open(ctx.server)
        with translated(ctx.server):
            # POST-as-GET of the order (RFC 8555 section 7.1.3).
            response = session.client._post_as_get(ctx.remote_id)
            order = messages.Order.from_json(response.json())
            state = ORDER_STATES.get(order.status.name, CertificateState.PROCESSING)
            if state == CertificateState.FAILED:
                detail = problem_text(order.error) if order.error else ""
                return CertificateStatus(state=state, detail=detail)
            if state != CertificateState.ISSUED or not order.certificate:
                return CertificateStatus(state=state)
            # The certificate URL answers application/pem-certificate-chain (section 7.4.2).
            chain = session.client._post_as_get(order.certificate).text
        return CertificateStatus(state=state, certificate=issued(chain))

    def download(self, ctx: ProvisioningContext) -> IssuedCertificate:
        status = self.status(ctx)
        if status.certificate is None:
            raise AcmeFailed(
                _("The certificate is not issued (%(state)s).") % {"state": status.state}
            )
        return status.certificate

    def revoke(self, ctx: ProvisioningContext, *, reason: str = "") -> ProvisioningResult:
        pem = (ctx.service.access or {}).get("certificate_pem")
        if not pem:
            raise AcmeRefused(_("The service has no certificate to revoke."))
        if reason not in REVOCATION_REASONS:
            raise AcmeRefused(_("Unknown revocation reason «%(reason)s».") % {"reason": reason})
        session = Session.open(ctx.server)
        certificate = x509.load_pem_x509_certificate(str(pem).encode())
        note = "revoked"
        with translated(ctx.server):
            try:
                # Signed with the account key that ordered it (RFC 8555 section 7.6).
                session.client.revoke(certificate, REVOCATION_REASONS[reason])
            except messages.Error as problem:
                if problem.code != "alreadyRevoked":
                    raise
                note = "already revoked"
        return ProvisioningResult(done=True, note=note, access={"state": CertificateState.REVOKED})

    def check(self, server: ServerAccess) -> str:
        session = Session.open(server)
        return f"ACME {session.settings.directory_url}, account {session.account_url}"

    # --- inside -----------------------------------------------------------------------------

    def _issue(self, ctx: ProvisioningContext, operation: str) -> ProvisioningResult:
        names = names_of(ctx)
        csr = ctx.csr_pem.strip()
        if not csr:
            raise AcmeRefused(_("No certificate signing request (CSR) for the service."))
        try:
            in_csr = certificate_names(csr)
        except ValueError:
            raise AcmeRefused(_("The certificate signing request is not a PEM CSR.")) from None
        if sorted(set(in_csr)) != sorted(names):
            raise AcmeRefused(
                _("The CSR names %(csr)s, the service %(names)s: they must be the same.")
                % {"csr": ", ".join(sorted(set(in_csr))), "names": ", ".join(names)}
            )
        session = Session.open(ctx.server)
        with translated(ctx.server):
            publisher = Publisher.for_session(session)
            order = session.client.new_order(csr.encode() + b"\n")
            try:
                for authz in order.authorizations:
                    if authz.body.status == messages.STATUS_PENDING:
                        publisher.prepare(authz)
                publisher.publish()
                for challenge, response in publisher.answers:
                    session.client.answer_challenge(challenge, response)
                order = session.client.poll_and_finalize(order, deadline(session.settings))
            finally:
                publisher.remove()
        certificate = issued(order.fullchain_pem)
        methods = sorted(set(publisher.methods.values())) or ["reused"]
        server = ctx.server.name if ctx.server else "?"
        return ProvisioningResult(
            done=True,
            note=f"{operation}: serial {certificate.serial} from {server} ({', '.join(methods)})",
            remote_id=order.uri,
            access=certificate_access(certificate, names=names),
        )
