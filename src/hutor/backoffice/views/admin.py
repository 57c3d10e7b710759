"""Administrators' pages: staff and their roles, the catalog on sale, payment methods, the
provider's requisites. Every change is an audited desk action."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import actions, roles
from hutor.backoffice.forms import ProviderForm, ReasonForm, StaffCreateForm, StaffUpdateForm
from hutor.backoffice.models import Role, StaffProfile
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.catalog.models import ServiceType, Tariff
from hutor.core.models import Provider
from hutor.payments.models import PaymentMethod


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_page("admin")
def staff_list(request: HttpRequest) -> HttpResponse:
    User = get_user_model()
    members = (
        User.objects.filter(Q(is_staff=True) | Q(staff_profile__isnull=False))
        .select_related("staff_profile")
        .annotate(
            totp=Count("authenticator", filter=Q(authenticator__type=Authenticator.Type.TOTP))
        )
        .order_by("email")
    )
    rows = []
    for member in members:
        role = roles.role_of(member)
        label = Role(role).label if role else ""
        rows.append({"user": member, "role": role, "role_label": label, "totp": member.totp})
    return render_desk(request, "backoffice/admin/staff.html", {"rows": rows})


@roles.require_action("staff.create")
def staff_create(request: HttpRequest) -> HttpResponse:
    def perform(data: dict[str, Any]) -> str:
        user = actions.create_staff(
            staff=staff_of(request),
            email=data["email"],
            full_name=data["full_name"],
            role=data["role"],
            password=data["password"],
            reason=data["reason"],
        )
        return _("%(email)s can now log in to the desk.") % {"email": user.email}

    return action_page(
        request,
        form=StaffCreateForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:staff"),
        title=_("Add a staff member"),
        button=_("Add"),
    )


@roles.require_action("staff.update")
def staff_update(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=pk)
    profile = StaffProfile.objects.filter(user=member).first()
    initial = {
        "role": profile.role if profile else roles.role_of(member) or "support",
        "is_active": member.is_active,
    }

    def perform(data: dict[str, Any]) -> str:
        actions.update_staff(
            staff=staff_of(request),
            member=member,
            role=data["role"],
            is_active=data["is_active"],
            reason=data["reason"],
        )
        return _("%(email)s is updated.") % {"email": member.email}

    return action_page(
        request,
        form=StaffUpdateForm(_post(request), initial=initial),
        perform=perform,
        done_url=reverse("desk:staff"),
        title=_("Change a staff member's access"),
        subject=member.email,
        button=_("Save"),
    )


@roles.require_action("staff.reset_totp")
def staff_reset_totp(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=pk)

    def perform(data: dict[str, Any]) -> str:
        actions.reset_staff_totp(staff=staff_of(request), member=member, reason=data["reason"])
        return _("%(email)s sets up a new authenticator at the next login.") % {
            "email": member.email
        }

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:staff"),
        title=_("Reset the authenticator app"),
        subject=member.email,
        intro=_(
            "For a lost or replaced phone: the next desk login asks for the password, then "
            "sets up the app again."
        ),
        button=_("Reset"),
        danger=True,
    )


@roles.require_page("admin")
def catalog(request: HttpRequest) -> HttpResponse:
    types = ServiceType.objects.prefetch_related("tariffs__prices").order_by("position", "code")
    return render_desk(request, "backoffice/admin/catalog.html", {"types": types})


@roles.require_action("catalog.toggle")
def tariff_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.select_related("service_type"), pk=pk)

    def perform(data: dict[str, Any]) -> str:
        actions.toggle_tariff(staff=staff_of(request), tariff=tariff, reason=data["reason"])
        return (
            _("%(tariff)s is on sale.") if tariff.is_active else _("%(tariff)s is off sale.")
        ) % {"tariff": tariff.name}

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:catalog"),
        title=_("Take the tariff off sale") if tariff.is_active else _("Put the tariff on sale"),
        subject=f"{tariff.service_type.name} · {tariff.name}",
    )


@roles.require_page("admin")
def payment_methods(request: HttpRequest) -> HttpResponse:
    methods = PaymentMethod.objects.annotate(payments_count=Count("payments"))
    return render_desk(request, "backoffice/admin/payment_methods.html", {"methods": methods})


@roles.require_action("payment_method.toggle")
def payment_method_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(PaymentMethod, pk=pk)

    def perform(data: dict[str, Any]) -> str:
        actions.toggle_payment_method(staff=staff_of(request), method=method, reason=data["reason"])
        return (
            _("%(method)s is offered.") if method.is_enabled else _("%(method)s is not offered.")
        ) % {"method": method.name}

    return action_page(
        request,
        form=ReasonForm(_post(request)),
        perform=perform,
        done_url=reverse("desk:payment_methods"),
        title=_("Stop offering the method") if method.is_enabled else _("Offer the method"),
        subject=f"{method.name} ({method.slug})",
    )


@roles.require_action("provider.update")
def provider(request: HttpRequest) -> HttpResponse:
    instance = Provider.current() or Provider(pk=1)
    form = ProviderForm(_post(request), instance=instance)

    def perform(data: dict[str, Any]) -> str:
        values = {name: data[name] for name in actions.PROVIDER_FIELDS if name in data}
        actions.update_provider(staff=staff_of(request), values=values, reason=data["reason"])
        return _("The requisites are saved; new documents use them.")

    # The form's own instance must not be saved by validation: re-read it for the action.
    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:provider"),
        title=_("Provider requisites"),
        intro=_("Printed on new invoices and bank documents; issued ones keep their own copy."),
        button=_("Save"),
    )
