"""One number per version of a dataset: a unique index on versions (dataset, seq).

Two ``listguard load`` runs at once could both write "version 2". A store that already holds
such duplicates keeps the earliest under its number; each later duplicate gets the next free
number in load order (listguard.store.store.renumber_duplicate_seqs), then the index is made.

Revision ID: 0005_version_seq_unique
Revises: 0004_monitor
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_version_seq_unique"
down_revision = "0004_monitor"
branch_labels = None
depends_on = None

INDEX = "ux_versions_dataset_seq"


def upgrade() -> None:
    bind = op.get_bind()
    if any(ix["name"] == INDEX for ix in sa.inspect(bind).get_indexes("versions")):
        return  # made by create_all with the table
    from listguard.store.store import renumber_duplicate_seqs

    renumber_duplicate_seqs(bind)
    op.create_index(INDEX, "versions", ["dataset", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="versions")
