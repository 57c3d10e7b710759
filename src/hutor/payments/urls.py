from django.urls import path

from hutor.payments import views

app_name = "payments"

urlpatterns = [
    path("link/<str:number>/<str:token>/", views.pay_link, name="pay"),
    path(
        "link/<str:number>/<str:token>/document.pdf",
        views.pay_link_document_pdf,
        name="pay_document_pdf",
    ),
    path("<slug:slug>/result/", views.result, name="result"),
    path("<slug:slug>/success/", views.browser_return, {"outcome": "success"}, name="success"),
    path("<slug:slug>/fail/", views.browser_return, {"outcome": "fail"}, name="fail"),
    path("<slug:slug>/demo/<str:number>/", views.demo_payer, name="demo_payer"),
]
