"""The token pages: /desk/api-tokens/ (staff tokens) and /panel/api-tokens/ (a customer's)."""

from django.urls import path

from hutor.api import pages

app_name = "api_pages"

urlpatterns = [
    path("desk/api-tokens/", pages.staff_tokens, name="desk_tokens"),
    path("desk/api-tokens/<int:pk>/revoke/", pages.staff_token_revoke, name="desk_token_revoke"),
    path("panel/api-tokens/", pages.customer_tokens, name="panel_tokens"),
    path(
        "panel/api-tokens/<int:pk>/revoke/",
        pages.customer_token_revoke,
        name="panel_token_revoke",
    ),
]
