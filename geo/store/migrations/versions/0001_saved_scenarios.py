"""Saved scenarios: named views with a note and an author.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_scenarios",
        sa.Column("id", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("author", sa.String(80), nullable=False, server_default=""),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("area", sa.String(120), nullable=False, server_default=""),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("saved_scenarios_area_updated", "saved_scenarios", ["area", "updated"])


def downgrade() -> None:
    op.drop_index("saved_scenarios_area_updated", table_name="saved_scenarios")
    op.drop_table("saved_scenarios")
