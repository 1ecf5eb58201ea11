"""API keys of the HTTP service (listguard.api.keys).

Revision ID: 0002_api_keys
Revises: 0001_store
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_api_keys"
down_revision = "0001_store"
branch_labels = None
depends_on = None


def _has(table: str) -> bool:
    """Tables made by ``create_all`` before migrations were used are adopted, not recreated."""
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _has("api_keys"):
        op.create_table(
            "api_keys",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("owner", sa.String(200), nullable=False),
            sa.Column("role", sa.String(20), nullable=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("created_at", sa.String(40), nullable=False),
            sa.Column("expires_at", sa.String(40), nullable=True),
            sa.Column("revoked_at", sa.String(40), nullable=True),
            sa.Column("rate_limit", sa.Integer, nullable=True),
            sa.Column("note", sa.Text, nullable=True),
        )


def downgrade() -> None:
    op.drop_table("api_keys")
