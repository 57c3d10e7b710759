"""A certificate's private key and its signing request, when Hutor makes them for the customer
(ca.py): an ECDSA P-256 key (what ACME CAs and browsers take everywhere, small and fast) and a
CSR naming the service's domain and its alternative names, through `cryptography`."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hutor.services.provisioning.registrar import ascii_name


def make_private_key() -> str:
    """A new private key, PEM (PKCS#8, unencrypted: it is kept encrypted at rest by the caller)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def make_csr(key_pem: str, names: Sequence[str]) -> str:
    """A CSR for `names` (the first is the common name; all are subject alternative names, in
    the registry's form: IDN labels in Punycode), signed with the key. The same key and names
    give an equivalent request every time, so a retried order asks for the same certificate."""
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the service's private key is not an ECDSA key")
    dns = list(dict.fromkeys(_dns_name(n) for n in names if n.strip()))
    if not dns:
        raise ValueError("a certificate needs at least one name")
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _dns_name(name: str) -> str:
    """A name in the registry's form, a wildcard's "*." kept."""
    name = name.strip()
    if name.startswith("*."):
        return "*." + ascii_name(name[2:])
    return ascii_name(name)


def certificate_names(identifier: str, params: dict) -> list[str]:
    """The names a certificate service covers: its domain, then the tariff's `alt_names`, where
    "{domain}" stands for the service's domain ("www.{domain}", "*.{domain}") and a single label
    means a name under it ("www")."""
    names = [identifier]
    for alt in params.get("alt_names") or []:
        alt = str(alt).strip().replace("{domain}", identifier)
        names.append(f"{alt}.{identifier}" if alt and "." not in alt else alt)
    return names
