"""Short links: which were printed (in a briefing or a downloaded file, so kept for good) and when
each was last opened (address-bar links nobody printed are removed after a stated time).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("short_links") as table:
        table.add_column(sa.Column("printed", sa.Boolean, nullable=False, server_default=sa.false()))
        table.add_column(sa.Column("last_used", sa.DateTime(timezone=True), nullable=True))
    # links made before this revision may be on paper somewhere: keep them all
    op.execute(sa.text("UPDATE short_links SET printed = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("short_links") as table:
        table.drop_column("last_used")
        table.drop_column("printed")
