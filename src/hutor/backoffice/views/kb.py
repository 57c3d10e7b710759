"""The desk's pages for the knowledge base: the list of articles and categories, writing an
article in both languages, publishing it. Support and everyone above may write (roles.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from hutor.backoffice import roles
from hutor.backoffice.actions import kb as kb_actions
from hutor.backoffice.kb_forms import ArticleForm, CategoryForm, PublishForm
from hutor.backoffice.views.common import action_page, render_desk, staff_of
from hutor.kb import guide
from hutor.kb.actions import ARTICLE_FIELDS, CATEGORY_FIELDS
from hutor.kb.markdown import render
from hutor.kb.models import Article, Category


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@roles.require_role("support")
def articles(request: HttpRequest) -> HttpResponse:
    rows = (
        Article.objects.select_related("category")
        .annotate(
            yes=Count("votes", filter=Q(votes__helpful=True)),
            no=Count("votes", filter=Q(votes__helpful=False)),
        )
        .order_by("category__position", "category_id", "position", "id")
    )
    return render_desk(
        request,
        "backoffice/kb/articles.html",
        {"articles": rows, "categories": Category.objects.all()},
    )


@roles.require_action("kb.edit")
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk) if pk else None
    initial = {name: getattr(article, name) for name in ARTICLE_FIELDS} if article else {}
    form = ArticleForm(_post(request), initial=initial)

    def perform(data: dict[str, Any]) -> tuple[str, str]:
        saved = kb_actions.save_article(
            staff=staff_of(request),
            article=article,
            values={name: data[name] for name in ARTICLE_FIELDS},
            reason=data["reason"],
        )
        message = _("The article «%(title)s» is saved.") % {"title": saved.title}
        return message, reverse("desk:kb_article", args=[saved.pk])

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:kb_article", args=[article.pk]) if article else reverse("desk:kb"),
        title=_("Change a help article") if article else _("Write a help article"),
        subject=article.title if article else "",
        intro=_(
            "Markdown: **bold**, *italic*, [a link](https://...), lists, tables. HTML is shown "
            "as text. A new article is a draft until it is published."
        ),
        button=_("Save"),
    )


@roles.require_role("support")
def article(request: HttpRequest, pk: int) -> HttpResponse:
    """An article as it reads in both languages, with its state and buttons."""
    found = get_object_or_404(Article.objects.select_related("category"), pk=pk)
    votes = found.votes.aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    return render_desk(
        request,
        "backoffice/kb/article.html",
        {
            "article": found,
            "html_ru": render(found.body_ru),
            "html_en": render(found.body_en),
            "votes": votes,
            "shipped": guide.pending(found),
        },
    )


@roles.require_action("kb.guide")
def article_guide(request: HttpRequest, pk: int, take: bool) -> HttpResponse:
    """A guide article staff edited and a newer shipped text: take it, or keep theirs."""
    found = get_object_or_404(Article, pk=pk)
    form = PublishForm(_post(request))

    def perform(data: dict[str, Any]) -> str:
        kb_actions.answer_shipped_text(
            staff=staff_of(request), article=found, take=take, reason=data["reason"]
        )
        if take:
            return _("The article «%(title)s» now has the shipped text.") % {"title": found.title}
        return _("The article «%(title)s» keeps your text.") % {"title": found.title}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:kb_article", args=[found.pk]),
        title=_("Take the shipped text") if take else _("Keep your text"),
        subject=found.title,
        intro=_("Your edit of this article is replaced by the text shipped with Hutor.")
        if take
        else _("The article keeps your edit; this shipped text is not offered again."),
        button=_("Take the shipped text") if take else _("Keep your text"),
        danger=take,
    )


@roles.require_action("kb.publish")
def article_publish(request: HttpRequest, pk: int, publish: bool) -> HttpResponse:
    found = get_object_or_404(Article, pk=pk)
    form = PublishForm(_post(request))

    def perform(data: dict[str, Any]) -> str:
        kb_actions.publish_article(
            staff=staff_of(request), article=found, published=publish, reason=data["reason"]
        )
        if publish:
            return _("The article «%(title)s» is on the help pages.") % {"title": found.title}
        return _("The article «%(title)s» is taken off the help pages.") % {"title": found.title}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:kb_article", args=[found.pk]),
        title=_("Publish the article") if publish else _("Take the article off"),
        subject=found.title,
        intro=_("Visitors of the help pages see it and find it in search.")
        if publish
        else _("It goes back to the drafts: the help pages and search no longer show it."),
        button=_("Publish") if publish else _("Take off"),
        danger=not publish,
    )


@roles.require_action("kb.category")
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk) if pk else None
    initial = {name: getattr(category, name) for name in CATEGORY_FIELDS} if category else {}
    form = CategoryForm(_post(request), initial=initial)

    def perform(data: dict[str, Any]) -> str:
        saved = kb_actions.save_category(
            staff=staff_of(request),
            category=category,
            values={name: data[name] for name in CATEGORY_FIELDS},
            reason=data["reason"],
        )
        return _("The category «%(name)s» is saved.") % {"name": saved.name}

    return action_page(
        request,
        form=form,
        perform=perform,
        done_url=reverse("desk:kb"),
        title=_("Change a help category") if category else _("Add a help category"),
        subject=category.name if category else "",
        button=_("Save"),
    )
