"""
The database planner's statistics after a big write. Right after a lead
imports 12,000 participants or queues their invitations, the planner still
believes the tables are small, and the lead's dashboard, region page and
progress poll took about 1.4 s each on its stale plans (42–87 ms after
ANALYZE). So the work that writes many rows refreshes the statistics of the
tables it touched, once its transaction has committed.
"""

from django.db import connection, models, transaction

# Fewer rows than this change no plan worth a statistics pass.
BIG_WRITE = 1000


def refresh_after(rows: int, *tables: type[models.Model]) -> None:
    """After a write of `rows` rows to `tables`, analyze them when the transaction commits (if `rows` is big)."""
    if rows >= BIG_WRITE:
        transaction.on_commit(lambda: analyze(*tables))


def analyze(*tables: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
