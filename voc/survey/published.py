"""Published survey summary tables: one row per service area (or question), wave, and district or county-wide.

Columns are recognised by their names (service area or question; wave or year; district; percent
satisfied; mean score; importance; n). Percentages may be 0-100 or 0-1. A row with a problem is
reported with its spreadsheet row number and left out; the others are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from voc.core.errors import FileRefused
from voc.survey.dictionary import year_in

_FIELDS = {
    "survey": r"^survey( name)?$",
    "service_area": r"service.?area|^question|^item|^service$|^topic",
    "wave": r"^wave|^period|^survey wave|^fielded",
    "year": r"year",
    "district_code": r"district|ward|^area$|council",
    "satisfied_share": r"satisf|^%|percent|pct|share",
    "importance_share": r"import",
    "mean_score": r"mean|average|score",
    "n": r"^n$|respondents|sample|^count|^base",
}
COUNTY_WORDS = {"", "county", "county-wide", "countywide", "all", "total", "city", "city-wide", "citywide", "overall"}


@dataclass(frozen=True)
class PublishedTable:
    results: pd.DataFrame
    problems: pd.DataFrame
    mapping: dict[str, str]


def looks_published(columns: list[str]) -> bool:
    """Tell whether a table's header is a published summary (service area + a share or mean + n)."""
    mapping = match_columns(columns)
    return "service_area" in mapping and ("satisfied_share" in mapping or "mean_score" in mapping)


def match_columns(columns: list[str]) -> dict[str, str]:
    """Return field -> column for the columns whose names say what they hold (first match wins)."""
    mapping: dict[str, str] = {}
    for column in columns:
        name = str(column).strip().lower().replace("_", " ")
        for field, pattern in _FIELDS.items():
            if field not in mapping and re.search(pattern, name):
                mapping[field] = column
                break
    return mapping


def read_published(
    frame: pd.DataFrame, row_numbers: np.ndarray, *, file_name: str, wave: str | None, year: int | None
) -> PublishedTable:
    """Read a summary table into survey results (wave, year, service_area, district_code, shares, mean, n).

    Raises FileRefused when a needed column is missing; row problems go into `problems`.
    """
    mapping = match_columns(list(frame.columns))
    if "service_area" not in mapping or not {"satisfied_share", "mean_score"} & set(mapping) or "n" not in mapping:
        raise FileRefused(
            f"{file_name}: a published survey table needs columns for the service area (or question), the percent "
            "satisfied or mean score, and n (respondents); found "
            + (", ".join(f"{field} = {column!r}" for field, column in mapping.items()) or "none of them")
            + ". Rename the columns and upload again."
        )
    text = {field: frame[column].astype(str).str.strip() for field, column in mapping.items()}
    out = pd.DataFrame({"service_area": text["service_area"]})
    from_name = pd.Series(str(year_in(file_name) or ""), index=frame.index)
    out["wave"] = wave or text.get("wave", text.get("year", from_name))
    out["year"] = year or out["wave"].map(year_in)
    if "year" in text and not year:
        out["year"] = pd.to_numeric(text["year"].str.extract(r"((?:19|20)\d\d)")[0], errors="coerce")
    district = text.get("district_code", pd.Series("", index=frame.index))
    out["district_code"] = district.where(~district.str.lower().isin(COUNTY_WORDS), None)
    for field in ("satisfied_share", "importance_share"):
        out[field] = _share(text[field]) if field in text else np.nan
    out["mean_score"] = pd.to_numeric(text["mean_score"], errors="coerce") if "mean_score" in text else np.nan
    out["n"] = pd.to_numeric(text["n"].str.replace(",", ""), errors="coerce")
    out["n_effective"] = out["n"]
    problems = _problems(out, row_numbers, mapping)
    kept = out.drop(index=problems["index"].unique()) if len(problems) else out
    kept = kept.assign(year=kept["year"].astype(int), n=kept["n"].astype(int))
    return PublishedTable(kept.reset_index(drop=True), problems.drop(columns="index"), mapping)


def _share(values: pd.Series) -> pd.Series:
    """Read percentages as 0-1 shares: "54%", "54" and "0.54" all give 0.54 (a column above 1 anywhere is 0-100)."""
    numbers = pd.to_numeric(values.str.rstrip("%").str.strip(), errors="coerce")
    percent = values.str.endswith("%") | (numbers.max() > 1)
    return numbers.where(~percent, numbers / 100)


def _problems(out: pd.DataFrame, row_numbers: np.ndarray, mapping: dict[str, str]) -> pd.DataFrame:
    checks = [
        (out["service_area"].isin(["", "nan"]), "service_area", "no service area or question"),
        (out["year"].isna(), "wave", "no year: give the wave's year (e.g. 2024) in the wave or year column"),
        (~(out["n"] > 0) | (out["n"] % 1 != 0), "n", "n must be a whole number of respondents above 0"),
        (~out["satisfied_share"].between(0, 1) & out["satisfied_share"].notna(), "satisfied_share", "not 0-100%"),
        (~out["importance_share"].between(0, 1) & out["importance_share"].notna(), "importance_share", "not 0-100%"),
        (out["satisfied_share"].isna() & out["mean_score"].isna(), "satisfied_share", "neither percent nor mean"),
    ]
    rows = [
        (index, int(row_numbers[position]), mapping.get(field, field), message)
        for mask, field, message in checks
        for position, index in enumerate(out.index)
        if mask.iloc[position]
    ]
    flagged = {index for index, *_ in rows}
    duplicated = out[~out.index.isin(flagged)].duplicated(["service_area", "wave", "district_code"], keep="first")
    duplicated = duplicated.reindex(out.index, fill_value=False)
    rows += [
        (index, int(row_numbers[position]), mapping["service_area"], "repeats an earlier row's area, wave and district")
        for position, index in enumerate(out.index)
        if duplicated.iloc[position]
    ]
    return pd.DataFrame(rows, columns=["index", "row", "column", "message"]).sort_values("row", kind="stable")
