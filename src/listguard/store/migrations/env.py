"""Alembic environment: runs migrations on the connection :mod:`listguard.store.migrations`
hands over (or on ``sqlalchemy.url`` when Alembic's own command line is used)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from listguard.store.migrations import target_metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata(), render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from listguard.settings import database_url

        url = database_url()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata(), render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
