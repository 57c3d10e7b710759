from allauth.account import views as account_views
from django.urls import path

from hutor.panel import ordering
from hutor.panel.views import (
    balance,
    bank,
    cancellations,
    contacts,
    domains,
    home,
    invoices,
    payments,
    profile,
    public,
    public_invoice,
    services,
    support,
)

app_name = "panel"

urlpatterns = [
    path("", public.storefront, name="storefront"),
    path("offer/", public.offer, name="offer"),
    path("offer/<path:number>/", public.offer, name="offer_version"),  # numbers may hold "/"
    path("domains/", domains.domain_search, name="domain_search"),
    # allauth's views, also named account_login and account_logout (hutor.panel.auth_urls).
    path("login/", account_views.login, name="login"),
    path("logout/", account_views.logout, name="logout"),
    path("panel/", home.home, name="home"),
    # An invoice's public page, from the invoice email (invoices.links signs the token).
    path("invoice/<str:token>/", public_invoice.public_invoice, name="invoice_public"),
    path("invoice/<str:token>/pay/", public_invoice.public_invoice_pay, name="invoice_public_pay"),
    path("panel/services/", services.service_list, name="services"),
    path("panel/services/<int:pk>/", services.service_detail, name="service_detail"),
    path("panel/services/<int:pk>/renew/", services.service_renew, name="service_renew"),
    path(
        "panel/services/<int:pk>/tariff/",
        services.service_change_tariff,
        name="service_change_tariff",
    ),
    path(
        "panel/services/<int:pk>/auto-renew/",
        services.service_auto_renew,
        name="service_auto_renew",
    ),
    path("panel/services/<int:pk>/cancel/", services.service_cancel, name="service_cancel"),
    path(
        "panel/services/<int:pk>/cancel-service/",
        cancellations.service_cancel_refund,
        name="service_cancel_refund",
    ),
    path(
        "panel/services/<int:pk>/password/",
        services.service_reset_password,
        name="service_reset_password",
    ),
    path("panel/services/<int:pk>/log-in/", services.service_log_in, name="service_log_in"),
    path("panel/services/<int:pk>/domain/sync/", domains.domain_sync, name="domain_sync"),
    path(
        "panel/services/<int:pk>/domain/nameservers/",
        domains.domain_nameservers,
        name="domain_nameservers",
    ),
    path(
        "panel/services/<int:pk>/domain/transfer-code/",
        domains.domain_transfer_code,
        name="domain_transfer_code",
    ),
    path("panel/services/<int:pk>/domain/lock/", domains.domain_lock, name="domain_lock"),
    path(
        "panel/services/<int:pk>/certificate/check/",
        services.service_certificate_check,
        name="service_certificate_check",
    ),
    path(
        "panel/services/<int:pk>/certificate/<str:kind>",
        services.service_certificate,
        name="service_certificate",
    ),
    path("panel/invoices/", invoices.invoice_list, name="invoices"),
    path("panel/invoices/<str:number>/", invoices.invoice_detail, name="invoice_detail"),
    path("panel/invoices/<str:number>/pdf/", invoices.invoice_pdf, name="invoice_pdf"),
    path("panel/invoices/<str:number>/pay/", invoices.invoice_pay, name="invoice_pay"),
    path("panel/top-up/", payments.top_up, name="top_up"),
    path("panel/payments/", payments.payment_list, name="payments"),
    path("panel/payments/<str:number>/", payments.payment_detail, name="payment_detail"),
    path("panel/payments/<str:number>/document/", bank.payment_document, name="payment_document"),
    path(
        "panel/payments/<str:number>/document.pdf",
        bank.payment_document_pdf,
        name="payment_document_pdf",
    ),
    path("panel/payments/<str:number>/pay/", payments.payment_pay, name="payment_pay"),
    path("panel/balance/", balance.balance_history, name="balance"),
    path("panel/balance.csv", balance.balance_csv, name="balance_csv"),
    path("panel/balance.xlsx", balance.balance_xlsx, name="balance_xlsx"),
    path("panel/balance/reconciliation/", balance.reconciliation, name="reconciliation"),
    path("panel/balance/documents/", balance.closing_documents, name="closing_documents"),
    path(
        "panel/balance/documents/<int:pk>/<str:form>.pdf",
        balance.closing_document_pdf,
        name="closing_document_pdf",
    ),
    path(
        "panel/balance/documents/<int:pk>.xml",
        balance.closing_document_xml,
        name="closing_document_xml",
    ),
    path(
        "panel/balance/documents/advance/<int:pk>.xml",
        balance.advance_invoice_xml,
        name="advance_invoice_xml",
    ),
    path(
        "panel/balance/documents/advance/<int:pk>.pdf",
        balance.advance_invoice_pdf,
        name="advance_invoice_pdf",
    ),
    path("panel/profile/", profile.profile, name="profile"),
    path("panel/profile/email/", profile.profile_email, name="profile_email"),
    path(
        "panel/profile/email/<str:token>/",
        profile.profile_email_confirm,
        name="profile_email_confirm",
    ),
    path("panel/contacts/", contacts.contact_list, name="contacts"),
    path("panel/contacts/new/", contacts.contact_create, name="contact_create"),
    path("panel/contacts/<int:pk>/", contacts.contact_edit, name="contact_edit"),
    path("panel/contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("panel/support/", support.ticket_list, name="tickets"),
    path("panel/support/new/", support.ticket_create, name="ticket_create"),
    path("panel/support/<str:number>/", support.ticket_detail, name="ticket_detail"),
    path("panel/support/<str:number>/close/", support.ticket_close, name="ticket_close"),
    path("panel/support/<str:number>/files/<int:pk>/", support.ticket_file, name="ticket_file"),
    # Before the order form's pattern, which would otherwise read "done" as a service type.
    path("order/done/<uuid:token>/", ordering.order_done, name="order_done"),
    path("order/<slug:type_code>/<slug:tariff_code>/", ordering.order, name="order"),
    path("activate/<uidb64>/<token>/", ordering.ActivateView.as_view(), name="activate"),
]
