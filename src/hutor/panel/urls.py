from django.contrib.auth import views as auth_views
from django.urls import path

from hutor.panel import views

app_name = "panel"

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("panel/", views.home, name="home"),
]
