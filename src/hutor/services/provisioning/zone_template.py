"""A zone's records from a template: names made canonical (punycode, trailing dot), {name}
placeholders filled, records grouped into RRsets in the shape of PowerDNS's HTTP API
(https://doc.powerdns.com/authoritative/http-api/zone.html, the Zone and RRSet objects).

Pure functions: a template that cannot make a zone raises TemplateError before anything is
sent to a server. IDN names are converted with the `idna` package (IDNA 2008 with the UTS 46
mapping, through hutor.services.identifiers.ascii_form); labels that are already ASCII
("_dmarc", "*") are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import idna
from django.utils.translation import gettext

from hutor.services.identifiers import ascii_form

DEFAULT_TTL = 3600
# SOA timers written when the template has no SOA: refresh, retry, expire, negative TTL. The
# negative TTL bounds how long resolvers remember a suspended zone's NXDOMAIN.
SOA_TIMERS = "10800 3600 604800 300"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RECORD_TYPE = re.compile(r"[A-Z][A-Z0-9]{0,15}")


class TemplateError(ValueError):
    """The record template (or a name given) cannot make a zone; nothing was sent. Like the
    PowerDNS client's errors: a `code`, its `params`, `retryable` (never: a person must fix
    the tariff), and str() in the reader's language."""

    code = "bad_template"
    retryable = False

    def __init__(self, detail: str) -> None:
        self.detail = detail
        self.params = {"detail": detail}
        super().__init__(detail)

    def __str__(self) -> str:
        return gettext("The zone's record template is not valid: %(detail)s") % self.params


def canonical_zone(name: str) -> str:
    """ "Пример.РФ" → "xn--e1afmkfd.xn--p1ai." (punycode, lower case, trailing dot)."""
    raw = name.strip().rstrip(".")
    try:
        ascii_name = ascii_form(raw) if raw else ""
    except (idna.IDNAError, UnicodeError) as exc:
        raise TemplateError(
            gettext("%(name)s is not a valid domain name") % {"name": name}
        ) from exc
    if not ascii_name or ".." in ascii_name:
        raise TemplateError(gettext("%(name)s is not a valid domain name") % {"name": name})
    return ascii_name.lower() + "."


def _canonical_label(label: str) -> str:
    if label.isascii():
        return label.lower()
    return canonical_zone(label).rstrip(".")


def record_name(name: str, zone: str) -> str:
    """A template's record name in the zone: "@" is the apex, "www" is www.<zone>, a name
    ending in a dot is taken as absolute and must lie inside the zone."""
    name = name.strip()
    if name in ("", "@"):
        return zone
    if name.endswith("."):
        absolute = ".".join(_canonical_label(label) for label in name[:-1].split(".")) + "."
        if absolute != zone and not absolute.endswith("." + zone):
            raise TemplateError(
                gettext("%(name)s is outside the zone %(zone)s") % {"name": name, "zone": zone}
            )
        return absolute
    labels = name.split(".")
    if any(not label for label in labels):
        raise TemplateError(gettext("%(name)s is not a valid record name") % {"name": name})
    return ".".join(_canonical_label(label) for label in labels) + "." + zone


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace {name} placeholders; an unknown one is an error, not an empty string."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(
                gettext("unknown placeholder %(placeholder)s in %(text)s")
                % {"placeholder": "{" + key + "}", "text": text}
            )
        return str(values[key])

    return _PLACEHOLDER.sub(one, text)


def render_rrsets(
    zone: str,
    nameservers: Iterable[str],
    template: Iterable[Mapping[str, Any]],
    params: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The `rrsets` of a new zone (Zone and RRSet objects of
    https://doc.powerdns.com/authoritative/http-api/zone.html): the template's records grouped
    by name and type, placeholders filled ({domain} is the zone's ASCII name without the
    trailing dot, the rest come from `params`), and an SOA naming the first nameserver when the
    template has none. Apex NS records come from `nameservers`, not from the template."""
    values = {**(params or {}), "domain": zone.rstrip(".")}
    ns = [canonical_zone(n) for n in nameservers]
    if not ns:
        raise TemplateError(gettext("no nameservers given"))
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for number, item in enumerate(template, start=1):
        if not isinstance(item, Mapping):
            raise TemplateError(gettext("record %(number)s is not an object") % {"number": number})
        rtype = str(item.get("type", "")).strip().upper()
        if not _RECORD_TYPE.fullmatch(rtype):
            raise TemplateError(gettext("record %(number)s has no valid type") % {"number": number})
        content = item.get("content")
        if not isinstance(content, str) or not content.strip():
            raise TemplateError(gettext("record %(number)s has no content") % {"number": number})
        ttl = item.get("ttl", DEFAULT_TTL)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 2**31 - 1:
            raise TemplateError(
                gettext("record %(number)s has an invalid ttl %(ttl)s")
                % {"number": number, "ttl": repr(ttl)}
            )
        name = record_name(fill(str(item.get("name", "@")), values), zone)
        if name == zone and rtype == "NS":
            raise TemplateError(
                gettext("the zone's NS records come from its nameservers, not the template")
            )
        if rtype == "SOA" and name != zone:
            raise TemplateError(gettext("an SOA record belongs at the apex (@)"))
        rrset = grouped.setdefault(
            (name, rtype), {"name": name, "type": rtype, "ttl": ttl, "records": []}
        )
        if rrset["ttl"] != ttl:
            raise TemplateError(
                gettext("records of %(name)s %(type)s have different ttls")
                % {"name": name, "type": rtype}
            )
        rrset["records"].append({"content": fill(content.strip(), values), "disabled": False})
    if (zone, "SOA") not in grouped:
        soa = f"{ns[0]} hostmaster.{zone} 0 {SOA_TIMERS}"
        grouped[(zone, "SOA")] = {
            "name": zone,
            "type": "SOA",
            "ttl": DEFAULT_TTL,
            "records": [{"content": soa, "disabled": False}],
        }
    return list(grouped.values())
