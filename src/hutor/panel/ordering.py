"""The order flow of the storefront: order form -> billing account (S1, S2) -> invoice (S4, S6)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from hutor.accounts.actions import open_billing_account
from hutor.accounts.exceptions import EmailAlreadyRegistered
from hutor.accounts.models import BillingAccount
from hutor.catalog.models import Tariff
from hutor.domains.actions import (
    check_contact_profile,
    create_contact_profile,
    set_domain_details,
)
from hutor.invoices import links
from hutor.offers.actions import accept as accept_offer
from hutor.offers.exceptions import OfferError
from hutor.panel import limits
from hutor.panel.contact_forms import OrderOwnerForm
from hutor.panel.forms import OrderForm
from hutor.services import availability
from hutor.services.actions import OrderItem, order_invoice, place_orders
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
    # The domain search's "Order" link brings the name it checked.
    initial = {"identifier": request.GET.get("identifier", "")[:253]}
    form = OrderForm(
        request.POST or None, tariff=tariff, logged_in=logged_in, account=account, initial=initial
    )
    # A new customer ordering a domain gives its owner's details here (no profile yet).
    owner_form = OrderOwnerForm(request.POST or None) if form.asks_owner else None
    status = 200
    if request.method == "POST":
        # The token first, before the form's and the email's checks: a repeated POST of an
        # order that went through (a double click, which without JavaScript sends both before
        # the first answer sets a session cookie) is shown that order, not "log in first".
        token = _token(request)
        first = _first_order(request, token, tariff) if token is not None else None
        if first is not None:
            return first
        # Both checked, so that the visitor sees every message at once.
        ordered = form.is_valid()
        valid = all([ordered, _owner_checked(form, owner_form)])
        if ordered and not valid and form.is_domain and not form.cleaned_data.get("auth_code"):
            # The owner's details are still missing; a name registered already is said too,
            # with the way to transfer it (which needs no owner).
            _domain_free(form)
        if valid and account is None and not limits.take_anonymous_order(request):
            form.add_error(
                None,
                _(
                    "Too many orders from new customers right now. Please try again in an "
                    "hour, or log in to order into your billing account."
                ),
            )
            status = 429
        elif valid and not _domain_free(form):
            pass  # said on the form: the domain is registered already
        elif valid:
            try:
                service = _place(request, form, account)
            except EmailAlreadyRegistered:
                # The first POST of a double submit may have committed since the check above.
                first = _first_order(request, token, tariff) if token is not None else None
                if first is not None:
                    return first
                # The message is words only; the link is the "Log in first" button beside it.
                login_url = (
                    f"{reverse('panel:login')}?{urlencode({'next': request.path}, safe='/')}"
                )
                form.add_error(
                    "email",
                    _("An account with this email already exists. Please log in to continue."),
                )
                form.login_url = login_url  # type: ignore[attr-defined]
            except ValidationError as exc:
                _show(exc, form, owner_form)
            except OfferError as exc:
                # Another version came into force since the form was shown: show that one,
                # to be read and accepted again.
                form = _offer_again(form, str(exc))
            except ServiceError as exc:
                form.add_error(None, str(exc))
            except IntegrityError:
                # A concurrent double submit lost the race; the winner's order is the order.
                first = _first_order(request, token, tariff) if token is not None else None
                if first is not None:
                    return first
                if not Service.objects.filter(order_token=token).exists():
                    raise
                # Someone else's order has this token (their form, seen over their shoulder).
                form.add_error(None, _("This order form was already used."))
            else:
                return redirect("panel:order_done", token=service.order_token)
    return render(
        request,
        "panel/order.html",
        {
            "form": form,
            "owner_form": owner_form,
            "tariff": tariff,
            "logged_in": logged_in,
            "account": account,
        },
        status=status,
    )


def _owner_checked(form: OrderForm, owner_form: OrderOwnerForm | None) -> bool:
    """Check the new customer's domain owner, when the order registers a domain, by the
    domains app's own rules before anything is created; keep the profile's details on
    `form.owner` for _place, or put the messages on the fields and say False."""
    if owner_form is None or not form.needs_owner():
        return True
    if not owner_form.is_valid():
        return False
    order = form.cleaned_data
    if form.account is not None:  # a customer without a profile: the account's own details
        account = form.account
        order = {
            "kind": account.kind,
            "name": account.name,
            "email": account.contact_email,
            "phone": account.phone,
            "inn": account.inn,
            "kpp": account.kpp,
            "address": account.address,
        }
    details = owner_form.owner_details(order)
    try:
        check_contact_profile(**details)
    except ValidationError as exc:
        owner_form.show_on(exc, form)
        return False
    form.owner = details
    return True


def _show(exc: ValidationError, form: OrderForm, owner_form: OrderOwnerForm | None) -> None:
    """An action's messages on the fields they name (the owner's on the owner's form)."""
    if owner_form is not None and form.owner is not None:
        owner_form.show_on(exc, form)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _first_order(request: HttpRequest, token: uuid.UUID, tariff: Tariff) -> HttpResponse | None:
    """The confirmation of the order this form's token already placed, if it placed one for
    this visitor; None to go on with the form."""
    service = Service.objects.select_related("billing_account").filter(order_token=token).first()
    if service is None or not (_may_see(request, service) or _same_order(request, service, tariff)):
        return None
    _remember(request, service)
    return redirect("panel:order_done", token=token)


def _same_order(request: HttpRequest, service: Service, tariff: Tariff) -> bool:
    """A repeat of the order's own form from a browser whose session does not know the order
    yet: the same tariff, and (for a new customer) the same contact email. The token alone is
    not enough, since it also stands in the confirmation page's address."""
    if service.tariff_id != tariff.pk or request.user.is_authenticated:
        return False
    email = request.POST.get("email", "").strip().lower()
    return bool(email) and email == service.billing_account.contact_email.lower()


def _token(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get("order_token", ""))
    except ValueError:
        return None


def _place(request: HttpRequest, form: OrderForm, account: BillingAccount | None) -> Service:
    """The order in one transaction: a new customer's billing account and their domain
    owner's contact profile, the services and invoice, the domain's owner for the registrar.
    Any refusal rolls all of it back."""
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
        items = [OrderItem(data["price"], data.get("identifier", ""), data.get("csr") or "")]
        if form.domain_price is not None:  # "also register this domain": the same order
            items.append(OrderItem(form.domain_price, data["identifier"]))
        service, *domain = place_orders(
            billing_account=account, items=items, order_token=data["order_token"]
        )
        # The offer's acceptance, with the order: version, time, address, browser.
        accept_offer(
            billing_account=account,
            offer_id=data.get("offer"),
            ip_address=limits.client_address(request),
            user_agent=request.headers.get("User-Agent", ""),
            order_token=data["order_token"],
        )
        owner = data.get("contact_profile")
        if form.owner is not None:  # a new customer's domain owner: the account's first profile
            owner = create_contact_profile(billing_account=account, **form.owner)
        auth_code = (data.get("auth_code") or "").strip()
        if domain:  # its owner, for the registrar (in the order's transaction)
            set_domain_details(service=domain[0], contact_profile=owner)
        elif form.is_domain and (owner is not None or auth_code):
            # A transfer in when the order carries the code (kept encrypted).
            set_domain_details(service=service, contact_profile=owner, auth_code=auth_code)
    _remember(request, service)
    return service


def _offer_again(form: OrderForm, message: str) -> OrderForm:
    """The posted form again, with the offer now in force, its box unticked and `message`
    beside it."""
    data = QueryDict(mutable=True)
    data.update(form.data)
    data.pop("accept_offer", None)
    data["offer"] = str(form.public_offer.pk) if form.public_offer else ""
    again = OrderForm(
        data, tariff=form.tariff, logged_in=form.logged_in, account=form.account, initial={}
    )
    again.is_valid()
    again.errors["accept_offer"] = again.error_class([message])
    return again


def _domain_free(form: OrderForm) -> bool:
    """Ask the zone's registrar whether the domain to register (with a hosting, or on its own)
    is free, outside any transaction; a taken one is said on the form (on its own: with the
    way to transfer it). Unknown counts as free: a name taken meanwhile is refunded when the
    registry refuses it. A transfer (an auth code given) wants the name taken."""
    if form.domain_price is None and form.is_domain and not form.cleaned_data.get("auth_code"):
        (answer,) = availability.check([(form.tariff, form.cleaned_data["identifier"])])
        if answer.available is False:
            form.add_error(
                "identifier",
                _(
                    "The domain %(name)s is already registered. If it is yours, enter the "
                    "transfer code from its registrar to transfer it here."
                )
                % {"name": answer.name},
            )
            return False
        return True
    if form.domain_price is None:
        return True
    (answer,) = availability.check([(form.domain_price.tariff, form.cleaned_data["identifier"])])
    if answer.available is False:
        form.add_error(
            "register_domain",
            _(
                "The domain %(name)s is already registered. If it is yours, order the hosting "
                "without registering it and point its nameservers here."
            )
            % {"name": answer.name},
        )
        return False
    return True


def _remember(request: HttpRequest, service: Service) -> None:
    orders = request.session.get(SESSION_ORDERS, [])
    if str(service.order_token) in orders:
        return
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
