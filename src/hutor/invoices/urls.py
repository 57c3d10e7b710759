from django.urls import path

from hutor.invoices import views

app_name = "invoices"

urlpatterns = [
    path("invoice/<str:token>/pdf/", views.public_invoice_pdf, name="public_pdf"),
]
