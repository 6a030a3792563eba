"""The read gateway: a query's rows as a frame, with its labels and the dtypes asked for, rows or none."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from voc.store.engine import write_transaction
from voc.store.models import CategoryTarget
from voc.store.query import read_frame

TARGETS = CategoryTarget.__table__


def test_rows_come_back_in_query_order_under_their_labels(engine: sa.Engine) -> None:
    with write_transaction(engine) as connection:
        connection.execute(
            sa.insert(TARGETS),
            [{"category": "Potholes", "target_days": 5.0}, {"category": "Graffiti", "target_days": 2}],
        )
    query = sa.select(TARGETS.c.category.label("service"), TARGETS.c.target_days).order_by(TARGETS.c.category)

    frame = read_frame(engine, query, dtypes={"target_days": "int64"})

    assert frame.to_dict("list") == {"service": ["Graffiti", "Potholes"], "target_days": [2, 5]}
    assert frame["target_days"].dtype == "int64"


def test_no_rows_give_the_columns_and_dtypes_asked_for(engine: sa.Engine) -> None:
    query = sa.select(TARGETS.c.category, TARGETS.c.target_days)

    frame = read_frame(engine, query, dtypes={"category": "str", "target_days": "float64"})

    assert list(frame.columns) == ["category", "target_days"]
    assert frame.empty
    assert frame.dtypes.astype(str).to_dict() == {"category": "str", "target_days": "float64"}


def test_a_connection_reads_inside_the_callers_transaction(engine: sa.Engine) -> None:
    with write_transaction(engine) as connection:
        connection.execute(sa.insert(TARGETS).values(category="Noise", target_days=1.5))
        inside = read_frame(connection, sa.select(TARGETS))
        connection.rollback()

    assert inside.to_dict("records") == [{"category": "Noise", "target_days": 1.5}]
    pd.testing.assert_frame_equal(
        read_frame(engine, sa.select(TARGETS)), pd.DataFrame(columns=["category", "target_days"])
    )
