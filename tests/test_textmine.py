"""Tests of free-text mining: tokens, term counts, frequent terms and rising terms."""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from voc.contacts.textmine import PHRASE_ENDS, STOP_WORDS, frequent_terms, rising_terms, term_counts, tokenize

FLOODING = "Flooding / standing water"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Pothole!!! On MAIN St.", ["pothole", "on", "main", "st"]),
        ("Call me at [phone] or [e-mail], thanks", ["call", "me", "at", "or", "thanks"]),
        ("Neighbor's dog; don't know whose", ["neighbor", "dog", "dont", "know", "whose"]),
        ("Lights out on I-75 since 3/14, 2 weeks", ["lights", "out", "on", "i-75", "since", "weeks"]),
        ("Call 727-555-0143 at 7am", ["call", "at", "7am"]),
        ("cul-de-sac -- flooded - again-", ["cul-de-sac", "flooded", "again"]),
        ("Write to jsmith@example.org or see https://x.gov/a?b=1", ["write", "to", "or", "see"]),
        ("Señal ROTA en la calle", ["señal", "rota", "en", "la", "calle"]),
        ("12 34 56", []),
        ("", []),
        (None, []),
    ],
)
def test_tokenize(text: str | None, tokens: list[str]) -> None:
    assert tokenize(pd.Series([text], dtype=object)).tolist() == [tokens]


def test_tokenize_keeps_the_index_and_name() -> None:
    result = tokenize(pd.Series(["Tree down", "Sign"], index=[7, 3], name="description"))
    assert result.index.tolist() == [7, 3]
    assert result.name == "description"
    assert result.tolist() == [["tree", "down"], ["sign"]]


def test_term_counts_counts_texts_not_occurrences() -> None:
    texts = pd.Series(
        [
            "Standing water on the road.",
            "Standing water, again! Water water.",
            "Road flooded near the school",
            "Water main break",
        ]
    )
    expected = pd.DataFrame(
        [
            ("water", 1, 3),
            ("standing water", 2, 2),
            ("road", 1, 2),
            ("standing", 1, 2),
            ("main break", 2, 1),
            ("road flooded", 2, 1),
            ("water main", 2, 1),
            ("water water", 2, 1),
            ("break", 1, 1),
            ("flooded", 1, 1),
            ("main", 1, 1),
            ("school", 1, 1),
        ],
        columns=["term", "n", "documents"],
    ).astype({"term": "str"})
    pd.testing.assert_frame_equal(term_counts(texts), expected)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # Phrases do not cross punctuation.
        ("bus stop, water", {"bus", "stop", "water", "bus stop"}),
        # Stop words may sit inside a phrase but not at either end.
        ("sinkhole near the school", {"sinkhole", "school"}),
        ("sinkhole near school", {"sinkhole", "school", "sinkhole near school"}),
        ("water up to the curb", {"water", "curb"}),
        # A few particles may end a phrase.
        ("streetlight out again", {"streetlight", "streetlight out"}),
        # A dropped number or marker breaks a phrase too.
        ("pothole 12 lane [phone] call", {"pothole", "lane", "call"}),
    ],
)
def test_term_counts_phrases(text: str, terms: set[str]) -> None:
    assert set(term_counts(pd.Series([text]), max_n=3)["term"]) == terms


def test_term_counts_of_nothing_is_an_empty_frame() -> None:
    for texts in (pd.Series([], dtype=object), pd.Series([None, "", "the 12"])):
        result = term_counts(texts)
        assert result.empty
        assert result.columns.tolist() == ["term", "n", "documents"]


def test_term_counts_match_a_plain_python_count() -> None:
    rng = random.Random(5)
    vocabulary = ["pothole", "water", "street", "light", "dog", "out", "down", "the", "near", "of", "to", "x", "42"]
    for _ in range(20):
        texts = [
            " ".join(rng.choice(vocabulary) + rng.choice(["", "", "", ",", "."]) for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 40))
        ]
        got = term_counts(pd.Series(texts), max_n=3)
        assert dict(zip(got["term"], got["documents"], strict=True)) == _plain_counts(texts, 3)


def _plain_counts(texts: list[str], max_n: int) -> Counter[str]:
    """Count texts per term the slow, obvious way, for texts made of plain words, numbers, commas and stops."""
    counts: Counter[str] = Counter()
    for text in texts:
        found = set()
        for run in re.split(r"[,.]|\b\d+\b", text.lower()):
            words = run.split()
            for n in range(1, max_n + 1):
                for i in range(len(words) - n + 1):
                    first, last = words[i], words[i + n - 1]
                    if _is_stop(first) or (_is_stop(last) and (n == 1 or last not in PHRASE_ENDS)):
                        continue
                    found.add(" ".join(words[i : i + n]))
        counts.update(found)
    return counts


def _is_stop(word: str) -> bool:
    return word in STOP_WORDS or len(word) < 2


def test_frequent_terms_prefer_a_phrase_to_its_words_when_nearly_as_frequent() -> None:
    texts = pd.Series(["Standing water in the yard"] * 10 + ["Water main break"] * 5 + ["Yard flooding"] * 2)
    result = frequent_terms(texts)
    # "standing" is always "standing water"; "water" is common outside it, so it stays.
    assert result["term"].tolist() == ["water", "yard", "standing water", "water main break", "yard flooding"]
    assert result["documents"].tolist() == [15, 12, 10, 5, 2]
    assert result["share"].tolist() == pytest.approx([15 / 17, 12 / 17, 10 / 17, 5 / 17, 2 / 17])
    assert frequent_terms(texts, top=2)["term"].tolist() == ["water", "yard"]


def test_frequent_terms_look_past_the_words_their_phrases_absorb() -> None:
    pairs = ["alpha beta", "gamma delta", "kappa sigma"]
    # Each word is in 10 texts, each pair in 9: the six words, all absorbed, outnumber top.
    texts = pd.Series([p for p in pairs for _ in range(9)] + [w for p in pairs for w in p.split()])
    assert frequent_terms(texts, top=1)["term"].tolist() == ["alpha beta"]
    assert frequent_terms(texts, top=5)["term"].tolist() == pairs
    assert frequent_terms(texts, top=5)["documents"].tolist() == [9, 9, 9]


def test_frequent_terms_of_nothing_is_an_empty_frame() -> None:
    result = frequent_terms(pd.Series([], dtype=object))
    assert result.empty
    assert result.columns.tolist() == ["term", "n", "documents", "share"]


def _background(n: int) -> list[str]:
    """Return n everyday reports cycling through five kinds, so any two runs have the same mix."""
    kinds = [
        "Pothole in the eastbound lane",
        "Streetlight out by the park",
        "Garbage not picked up this week",
        "Tree down across the road",
        "Water leak at the meter box",
    ]
    return [kinds[i % len(kinds)] for i in range(n)]


def test_a_new_phrase_ranks_first_and_is_new() -> None:
    current = pd.Series(["Sinkhole near school, please hurry"] * 20 + _background(180))
    previous = pd.Series(_background(200))
    result = rising_terms(current, previous)
    # Everything else lost share; the phrase's own words are absorbed by it, and "hurry", as
    # strong, ranks after the longer phrase.
    assert result["term"].tolist() == ["sinkhole near school", "hurry"]
    row = result.iloc[0]
    assert (row["n"], row["current"], row["previous"], row["status"]) == (3, 20, 0, "new")
    assert (row["current_share"], row["previous_share"]) == (0.1, 0.0)
    # Smoothed by half a text: (20.5 / 201) / (0.5 / 201).
    assert row["ratio"] == pytest.approx(41.0)
    # Fisher: the chance that all 20 texts with the phrase fall among the 200 current of 400 texts.
    chance = math.comb(200, 20) / math.comb(400, 20)
    assert row["z"] == pytest.approx(-NormalDist().inv_cdf(chance))
    assert row["z"] == pytest.approx(4.863, abs=1e-3)


def test_a_term_as_common_as_a_year_before_is_not_rising() -> None:
    texts = pd.Series(_background(200))
    assert rising_terms(texts, texts, min_z=-math.inf).empty
    # "pothole" (in 40 texts of 200) is half as common as before: not rising, however weak the bar.
    fewer = pd.Series(_background(200)[:100] + ["Water leak at the meter box"] * 100)
    assert "pothole" not in set(rising_terms(fewer, texts, min_documents=1, min_z=-math.inf)["term"])


def test_counts_that_rise_with_the_category_are_not_rising_words() -> None:
    # Twice the contacts, same words: shares are unchanged.
    assert rising_terms(pd.Series(_background(400)), pd.Series(_background(200))).empty


def test_min_documents_is_respected() -> None:
    current = pd.Series(["Sinkhole opened"] * 4 + _background(196))
    previous = pd.Series(_background(200))
    assert rising_terms(current, previous, min_documents=5, min_z=0).empty
    found = rising_terms(current, previous, min_documents=4, min_z=0)
    assert found["term"].tolist() == ["sinkhole opened"]
    assert (found["current"] >= 4).all()


def test_a_word_rising_beyond_its_phrases_is_kept_and_ranked_by_strength() -> None:
    current = pd.Series(["Sinkhole near school"] * 20 + ["Sinkhole in driveway"] * 15 + _background(165))
    result = rising_terms(current, pd.Series(_background(200)))
    assert result["term"].tolist() == ["sinkhole", "sinkhole near school", "sinkhole in driveway"]
    assert result["current"].tolist() == [35, 20, 15]
    assert result["z"].is_monotonic_decreasing


def test_rising_terms_with_no_previous_texts_finds_nothing_rising() -> None:
    result = rising_terms(pd.Series(_background(50)), pd.Series([], dtype=object))
    assert result.empty
    assert result.columns.tolist() == [
        "term",
        "n",
        "current",
        "previous",
        "current_share",
        "previous_share",
        "ratio",
        "z",
        "status",
    ]


def test_rising_terms_agree_with_fisher_exact_and_the_threshold_only_filters() -> None:
    rng = random.Random(11)
    words = ["pothole", "water", "street", "light", "sinkhole", "school", "near", "out", "dog", "the"]
    for _ in range(10):
        previous = [" ".join(rng.choices(words, k=rng.randint(1, 6))) for _ in range(rng.randint(20, 120))]
        drifted = words[:4] + ["sinkhole"] * 3 + words[4:]
        current = [" ".join(rng.choices(drifted, k=rng.randint(1, 6))) for _ in range(rng.randint(20, 120))]
        every = rising_terms(pd.Series(current), pd.Series(previous), top=10_000, min_z=-math.inf)
        for row in every.itertuples():
            table = [[row.current, len(current) - row.current], [row.previous, len(previous) - row.previous]]
            chance = fisher_exact(table, alternative="greater").pvalue
            assert row.z == pytest.approx(-NormalDist().inv_cdf(chance), abs=1e-6)
        strong = rising_terms(pd.Series(current), pd.Series(previous), top=10_000, min_z=1.0)
        pd.testing.assert_frame_equal(strong, every[every["z"] >= 1.0].reset_index(drop=True))


@pytest.fixture(scope="module")
def flooding(demo_county) -> tuple[pd.Series, pd.Series]:
    """The demo's District 3 flooding descriptions, Aug-Oct 2026 and the same months of 2025."""
    requests = demo_county.requests
    chosen = requests[(requests["category"] == FLOODING) & (requests["district_code"] == "3")]
    month = chosen["opened_month"]
    current = chosen.loc[month.between("2026-08", "2026-10"), "description"]
    previous = chosen.loc[month.between("2025-08", "2025-10"), "description"]
    return current, previous


def test_demo_flooding_rise_brings_its_new_phrase(flooding: tuple[pd.Series, pd.Series]) -> None:
    current, previous = flooding
    # The planted rise multiplies contacts (177 against 76), and part of them use a new phrase.
    assert (len(current), len(previous)) == (177, 76)
    rising = rising_terms(current, previous)
    assert rising.iloc[0][["term", "status", "current", "previous"]].tolist() == [
        "cypress creek subdivision",
        "new",
        68,
        0,
    ]
    assert rising["z"].is_monotonic_decreasing
    assert (rising["current"] >= 5).all()
    frequent = frequent_terms(current, top=3)
    assert frequent["term"].iloc[0] == "water"


def test_a_phrase_planted_in_the_demo_rises_to_the_top(flooding: tuple[pd.Series, pd.Series]) -> None:
    current, previous = flooding
    usual = current[~current.str.contains("Cypress Creek")]
    planted = pd.concat([usual, pd.Series(["Sinkhole near school, road caving in"] * 20)])
    result = rising_terms(planted, previous)
    assert result.iloc[0][["term", "status", "current", "previous"]].tolist() == ["sinkhole near school", "new", 20, 0]
    assert result["z"].is_monotonic_decreasing
    assert (result["z"] >= 2.33).all()
    assert (result["current"] >= 5).all()
    assert set(result["status"]) <= {"new", "rising"}
    assert np.isclose(result["current_share"], result["current"] / len(planted)).all()
