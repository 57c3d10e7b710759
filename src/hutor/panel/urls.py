from django.contrib.auth import views as auth_views
from django.urls import path

from hutor.panel import ordering, views

app_name = "panel"

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("panel/", views.home, name="home"),
    # Before the order form's pattern, which would otherwise read "done" as a service type.
    path("order/done/<uuid:token>/", ordering.order_done, name="order_done"),
    path("order/<slug:type_code>/<slug:tariff_code>/", ordering.order, name="order"),
    path("activate/<uidb64>/<token>/", ordering.ActivateView.as_view(), name="activate"),
]
