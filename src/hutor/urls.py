from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = _("Hutor administration")
admin.site.site_title = _("Hutor")
admin.site.index_title = _("Billing administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    # Pages without a <link rel="icon"> (print pages, the admin) make browsers ask for this.
    path("favicon.ico", RedirectView.as_view(url=static("hutor/favicon.svg"), permanent=True)),
    path("desk/", include("hutor.backoffice.urls")),
    path("api/v1/", include("hutor.api.urls")),
    path("", include("hutor.api.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("hutor.invoices.urls")),
    path("pay/", include("hutor.payments.urls")),
    path("help/", include("hutor.kb.urls")),
    path("", include("hutor.panel.urls")),
    path("", include("hutor.panel.auth_urls")),
]
