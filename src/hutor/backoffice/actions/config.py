"""Administrators' actions: staff and roles, the catalog on sale, payment methods, requisites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hutor.backoffice.audit import diff, record, require_reason
from hutor.backoffice.exceptions import DeskError
from hutor.backoffice.models import Role, StaffProfile
from hutor.core.models import Provider
from hutor.payments.models import PaymentMethod

if TYPE_CHECKING:
    from hutor.accounts.models import User
    from hutor.catalog.models import Tariff


# --- Configuration (admin) --------------------------------------------------------------------


def create_staff(
    *, staff: User, email: str, full_name: str, role: str, password: str, reason: str
) -> User:
    """A new staff login with a desk role; the first desk login makes them set up the
    authenticator app."""
    require_reason(reason)
    User = get_user_model()
    email = User.objects.normalize_email(email).strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DeskError(_("Enter a valid email address.")) from exc
    if role not in Role.values:
        raise DeskError(_("Choose a role."))
    try:
        validate_password(password, User(email=email, full_name=full_name))
    except ValidationError as exc:
        raise DeskError(" ".join(exc.messages)) from exc
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise DeskError(_("A login with this email already exists."))
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name.strip(), is_staff=True
        )
        StaffProfile.objects.create(user=user, role=role)
        record(
            staff=staff,
            action="staff.create",
            reason=reason,
            object_type="user",
            object_id=user.pk,
            changes={"email": email, "role": role},
        )
    return user


def update_staff(*, staff: User, member: User, role: str, is_active: bool, reason: str) -> User:
    """Change a staff member's role, or disable their login (it then opens nothing)."""
    require_reason(reason)
    if role not in Role.values:
        raise DeskError(_("Choose a role."))
    if member.pk == staff.pk and (not is_active or role != Role.ADMIN):
        raise DeskError(_("You cannot lower or disable your own access."))
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user=member).first()
        before = {"role": profile.role if profile else None, "is_active": member.is_active}
        if profile is None:
            profile = StaffProfile.objects.create(user=member, role=role)
        elif profile.role != role:
            profile.role = role
            profile.save(update_fields=["role"])
        if member.is_active != is_active:
            member.is_active = is_active
            member.save(update_fields=["is_active"])
        changes = diff(before, {"role": role, "is_active": is_active})
        if not changes:
            raise DeskError(_("Nothing to change."))
        record(
            staff=staff,
            action="staff.update",
            reason=reason,
            object_type="user",
            object_id=member.pk,
            changes=changes,
        )
    return member


def reset_staff_totp(*, staff: User, member: User, reason: str) -> int:
    """Remove a staff member's authenticator (a lost phone): their next desk login sets up a
    new one, after the password."""
    from allauth.mfa.models import Authenticator

    require_reason(reason)
    with transaction.atomic():
        removed, _detail = Authenticator.objects.filter(user=member).delete()
        record(
            staff=staff,
            action="staff.reset_totp",
            reason=reason,
            object_type="user",
            object_id=member.pk,
            changes={"authenticators_removed": removed},
        )
    return removed


def toggle_tariff(*, staff: User, tariff: Tariff, reason: str) -> Tariff:
    """Take a tariff off sale, or put it back (services on it keep renewing)."""
    require_reason(reason)
    with transaction.atomic():
        before = tariff.is_active
        tariff.is_active = not before
        tariff.save(update_fields=["is_active"])
        record(
            staff=staff,
            action="catalog.toggle",
            reason=reason,
            object_type="tariff",
            object_id=tariff.pk,
            changes={"tariff": tariff.code, "is_active": {"from": before, "to": tariff.is_active}},
        )
    return tariff


def toggle_payment_method(*, staff: User, method: PaymentMethod, reason: str) -> PaymentMethod:
    """Offer a payment method to customers, or stop offering it."""
    require_reason(reason)
    with transaction.atomic():
        before = method.is_enabled
        method.is_enabled = not before
        method.save(update_fields=["is_enabled"])
        record(
            staff=staff,
            action="payment_method.toggle",
            reason=reason,
            object_type="payment_method",
            object_id=method.slug,
            changes={"is_enabled": {"from": before, "to": method.is_enabled}},
        )
    return method


PROVIDER_FIELDS = (
    "legal_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "address",
    "phone",
    "email",
    "website",
    "bank_name",
    "bik",
    "correspondent_account",
    "settlement_account",
    "director",
    "accountant",
)


def update_provider(*, staff: User, values: dict[str, Any], reason: str) -> Provider:
    """Change the provider's requisites for new documents (issued ones keep their copy)."""
    require_reason(reason)
    with transaction.atomic():
        # The default company's requisites (the others: /desk/admin/companies/).
        provider = Provider.objects.select_for_update().filter(is_default=True).first()
        provider = provider or Provider()
        before = {name: getattr(provider, name, None) for name in PROVIDER_FIELDS}
        for name in PROVIDER_FIELDS:
            if name in values:
                setattr(provider, name, values[name])
        after = {name: getattr(provider, name) for name in PROVIDER_FIELDS}
        changes = diff(before, after)
        if not changes:
            raise DeskError(_("Nothing to change."))
        provider.save()
        record(
            staff=staff,
            action="provider.update",
            reason=reason,
            object_type="provider",
            object_id=provider.pk,
            changes=changes,
        )
    return provider
