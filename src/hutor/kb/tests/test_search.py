"""The one search function, through the public pages, on whichever database the suite runs on
(CI runs it on SQLite's FTS5 and on PostgreSQL's full-text search): Russian and English
stemming, ranking, drafts never found, hostile queries answered, the index kept in step."""

from __future__ import annotations

import pytest
from django.db import connection

from hutor.kb import actions, search

pytestmark = pytest.mark.django_db


def slugs(query: str) -> list[str]:
    return [a.slug_en for a in search.search(query).articles]


def test_the_search_runs_on_this_databases_own_full_text_search(help_center):
    assert connection.vendor in ("sqlite", "postgresql")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM kb_search WHERE article_id = %s", [help_center.payment.pk]
            )
            assert cursor.fetchone()[0] == 2  # its Russian and its English text
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'kb_article'")
            names = {row[0] for row in cursor.fetchall()}
            assert {"kb_article_fts_ru", "kb_article_fts_en"} <= names


def test_a_russian_verb_finds_the_article_about_its_noun(help_center):
    """«оплатить» finds «Оплата ...»: both stem to «оплат»; the article with it in the title
    ranks above the one that has it only in its text."""
    assert slugs("оплатить") == ["payment", "renewal"]
    assert slugs("Оплатить")[0] == "payment"
    assert slugs("продлить хостинг") == ["renewal"]
    assert slugs("тарифы") == ["tariff"]


def test_english_stemming_and_ranking(help_center):
    assert slugs("paying") == ["payment", "renewal"]
    assert slugs("payments")[0] == "payment"
    assert slugs("renewal") == ["renewal"]
    assert slugs("renew") == ["renewal"]
    assert slugs("tariffs") == ["tariff"]


def test_a_half_typed_word_already_finds_its_article(help_center):
    assert slugs("опла")[0] == "payment"
    assert slugs("tarif") == ["tariff"]


def test_every_word_is_needed_and_some_are_enough_when_none_has_all(help_center):
    result = search.search("банковским переводом")
    assert [a.slug_en for a in result.articles] == ["payment"] and result.all_words
    result = search.search("хостинг zzzzqqq")
    assert [a.slug_en for a in result.articles] == ["renewal"] and not result.all_words
    assert slugs("zzzzqqq") == []


def test_a_draft_is_never_found_until_published(help_center):
    assert "draft" not in slugs("черновик")
    actions.set_published(article=help_center.draft, published=True)
    assert slugs("черновик") == ["draft"]
    actions.set_published(article=help_center.draft, published=False)
    assert slugs("черновик") == []


def test_a_changed_article_is_found_by_its_new_words_only(help_center):
    values = {name: getattr(help_center.tariff, name) for name in actions.ARTICLE_FIELDS}
    values |= {"title_ru": "Переезд на другой сервер", "body_ru": "Перенос сайта."}
    actions.save_article(article=help_center.tariff, values=values)
    assert slugs("переезд") == ["tariff"]
    assert slugs("смена") == []  # the old Russian title is gone from the index
    assert slugs("tariff") == ["tariff"]  # the English text stayed


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        "'",
        '"оплата',
        "оплата\"'",
        "NEAR(оплата счёт)",
        "оплата AND OR NOT",
        "оплата*",
        "^оплата",
        "title:оплата",
        "оплата & | ! <-> :*",
        "a",
        "-- ; DROP TABLE kb_article;",
        "\x00оплата",
        "оплата " * 200,
        "x" * 1000,
        "🙂🙂",
    ],
)
def test_hostile_and_empty_queries_get_a_clear_answer(client, help_center, query):
    for url in ("/help/", "/help/suggest/"):
        response = client.get(url, {"q": query})
        assert response.status_code == 200, (url, query)
    result = search.search(query)
    assert result.words == search.words(query)
    if "оплата" in query and len(query) < 1000:
        assert result.articles and result.articles[0].slug_en == "payment"


def test_a_long_query_looks_at_its_first_words_only():
    assert len(search.words("слово " * 500)) == 1
    assert len(search.words(" ".join(f"w{i}" for i in range(100)))) == search.MAX_WORDS
    assert search.words("x" * 1000) == ["x" * search.MAX_QUERY]


@pytest.mark.postgres
def test_the_postgres_query_can_use_the_gin_indexes(help_center):
    """The query's expressions are the indexed ones: with scans that avoid them switched off,
    the planner answers from both GIN indexes (a table this small is otherwise read whole)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM kb_article a,"
            " to_tsquery('russian'::regconfig, 'оплат:*') q_ru,"
            f" to_tsquery('english'::regconfig, 'pay:*') q_en"
            f" WHERE ({search.PG_RU} @@ q_ru OR {search.PG_EN} @@ q_en)"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "kb_article_fts_ru" in plan and "kb_article_fts_en" in plan, plan
