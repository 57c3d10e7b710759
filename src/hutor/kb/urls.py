"""The public help pages, under /help/ (hutor/urls.py)."""

from django.urls import path

from hutor.kb import views

app_name = "kb"

urlpatterns = [
    path("", views.index, name="index"),
    path("suggest/", views.suggest, name="suggest"),
    path("<slug:slug>/", views.article, name="article"),
    path("<slug:slug>/vote/", views.vote, name="vote"),
]
