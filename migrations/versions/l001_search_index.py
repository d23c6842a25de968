"""listing sort key, search index (FTS5 on SQLite, tsvector + unaccent on PostgreSQL), catalogue version

Revision ID: l001
Revises: 0001
Create Date: 2026-11-29 00:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "l001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("sort_key", sa.String(length=120), nullable=False,
                                   server_default=""))
        batch.create_index("ix_listings_sort_key", ["sort_key"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        # Word tokens go through unaccent first, then the French Snowball stemmer (with its
        # stop words): the same pipeline catalogue.search.text applies in Python for SQLite.
        op.execute(
            "DO $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'ens_french') THEN "
            "CREATE TEXT SEARCH CONFIGURATION ens_french (COPY = french); "
            "ALTER TEXT SEARCH CONFIGURATION ens_french ALTER MAPPING FOR "
            "asciiword, asciihword, hword_asciipart, word, hword, hword_part "
            "WITH unaccent, french_stem; "
            "END IF; END $$"
        )
        op.execute(
            "CREATE TABLE search_fts ("
            " listing_id INTEGER PRIMARY KEY REFERENCES listings(id) ON DELETE CASCADE,"
            " document tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX search_fts_document_gin ON search_fts USING GIN (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "name, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    # The ETag source of every public answer: one row, bumped on each catalogue change.
    op.execute("INSERT INTO catalogue_version (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)")


def downgrade() -> None:
    op.execute("DELETE FROM catalogue_version WHERE id = 1")
    op.execute("DROP TABLE IF EXISTS search_fts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS ens_french")
    with op.batch_alter_table("listings") as batch:
        batch.drop_index("ix_listings_sort_key")
        batch.drop_column("sort_key")
