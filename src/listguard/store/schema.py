"""The store's tables (SQLAlchemy Core, so SQLite and PostgreSQL share one definition).

Versions are immutable. An entity's data lives once in ``entity_blobs`` under the hash of its
content; a version is the set of (entity id -> hash) rows in ``version_entities``. Loading a
list whose entries mostly did not change therefore writes little, and a diff between two
versions is a join on entity id comparing hashes. ``datasets.current_version_id`` is the
pointer the rest of the product reads; it moves in the same transaction that writes the new
version, which is what makes a load atomic.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

datasets = Table(
    "datasets",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("title", Text, nullable=True),
    Column("current_version_id", Integer, nullable=True),
)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(100), ForeignKey("datasets.name"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("loaded_at", String(40), nullable=False),
    Column("published_at", String(40), nullable=True),
    Column("checksum", String(64), nullable=False),
    Column("source", Text, nullable=False),
    Column("entity_count", Integer, nullable=False),
    Column("counts", Text, nullable=False),  # JSON: per-schema counts
    Column("stats", Text, nullable=False),  # JSON: parser anomaly counts (orphans...)
    Column("warnings", Text, nullable=False),  # JSON: sample of parser warnings
    Column("loaded_by", String(200), nullable=True),
)

entity_blobs = Table(
    "entity_blobs",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # Entity.to_json()
)

version_entities = Table(
    "version_entities",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("entity_id", String(200), primary_key=True),
    Column("schema", String(40), nullable=False),
    Column("caption", Text, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("screening_hash", String(64), nullable=False),
)

Index("ix_version_entities_entity", version_entities.c.entity_id)
#: One number per version of a dataset: two concurrent loads can never both be "version 2"
#: (the load's write lock prevents it; this makes the database refuse it regardless).
Index("ux_versions_dataset_seq", versions.c.dataset, versions.c.seq, unique=True)
