"""Monitoring: portfolios, records, alerts, decisions, allow list, runs, webhooks
(listguard.monitor.schema).

Revision ID: 0004_monitor
Revises: 0003_audit
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_monitor"
down_revision = "0003_audit"
branch_labels = None
depends_on = None


def _has(table: str) -> bool:
    """Tables made by ``create_all`` before migrations were used are adopted, not recreated."""
    return sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    if not _has('mon_alerts'):
        op.create_table('mon_alerts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=False),
        sa.Column('record_pk', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.String(length=200), nullable=False),
        sa.Column('record_name', sa.Text(), nullable=False),
        sa.Column('entity_id', sa.String(length=200), nullable=False),
        sa.Column('dataset', sa.String(length=100), nullable=False),
        sa.Column('caption', sa.Text(), nullable=False),
        sa.Column('schema', sa.String(length=40), nullable=True),
        sa.Column('matched_name', sa.Text(), nullable=True),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=True),
        sa.Column('reason', sa.String(length=30), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('record_hash', sa.String(length=64), nullable=False),
        sa.Column('entity_hash', sa.String(length=64), nullable=False),
        sa.Column('entity_blob', sa.String(length=64), nullable=True),
        sa.Column('record_data', sa.Text(), nullable=False),
        sa.Column('changes', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('closed_reason', sa.String(length=40), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('portfolio', 'record_id', 'entity_id', 'record_hash', 'entity_hash', 'reason', 'version_id', name='uq_mon_alerts_pair')
        )
        op.create_index('ix_mon_alerts_entity', 'mon_alerts', ['portfolio', 'entity_id'], unique=False)
        op.create_index('ix_mon_alerts_record', 'mon_alerts', ['portfolio', 'record_id'], unique=False)
        op.create_index('ix_mon_alerts_status', 'mon_alerts', ['portfolio', 'status'], unique=False)
    if not _has('mon_allow'):
        op.create_table('mon_allow',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=False),
        sa.Column('record_id', sa.String(length=200), nullable=False),
        sa.Column('entity_id', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('expires_at', sa.String(length=40), nullable=True),
        sa.Column('revoked_at', sa.String(length=40), nullable=True),
        sa.Column('expiry_handled', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_mon_allow_pair', 'mon_allow', ['portfolio', 'record_id', 'entity_id'], unique=False)
    if not _has('mon_portfolios'):
        op.create_table('mon_portfolios',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('watermark', sa.Text(), nullable=True),
        sa.Column('initial_done', sa.Integer(), nullable=False),
        sa.Column('rev', sa.Integer(), nullable=False),
        sa.Column('record_count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name')
        )
    if not _has('mon_runs'):
        op.create_table('mon_runs',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=False),
        sa.Column('trigger', sa.String(length=40), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.String(length=40), nullable=False),
        sa.Column('finished_at', sa.String(length=40), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('versions_from', sa.Text(), nullable=True),
        sa.Column('versions_to', sa.Text(), nullable=True),
        sa.Column('stats', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_mon_runs_portfolio'), 'mon_runs', ['portfolio'], unique=False)
    if not _has('mon_webhooks'):
        op.create_table('mon_webhooks',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('url', sa.Text(), nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=True),
        sa.Column('active', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
    if not _has('mon_decisions'):
        op.create_table('mon_decisions',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=False),
        sa.Column('record_id', sa.String(length=200), nullable=False),
        sa.Column('entity_id', sa.String(length=200), nullable=False),
        sa.Column('record_hash', sa.String(length=64), nullable=False),
        sa.Column('entity_hash', sa.String(length=64), nullable=False),
        sa.Column('decision', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['mon_alerts.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_mon_decisions_alert_id'), 'mon_decisions', ['alert_id'], unique=False)
    if not _has('mon_deliveries'):
        op.create_table('mon_deliveries',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('webhook_id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.Float(), nullable=False),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('delivered_at', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['webhook_id'], ['mon_webhooks.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index('ix_mon_deliveries_due', 'mon_deliveries', ['status', 'next_attempt_at'], unique=False)
    if not _has('mon_records'):
        op.create_table('mon_records',
        sa.Column('pk', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('portfolio', sa.String(length=100), nullable=False),
        sa.Column('record_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('schema', sa.String(length=40), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('screened_data', sa.Text(), nullable=True),
        sa.Column('screened_hash', sa.String(length=64), nullable=True),
        sa.Column('dirty', sa.Integer(), nullable=False),
        sa.Column('rev', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['portfolio'], ['mon_portfolios.name'], ),
        sa.PrimaryKeyConstraint('pk'),
        sa.UniqueConstraint('portfolio', 'record_id', name='uq_mon_records_id')
        )
        op.create_index('ix_mon_records_dirty', 'mon_records', ['portfolio', 'dirty'], unique=False)
        op.create_index('ix_mon_records_rev', 'mon_records', ['portfolio', 'rev'], unique=False)
    if not _has('mon_delivery_attempts'):
        op.create_table('mon_delivery_attempts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.String(length=40), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['mon_deliveries.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        op.create_index(op.f('ix_mon_delivery_attempts_delivery_id'), 'mon_delivery_attempts', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_table('mon_delivery_attempts')
    op.drop_table('mon_records')
    op.drop_table('mon_deliveries')
    op.drop_table('mon_decisions')
    op.drop_table('mon_webhooks')
    op.drop_table('mon_runs')
    op.drop_table('mon_portfolios')
    op.drop_table('mon_allow')
    op.drop_table('mon_alerts')
