"""The knowledge base's one search function, on either database.

`search(query)` returns published articles, best first. The query is cut into words (letters
and digits only, so no quote, bracket or operator of either database's query language ever
reaches it), at most MAX_WORDS of them from the first MAX_QUERY characters, stop words such
as "не", "как", "the" left out. Each word is matched as a *stemmed prefix*: "оплатить" and
"оплата" share the stem "оплат", "paying" and "payment" share "pay", and a half-typed word
("опла") already finds its article while a customer types. All words must match; when that
finds nothing, any word may (fewer results beat none on a help page), ranked by how well they
match.

- PostgreSQL: full-text search with Russian stemming for the Russian texts
  (to_tsvector('russian', ...)) and English for the English ones, the title weighted above the
  text; GIN expression indexes (migration 0002, PostgreSQL only) serve the `@@` below, so the
  expressions here must stay exactly as in that migration. Words go to to_tsquery as
  `word:*`, stemmed there by the same configuration.
- SQLite: an FTS5 table (migration 0002, SQLite only) holding the Snowball stems of every
  article's titles and texts, kept in step by kb.actions (`index`); the query's words are
  stemmed by the same Snowball stemmers (Russian for Cyrillic words, English otherwise) and
  matched as FTS5 prefix strings; bm25 ranks them with the title weighted ten times.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from django.db import connection

from hutor.kb.models import Article, ArticleStatus
from hutor.kb.stopwords import STOPWORDS

MAX_QUERY = 200  # characters of a query looked at; the rest is ignored
MAX_WORDS = 8
MIN_WORD = 2  # a one-letter prefix would match half the texts

_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яё]")

# The indexed expressions (kb/migrations/0002_search.py builds the same ones on PostgreSQL).
PG_RU = (
    "(setweight(to_tsvector('russian'::regconfig, title_ru), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, body_ru), 'B'))"
)
PG_EN = (
    "(setweight(to_tsvector('english'::regconfig, title_en), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body_en), 'B'))"
)


@dataclass
class Result:
    """What a search gives a page: the words it looked for (empty when the query had none it
    can search by) and the articles found, best first."""

    query: str
    words: list[str] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    all_words: bool = True  # False: nothing had every word, these have some

    @property
    def searched(self) -> bool:
        return bool(self.words)


def words(query: str) -> list[str]:
    """The searchable words of a query, lowercased, ё as е, in order, without repeats and
    without stop words (kb/stopwords.py)."""
    query = query or ""
    text = query[:MAX_QUERY]
    if len(query) > MAX_QUERY and not query[MAX_QUERY].isspace() and " " in text:
        text = text.rsplit(" ", 1)[0]  # not half of the word the cut falls in
    seen: list[str] = []
    for word in _WORD.findall(text.lower().replace("ё", "е")):
        if len(word) >= MIN_WORD and word not in seen and word not in STOPWORDS:
            seen.append(word)
    return seen[:MAX_WORDS]


_STEMMERS = threading.local()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A word's Snowball stem: Russian for a word with Cyrillic letters, English otherwise.

    A stemmer object keeps state while it stems, so each thread has its own (web requests run
    in threads); stems are cached, a text repeats its words."""
    language = "russian" if _CYRILLIC.search(word) else "english"
    stemmers = _STEMMERS.__dict__
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(language)
    return str(stemmers[language].stemWord(word))


def stems_of(text: str) -> str:
    """A text as the SQLite search table stores it: the stems of its words, space-separated."""
    return " ".join(stem(w) for w in _WORD.findall((text or "").lower().replace("ё", "е")))


def search(query: str, *, limit: int = 20) -> Result:
    """Published articles matching `query`, best first (at most `limit`)."""
    result = Result(query=(query or "").strip()[:MAX_QUERY], words=words(query))
    if not result.words:
        return result
    run = _postgres if connection.vendor == "postgresql" else _sqlite
    ids = run(result.words, every=True, limit=limit)
    if not ids:
        ids = run(result.words, every=False, limit=limit)
        result.all_words = False
    found = Article.objects.select_related("category").in_bulk(ids)
    result.articles = [found[pk] for pk in ids if pk in found]
    return result


def _postgres(found_words: list[str], *, every: bool, limit: int) -> list[int]:
    # Each word is letters and digits only (see `words`): `word:*` cannot be an operator.
    tsquery = (" & " if every else " | ").join(f"{w}:*" for w in found_words)
    sql = f"""
        SELECT id FROM (
            SELECT a.id, a.position,
                   GREATEST(
                       CASE WHEN {PG_RU} @@ q_ru THEN ts_rank({PG_RU}, q_ru) ELSE 0 END,
                       CASE WHEN {PG_EN} @@ q_en THEN ts_rank({PG_EN}, q_en) ELSE 0 END
                   ) AS rank
            FROM kb_article a,
                 to_tsquery('russian'::regconfig, %s) q_ru,
                 to_tsquery('english'::regconfig, %s) q_en
            WHERE a.status = %s AND ({PG_RU} @@ q_ru OR {PG_EN} @@ q_en)
        ) hits
        ORDER BY rank DESC, position, id
        LIMIT %s
    """  # noqa: S608  # the f-string inserts only the constant expressions above
    with connection.cursor() as cursor:
        cursor.execute(sql, [tsquery, tsquery, ArticleStatus.PUBLISHED, limit])
        return [row[0] for row in cursor.fetchall()]


def _sqlite(found_words: list[str], *, every: bool, limit: int) -> list[int]:
    # A stem is letters and digits only; as a quoted FTS5 string it cannot be an operator.
    match = (" AND " if every else " OR ").join(f'"{stem(w)}"*' for w in found_words)
    # Two rows per article (Russian and English); the best one ranks it. bm25 cannot sit in an
    # aggregate, so the rows are ranked here (a help center has hundreds of articles, not more).
    sql = """
        SELECT article_id, bm25(kb_search, 10.0, 1.0) FROM kb_search
        WHERE kb_search MATCH %s ORDER BY 2 LIMIT 1000
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [match])
        scores: dict[int, float] = {}
        for article_id, score in cursor.fetchall():
            scores.setdefault(int(article_id), float(score))  # lower bm25 is better
    published = Article.objects.filter(pk__in=scores, status=ArticleStatus.PUBLISHED)
    rows = published.values_list("pk", "position")
    ranked = sorted(rows, key=lambda row: (scores[row[0]], row[1], row[0]))
    return [pk for pk, _position in ranked[:limit]]


def index(article: Article) -> None:
    """Put an article's texts in the SQLite search table (replacing what was there); nothing
    to do on PostgreSQL, whose indexes follow the rows. Called by kb.actions only, inside
    their transaction, so the table and the articles never disagree."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kb_search WHERE article_id = %s", [article.pk])
        for language in ("ru", "en"):
            cursor.execute(
                "INSERT INTO kb_search (title, body, article_id, language) VALUES (%s, %s, %s, %s)",
                [
                    stems_of(getattr(article, f"title_{language}")),
                    stems_of(getattr(article, f"body_{language}")),
                    article.pk,
                    language,
                ],
            )


def reindex_all() -> int:
    """Rebuild the SQLite search table from the articles (after a restore or a bulk load);
    returns how many articles it holds."""
    if connection.vendor != "sqlite":
        return Article.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM kb_search")
    count = 0
    for article in Article.objects.iterator():
        index(article)
        count += 1
    return count
