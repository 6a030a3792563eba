"""Real survey files import with their questions labelled; figures checked against counts made directly."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.files import REAL
from voc.core.access import Role
from voc.core.errors import FileRefused
from voc.store.uploads import undo
from voc.survey.compare import batteries, compare_waves, districts_against_county, priorities
from voc.survey.dictionary import classify, parse_codes, read_dictionary, split_column
from voc.survey.store import current_results, import_survey, load_questions, save_questions

SURVEYS = REAL / "surveys"

KC_1 = SURVEYS / "kcmo_resident_survey_fy2022_q1_sep2021_first300.csv"
KC_3 = SURVEYS / "kcmo_resident_survey_fy2022_q3_mar2022_first300.csv"
KC_DICTIONARY = SURVEYS / "kcmo_resident_survey_dictionary_DERIVED.csv"
SD = SURVEYS / "resident_survey_2015_weighted_datasd_first400.csv"
SD_DICTIONARY = SURVEYS / "resident_survey_2015_dictionary_datasd.csv"
DURHAM = SURVEYS / "durham_2022_resident_survey_raw_first300.csv"


def _import(engine, path, **options):
    return import_survey(engine, path.read_bytes(), path.name, user="test", role=Role.ANALYST, **options)


def _hand_share(path, column: str, *, district_column: str | None = None, district: str | None = None) -> tuple:
    """Count 4s and 5s among 1-5 answers straight from the CSV: (share, n)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    if district_column:
        raw = raw[raw[district_column] == district]
    answers = pd.to_numeric(raw[column], errors="coerce")
    rated = answers[answers.between(1, 5)]
    return (rated >= 4).sum() / len(rated), len(rated)


def test_response_codes_and_column_names_are_read() -> None:
    assert parse_codes("1=Under $30,000,2=$30,000-$59,999,3=$60,000-$99,999") == {
        1: "Under $30,000", 2: "$30,000-$59,999", 3: "$60,000-$99,999"}  # fmt: skip
    assert parse_codes("5 - Very Satisfied, 4 - Satisfied, 9 - Don't Know") == {
        5: "Very Satisfied", 4: "Satisfied", 9: "Don't Know"}  # fmt: skip
    assert split_column("q3_01") == ("q3", 1, "")
    assert split_column("Q1[07] [07 Overall maintenance of City") == ("Q1", 7, "[07 Overall maintenance of City")
    assert split_column("Q25_1st") == ("Q25", None, "_1st")


def test_kansas_city_two_waves_with_the_dictionary(engine) -> None:
    first = _import(engine, KC_1, dictionary=KC_DICTIONARY.read_bytes(), dictionary_name=KC_DICTIONARY.name,
                    survey="Kansas City")  # fmt: skip
    second = _import(engine, KC_3, survey="Kansas City")  # the kept dictionary labels the second wave
    assert (first.waves, second.waves) == (["1QSEP2021"], ["3QMAR2022"])
    assert first.districts == ["1", "2", "3", "4", "5", "6"]
    assert first.respondents == 300 and first.items == 83
    results = current_results(engine)
    county = results[results["district_code"].isna() & (results["wave"] == "3QMAR2022")].set_index("question")
    streets = county.loc["q3_03"]
    assert streets["service_area"] == "The maintenance of city streets sidewalks and infrastructure"
    share, n = _hand_share(KC_3, "q3_03")
    assert (streets["satisfied_share"], streets["n"]) == (pytest.approx(share), n)
    # Importance: the share of all respondents naming item 3 of q3 among their top three (q4_01-q4_03).
    raw = pd.read_csv(KC_3, dtype=str, keep_default_na=False)
    named = raw[["q4_01", "q4_02", "q4_03"]].eq("3").any(axis=1).mean()
    assert streets["importance_share"] == pytest.approx(named)
    in_district = results[(results["district_code"] == "2") & (results["wave"] == "3QMAR2022")]
    assert in_district.set_index("question").loc["q3_03", "satisfied_share"] == pytest.approx(
        _hand_share(KC_3, "q3_03", district_column="counci", district="2")[0])  # fmt: skip

    table = compare_waves(results, survey="Kansas City", wave="3QMAR2022", battery="q3").set_index("service_area")
    assert len(table) == 16 and set(table["previous_wave"]) == {"1QSEP2021"}
    assert (table["significant"] == (table["p_value"] < 0.05)).all()
    assert batteries(results, survey="Kansas City", wave="3QMAR2022").iloc[0]["battery"] == "q3"
    ranked = priorities(results, survey="Kansas City", wave="3QMAR2022", battery="q3")
    assert ranked.iloc[0]["service_area"] == streets["service_area"]
    assert ranked.iloc[0]["is_rating"] == pytest.approx(named * (1 - share))
    assert set(ranked["importance_source"]) == {"stated"}


def test_the_same_file_twice_changes_nothing_and_undo_brings_the_earlier_import_back(engine) -> None:
    first = _import(engine, KC_1, dictionary=KC_DICTIONARY.read_bytes(), survey="Kansas City")
    again = _import(engine, KC_1, dictionary=KC_DICTIONARY.read_bytes(), survey="Kansas City")
    assert again.upload_id is None and "already imported" in again.message
    relabelled = _import(engine, KC_1, wave="1QSEP2021", survey="Kansas City", year=2021,
                         dictionary=KC_DICTIONARY.read_bytes().replace(b"police services", b"Police"))  # fmt: skip
    assert relabelled.upload_id != first.upload_id
    labels = set(current_results(engine)["service_area"])
    assert "Police" in labels and "Police services" not in labels
    undo(engine, relabelled.upload_id, user="test", role=Role.ANALYST)
    assert "Police services" in set(current_results(engine)["service_area"])


def test_san_diego_replicated_rows_count_once_with_weights(engine) -> None:
    report = _import(engine, SD, dictionary=SD_DICTIONARY.read_bytes(), dictionary_name=SD_DICTIONARY.name,
                     survey="San Diego")  # fmt: skip
    raw = pd.read_csv(SD, dtype=str, keep_default_na=False)
    copies = raw.drop(columns="Num").duplicated().sum()
    assert copies > 0 and report.respondents == len(raw) - copies
    assert report.waves == ["2015"]
    results = current_results(engine)
    county = results[results["district_code"].isna()].set_index("question")
    streets = county.loc["Q3_8"]
    assert streets["service_area"] == "Maintenance of City streets, sidewalks, and infrastructure"
    # Weighted by copies, the share equals the share over all rows; n counts residents, n_effective is Kish's.
    share, rows = _hand_share(SD, "Q3_8")
    answers = pd.to_numeric(raw.drop_duplicates(subset=[c for c in raw.columns if c != "Num"])["Q3_8"])
    assert streets["satisfied_share"] == pytest.approx(share)
    assert streets["n"] == answers.between(1, 5).sum()
    assert streets["n_effective"] < streets["n"]
    assert set(results["district_code"].dropna()) <= {str(d) for d in range(1, 10)}
    assert county.loc["Q3_8", "importance_share"] > 0  # Q4_1-Q4_4 name Q3's items


def test_san_diego_districts_are_compared_with_the_rest_built_from_the_weights(engine) -> None:
    _import(engine, SD, dictionary=SD_DICTIONARY.read_bytes(), dictionary_name=SD_DICTIONARY.name, survey="San Diego")
    table = districts_against_county(current_results(engine), survey="San Diego", wave="2015", battery="Q3")
    raw = pd.read_csv(SD, dtype=str, keep_default_na=False)
    # Counted straight from the file: each copied row is one more resident of the rest, as its weight says.
    answers, districts = pd.to_numeric(raw["Q3_8"], errors="coerce"), raw["Q28"].str.strip()
    residents = raw.drop(columns="Num").groupby(list(raw.columns.drop("Num")), sort=False, dropna=False).ngroup()
    streets = table[table["service_area"] == "Maintenance of City streets, sidewalks, and infrastructure"]
    assert len(streets) == districts[districts != ""].nunique()
    for row in streets.itertuples():
        rest = answers.between(1, 5) & (districts != row.district_code)
        assert row.rest_share == pytest.approx((answers[rest] >= 4).mean(), abs=1e-12)
        copies = residents[rest].value_counts()
        assert row.rest_n == pytest.approx(copies.sum() ** 2 / (copies**2).sum())
    assert (table["significant"] == (table["q_value"] < 0.05)).all()
    assert (table["q_value"] >= table["p_value"]).all()


def test_durham_raw_export_is_labelled_from_its_truncated_headers(engine) -> None:
    report = _import(engine, DURHAM, survey="Durham")
    assert report.waves == ["2022"]  # from the file name
    assert report.districts == ["PAC 1", "PAC 2", "PAC 3", "PAC 4", "PAC 5"][: len(report.districts)]
    questions = load_questions(engine, "Durham").set_index("question")
    assert questions.loc["Q3[01] [1 Overall quality of services", "kind"] == "overall"
    assert questions.loc["Q2[01] [1st:]", "kind"] == "importance"
    assert questions.loc["Q2[01] [1st:]", "picks_from"] == "Q1"
    assert questions.loc["Q28 What is your age?", "kind"] == "ignore"
    results = current_results(engine)
    police = (
        results[results["district_code"].isna()].set_index("question").loc["Q1[01] [01 Overall quality of police pr"]
    )
    assert police["service_area"] == "Overall quality of police pr"
    assert police["satisfied_share"] == pytest.approx(
        _hand_share(DURHAM, "Q1[01] [01  Overall quality of police pr")[0]
    )
    # Q14 asked no importance: derived importance (correlation with overall satisfaction) ranks it.
    derived = priorities(results, survey="Durham", wave="2022", battery="Q14")
    assert set(derived["importance_source"]) == {"derived"} and derived["tier"].isna().all()
    # An analyst labels a truncated question on the Data page: stored figures follow.
    edited = load_questions(engine, "Durham")
    edited.loc[edited["question"] == "Q1[01] [01 Overall quality of police pr", "label"] = "Police services"
    assert save_questions(engine, "Durham", edited, user="test", role=Role.ANALYST) == 1 + len(report.districts)
    assert "Police services" in set(current_results(engine)["service_area"])


def test_published_table_with_a_row_by_row_report(engine, tmp_path) -> None:
    table = tmp_path / "published.csv"
    table.write_text(
        "Service area,Year,District,Percent satisfied,Importance,N\n"
        "Roads,2024,County-wide,52%,48%,1200\n"
        "Roads,2024,1,45%,,240\n"
        "Roads,2025,County-wide,46%,51%,1150\n"
        "Parks,2025,County-wide,140%,,300\n"
        "Parks,2025,County-wide,78%,,zero\n"
    )
    report = import_survey(engine, table.read_bytes(), table.name, user="test", role=Role.ANALYST, survey="Published")
    assert report.shape == "published"
    assert report.problems[["row", "column"]].values.tolist() == [[5, "Percent satisfied"], [6, "N"]]
    results = current_results(engine)
    assert len(results) == 3
    table = compare_waves(results, survey="Published", wave="2025").set_index("service_area")
    assert table.loc["Roads", "previous_share"] == pytest.approx(0.52)
    assert table.loc["Roads", "verdict"] == "Down 6 points: a real change"  # z = -2.96 with n 1200 and 1150


def test_a_file_without_ratings_is_refused(engine, tmp_path) -> None:
    path = tmp_path / "contacts_2024.csv"
    path.write_text("id,name\n1,a\n2,b\n")
    with pytest.raises(FileRefused, match="no column holds 1-5 ratings"):
        import_survey(engine, path.read_bytes(), path.name, user="test", role=Role.ANALYST)
    assert current_results(engine).empty


def test_classify_uses_a_dictionary_kind_when_given() -> None:
    raw = pd.read_csv(KC_1, dtype=str, keep_default_na=False)
    dictionary = read_dictionary(KC_DICTIONARY.read_bytes(), KC_DICTIONARY.name)
    questions = classify(raw, dictionary).set_index("question")
    assert questions.loc["q2_01", "kind"] == "overall"
    assert questions.loc["q4_02", "picks_from"] == "q3"
    assert questions.loc["q25_d", "kind"] == "ignore"  # 1 = strongly agree: not a 1-5 scale with 5 best
    assert (questions.loc["counci", "kind"], questions.loc["quarte", "kind"]) == ("district", "wave")
