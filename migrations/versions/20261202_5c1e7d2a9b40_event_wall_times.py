"""event wall times: workshops and consultation phases keep the clock time they were set for

Revision ID: 5c1e7d2a9b40
Revises: 5e7a1c2b9d40
Create Date: 2026-12-02 09:00:00

Adds each event's zone and wall-clock times (so 09:00 stays 09:00 when a zone's rules change),
and the workshops' calendar revision and last change (iCalendar SEQUENCE, LAST-MODIFIED).

The wall times of existing rows are what was typed in the forms. Those converted the typed
time to UTC with the machine's zone files (/usr/share/zoneinfo), so the same files give it
back; the application then re-pins future events with the `tzdata` package's rules (its
periodic task `refresh_event_times_once`). Without system zone files, `tzdata` is used.
"""
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import tzdata  # noqa: F401  (the fallback zone data must be installed)
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c1e7d2a9b40'
down_revision = '5e7a1c2b9d40'
branch_labels = None
depends_on = None

MOROCCO = 'Africa/Casablanca'
PHASES = ('proposals_open', 'deliberation', 'voting', 'closed')


def _zone_the_forms_used() -> ZoneInfo:
    system = Path('/usr/share/zoneinfo') / MOROCCO
    if system.is_file():
        with system.open('rb') as data:
            return ZoneInfo.from_file(data, key=MOROCCO)
    from importlib import resources

    with resources.files('tzdata').joinpath('zoneinfo', 'Africa', 'Casablanca').open('rb') as data:
        return ZoneInfo.from_file(data, key=MOROCCO)


def _wall(value, zone):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite may hand back text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).replace(tzinfo=None)


def upgrade():
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False,
                                      server_default=MOROCCO))
        batch_op.add_column(sa.Column('starts_local', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('ends_local', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('schedule_revision', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=False,
                                      server_default=MOROCCO))
        for phase in PHASES:
            batch_op.add_column(sa.Column(f'{phase}_local', sa.DateTime(), nullable=True))

    zone = _zone_the_forms_used()
    connection = op.get_bind()
    workshops = sa.table('workshops', sa.column('id', sa.Integer), sa.column('starts_at', sa.DateTime(timezone=True)),
                         sa.column('ends_at', sa.DateTime(timezone=True)), sa.column('starts_local', sa.DateTime),
                         sa.column('ends_local', sa.DateTime))
    for row in connection.execute(sa.select(workshops.c.id, workshops.c.starts_at, workshops.c.ends_at)).all():
        connection.execute(workshops.update().where(workshops.c.id == row.id).values(
            starts_local=_wall(row.starts_at, zone), ends_local=_wall(row.ends_at, zone)))
    consultations = sa.table('consultations', sa.column('id', sa.Integer),
                             *[sa.column(f'{phase}_at', sa.DateTime(timezone=True)) for phase in PHASES],
                             *[sa.column(f'{phase}_local', sa.DateTime) for phase in PHASES])
    query = sa.select(consultations.c.id, *[consultations.c[f'{phase}_at'] for phase in PHASES])
    for row in connection.execute(query).mappings().all():
        values = {f'{phase}_local': _wall(row[f'{phase}_at'], zone) for phase in PHASES}
        connection.execute(consultations.update().where(consultations.c.id == row['id']).values(**values))


def downgrade():
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        for phase in reversed(PHASES):
            batch_op.drop_column(f'{phase}_local')
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('workshops', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('schedule_revision')
        batch_op.drop_column('ends_local')
        batch_op.drop_column('starts_local')
        batch_op.drop_column('time_zone')
