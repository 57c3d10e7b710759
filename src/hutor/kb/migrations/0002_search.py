"""The search structures of the knowledge base, one kind per database (see kb/search.py).

PostgreSQL: GIN indexes on the weighted tsvector of each language's title and text (Russian
stemming for the Russian columns, English for the English ones); the expressions are the ones
kb.search queries with, character for character. SQLite: an FTS5 table of the articles'
Snowball stems, written by kb.actions. Each operation does nothing on the other database.
"""

from django.db import migrations

PG_RU = (
    "(setweight(to_tsvector('russian'::regconfig, title_ru), 'A') || "
    "setweight(to_tsvector('russian'::regconfig, body_ru), 'B'))"
)
PG_EN = (
    "(setweight(to_tsvector('english'::regconfig, title_en), 'A') || "
    "setweight(to_tsvector('english'::regconfig, body_en), 'B'))"
)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX kb_article_fts_ru ON kb_article USING gin ({PG_RU})")
        schema_editor.execute(f"CREATE INDEX kb_article_fts_en ON kb_article USING gin ({PG_EN})")
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE kb_search USING fts5("
            "title, body, article_id UNINDEXED, language UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS kb_article_fts_ru")
        schema_editor.execute("DROP INDEX IF EXISTS kb_article_fts_en")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS kb_search")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
