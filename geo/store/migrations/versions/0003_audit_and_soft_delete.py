"""Nothing is lost: a deleted scenario is kept (``deleted``) until purged, and every save,
rename, delete, restore and purge is written to ``audit_log`` (who, when, what).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("saved_scenarios") as batch:
        batch.add_column(sa.Column("deleted", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("who", sa.String(80), nullable=False, server_default=""),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("scenario_id", sa.String(10), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("audit_log_scenario", "audit_log", ["scenario_id", "at"])


def downgrade() -> None:
    op.drop_index("audit_log_scenario", table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("saved_scenarios") as batch:
        batch.drop_column("deleted")
