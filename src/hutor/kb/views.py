"""The public help pages (/help/): no login. Categories and their articles, the search, an
article in the reader's language with "was this helpful", and the suggestions a ticket form
asks for while a customer types (/help/suggest/?q=, JSON or an HTML fragment)."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hutor.kb import actions, guide, search
from hutor.kb.markdown import plain
from hutor.kb.markdown import render as render_markdown
from hutor.kb.models import Article, ArticleStatus, Category
from hutor.panel import limits

SUGGESTIONS = 5
VOTES_KEY = "kb_votes"  # {article id: "yes" | "no"} in the visitor's session, to show the answer


def _published() -> Q:
    return Q(status=ArticleStatus.PUBLISHED)


def _too_many(request: HttpRequest) -> HttpResponse:
    message = _("Too many searches from your address. Try again in an hour.")
    if request.path.startswith(reverse("kb:suggest")):
        return JsonResponse({"error": message, "results": []}, status=429)
    return render(request, "kb/index.html", {"limited": message, "query": ""}, status=429)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    context: dict[str, object] = {"query": query[: search.MAX_QUERY]}
    if query.strip():
        if not limits.take_kb_search(request):
            return _too_many(request)
        result = search.search(query)
        for article in result.articles:
            article.snippet = plain(article.body)  # type: ignore[attr-defined]
        context["result"] = result
    else:
        articles = Article.objects.filter(_published()).order_by("position", "id")
        context["categories"] = [
            category
            for category in Category.objects.prefetch_related(
                Prefetch("articles", queryset=articles, to_attr="published")
            )
            if category.published
        ]
    return render(request, "kb/index.html", context)


def _article_by_slug(slug: str) -> Article:
    queryset = Article.objects.select_related("category").filter(_published())
    return get_object_or_404(queryset, Q(slug_ru=slug) | Q(slug_en=slug))


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = _article_by_slug(slug)
    if slug != found.slug:  # the other language's address: to this language's one
        return redirect("kb:article", slug=found.slug)
    related = (
        Article.objects.filter(_published(), category=found.category)
        .exclude(pk=found.pk)
        .order_by("position", "id")[:6]
    )
    return render(
        request,
        "kb/article.html",
        {
            "article": found,
            "html": guide.phone_pictures(render_markdown(found.body)),
            "related": related,
            "answer": request.session.get(VOTES_KEY, {}).get(str(found.pk)),
        },
    )


@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    """Count "was this helpful": one vote per article and visitor session; answering again
    changes the vote (kb.actions.vote)."""
    found = _article_by_slug(slug)
    answer = request.POST.get("helpful", "")
    if answer not in ("yes", "no"):
        return HttpResponseBadRequest(_("Answer yes or no."))
    if not request.session.session_key:
        request.session.save()  # a first visit: the session that the vote is counted for
    session_key = request.session.session_key or ""
    actions.vote(article=found, session_key=session_key, helpful=answer == "yes")
    votes = dict(request.session.get(VOTES_KEY, {}))
    votes[str(found.pk)] = answer
    request.session[VOTES_KEY] = votes
    if request.headers.get("HX-Request"):
        return render(request, "kb/_vote.html", {"article": found, "answer": answer})
    return redirect(reverse("kb:article", kwargs={"slug": found.slug}) + "#helpful")


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Up to five articles for what a customer is typing (a ticket's subject): JSON
    {"query", "results": [{"title", "url"}]}, or with ?format=html or an htmx request a list
    fragment to put under the field."""
    if not limits.take_kb_search(request):
        return _too_many(request)
    result = search.search(request.GET.get("q", ""), limit=SUGGESTIONS)
    rows = [
        {"title": a.title, "url": reverse("kb:article", kwargs={"slug": a.slug})}
        for a in result.articles
    ]
    if request.GET.get("format") == "html" or request.headers.get("HX-Request"):
        return render(request, "kb/_suggestions.html", {"rows": rows, "result": result})
    return JsonResponse({"query": result.query, "results": rows})
