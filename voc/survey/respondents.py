"""Respondent-level survey files: one row per resident, summarised into published figures per wave and district.

Shares exclude "don't know" (9) and skipped answers (blank, 99, NA), as survey vendors report them:
`satisfied_share` is the (weighted) share of ratings of 4 or 5 among those who gave a rating of
1-5. `importance_share` is the (weighted) share of all respondents who named the item among their
most important picks. With weights, `n_effective` is Kish's (sum w)^2 / sum w^2 and `weight_total`
the sum of the weights (what a rest-of-county share is built from); `n` stays the count of residents
who rated the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from voc.core.errors import FileRefused
from voc.survey.dictionary import answer_codes, pick_items, to_weights, unique_labels, year_in
from voc.survey.stats import weighted_correlation

RESULT_COLUMNS = (
    "wave", "year", "question", "service_area", "district_code", "satisfied_share", "importance_share",
    "mean_score", "n", "n_effective", "weight_total", "derived_importance",
)  # fmt: skip


@dataclass(frozen=True)
class Summary:
    """What a respondent-level file holds once summarised."""

    results: pd.DataFrame
    questions: pd.DataFrame
    respondents: int
    replicated: int = 0
    weighted: bool = False
    notes: list[str] = field(default_factory=list)


def summarise_respondents(
    raw: pd.DataFrame, questions: pd.DataFrame, *, file_name: str, wave: str | None = None, year: int | None = None
) -> Summary:
    """Summarise a respondent-level table into one row per wave, item and area (county-wide and each district).

    `questions` is the classified dictionary (voc.survey.dictionary.classify). The wave comes from
    `wave`, else from the file's wave column, else from a year in the file name; refused otherwise.
    Rows that are exact copies of another (a file "weighted by replication") are counted once, with
    a weight equal to their number of copies, so the margins are not overstated.
    """
    kinds = questions.set_index("question")["kind"]
    rated = questions[questions["kind"].isin(["rating", "overall"])]
    if rated.empty:
        raise FileRefused(
            f"{file_name}: no column holds 1-5 ratings. Give the question dictionary (--dictionary, or on the Data "
            "page) with response codes such as 1=Very Dissatisfied,...,5=Very Satisfied,9=Don't Know."
        )
    frame, weights, replicated, weighted = _weights(raw, questions)
    waves = _waves(frame, kinds, file_name=file_name, wave=wave, year=year)
    labels = dict(zip(questions["question"], unique_labels(questions), strict=True))
    district_column = next(iter(kinds.index[kinds == "district"]), None)
    districts = (
        frame[district_column].astype(str).str.strip().replace({"": None, "nan": None, "NA": None})
        if district_column
        else pd.Series(None, index=frame.index, dtype=object)
    )
    items = rated["question"].tolist()
    codes = np.column_stack([answer_codes(frame[q]).to_numpy(dtype=float) for q in items])
    codes[(codes < 1) | (codes > 5)] = np.nan
    picks = _picks(frame, questions)
    overall = next(iter(rated.loc[rated["kind"] == "overall", "question"]), None)
    rows = []
    for (label, wave_year), members in waves.groupby(["wave", "year"], sort=False).groups.items():
        in_wave = frame.index.isin(members)
        known = districts[in_wave].dropna()
        areas = [(None, in_wave)] + [(code, frame.index.isin(idx)) for code, idx in known.groupby(known).groups.items()]
        for district, mask in areas:
            figures = _ratings(codes[mask], weights[mask])
            w = weights[mask]
            for k, question in enumerate(items):
                satisfied, mean, n, n_effective, weight_total = figures[:, k]
                if n == 0:
                    continue
                importance = float(w[picks[question][mask]].sum() / w.sum()) if question in picks else np.nan
                derived = np.nan
                if overall and question != overall and district is None:
                    derived = weighted_correlation(codes[mask, k], codes[mask, items.index(overall)], w)
                rows.append((label, wave_year, question, labels[question], district, satisfied, importance, mean,
                             int(n), n_effective, weight_total, derived))  # fmt: skip
    results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    notes = _notes(questions, replicated=replicated, weighted=weighted, respondents=len(raw))
    return Summary(results, questions, respondents=len(frame), replicated=replicated, weighted=weighted, notes=notes)


def _ratings(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return rows satisfied_share, mean_score, n, n_effective, weight_total per item (column) of 1-5 codes (NaN: none).

    An item nobody rated gets n 0.
    """
    valid = ~np.isnan(codes)
    w = np.where(valid, weights[:, None], 0.0)
    total = w.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        satisfied = (w * (np.nan_to_num(codes) >= 4)).sum(axis=0) / total
        mean = (w * np.nan_to_num(codes)).sum(axis=0) / total
        n_effective = total**2 / (w**2).sum(axis=0)
    n = np.where(total > 0, valid.sum(axis=0), 0)
    return np.vstack([satisfied, mean, n, n_effective, total])


def _weights(raw: pd.DataFrame, questions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, int, bool]:
    """Return the respondents, their weights, how many rows were copies, and whether weights vary."""
    weight_column = next(iter(questions.loc[questions["kind"] == "weight", "question"]), None)
    if weight_column:
        weights = to_weights(raw[weight_column])
        return raw, weights, 0, bool(np.ptp(weights) > 0)
    # A row id makes copies look distinct: compare everything else.
    identifiers = [c for c in raw.columns if raw[c].is_unique and len(raw) > 1]
    answers = [c for c in raw.columns if c not in identifiers]
    copies = raw.groupby(answers, sort=False, dropna=False).ngroup()
    counts = copies.map(copies.value_counts())
    first = ~copies.duplicated()
    replicated = int((~first).sum())
    if not replicated:
        return raw, np.ones(len(raw)), 0, False
    return raw[first], counts[first].to_numpy(dtype=float), replicated, True


def _waves(
    frame: pd.DataFrame, kinds: pd.Series, *, file_name: str, wave: str | None, year: int | None
) -> pd.DataFrame:
    """Return each respondent's wave label and year."""
    wave_column = next(iter(kinds.index[kinds == "wave"]), None)
    if wave:
        labels = pd.Series(wave, index=frame.index)
    elif wave_column:
        labels = frame[wave_column].astype(str).str.strip()
    elif year_in(file_name):
        labels = pd.Series(str(year_in(file_name)), index=frame.index)
    else:
        raise FileRefused(
            f"{file_name}: which wave is this? Give its label (for example --wave 2024, or the Wave box on the "
            "Upload page); the file has no wave column and its name no year."
        )
    years = labels.map(lambda text: year or year_in(text) or year_in(file_name))
    if years.isna().any():
        raise FileRefused(
            f"{file_name}: the wave {labels[years.isna()].iloc[0]!r} names no year. Give the year (--year 2024)."
        )
    return pd.DataFrame({"wave": labels, "year": years.astype(int)})


def _picks(frame: pd.DataFrame, questions: pd.DataFrame) -> dict[str, np.ndarray]:
    """Return, for each rated item that a pick block names, whether each respondent picked it."""
    chosen: dict[str, np.ndarray] = {}
    blocks = questions[questions["kind"] == "importance"].groupby("picks_from", sort=False)["question"]
    for battery, columns in blocks:
        items = pick_items(questions, battery)
        picked = pd.DataFrame({c: answer_codes(frame[c]) for c in columns})
        for number, item in enumerate(items, start=1):
            chosen[item] = picked.eq(number).any(axis=1).to_numpy()
    return chosen


def _notes(questions: pd.DataFrame, *, replicated: int, weighted: bool, respondents: int) -> list[str]:
    counts = questions["kind"].value_counts()
    notes = [
        f"{counts.get('rating', 0) + counts.get('overall', 0)} rated items, "
        f"{counts.get('importance', 0)} most-important picks, {counts.get('ignore', 0)} other columns left aside."
    ]
    if replicated:
        notes.append(
            f"{replicated:,} of {respondents:,} rows are copies of another row (weighting by replication): each "
            "resident is counted once with a weight equal to their copies, and margins use the effective sample size."
        )
    elif weighted:
        notes.append("Weighted: shares use the weights, margins the effective sample size (sum w)² / sum w².")
    return notes
