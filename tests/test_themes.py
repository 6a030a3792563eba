"""Themes: the offline embedding model, grouping and naming on real descriptions, the tables, and the store."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.factories import SETTINGS
from tests.files import REAL
from tests.stores import assert_consistent, store_at_revision
from tests.stores import theme_counts as theme_counts_in
from voc.contacts import theming
from voc.contacts.regrouping import build_themes
from voc.contacts.textmine import STOP_WORDS
from voc.contacts.theme_names import name_themes, theme_name
from voc.contacts.themes import (
    Grouping,
    distinct_rows,
    group_vectors,
    place_vectors,
    representatives,
    rising_themes,
    theme_count,
    theme_counts,
    top_themes,
)
from voc.contacts.theming import alert_themes, regroup_due, stored_themes
from voc.core.access import Role
from voc.demo.catalogue import WHERE
from voc.ingest import embedding
from voc.ingest.embedding import DIMENSIONS, MODEL, description_vectors, embed
from voc.ingest.pipeline import ImportOptions, import_requests
from voc.ingest.places import without_places
from voc.ingest.request_types import save_type_map
from voc.store import themes as store_themes
from voc.store.engine import schema_is_current, upgrade_schema
from voc.store.models import DescriptionEmbedding, MonthlyThemeCount, ServiceRequest
from voc.store.theme_builds import BuildState, ThemeBuildState, read_build_state
from voc.store.theme_counts import LABELS
from voc.store.uploads import undo

GAINESVILLE = REAL / "gainesville_mygnv_311_sample5000.csv"
GAINESVILLE_SETTINGS = replace(SETTINGS, timezone="America/New_York")


@pytest.fixture(scope="module")
def gainesville() -> pd.DataFrame:
    """The 300 real Gainesville records of tests/data that have a description, with their request type."""
    records = pd.read_csv(GAINESVILLE, usecols=["request_type", "description"]).dropna()
    return records.reset_index(drop=True)


def test_the_model_loads_and_embeds_with_the_network_refused() -> None:
    # A process of its own: the model is cached once loaded, so only a fresh one proves where it loads from.
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network refused by the test")

        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from voc.ingest.embedding import embed

        print(embed(["Pothole in the road", ""]).shape)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"(2, {DIMENSIONS})"


def test_vectors_are_wordllama_own_truncated_and_unit_length(gainesville: pd.DataFrame) -> None:
    from importlib.metadata import distribution

    from safetensors.numpy import load_file
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    wheel = distribution("wordllama")
    weights = load_file(str(wheel.locate_file("wordllama/weights/l2_supercat_256.safetensors")))["embedding.weight"]
    tokenizer = Tokenizer.from_file(str(wheel.locate_file("wordllama/tokenizers/l2_supercat_tokenizer_config.json")))
    wordllama = WordLlamaInference(weights[:, :DIMENSIONS], tokenizer)
    texts = gainesville["description"].head(50).tolist()
    theirs = wordllama.embed(texts, norm=True)
    ours = embed(texts)
    assert ours.shape == (50, DIMENSIONS) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert embed([]).shape == (0, DIMENSIONS)
    assert not embed([""]).any()


def test_similar_complaints_lie_closer_than_different_ones() -> None:
    pothole, hole, barking = embed(["Pothole in the road", "Big hole in the street", "Dog barking all night"])
    assert pothole @ hole > pothole @ barking + 0.1


@pytest.mark.parametrize(("n", "expected"), [(0, 1), (19, 1), (20, 2), (4495, 21), (232_930, 30)])
def test_theme_count(n: int, expected: int) -> None:
    assert theme_count(n) == expected


def test_real_descriptions_group_by_request_type_better_than_chance(gainesville: pd.DataFrame) -> None:
    from sklearn.metrics import adjusted_rand_score

    vectors = embed(gainesville["description"].tolist())
    grouping = group_vectors(vectors, themes=8, seed=0)
    again = group_vectors(vectors, themes=8, seed=0)
    np.testing.assert_array_equal(grouping.labels, again.labels)
    sizes = np.bincount(grouping.labels)
    assert (np.diff(sizes) <= 0).all(), "themes are numbered largest first"
    types = pd.factorize(gainesville["request_type"])[0]
    shuffled = np.random.default_rng(0).permutation(grouping.labels)
    assert adjusted_rand_score(types, grouping.labels) > 0.1 > adjusted_rand_score(types, shuffled)


def test_themes_are_named_by_their_distinctive_words(gainesville: pd.DataFrame) -> None:
    texts = gainesville["description"]
    streetlight = gainesville["request_type"].eq("Streetlight/Lamp").to_numpy()
    names = name_themes(texts, streetlight.astype(int))
    assert "light" in " ".join(names[1])
    assert theme_name(names[1]) == " · ".join(names[1])
    assert theme_name([]) == "(no distinctive words)"


def test_a_theme_is_named_by_its_problem_not_by_a_place_spread_over_every_category() -> None:
    problems = {"Potholes": "Deep pothole", "Animals": "Dog barking all night", "Billing": "Water bill doubled"}
    places = ["by the mailbox cluster", "near the Publix plaza", "behind the shopping center", "at the boat ramp"]
    rows = [(f"{text} {place}", category, place) for category, text in problems.items() for place in places
            for _ in range(10)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["text", "category", "place"])
    # Grouped as vectors of short texts often are: by the place they name, one problem more often than the others.
    theme = (frame["place"] == places[0]) | ((frame["category"] == "Potholes") & (frame.index % 2 == 0))
    names = name_themes(frame["text"], theme.astype(int).to_numpy(), categories=frame["category"])
    assert names[1][0] == "deep pothole"
    assert not any("mailbox" in term or "cluster" in term for term in names[1])
    without_categories = name_themes(frame["text"], frame["category"].factorize()[0])
    for terms, problem in zip(without_categories, problems.values(), strict=True):  # themes by problem: named by it
        assert terms and all(term in problem.lower() for term in terms)


def test_real_theme_names_leave_out_addresses(gainesville: pd.DataFrame) -> None:
    from voc.ingest.places import is_place_word

    texts = gainesville["description"]
    labels = group_vectors(description_vectors(texts), themes=8, seed=0).labels
    names = name_themes(texts, labels, categories=gainesville["request_type"])
    words = [word for terms in names for term in terms for word in term.split()]
    assert len(words) >= 16
    assert not [word for word in words if is_place_word(word)], names
    assert len({theme_name(terms) for terms in names}) == 8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Large pothole on NW 2nd Ave.", "Large pothole on"),
        ("901-999 SW 5 AVE", ""),
        ("Garbage not picked up in front of my house", "Garbage not picked up in of my"),
        ("First Street: stop sign down", "First : stop sign down"),
        ("Streetlight out near Westside Park", "Streetlight out Westside Park"),
        ("The 9th time the east-bound lanes flooded", "The time the east-bound lanes flooded"),
    ],
)
def test_descriptions_lose_their_place_words_and_numbers_only(text: str, expected: str) -> None:
    from voc.ingest.places import without_places

    assert without_places(pd.Series([text])).tolist() == [expected]


def test_representatives_are_nearest_the_centre_distinct_and_redacted() -> None:
    texts = pd.Series(["Pothole on Main St", "pothole on main st", "Pothole, call 352-555-0143", "Dog barking"])
    vectors = np.array([[1.0, 0], [1.0, 0], [0.8, 0.6], [0, 1.0]], dtype=np.float32)
    centres = np.array([[1.0, 0], [0, 1.0]])
    grouping = Grouping(labels=np.array([0, 0, 0, 1]), centres=centres, fitted=centres)
    assert representatives(vectors, lambda at: texts.iloc[at], grouping, per_theme=3) == [[0, 2], [3]]


COUNTS = pd.DataFrame(
    [
        ("2025-09", 0, "Roads", "1", 10),
        ("2025-10", 1, "Roads", "1", 10),
        ("2025-10", 2, "Parks", "2", 30),
        ("2026-09", 0, "Roads", "1", 10),
        ("2026-10", 1, "Roads", "1", 40),
        ("2026-10", 2, "Parks", "2", 30),
    ],
    columns=["month", "theme", "category", "district_code", "contacts"],
)
NAMES = pd.Series({0: "pothole", 1: "flooding · water", 2: "park"})


def test_top_themes_with_shares_and_the_year_before() -> None:
    top = top_themes(COUNTS, NAMES, first_month="2026-09", last_month="2026-10", top=2)
    assert top.to_dict("records") == [
        {"theme": 1, "name": "flooding · water", "contacts": 40, "share": 0.5, "contacts_year_earlier": 10},
        {"theme": 2, "name": "park", "contacts": 30, "share": 0.375, "contacts_year_earlier": 30},
    ]
    assert top_themes(COUNTS, NAMES, first_month="2027-01", last_month="2027-03").empty


def test_rising_themes_against_the_same_months_a_year_before() -> None:
    risen = rising_themes(COUNTS, NAMES, month="2026-10", months=2, min_z=1.0)
    assert risen["theme"].tolist() == [1]
    row = risen.iloc[0]
    assert (row["current"], row["previous"]) == (40, 10)
    assert row["current_share"] == pytest.approx(0.5) and row["previous_share"] == pytest.approx(0.2)
    assert row["z"] > 3
    assert rising_themes(COUNTS, NAMES, month="2025-10").empty  # nothing a year before


def test_theme_counts_roll_up_by_month_theme_category_and_district() -> None:
    contacts = pd.DataFrame(
        {"month": ["2026-01", "2026-01", "2026-02"], "category": ["Roads", "Roads", None], "district_code": "1"}
    )
    counted = theme_counts(contacts, np.array([3, 3, 0]))
    assert counted.to_dict("records") == [
        {"month": "2026-01", "theme": 3, "category": "Roads", "district_code": "1", "contacts": 2},
        {"month": "2026-02", "theme": 0, "category": "", "district_code": "1", "contacts": 1},
    ]


def _import(engine: sa.Engine, data: bytes, name: str = GAINESVILLE.name) -> int | None:
    report = import_requests(engine, data, name, GAINESVILLE_SETTINGS, ImportOptions(), role=Role.ANALYST)
    return report.upload_id


def _embedded(engine: sa.Engine) -> dict[int, str]:
    table = DescriptionEmbedding.__table__
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(table.c.request_id, table.c.text_hash)).all())


def _described(engine: sa.Engine) -> set[int]:
    requests = ServiceRequest.__table__
    query = sa.select(requests.c.id).where(sa.func.trim(sa.func.coalesce(requests.c.description, "")) != "")
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


def test_an_import_embeds_new_and_changed_descriptions_only_and_undo_drops_them(engine: sa.Engine) -> None:
    data = GAINESVILLE.read_bytes()
    first = _import(engine, data)
    embedded = _embedded(engine)
    records = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert set(embedded) == _described(engine)
    # 241 descriptions in the file, of which one is "n/a": the import reads it as missing.
    assert len(embedded) == records["description"].str.strip().ne("").sum() - 1 == 240
    with engine.connect() as connection:
        models = set(connection.execute(sa.select(DescriptionEmbedding.__table__.c.model)).scalars())
        vector = connection.execute(sa.select(DescriptionEmbedding.__table__.c.vector).limit(1)).scalar_one()
    assert models == {MODEL} and len(vector) == 2 * DIMENSIONS

    changed_id = records.loc[records["description"] != "", "id"].iloc[0]
    records.loc[records["id"] == changed_id, "description"] = "Streetlight out on the corner again"
    second = _import(engine, records.to_csv(index=False).encode(), "gainesville_changed.csv")
    after = _embedded(engine)
    assert {k for k in after if after[k] != embedded.get(k)} == {_request_id(engine, changed_id)}

    undo(engine, second, user="test", role=Role.ANALYST)
    undo(engine, first, user="test", role=Role.ANALYST)
    assert _embedded(engine) == {}


def _counting_hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the descriptions the stale-vector check hashes (it reads a text only to hash it)."""
    hashed: list[int] = []
    real = store_themes.fingerprints

    def counted(texts: pd.Series) -> pd.Series:
        hashed.append(len(texts))
        return real(texts)

    monkeypatch.setattr(store_themes, "fingerprints", counted)
    return hashed


def test_a_build_reads_only_the_descriptions_written_since_their_vectors_were_checked(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = GAINESVILLE.read_bytes()
    _import(engine, data)
    hashed = _counting_hashes(monkeypatch)
    assert build_themes(engine, user="test").embedded == 0
    assert sum(hashed) == 0  # every vector was made from its row as the import wrote it

    # An update that changes one description and leaves another row's as it was; then its undo.
    records = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    described = records.loc[records["description"] != "", "id"]
    changed_id, touched_id = described.iloc[0], described.iloc[1]
    original = records.loc[records["id"] == changed_id, "description"].iloc[0]
    records.loc[records["id"] == changed_id, "description"] = "Streetlight out on the corner again"
    records.loc[records["id"] == touched_id, "status"] = "Reopened"
    second = _import(engine, records.to_csv(index=False).encode(), "gainesville_changed.csv")
    hashed.clear()
    assert build_themes(engine, user="test").embedded == 0  # the import embedded its changed text
    assert sum(hashed) == 1  # the row it rewrote with its text unchanged, checked once
    undo(engine, second, user="test", role=Role.ANALYST)
    hashed.clear()
    assert build_themes(engine, user="test").embedded == 1  # the undone text is back: embedded again
    assert sum(hashed) == 2  # the two rows the undo put back, and nothing else
    embedded = _embedded(engine)
    assert embedded[_request_id(engine, changed_id)] == store_themes.fingerprints(pd.Series([original])).iloc[0]

    # Vectors stored before their upload was recorded with them are checked once, then not again.
    with engine.begin() as connection:
        connection.execute(sa.update(DescriptionEmbedding.__table__).values(upload_id=None))
        connection.execute(sa.update(ThemeBuildState.__table__).values(checked_upload=0))  # as migration 0030 left it
    hashed.clear()
    assert build_themes(engine, user="test").embedded == 0
    assert sum(hashed) == len(embedded) == len(_described(engine))
    hashed.clear()
    assert build_themes(engine, user="test").embedded == 0 and sum(hashed) == 0


def test_an_import_embeds_in_parts_each_description_as_alone(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Parts of 7 rows read: the file's 240 descriptions are embedded in dozens of parts.
    monkeypatch.setattr(store_themes, "_READ_CHUNK", 7)
    _import(engine, GAINESVILLE.read_bytes())
    requests, vectors = ServiceRequest.__table__, DescriptionEmbedding.__table__
    query = sa.select(requests.c.description, vectors.c.vector).join(vectors, vectors.c.request_id == requests.c.id)
    with engine.connect() as connection:
        stored = connection.execute(query.order_by(requests.c.id)).all()
    assert len(stored) == 240
    alone = description_vectors(pd.Series([row.description for row in stored])).astype("<f2")
    assert [row.vector for row in stored] == [vector.tobytes() for vector in alone]


def _request_id(engine: sa.Engine, source_id: str) -> int:
    requests = ServiceRequest.__table__
    with engine.connect() as connection:
        return connection.execute(sa.select(requests.c.id).where(requests.c.source_id == source_id)).scalar_one()


def test_build_stores_named_themes_a_roll_up_and_alert_themes(engine: sa.Engine) -> None:
    assert stored_themes(engine).empty
    assert alert_themes(engine, category=None, district=None, first_month="2014-01", last_month="2030-12").empty
    _import(engine, GAINESVILLE.read_bytes())
    built = build_themes(engine, user="test")
    described = len(_described(engine))
    assert (built.themes, built.described, built.embedded) == (theme_count(described), described, 0)

    themes = stored_themes(engine)
    assert themes["theme"].tolist() == list(range(built.themes))
    assert themes["contacts"].sum() == described
    assert themes["contacts"].is_monotonic_decreasing
    assert all(1 <= len(examples) <= 3 for examples in themes["examples"])
    assert not any("@" in text for examples in themes["examples"] for text in examples)
    with engine.connect() as connection:
        rolled = connection.execute(sa.select(sa.func.sum(MonthlyThemeCount.__table__.c.contacts))).scalar_one()
    assert rolled == described

    top = alert_themes(engine, category=None, district=None, first_month="2014-01", last_month="2030-12", top=3)
    assert top["name"].tolist() == themes["name"].head(3).tolist()
    assert top["share"].sum() == pytest.approx(themes["contacts"].head(3).sum() / described)


def test_trends_and_district_profile_show_stored_themes(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> None:
    from tests.apptest import only_table, open_app_page, plain_texts
    from voc.store.engine import open_store

    before = open_app_page(monkeypatch, demo_copy, "pages/trends.py", query={"trends_tab": "Themes"})
    assert any(info.startswith("No themes yet") for info in plain_texts(before, "info"))

    demo = open_store(demo_copy)
    built = build_themes(demo, user="test")
    names = stored_themes(demo)["terms"]
    demo.dispose()
    # The demo appends one of a dozen places to every kind of request: a name starts with the problem.
    landmarks = {word for place in WHERE for word in place.lower().split()} - STOP_WORDS
    # ("stop sign" is a problem though "stop" is a landmark's word: a term wholly of landmark words is a place)
    assert not [terms for terms in names if not terms or set(terms[0].split()) <= landmarks]
    assert sum(bool(landmarks & set(term.split())) for terms in names for term in terms) <= len(names) // 5
    trends = open_app_page(monkeypatch, demo_copy, "pages/trends.py", query={"trends_tab": "Themes"})
    shown = only_table(trends, "examples")
    assert len(shown) == 8 and shown["contacts"].is_monotonic_decreasing
    assert not any("@example.org" in text for examples in shown["examples"] for text in examples)
    assert built.themes == 30

    profile = open_app_page(monkeypatch, demo_copy, "pages/map.py", query={"map_district": "3"})
    themes_here = only_table(profile, "examples")
    assert 1 <= len(themes_here) <= 8 and not profile.exception


def _theme_chart_spec(monthly: pd.DataFrame) -> tuple[dict, dict[str, str], pd.DataFrame]:
    """The chart's encoding, its colour of each line's label (in legend order), and its data."""
    from voc.present.charts import theme_lines

    spec = theme_lines(monthly).to_dict()
    (data,) = spec["datasets"].values()
    scale = spec["encoding"]["color"]["scale"]
    return spec["encoding"], dict(zip(scale["domain"], scale["range"], strict=True)), pd.DataFrame(data)


def test_theme_lines_keep_each_themes_colour_show_six_and_name_them_in_full() -> None:
    from voc.present.charts import MAX_THEME_LINES, theme_style

    long_name = "standing water after storms · blocked storm drain · flooded driveway"
    county = pd.DataFrame(
        [(month, theme, f"theme {theme}" if theme != 9 else long_name, 100 - theme)
         for month in ("2026-01", "2026-02", "2026-03") for theme in range(10)],
        columns=["month", "theme", "name", "contacts"],
    )  # fmt: skip
    # A district where theme 9 is the largest and theme 1 had no contact in February.
    district = county[county["theme"].isin([9, 4, 1])].copy()
    district.loc[district["theme"] == 9, "contacts"] = 500
    district = district[~((district["theme"] == 1) & (district["month"] == "2026-02"))]

    _, county_colours, county_data = _theme_chart_spec(county)
    district_encoding, district_colours, district_data = _theme_chart_spec(district)
    assert list(county_colours) == [f"theme {t}" for t in range(MAX_THEME_LINES)]  # the largest six, largest first
    assert list(district_colours) == [long_name, "theme 4", "theme 1"]
    for name, colour in district_colours.items():  # the same theme, the same colour and dash as on every chart
        assert county_colours.get(name, colour) == colour
    assert district_colours[long_name] == theme_style(9)[0] and district_colours["theme 4"] == theme_style(4)[0]
    assert district_encoding["strokeDash"]["scale"]["range"][0] == list(theme_style(9)[1])
    assert len({theme_style(t) for t in range(30)}) == 30  # every theme of a store has a look of its own
    assert len(set(county_colours.values())) == MAX_THEME_LINES  # six distinct colours on the county's chart
    legend = district_encoding["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] >= 640 and legend["symbolType"] == "stroke"
    february = district_data[(district_data["label"] == "theme 1") & (district_data["month"] == "2026-02")]
    assert february["contacts"].tolist() == [0]  # a month without contacts is a 0, not a gap bridged over
    assert len(county_data) == 3 * MAX_THEME_LINES


def test_repeated_and_missing_descriptions_get_the_vector_of_their_own_text_without_places() -> None:
    texts = pd.Series(
        ["Pothole on NW 2nd Ave", None, "Pothole on NW 2nd Ave", "Streetlight out at 5 Oak St.", "", "Pothole on"],
        dtype="str",
    )
    expected = embed(without_places(texts.fillna("")).tolist())
    np.testing.assert_array_equal(description_vectors(texts), expected)
    assert np.array_equal(expected[0], expected[5]) and not expected[1].any()


def test_canned_texts_group_into_no_more_themes_than_they_have_distinct_wordings() -> None:
    # A form's fixed wording, with only the address changing: 60 texts, two wordings once places are left out.
    texts = pd.Series(
        [f"Pothole reported at {n} Main St" for n in range(40)] + [f"Streetlight out at {n} Oak Ave" for n in range(20)]
    )
    vectors = description_vectors(texts)
    assert theme_count(len(texts)) == 2 and distinct_rows(vectors) == 2
    grouping = group_vectors(vectors, themes=5, seed=0)
    assert len(grouping.centres) == 2
    assert np.bincount(grouping.labels).tolist() == [40, 20]
    same = description_vectors(pd.Series([f"Pothole reported at {n} Main St" for n in range(30)]))
    assert len(group_vectors(same, themes=3, seed=0).centres) == 1


def _three_clusters(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return n float16 unit vectors (as the store keeps them) around three directions, and each one's direction."""
    rng = np.random.default_rng(7)
    directions = np.eye(16)[[0, 5, 11]]
    truth = np.arange(n) % 3
    vectors = directions[truth] + rng.normal(0, 0.15, (n, 16))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float16), truth


def test_more_vectors_than_the_fit_sample_are_all_placed_a_part_at_a_time_deterministically(monkeypatch) -> None:
    from voc.contacts import themes

    vectors, truth = _three_clusters(900)
    monkeypatch.setattr(themes, "FIT_SAMPLE", 150)  # k-means learns from 150 of the 900
    monkeypatch.setattr(themes, "PART_ROWS", 100)  # and places them 100 at a time
    grouping = group_vectors(vectors, themes=3, seed=0)
    assert len(grouping.labels) == 900 and np.bincount(grouping.labels).tolist() == [300, 300, 300]
    assert (pd.crosstab(truth, grouping.labels) > 0).sum(axis=1).tolist() == [1, 1, 1]  # each direction one theme
    assert np.array_equal(group_vectors(vectors, themes=3, seed=0).labels, grouping.labels)
    monkeypatch.setattr(themes, "PART_ROWS", 10_000)  # all at once: the same themes
    assert np.array_equal(group_vectors(vectors, themes=3, seed=0).labels, grouping.labels)


def test_representatives_read_only_the_texts_nearest_each_centre() -> None:
    vectors, _ = _three_clusters(3_000)
    grouping = group_vectors(vectors, themes=3, seed=0)
    asked: list[int] = []

    def texts_at(positions: np.ndarray) -> pd.Series:
        asked.extend(positions.tolist())
        return pd.Series([f"text {p}" for p in positions])

    examples = representatives(vectors, texts_at, grouping, per_theme=2)
    assert [len(found) for found in examples] == [2, 2, 2]
    assert len(asked) == 3 * 20 * 2  # the nearest 40 of each theme's 1,000, not 3,000 texts
    assert all(grouping.labels[p] == theme for theme, found in enumerate(examples) for p in found)


# --- later builds place new descriptions on the stored centres -------------------------------------------


def _placements(engine: sa.Engine) -> dict[int, int]:
    with engine.connect() as connection:
        query = sa.select(LABELS.c.request_id, LABELS.c.theme).where(LABELS.c.theme.is_not(None))
        return dict(connection.execute(query).all())


def _vectors_of(engine: sa.Engine, request_ids: list[int]) -> np.ndarray:
    table = DescriptionEmbedding.__table__
    query = sa.select(table.c.vector).where(table.c.request_id.in_(request_ids)).order_by(table.c.request_id)
    with engine.connect() as connection:
        packed = connection.execute(query).scalars().all()
    return np.frombuffer(b"".join(packed), dtype="<f2").reshape(len(packed), -1)


def _without_last_described(records: pd.DataFrame, n: int) -> pd.DataFrame:
    return records.drop(records.index[records["description"].str.strip() != ""][-n:])


def test_a_build_places_new_descriptions_on_the_stored_centres_and_keeps_the_roll_up(engine: sa.Engine) -> None:
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    _import(engine, _without_last_described(records, 20).to_csv(index=False).encode(), "gainesville_first.csv")
    first = build_themes(engine, user="test")
    assert first.regrouped and first.described == len(_described(engine)) >= 219
    assert first.themes == theme_count(first.described) == theme_count(240)
    fitted, placed_before = store_themes.load_centres(engine), _placements(engine)
    assert fitted is not None and len(fitted) == first.themes and set(placed_before) == _described(engine)
    assert_consistent(engine)

    _import(engine, records.to_csv(index=False).encode())  # the 20 descriptions left out, now new
    new = sorted(_described(engine) - set(placed_before))
    assert len(new) == 240 - first.described
    second = build_themes(engine, user="test")
    assert (second.regrouped, second.placed, second.described, second.themes) == (False, len(new), 240, first.themes)
    placed = _placements(engine)
    assert np.array_equal(store_themes.load_centres(engine), fitted)
    assert {i: placed[i] for i in placed_before} == placed_before  # nobody moved
    assert [placed[i] for i in new] == place_vectors(_vectors_of(engine, new), fitted).tolist()
    assert stored_themes(engine)["contacts"].sum() == 240
    assert_consistent(engine)

    # A changed description leaves its theme until placed again; a changed category moves its count at once.
    changed_id, touched_id = records.loc[records["description"] != "", "id"].iloc[[0, 1]]
    records.loc[records["id"] == changed_id, "description"] = "Streetlight out on the corner again"
    records.loc[records["id"] == touched_id, "request_type"] = "Pothole"
    update = _import(engine, records.to_csv(index=False).encode(), "gainesville_changed.csv")
    assert _request_id(engine, changed_id) not in _placements(engine)
    assert_consistent(engine)
    assert build_themes(engine, user="test").placed == 1
    assert_consistent(engine)
    undo(engine, update, user="test", role=Role.ANALYST)
    assert_consistent(engine)
    assert build_themes(engine, user="test").placed == 1  # the undone text, embedded and placed again
    assert_consistent(engine)

    # An analyst's request-type edit recounts the months it touches, themes included.
    raw_types = ServiceRequest.__table__.c.request_type
    with engine.connect() as connection:
        stored_types = connection.execute(sa.select(raw_types).distinct()).scalars().all()
    everything = pd.DataFrame({"raw_type": stored_types, "category": "Everything", "department": "Public Works",
                               "contact_type": "request"})  # fmt: skip
    save_type_map(engine, everything, user="test", role=Role.ANALYST)
    assert {category for _, _, category, _ in theme_counts_in(engine)} == {"Everything"}
    assert_consistent(engine)


def test_the_centres_are_learnt_again_once_a_quarter_of_the_descriptions_is_new(engine: sa.Engine) -> None:
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    _import(engine, _without_last_described(records, 60).to_csv(index=False).encode(), "gainesville_first.csv")
    assert build_themes(engine, user="test").described in (180, 181)
    _import(engine, records.to_csv(index=False).encode())  # 59 or 60 new: more than a quarter
    again = build_themes(engine, user="test")
    assert again.regrouped and again.placed == 0 and again.described == 240
    assert read_build_state(engine).grouped == 240 and read_build_state(engine).placed_since == 0
    assert set(_placements(engine)) == _described(engine)
    assert_consistent(engine)


@pytest.mark.parametrize(
    ("grouped", "placed_since", "described", "unplaced", "due"),
    [
        (0, 0, 240, 240, True),  # never grouped
        (50_000, 0, 51_000, 1_000, False),
        (50_000, 12_000, 62_500, 500, False),  # 12,500 of 50,000: at the limit, not past it
        (50_000, 12_000, 62_501, 501, True),
        (220, 0, 240, 20, False),  # 5 themes for either
        (200, 0, 251, 51, True),  # 4 themes for 200 descriptions, 5 for 251
        (4_000, 0, 4_100, 100, False),  # 20 themes for either
        (4_000, 0, 4_500, 500, True),  # 20 themes for 4,000, 21 for 4,500: grouped again
    ],
)
def test_regroup_due(grouped: int, placed_since: int, described: int, unplaced: int, due: bool) -> None:
    state = BuildState(grouped=grouped, placed_since=placed_since)
    assert regroup_due(state, described=described, unplaced=unplaced) is due


def test_a_write_during_a_regrouping_is_placed_by_it_and_counted(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    _import(engine, _without_last_described(records, 100).to_csv(index=False).encode(), "gainesville_first.csv")
    real_read = theming.read_embeddings

    def read_then_import(connection: sa.Connection, *, model: str) -> tuple[pd.DataFrame, np.ndarray]:
        read = real_read(connection, model=model)
        monkeypatch.setattr(theming, "read_embeddings", real_read)
        _import(engine, records.to_csv(index=False).encode())  # lands while the build groups what it read
        return read

    monkeypatch.setattr(theming, "read_embeddings", read_then_import)
    built = build_themes(engine, user="test")
    assert built.regrouped and built.described in (140, 141)  # what it read: the one "n/a" is no description
    assert set(_placements(engine)) == _described(engine) and len(_described(engine)) == 240
    assert_consistent(engine)


def test_upgrading_clears_themes_grouped_without_centres_and_asks_for_a_build(store_url: str) -> None:
    built_at = "2026-12-01 10:00:00.000000"
    engine = store_at_revision(
        store_url,
        "0028",
        ("INSERT INTO themes (id, name, terms, contacts, example_ids, built_at) VALUES "
         "(0, 'Potholes', '[\"pothole\"]', 7, '[]', :at)", [{"at": built_at}]),
        ("INSERT INTO monthly_theme_counts (month, theme, category, district_code, contacts) VALUES "
         "('2026-11', 0, 'Roads', '1', 7)", [{}]),
        ("INSERT INTO theme_builds (id, requested_version, built_version, built_at) VALUES (1, 4, 4, :at)",
         [{"at": built_at}]),
    )  # fmt: skip
    upgrade_schema(engine)
    assert schema_is_current(engine)
    assert stored_themes(engine).empty and theme_counts_in(engine) == {}
    state = read_build_state(engine)
    assert state.pending and (state.grouped, state.placed_since) == (0, 0)
    engine.dispose()


def test_a_build_checks_the_rows_of_uploads_since_the_last_check_and_undo_sends_it_back(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked_after: list[int] = []
    real = embedding.descriptions_to_embed

    def recorded(connection: sa.Connection, **arguments: Any) -> store_themes.ToEmbed:
        if arguments.get("upload_id") is None:
            checked_after.append(arguments["after_upload"])
        return real(connection, **arguments)

    monkeypatch.setattr(embedding, "descriptions_to_embed", recorded)
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    first = _import(engine, _without_last_described(records, 20).to_csv(index=False).encode(), "first.csv")
    build_themes(engine, user="test")
    second = _import(engine, records.to_csv(index=False).encode())
    build_themes(engine, user="test")
    assert checked_after == [0, first]  # a new store's first build checks every row; the next, the second upload's
    assert read_build_state(engine).checked_upload == second

    records.loc[records["description"] != "", "description"] = "Streetlight out on the corner again"
    third = _import(engine, records.to_csv(index=False).encode(), "changed.csv")
    undo(engine, third, user="test", role=Role.ANALYST)  # puts back rows of both earlier uploads
    assert build_themes(engine, user="test").embedded == 240
    assert checked_after[-1] == 0 and read_build_state(engine).checked_upload == third
    assert_consistent(engine)

    monkeypatch.setattr(embedding, "MODEL", "another-model")  # a new model: every row is checked again
    build_themes(engine, user="test")
    assert checked_after[-1] == 0


def test_too_few_descriptions_make_no_themes_and_every_vector_waits_for_one(engine: sa.Engine) -> None:
    records = pd.read_csv(GAINESVILLE, dtype=str, keep_default_na=False)
    described = records[records["description"].str.strip() != ""]
    _import(engine, described.head(12).to_csv(index=False).encode(), "few.csv")
    built = build_themes(engine, user="test")
    assert (built.themes, built.described) == (0, 12) and stored_themes(engine).empty
    assert _placements(engine) == {} and theme_counts_in(engine) == {}
    assert_consistent(engine)  # each of the 12 vectors keeps its row, without a theme, for the next build
    _import(engine, records.to_csv(index=False).encode())
    assert build_themes(engine, user="test").themes == theme_count(240)
    assert set(_placements(engine)) == _described(engine)
    assert_consistent(engine)
