"""The ``api_keys`` table: API keys of the HTTP service, in the store's database.

With the store because the store's migrations describe it; the key logic (creating, verifying,
revoking) is :mod:`listguard.api.keys`, which re-exports these names. Only the SHA-256 of a
token is stored, never the token.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=True),
    Column("revoked_at", String(40), nullable=True),
    # Requests per minute this key may make; NULL means the server's default.
    Column("rate_limit", Integer, nullable=True),
    Column("note", Text, nullable=True),
)
