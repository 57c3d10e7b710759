"""The desk's forms for the knowledge base: an article in both languages, a category."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hutor.backoffice.forms import ReasonForm
from hutor.core.forms import IdChoiceField
from hutor.kb.models import Category

SLUG_HELP = _("Latin letters, digits and hyphens: /help/<address>/.")


class ArticleForm(ReasonForm):
    category = IdChoiceField(label=_("Category"), queryset=Category.objects.all())
    title_ru = forms.CharField(label=_("Title in Russian"), max_length=200)
    slug_ru = forms.SlugField(label=_("Address in Russian"), max_length=120, help_text=SLUG_HELP)
    body_ru = forms.CharField(
        label=_("Text in Russian (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        max_length=50_000,
    )
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    slug_en = forms.SlugField(label=_("Address in English"), max_length=120, help_text=SLUG_HELP)
    body_en = forms.CharField(
        label=_("Text in English (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        max_length=50_000,
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)


class CategoryForm(ReasonForm):
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=120)
    name_en = forms.CharField(label=_("Name in English"), max_length=120)
    slug = forms.SlugField(label=_("Address"), max_length=64)
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)


class PublishForm(ReasonForm):
    pass
