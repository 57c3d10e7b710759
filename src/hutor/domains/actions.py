"""Use cases of contact profiles and domain details; each runs in one transaction, and these
are the only writers of the domains app's tables (other apps call them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from hutor.accounts.models import BillingAccount
from hutor.core import clock
from hutor.domains.exceptions import ContactProfileInUse
from hutor.domains.models import ContactProfile, DomainDetails
from hutor.domains.registrants import to_registrant
from hutor.services.exceptions import InvalidIdentifier
from hutor.services.identifiers import normalize_domain
from hutor.services.models import Service, ServiceStatus

__all__ = [
    "PROFILE_FIELDS",
    "check_contact_profile",
    "create_contact_profile",
    "delete_contact_profile",
    "live_domains",
    "record_registry_state",
    "set_domain_details",
    "to_registrant",
    "update_contact_profile",
]

# What a customer enters in a profile (the keyword arguments of create and update).
PROFILE_FIELDS = (
    "label",
    "kind",
    "name",
    "name_latin",
    "birth_date",
    "passport_number",
    "passport_issued_by",
    "passport_issued_on",
    "org",
    "org_latin",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "country",
    "postcode",
    "region",
    "city",
    "street",
    "email",
    "phone",
)
_PASSPORT = ("passport_number", "passport_issued_by", "passport_issued_on")

# A domain in these states is still registered to its profile at the registry.
LIVE_STATUSES = (
    ServiceStatus.PENDING,
    ServiceStatus.ACTIVE,
    ServiceStatus.SUSPENDED,
    ServiceStatus.EXPIRED,
)

# RFC 1035 allows 13 nameservers in a referral; registries take up to 13 host objects.
MAX_NAMESERVERS = 13


def _assign(profile: ContactProfile, details: dict[str, Any]) -> None:
    unknown = set(details) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown contact profile fields: {sorted(unknown)}")
    for field, value in details.items():
        if field == "passport_issued_on" and isinstance(value, dt.date):
            value = value.isoformat()
        if field == "birth_date":
            setattr(profile, field, value or None)
        else:
            setattr(profile, field, "" if value is None else value)


def _label_taken(profile: ContactProfile) -> bool:
    """Another profile of the account has this label, in any letter case (compared here: SQLite
    folds the case of ASCII letters only; an account has a handful of profiles)."""
    others = ContactProfile.objects.filter(billing_account_id=profile.billing_account_id)
    if profile.pk:
        others = others.exclude(pk=profile.pk)
    label = profile.label.casefold()
    return any(other.casefold() == label for other in others.values_list("label", flat=True))


def _save(profile: ContactProfile, **save_kwargs: Any) -> None:
    """Check the label is the account's only one of that name, then save (a savepoint, so a
    concurrent duplicate surfaces as the same message, not an error page)."""
    label_taken = ValidationError(
        {"label": _("You already have a contact profile with this label.")}
    )
    if _label_taken(profile):
        raise label_taken
    try:
        with transaction.atomic():
            profile.save(**save_kwargs)
    except IntegrityError:
        raise label_taken from None


def _checked(details: dict[str, Any]) -> ContactProfile:
    profile = ContactProfile(country="RU")
    _assign(profile, details)
    profile.clean()
    return profile


def check_contact_profile(**details: Any) -> None:
    """Raise the ValidationError create_contact_profile would (a message per field) for these
    details, writing nothing: the order form of a new customer checks its domain owner before
    it opens the billing account the profile will belong to (the same rules, one place)."""
    _checked(details)


def create_contact_profile(*, billing_account: BillingAccount, **details: Any) -> ContactProfile:
    """Add a contact profile to the billing account (keyword arguments: PROFILE_FIELDS).
    Validated in full first (ContactProfile.clean); raises ValidationError with a message per
    field, writing nothing."""
    profile = _checked(details)
    profile.billing_account = billing_account
    with transaction.atomic():
        profile.created_at = profile.updated_at = clock.now()
        _save(profile)
    return profile


def update_contact_profile(*, profile: ContactProfile, **details: Any) -> ContactProfile:
    """Change a contact profile (keyword arguments: PROFILE_FIELDS, all of them as a form
    sends them). A person's passport given empty in all three fields keeps the stored one: the
    form never shows it back. Raises ValidationError, writing nothing.

    The registry's copy is not changed here: a registrar module's update_contacts does that for
    the domains registered to it (issue 14, later)."""
    if all(not details.get(field) for field in _PASSPORT):
        for field in _PASSPORT:
            details.pop(field, None)
    with transaction.atomic():
        locked = ContactProfile.objects.select_for_update().get(pk=profile.pk)
        _assign(locked, details)
        locked.clean()
        locked.updated_at = clock.now()
        _save(locked, update_fields=[*PROFILE_FIELDS, "updated_at"])
    return locked


def live_domains(profile: ContactProfile) -> list[Service]:
    """The domain services still registered to the profile (not terminated or cancelled)."""
    return list(
        Service.objects.filter(
            domain_details__contact_profile=profile, status__in=LIVE_STATUSES
        ).order_by("identifier")
    )


def delete_contact_profile(*, profile: ContactProfile) -> None:
    """Delete a contact profile no live domain is registered to (ContactProfileInUse names
    them otherwise); ended domains that used it keep their details without it."""
    with transaction.atomic():
        locked = ContactProfile.objects.select_for_update().get(pk=profile.pk)
        in_use = live_domains(locked)
        if in_use:
            raise ContactProfileInUse(
                _("Domains registered to this profile: %(domains)s. It cannot be deleted.")
                % {"domains": ", ".join(s.identifier for s in in_use)}
            )
        locked.delete()


def _nameservers(names: Iterable[str]) -> list[str]:
    result: list[str] = []
    for name in names:
        if not name.strip():
            continue
        try:
            host = normalize_domain(name)
        except InvalidIdentifier as exc:
            raise ValidationError({"nameservers": str(exc)}) from None
        if host not in result:
            result.append(host)
    if len(result) > MAX_NAMESERVERS:
        raise ValidationError(
            {"nameservers": _("At most %(n)d nameservers.") % {"n": MAX_NAMESERVERS}}
        )
    return result


def set_domain_details(
    *,
    service: Service,
    contact_profile: ContactProfile | None,
    nameservers: Sequence[str] = (),
    auth_code: str = "",
) -> DomainDetails:
    """The contact profile, nameservers and (for a transfer in) auth code of a domain service,
    as the order or the customer chose them; the registrar module gets them in its context.
    The profile must belong to the service's billing account."""
    if contact_profile is not None and contact_profile.billing_account_id != (
        service.billing_account_id
    ):
        raise ValidationError(
            {"contact_profile": _("This contact profile belongs to another billing account.")}
        )
    hosts = _nameservers(nameservers)
    with transaction.atomic():
        details, created = DomainDetails.objects.select_for_update().get_or_create(
            service=service,
            defaults={
                "contact_profile": contact_profile,
                "nameservers": hosts,
                "auth_code": auth_code.strip(),
                "created_at": clock.now(),
            },
        )
        if not created:
            details.contact_profile = contact_profile
            details.nameservers = hosts
            fields = ["contact_profile", "nameservers"]
            if auth_code.strip():
                details.auth_code = auth_code.strip()
                fields.append("auth_code")
            details.save(update_fields=fields)
    return details


def record_registry_state(
    *,
    service: Service,
    registrant_handle: str | None = None,
    expires_on: dt.date | None = None,
    statuses: Sequence[str] | None = None,
    locked: bool | None = None,
    nameservers: Sequence[str] | None = None,
) -> DomainDetails:
    """Keep what a registrar reported for the domain (a create's `registrant_handle`, an
    `info`'s expiry, EPP statuses, lock, nameservers); an argument left None is not changed.
    Sets `synced_at`. The domain must have its details (set_domain_details)."""
    with transaction.atomic():
        details = DomainDetails.objects.select_for_update().get(service=service)
        fields = ["synced_at"]
        if registrant_handle is not None:
            details.registrant_handle = registrant_handle
            fields.append("registrant_handle")
        if expires_on is not None:
            details.registry_expires_on = expires_on
            fields.append("registry_expires_on")
        if statuses is not None:
            details.registry_statuses = list(statuses)
            fields.append("registry_statuses")
        if locked is not None:
            details.locked = locked
            fields.append("locked")
        if nameservers is not None:
            details.nameservers = [n.lower().rstrip(".") for n in nameservers]
            fields.append("nameservers")
        details.synced_at = clock.now()
        details.save(update_fields=fields)
    return details
