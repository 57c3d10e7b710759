"""Domain names and hostnames as customers type them, including IDN (.рф)."""

from __future__ import annotations

import re

import idna
from django.utils.translation import gettext as _

from hutor.services.exceptions import InvalidIdentifier

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(text: str, *, min_labels: int = 2) -> str:
    """Return the domain in lower-case Unicode form («пример.рф», "example.com") or raise
    InvalidIdentifier with a message for the form."""
    raw = text.strip().rstrip(".").lower()
    for prefix in ("http://", "https://"):
        if raw.startswith(prefix):
            raise InvalidIdentifier(_("Enter the domain name only, without http:// or a path."))
    if not raw:
        raise InvalidIdentifier(_("Enter a domain name."))
    if "/" in raw or " " in raw or "@" in raw:
        raise InvalidIdentifier(_("A domain name has no spaces, slashes or @."))
    try:
        ascii_form = idna.encode(raw, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidIdentifier(
            _("%(domain)s is not a valid domain name.") % {"domain": text.strip()}
        ) from exc
    labels = ascii_form.split(".")
    if len(ascii_form) > 253 or len(labels) < min_labels:
        raise InvalidIdentifier(
            _("%(domain)s is not a complete domain name (like example.ru).")
            % {"domain": text.strip()}
        )
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        raise InvalidIdentifier(
            _("%(domain)s is not a valid domain name.") % {"domain": text.strip()}
        )
    return str(idna.decode(ascii_form))


def zone_of(domain: str) -> str:
    return domain.rsplit(".", 1)[-1]


def ascii_form(domain: str) -> str:
    """Punycode form («xn--e1afmkfd.xn--p1ai»), as registries and DNS know it."""
    return str(idna.encode(domain, uts46=True).decode("ascii"))
