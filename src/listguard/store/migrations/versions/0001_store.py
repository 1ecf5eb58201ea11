"""The versioned entity store (listguard.store.schema).

Revision ID: 0001_store
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_store"
down_revision = None
branch_labels = None
depends_on = None


def _has(table: str) -> bool:
    """Tables made by ``create_all`` before migrations were used are adopted, not recreated."""
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _has("datasets"):
        op.create_table(
            "datasets",
            sa.Column("name", sa.String(100), primary_key=True),
            sa.Column("title", sa.Text, nullable=True),
            sa.Column("current_version_id", sa.Integer, nullable=True),
        )
    if not _has("versions"):
        op.create_table(
            "versions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("dataset", sa.String(100), sa.ForeignKey("datasets.name"), nullable=False),
            sa.Column("seq", sa.Integer, nullable=False),
            sa.Column("loaded_at", sa.String(40), nullable=False),
            sa.Column("published_at", sa.String(40), nullable=True),
            sa.Column("checksum", sa.String(64), nullable=False),
            sa.Column("source", sa.Text, nullable=False),
            sa.Column("entity_count", sa.Integer, nullable=False),
            sa.Column("counts", sa.Text, nullable=False),
            sa.Column("stats", sa.Text, nullable=False),
            sa.Column("warnings", sa.Text, nullable=False),
            sa.Column("loaded_by", sa.String(200), nullable=True),
        )
        op.create_index("ix_versions_dataset", "versions", ["dataset"])
    if not _has("entity_blobs"):
        op.create_table(
            "entity_blobs",
            sa.Column("hash", sa.String(64), primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        )
    if not _has("version_entities"):
        op.create_table(
            "version_entities",
            sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
            sa.Column("entity_id", sa.String(200), primary_key=True),
            sa.Column("schema", sa.String(40), nullable=False),
            sa.Column("caption", sa.Text, nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("screening_hash", sa.String(64), nullable=False),
        )
        op.create_index("ix_version_entities_entity", "version_entities", ["entity_id"])


def downgrade() -> None:
    op.drop_index("ix_version_entities_entity", table_name="version_entities")
    op.drop_table("version_entities")
    op.drop_table("entity_blobs")
    op.drop_index("ix_versions_dataset", table_name="versions")
    op.drop_table("versions")
    op.drop_table("datasets")
