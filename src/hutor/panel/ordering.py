"""The order flow of the storefront: order form -> billing account (S1, S2) -> invoice (S4, S6)."""

from __future__ import annotations

import uuid

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from hutor.accounts.actions import open_billing_account
from hutor.accounts.exceptions import EmailAlreadyRegistered
from hutor.accounts.models import BillingAccount
from hutor.catalog.models import Tariff
from hutor.invoices import links
from hutor.panel.forms import OrderForm
from hutor.services.actions import order_invoice, place_order
from hutor.services.exceptions import ServiceError
from hutor.services.models import Service

SESSION_ORDERS = "hutor_orders"


def _customer_account(request: HttpRequest) -> BillingAccount | None:
    if not request.user.is_authenticated:
        return None
    return BillingAccount.objects.filter(user_id=request.user.pk).first()


def order(request: HttpRequest, type_code: str, tariff_code: str) -> HttpResponse:
    tariff = get_object_or_404(
        Tariff.objects.select_related("service_type"),
        service_type__code=type_code,
        code=tariff_code,
        is_active=True,
        service_type__is_active=True,
    )
    account = _customer_account(request)
    logged_in = account is not None
    if request.user.is_authenticated and account is None:
        # A staff login has no billing account; it orders on a customer's behalf in the desk.
        return render(request, "panel/order_unavailable.html", {"tariff": tariff}, status=403)
    form = OrderForm(request.POST or None, tariff=tariff, logged_in=logged_in)
    if request.method == "POST":
        token = _token(request)
        if token is not None:
            done = Service.objects.filter(order_token=token).first()
            if done is not None and _may_see(request, done):
                return redirect("panel:order_done", token=token)
        if form.is_valid():
            try:
                service = _place(request, form, account)
            except EmailAlreadyRegistered:
                login_url = reverse("panel:login") + "?next=" + request.path
                form.add_error(
                    "email",
                    _("An account with this email already exists. Please log in first: %(url)s")
                    % {"url": login_url},
                )
                form.login_url = login_url  # type: ignore[attr-defined]
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except ServiceError as exc:
                form.add_error(None, str(exc))
            except IntegrityError:
                # A concurrent double submit lost the race; the winner's order is the order.
                done = Service.objects.filter(order_token=form.cleaned_data["order_token"]).first()
                if done is None:
                    raise
                service = done
                _remember(request, service)
                return redirect("panel:order_done", token=service.order_token)
            else:
                return redirect("panel:order_done", token=service.order_token)
    return render(
        request,
        "panel/order.html",
        {"form": form, "tariff": tariff, "logged_in": logged_in, "account": account},
    )


def _token(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("order_token", ""))
    except ValueError:
        return None


def _place(request: HttpRequest, form: OrderForm, account: BillingAccount | None) -> Service:
    data = form.cleaned_data
    with transaction.atomic():
        if account is None:
            if get_user_model().objects.filter(email__iexact=data["email"]).exists():
                raise EmailAlreadyRegistered(data["email"])
            account = open_billing_account(
                email=data["email"],
                name=data["name"],
                kind=data["kind"],
                inn=data.get("inn", ""),
                kpp=data.get("kpp", ""),
                address=data.get("address", ""),
                phone=data.get("phone", ""),
                language=(request.LANGUAGE_CODE or "ru")[:2],
            )
        service = place_order(
            billing_account=account,
            price=data["price"],
            identifier=data.get("identifier", ""),
            order_token=data["order_token"],
        )
    _remember(request, service)
    return service


def _remember(request: HttpRequest, service: Service) -> None:
    orders = request.session.get(SESSION_ORDERS, [])
    orders.append(str(service.order_token))
    request.session[SESSION_ORDERS] = orders[-20:]


def _may_see(request: HttpRequest, service: Service) -> bool:
    if str(service.order_token) in request.session.get(SESSION_ORDERS, []):
        return True
    account = _customer_account(request)
    return account is not None and account.pk == service.billing_account_id


def order_done(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    service = (
        Service.objects.select_related("billing_account", "tariff")
        .filter(order_token=token)
        .first()
    )
    if service is None or not _may_see(request, service):
        raise Http404("no such order")
    invoice = order_invoice(service)
    return render(
        request,
        "panel/order_done.html",
        {
            "service": service,
            "account": service.billing_account,
            "invoice": invoice,
            "invoice_url": links.public_url(invoice) if invoice else None,
            "new_account": not request.user.is_authenticated,
        },
    )


class ActivateView(auth_views.PasswordResetConfirmView):
    """The activation email's one-time link: set a password, then land in the panel.

    A login protected by an authenticator app is not logged in by the link, which would skip
    the second factor: the password is set and the login page asks for both.
    """

    template_name = "panel/activate.html"
    post_reset_login = True
    success_url = reverse_lazy("panel:home")

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        if is_mfa_enabled(form.user):
            self.post_reset_login = False
            self.success_url = reverse_lazy("panel:login")
        return super().form_valid(form)
