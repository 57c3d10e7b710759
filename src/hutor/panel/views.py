from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hutor.accounts.models import BillingAccount
from hutor.catalog import queries as catalog_queries
from hutor.ledger import queries as ledger_queries
from hutor.panel.auth_forms import EmailAuthenticationForm


def storefront(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/storefront.html", {"service_types": catalog_queries.storefront()})


class LoginView(auth_views.LoginView):
    template_name = "panel/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    account = BillingAccount.objects.filter(user_id=request.user.pk or 0).first()
    context: dict[str, object] = {"account": account}
    if account is not None:
        context["balance"] = ledger_queries.balance(account)
        context["total_credited"] = ledger_queries.total_credited(account)
    return render(request, "panel/home.html", context)
