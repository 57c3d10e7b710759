"""The staff desk, under /desk/. Every view but the login steps goes through roles.require_role."""

from django.urls import path

from hutor.backoffice.views import (
    act,
    admin,
    bank,
    kb,
    login,
    pages,
    provisioning,
    reporting,
    review,
    servers,
)
from hutor.backoffice.views import queue as queue_views

app_name = "desk"

urlpatterns = [
    path("login/", login.login_view, name="login"),
    path("login/code/", login.login_code, name="login_code"),
    path("login/setup/", login.login_setup, name="login_setup"),
    path("logout/", login.logout_view, name="logout"),
    # Search and records.
    path("", pages.home, name="home"),
    path("accounts/<str:number>/", pages.account, name="account"),
    path("accounts/<str:number>/as-customer/", pages.as_customer, name="as_customer"),
    path("invoices/<str:number>/", pages.invoice, name="invoice"),
    path("services/<int:pk>/", pages.service, name="service"),
    path("payments/<str:number>/", pages.payment, name="payment"),
    path("audit/", pages.audit, name="audit"),
    path("payments-to-check/", review.needs_review, name="needs_review"),
    # Actions on a billing account.
    path("accounts/<str:number>/notes/", act.note_add, name="note_add"),
    path("accounts/<str:number>/activation/", act.resend_activation, name="resend_activation"),
    path("accounts/<str:number>/email/", act.change_email, name="change_email"),
    path("accounts/<str:number>/order/", act.order, name="order"),
    path("accounts/<str:number>/payment-link/", act.payment_link, name="payment_link"),
    path("accounts/<str:number>/bank-payment/", act.manual_payment, name="manual_payment"),
    path("accounts/<str:number>/adjust/", act.adjust, name="adjust"),
    path("accounts/<str:number>/refund/", act.refund_balance, name="refund_balance"),
    path("emails/<int:pk>/resend/", act.email_resend, name="email_resend"),
    path("invoices/<str:number>/cancel/", act.invoice_cancel, name="invoice_cancel"),
    path("invoices/<str:number>/resend/", act.invoice_resend, name="invoice_resend"),
    path("payments/<str:number>/refund/", act.refund_gateway, name="refund_gateway"),
    path("payments/<str:number>/refunds/<int:pk>/retry/", review.refund_retry, name="refund_retry"),
    path(
        "payments/<str:number>/refunds/<int:pk>/resolve/",
        review.refund_resolve,
        name="refund_resolve",
    ),
    path("payments/<str:number>/reviewed/", review.payment_review, name="payment_review"),
    path("services/<int:pk>/renew/", act.service_renew, name="service_renew"),
    path("services/<int:pk>/suspend/", act.service_suspend, name="service_suspend"),
    path("services/<int:pk>/unsuspend/", act.service_unsuspend, name="service_unsuspend"),
    path("services/<int:pk>/terminate/", act.service_terminate, name="service_terminate"),
    path("services/<int:pk>/extend/", act.service_extend, name="service_extend"),
    path(
        "services/<int:pk>/create-again/",
        provisioning.service_rerun_create,
        name="service_rerun_create",
    ),
    path("services/<int:pk>/sync/", provisioning.service_sync, name="service_sync"),
    path(
        "services/<int:pk>/log-in/",
        provisioning.service_control_panel,
        name="service_control_panel",
    ),
    # Bank: statements, their reports, the queue of incoming payments nobody's yet.
    path("bank/", bank.overview, name="bank"),
    path("bank/upload/", bank.upload, name="bank_upload"),
    path("bank/record/", bank.record, name="bank_record"),
    path("bank/statements/<int:pk>/", bank.statement, name="bank_statement"),
    path("bank/queue/", bank.queue, name="bank_queue"),
    path("bank/lines/<int:pk>/assign/", bank.assign, name="bank_assign"),
    path("bank/lines/<int:pk>/not-ours/", bank.not_ours, name="bank_not_ours"),
    path("queue/", queue_views.failed_work, name="queue"),
    path("queue/<slug:kind>/<int:pk>/retry/", queue_views.retry, name="queue_retry"),
    path("queue/task/<int:pk>/done/", queue_views.complete, name="queue_complete"),
    # The knowledge base: help articles and their categories.
    path("kb/", kb.articles, name="kb"),
    path("kb/new/", kb.article_edit, name="kb_article_add"),
    path("kb/<int:pk>/", kb.article, name="kb_article"),
    path("kb/<int:pk>/edit/", kb.article_edit, name="kb_article_edit"),
    path("kb/<int:pk>/publish/", kb.article_publish, {"publish": True}, name="kb_publish"),
    path("kb/<int:pk>/unpublish/", kb.article_publish, {"publish": False}, name="kb_unpublish"),
    path("kb/categories/new/", kb.category_edit, name="kb_category_add"),
    path("kb/categories/<int:pk>/", kb.category_edit, name="kb_category_edit"),
    # Reports.
    path("reports/", reporting.overview, name="reports"),
    path("reports/<slug:slug>/", reporting.report, name="report"),
    # Administration.
    path("admin/staff/", admin.staff_list, name="staff"),
    path("admin/staff/new/", admin.staff_create, name="staff_create"),
    path("admin/staff/<int:pk>/", admin.staff_update, name="staff_update"),
    path("admin/staff/<int:pk>/authenticator/", admin.staff_reset_totp, name="staff_reset_totp"),
    path("admin/catalog/", admin.catalog, name="catalog"),
    path("admin/catalog/tariffs/<int:pk>/", admin.tariff_toggle, name="tariff_toggle"),
    path("admin/payment-methods/", admin.payment_methods, name="payment_methods"),
    path(
        "admin/payment-methods/<int:pk>/",
        admin.payment_method_toggle,
        name="payment_method_toggle",
    ),
    path("admin/provider/", admin.provider, name="provider"),
    path("admin/servers/", servers.servers, name="servers"),
    path("admin/servers/new/", servers.server_edit, name="server_add"),
    path("admin/servers/<int:pk>/", servers.server_edit, name="server_edit"),
    path("admin/server-groups/", servers.server_groups, name="server_groups"),
    path("admin/server-groups/new/", servers.server_group_edit, name="server_group_add"),
    path("admin/server-groups/<int:pk>/", servers.server_group_edit, name="server_group_edit"),
]
