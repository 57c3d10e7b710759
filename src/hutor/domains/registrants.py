"""What a registrar module gets from the domains app: a contact profile as a
`registrar.Registrant`, and a domain service's registrant, nameservers and auth code in its
provisioning context (registered in DomainsConfig.ready() with `provide_context`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hutor.domains.models import ContactProfile, DomainDetails, plain
from hutor.domains.validators import epp_phone
from hutor.services.models import Service
from hutor.services.provisioning.registrar import Registrant


def passport_line(profile: ContactProfile) -> str:
    """The passport on one line, as Russian registries take it:
    "4510 123456, выдан ОВД «Тверской» г. Москвы, 01.02.2010"."""
    number = plain(profile.passport_number)
    if not number:
        return ""
    issued_on = profile.passport_issued_on_date()
    parts = [number, f"выдан {plain(profile.passport_issued_by)}"]
    if issued_on is not None:
        parts.append(issued_on.strftime("%d.%m.%Y"))
    return ", ".join(parts)


def to_registrant(profile: ContactProfile, handle: str = "") -> Registrant:
    """The profile as a registrar module receives it (phone in EPP's form, the passport
    decrypted for this call only); `handle` is the contact's id at the registry, if known."""
    common: dict[str, Any] = {
        "kind": profile.kind,
        "email": profile.email,
        "phone": epp_phone(profile.phone),
        "country": profile.country,
        "city": profile.city,
        "postcode": profile.postcode,
        "street": profile.street,
        "region": profile.region,
        "handle": handle,
    }
    if profile.is_company:
        return Registrant(
            **common,
            org=profile.org,
            org_latin=profile.org_latin,
            inn=profile.inn,
            kpp=profile.kpp,
            legal_address=profile.legal_address,
        )
    return Registrant(
        **common,
        name=profile.name,
        name_latin=profile.name_latin,
        birth_date=profile.birth_date,
        passport=passport_line(profile),
        inn=profile.inn,
    )


def registry_context(service: Service) -> Mapping[str, Any]:
    """The context provider: a domain service's registrant, nameservers and auth code; {} for
    a service without domain details (hosting, a VPS)."""
    details = (
        DomainDetails.objects.filter(service_id=service.pk)
        .select_related("contact_profile")
        .first()
    )
    if details is None:
        return {}
    context: dict[str, Any] = {
        "nameservers": tuple(details.nameservers or ()),
        "auth_code": plain(details.auth_code),
    }
    if details.contact_profile is not None:
        context["registrant"] = to_registrant(
            details.contact_profile, handle=details.registrant_handle
        )
    return context
