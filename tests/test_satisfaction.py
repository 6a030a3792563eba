"""Post-closure satisfaction: the import (messy headers, unmatched ids, re-import, undo), the figures and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from statsmodels.stats.proportion import proportion_confint

from tests.stores import store_at_revision
from voc.contacts.closure import closure_metrics
from voc.contacts.closure_months import closure_figures
from voc.contacts.satisfaction import MIN_ANSWERS, TOO_FEW, satisfaction_of
from voc.contacts.trends import Filters
from voc.core.access import Role
from voc.core.config import ClosureRules
from voc.core.errors import FileRefused, VocError
from voc.store.engine import open_store
from voc.store.uploads import undo
from voc.survey.satisfaction import import_satisfaction

RATINGS = "SELECT r.request_id, r.score, r.satisfied, r.upload_id FROM closure_ratings r"


def _unrated_closed_ids(engine: sa.Engine, n: int) -> list[str]:
    query = (
        "SELECT s.source_id FROM service_requests s LEFT JOIN closure_ratings r ON r.request_id = s.id "
        "WHERE s.closed_at IS NOT NULL AND r.id IS NULL ORDER BY s.id LIMIT :n"
    )
    with engine.connect() as connection:
        return list(connection.execute(sa.text(query), {"n": n}).scalars())


def _survey_file(ids: list[str], scores: list[object]) -> bytes:
    """A survey export as a vendor writes it: a title row, then 'Service Request ID', 'Overall Satisfaction (1-5)'..."""
    lines = [
        "Palmetto County post-closure survey,,,",
        "Service Request ID,Overall Satisfaction (1-5),Date Answered,Comments",
    ]
    lines += [f"{i},{s},2026-10-{1 + n % 28:02d},note {n}" for n, (i, s) in enumerate(zip(ids, scores, strict=True))]
    return "\n".join(lines).encode()


def _ratings(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql(sa.text(RATINGS), connection)


def test_import_matches_messy_headers_reports_unmatched_rows_and_reimports_idempotently(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    ids = _unrated_closed_ids(engine, 6)
    before = _ratings(engine)
    scores = [5, "Very satisfied", 3, "dissatisfied", 4, 1]
    data = _survey_file([*ids, "NO-SUCH-ID", ids[0].lower()], [*scores, 5, 4])
    report = import_satisfaction(engine, data, "post closure.csv", user="ana", role=Role.ANALYST)
    assert report.columns == {
        "record_id": "Service Request ID", "score": "Overall Satisfaction (1-5)", "answered_on": "Date Answered",
        "comment": "Comments",
    }  # fmt: skip
    assert (report.rows_read, report.matched, report.inserted) == (8, 6, 6)
    # Rows as the analyst sees them: title row 1, header row 2, answers from row 3.
    assert report.left_out["row"].tolist() == [9, 10]
    assert report.left_out["record_id"].tolist() == ["NO-SUCH-ID", ids[0].lower()]
    added = _ratings(engine).merge(before, how="left", indicator=True).query("_merge == 'left_only'")
    assert sorted(added["score"]) == [1, 2, 3, 4, 5, 5]
    assert added["satisfied"].astype(bool).sum() == 3  # 5, very satisfied (5) and 4

    again = import_satisfaction(engine, data, "post closure.csv", user="ana", role=Role.ANALYST)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    changed = import_satisfaction(
        engine, _survey_file(ids, [1, *scores[1:]]), "corrected.csv", user="ana", role=Role.ANALYST
    )
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 5)

    undo(engine, changed.upload_id, user="ana", role=Role.ANALYST)
    assert (
        _ratings(engine)
        .sort_values("request_id")
        .reset_index(drop=True)
        .equals(pd.concat([before, added.drop(columns="_merge")]).sort_values("request_id").reset_index(drop=True))
    )
    undo(engine, report.upload_id, user="ana", role=Role.ANALYST)
    pd.testing.assert_frame_equal(_ratings(engine), before)


def test_a_file_without_a_score_column_is_refused(demo_copy: str) -> None:
    engine = open_store(demo_copy)
    with pytest.raises(FileRefused, match="score"):
        import_satisfaction(engine, b"Case Number,Notes\nPC-1,fine\n", "s.csv", user="ana", role=Role.ANALYST)


def test_satisfaction_figures_match_an_independent_computation(demo_store_url: str) -> None:
    engine = open_store(demo_store_url)
    filters = Filters("2025-11", "2026-10")
    figures = closure_figures(engine, filters, rules=ClosureRules(), timezone="America/New_York")
    with engine.connect() as connection:
        rated = pd.read_sql(
            sa.text(
                "SELECT s.category, r.satisfied FROM closure_ratings r JOIN service_requests s ON s.id = r.request_id "
                "WHERE s.opened_month BETWEEN '2025-11' AND '2026-10' AND s.category IS NOT NULL"
            ),
            connection,
        )
    rated["satisfied"] = rated["satisfied"].astype(bool)
    expected = rated.groupby("category")["satisfied"].agg(["count", "sum"])
    table = figures.by_category.set_index("category")
    assert table["answers"].to_dict() == expected["count"].to_dict()
    enough = expected[expected["count"] >= MIN_ANSWERS]
    assert len(enough) > 20 and (expected["count"] < MIN_ANSWERS).any()
    low, high = proportion_confint(enough["sum"], enough["count"], alpha=0.10, method="wilson")
    assert table.loc[enough.index, "satisfied_share"].to_numpy() == pytest.approx(enough["sum"] / enough["count"])
    assert table.loc[enough.index, "satisfied_low"].to_numpy() == pytest.approx(low.to_numpy())
    assert table.loc[enough.index, "satisfied_high"].to_numpy() == pytest.approx(high.to_numpy())
    assert table.loc[expected.index[expected["count"] < MIN_ANSWERS], "satisfied_share"].isna().all()

    summary = figures.summary
    assert summary.satisfaction.answers == len(rated)
    assert summary.satisfaction.share == pytest.approx(rated["satisfied"].mean())
    card = {metric.label: metric for metric in closure_metrics(summary, ClosureRules())}["Satisfied after closure"]
    county_low, county_high = proportion_confint(rated["satisfied"].sum(), len(rated), alpha=0.10, method="wilson")
    assert card.value == f"{rated['satisfied'].mean():.0%}"
    assert card.delta == f"{county_low:.0%}–{county_high:.0%} · {len(rated):,} answers"
    # In the demo county, slow and reopened contacts were rated lower.
    assert summary.satisfaction_reopened.share < summary.satisfaction_not_reopened.share


def test_the_wilson_interval_is_statsmodels_and_too_few_answers_show_no_share() -> None:
    figure = satisfaction_of(40, 23)
    low, high = proportion_confint(23, 40, alpha=0.10, method="wilson")
    assert (figure.low, figure.high) == pytest.approx((low, high))
    assert figure.text == f"{23 / 40:.0%} ({low:.0%}–{high:.0%})"
    assert satisfaction_of(MIN_ANSWERS - 1, 23).text == TOO_FEW


def test_the_cli_imports_as_json_and_reports_errors_as_json(
    voc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_copy: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    ids = _unrated_closed_ids(open_store(demo_copy), 3)
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "Ticket #,Rating\n" + "\n".join(f"{i},{s}" for i, s in zip([*ids, "X-1"], [9, 7, 10, 5], strict=True))
    )
    result = voc("import", "satisfaction", survey, "--scale-max", "10", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["matched"], report["inserted"], report["scale_max"]) == (3, 3, 10)
    assert report["left_out"] == [
        {"row": 5, "record_id": "X-1", "reason": "no stored contact has this id (or two sources do)"}
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("Ticket #,Notes\nPC-1,fine\n")
    refused = voc("import", "satisfaction", bad, "--json")
    assert refused.exit_code == 2 and json.loads(refused.stdout)["kind"] == "file"


def test_the_migration_adds_closure_ratings_that_go_with_their_contact(store_url: str) -> None:
    from voc.store.engine import schema_is_current, upgrade_schema

    engine = store_at_revision(
        store_url,
        "0019",
        (
            "INSERT INTO service_requests (source, source_id, opened_at, opened_month, request_type, row_hash) "
            "VALUES ('crm', '1', '2026-03-02 14:00:00', '2026-03', 'POTHOLE', '')",
            [{}],
        ),
        (
            "INSERT INTO uploads (kind, file_name, sha256, source, uploaded_by, rows_read, inserted, updated, "
            "unchanged, rejected, uploaded_at, status) "
            "VALUES ('satisfaction', 'f', '', '', 'ana', 0, 0, 0, 0, 0, '2026-03-05 10:00:00', 'committed')",
            [{}],
        ),
    )  # fmt: skip
    upgrade_schema(engine)
    assert schema_is_current(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO closure_ratings (request_id, upload_id, score, scale_max, satisfied) "
                "SELECT s.id, u.id, 4, 5, TRUE FROM service_requests s, uploads u"
            )
        )
        assert connection.execute(sa.text("SELECT count(*) FROM closure_ratings")).scalar_one() == 1
        connection.execute(sa.text("DELETE FROM service_requests"))
        assert connection.execute(sa.text("SELECT count(*) FROM closure_ratings")).scalar_one() == 0
    engine.dispose()


def test_reimport_and_undo_on_a_real_export_in_both_stores(engine: sa.Engine) -> None:
    from tests.files import REAL
    from voc.core.config import load_settings
    from voc.ingest.pipeline import import_requests

    baltimore = REAL / "baltimore311_2019-10_sample.csv"
    import_requests(engine, baltimore.read_bytes(), baltimore.name, load_settings(), role=Role.ANALYST)
    ids = pd.read_csv(baltimore, dtype=str)["ServiceRequestNum"].head(3).tolist()
    first = import_satisfaction(engine, _survey_file(ids, [5, 2, 4]), "a.csv", user="ana", role=Role.ANALYST)
    second = import_satisfaction(engine, _survey_file(ids, [1, 2, 4]), "b.csv", user="ana", role=Role.ANALYST)
    third = import_satisfaction(engine, _survey_file(ids, [3, 2, 4]), "c.csv", user="ana", role=Role.ANALYST)
    assert (first.inserted, second.updated, third.updated, third.unchanged) == (3, 1, 1, 2)
    with pytest.raises(VocError, match="later upload"):
        undo(engine, second.upload_id, user="ana", role=Role.ANALYST)
    undo(engine, third.upload_id, user="ana", role=Role.ANALYST)
    assert sorted(_ratings(engine)["score"]) == [1, 2, 4]
    undo(engine, second.upload_id, user="ana", role=Role.ANALYST)
    assert sorted(_ratings(engine)["score"]) == [2, 4, 5]
    undone = undo(engine, first.upload_id, user="ana", role=Role.ANALYST)
    assert (undone.deleted, undone.restored, undone.records) == (3, 0, "ratings")
    assert _ratings(engine).empty
