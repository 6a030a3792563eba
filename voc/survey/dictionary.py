"""The question dictionary of a respondent-level survey file: what each column holds and how it is labelled.

A county's file comes with a dictionary (question code, label, response codes), with one kept on
the Data page, or with nothing but its header (a raw export whose headers are truncated question
stems). Each column gets a kind:
- rating: a 1-5 item, 5 the best (9 = don't know; 99, NA or blank = skipped);
- overall: the rating of the overall quality of services, the reference of derived importance;
- importance: a "most important" pick (1st, 2nd, 3rd...) naming an item of the rating battery
  `picks_from` by its number in that battery;
- district, weight, wave: the respondent's district, survey weight and wave;
- ignore: anything else (demographics, open answers, yes/no questions, other scales).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from voc.core.errors import FileRefused
from voc.ingest.read import read_table

KINDS = ("rating", "overall", "importance", "district", "weight", "wave", "ignore")
DICTIONARY_COLUMNS = ("question", "label", "kind", "codes", "picks_from", "position")
SCALE = (1, 2, 3, 4, 5)
DONT_KNOW = 9
SKIPPED = {"", "99", "na", "n/a", "nan", "none", "."}

_COLUMN = re.compile(
    r"^(?P<stem>[A-Za-z]+\d+(?:[A-Za-z]+\d*)?)(?:_(?P<item>\d+)(?=$|\s)|\[(?P<bracket>\d+)\])?(?P<rest>.*)$"
)
_CODE = re.compile(r"(?:^|,)\s*(\d+)\s*(?:=|\s-\s)\s*")
_DISTRICT = re.compile(r"district|\bcounci|\bward\b|^pac$|precinct", re.IGNORECASE)
_WEIGHT = re.compile(r"^(weight|wgt|wt|final_?weight|weights?)$", re.IGNORECASE)
_WAVE = re.compile(r"^(wave|quarte|quarter|survey_?wave|survey_?year)$", re.IGNORECASE)
_OVERALL = re.compile(
    r"overall quality of (?:city |the city'?s? )?services|quality of services provided by the city", re.I
)
_POSITIVE = re.compile(r"satisf|excellent|good|better|safe|agree|likely|easy|always", re.IGNORECASE)
_NEGATIVE = re.compile(r"dissatisf|poor|disagree|worse|unsafe|unlikely|difficult|never", re.IGNORECASE)
_RATING_WORDS = re.compile(r"satisf|\brate\b|quality", re.IGNORECASE)
_IMPORTANCE_SCALE = re.compile(r"important", re.IGNORECASE)
_HEADER_SYNONYMS = {
    "question": ("question", "column", "variable", "question_number", "name", "code", "field"),
    "label": ("label", "question_text", "text", "description", "wording"),
    "codes": ("codes", "response_codes", "question_responses", "responses", "values", "value_labels"),
}


def parse_codes(text: str) -> dict[int, str]:
    """Read response codes written as "1=Poor,2=Fair" or "5 - Excellent, 4 - Good" into {code: meaning}.

    Meanings may hold commas ("Under $30,000"): a new pair starts only at a comma followed by a
    number and "=" or " - ".
    """
    text = str(text or "")
    starts = list(_CODE.finditer(text))
    codes = {}
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        codes[int(match.group(1))] = text[match.end() : end].strip().rstrip(",").strip()
    return codes


def read_dictionary(data: bytes, file_name: str) -> pd.DataFrame:
    """Read a question dictionary file (CSV or workbook) into columns question, label, codes (+ kind, picks_from).

    Its first three columns are taken as question code, label and response codes unless the header
    names them (e.g. column/label/response_codes or question_number/question_text/question_responses).
    """
    frame = read_table(data, file_name).frame.astype(str)
    names = {str(c).strip().lower().replace(" ", "_"): c for c in frame.columns}
    chosen = {}
    for field, synonyms in _HEADER_SYNONYMS.items():
        found = next((names[s] for s in synonyms if s in names), None)
        chosen[field] = found
    if chosen["question"] is None or chosen["label"] is None:
        if len(frame.columns) < 2:
            raise FileRefused(
                f"{file_name} is not a question dictionary: give one row per column of the survey file, with the "
                "column's name, its label and (optionally) its response codes such as 1=Poor,...,5=Excellent."
            )
        chosen = dict(zip(("question", "label", "codes"), [*frame.columns[:3], None, None], strict=False))
    result = pd.DataFrame({field: frame[column] if column is not None else "" for field, column in chosen.items()})
    for extra in ("kind", "picks_from"):
        if extra in names:
            result[extra] = frame[names[extra]].replace({"": None, "nan": None, "None": None})
    result["question"] = result["question"].str.strip()
    return result[result["question"] != ""].drop_duplicates("question").reset_index(drop=True)


def split_column(name: str) -> tuple[str, int | None, str]:
    """Split a column name into its question stem, item number and the text after them.

    "q3_01" -> ("q3", 1, ""); "Q1[07] [07 Overall maintenance of City" -> ("Q1", 7, "[07 Overall...");
    "Q8 How satisfied are you" -> ("Q8", None, "How satisfied are you"); "id" -> ("id", None, "").
    """
    match = _COLUMN.match(name.strip())
    if not match:
        return name.strip(), None, ""
    item = match.group("item") or match.group("bracket")
    return match.group("stem"), int(item) if item else None, match.group("rest").strip()


def header_label(name: str) -> str:
    """Return the question text a raw export's header carries ("Q1[07] [07 Overall maint" -> "Overall maint")."""
    _, _, rest = split_column(name)
    text = re.sub(r"^\[\s*\d*\s*", "", rest).rstrip("]").strip()
    return text or name.strip()


def classify(raw: pd.DataFrame, dictionary: pd.DataFrame | None) -> pd.DataFrame:
    """Decide each column's kind and label from the dictionary (when it says) and the answers themselves.

    Returns one row per column of `raw`: question, label, kind, codes, picks_from, position. A
    dictionary carrying a kind (one voc saved) is followed as it is.
    """
    known = dictionary.set_index("question") if dictionary is not None and len(dictionary) else None
    rows = []
    for position, column in enumerate(raw.columns):
        entry = known.loc[column] if known is not None and column in known.index else None
        label = (
            str(entry["label"]).strip() if entry is not None and str(entry["label"]).strip() else header_label(column)
        )
        codes = str(entry["codes"]) if entry is not None and pd.notna(entry.get("codes")) else ""
        stated = entry.get("kind") if entry is not None else None
        if stated in KINDS:
            picks = entry.get("picks_from")
            rows.append((column, label, stated, codes, picks if isinstance(picks, str) and picks else None, position))
            continue
        single = split_column(column)[1] is None
        rows.append((column, label, _kind(column, label, codes, raw[column], single=single), codes, None, position))
    questions = pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS))
    if dictionary is not None and "kind" in dictionary.columns and dictionary["kind"].isin(KINDS).all():
        return questions
    return _with_overall(_with_picks(questions, raw))


def _kind(column: str, label: str, codes: str, values: pd.Series, *, single: bool) -> str:
    if _WEIGHT.match(column.strip()):
        return "weight"
    if _WAVE.match(column.strip()) or label.strip().lower() in {"quarter", "wave", "survey wave"}:
        return "wave"
    if _DISTRICT.search(column) or _DISTRICT.search(label):
        return "district"
    parsed = parse_codes(codes)
    if parsed:
        return "rating" if _is_rating_scale(parsed) else "ignore"
    # A lone 1-5 column without codes may be an age band or income bracket: it counts only when
    # its text says it is a rating.
    if single and not _RATING_WORDS.search(label):
        return "ignore"
    return "rating" if _looks_rated(values) else "ignore"


def _is_rating_scale(codes: dict[int, str]) -> bool:
    """Tell whether response codes are a 1-5 scale with 5 the best (and 9 perhaps don't know)."""
    if set(SCALE) - set(codes) or set(codes) - {*SCALE, DONT_KNOW, 99}:
        return False
    top, bottom = codes[5], codes[1]
    if _IMPORTANCE_SCALE.search(top) or _NEGATIVE.search(top):
        return False
    return bool(_POSITIVE.search(top) and _NEGATIVE.search(bottom))


def answer_codes(values: pd.Series) -> pd.Series:
    """Turn answers into numbers; skipped answers (blank, 99, NA) become NaN, text stays NaN too."""
    text = values.astype(str).str.strip().str.lower()
    numbers = pd.to_numeric(text.where(~text.isin(SKIPPED)), errors="coerce")
    return numbers


def _looks_rated(values: pd.Series) -> bool:
    """Tell whether a column without codes holds 1-5 ratings (and 9 for don't know) only."""
    numbers = answer_codes(values).dropna()
    if len(numbers) < 10 or not numbers.isin([*SCALE, DONT_KNOW]).all():
        return False
    rated = numbers[numbers.isin(SCALE)]
    return len(rated) >= 10 and rated.nunique() == len(SCALE)


def _with_picks(questions: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Find "most important" pick blocks: a few columns right after a rating battery, naming its items by number.

    Picks of one respondent differ from each other (a rating battery's answers often repeat), and
    every pick is an item number of the battery just before.
    """
    stems = questions["question"].map(lambda c: split_column(c)[0])
    order = list(dict.fromkeys(stems))
    previous_battery: tuple[str, int] | None = None
    for stem in order:
        block = questions[stems == stem]
        kinds = set(block["kind"])
        if previous_battery and len(block) <= 5 and kinds <= {"rating", "ignore"}:
            battery, size = previous_battery
            if _are_picks(pd.DataFrame({c: answer_codes(raw[c]) for c in block["question"]}), size):
                _mark_picks(questions, block, battery)
                previous_battery = None
                continue
        previous_battery = (stem, len(block)) if kinds == {"rating"} and len(block) >= 2 else None
    return questions


def _mark_picks(questions: pd.DataFrame, block: pd.DataFrame, battery: str) -> None:
    questions.loc[block.index, "kind"] = "importance"
    questions.loc[block.index, "picks_from"] = battery
    for rank, (index, column) in enumerate(zip(block.index, block["question"], strict=True), start=1):
        label = questions.at[index, "label"]
        if label in (column, header_label(column)) or len(label) < 8:
            questions.at[index, "label"] = f"Most important item of {battery}: pick {rank}"


def _are_picks(picks: pd.DataFrame, size: int) -> bool:
    values = picks.stack().dropna()
    if values.empty or not values.between(1, size).all() or values.nunique() < min(size, 3):
        return False
    matrix = picks.to_numpy(dtype=float)
    answered = matrix[(~np.isnan(matrix)).sum(axis=1) >= 2]
    if not len(answered):
        return False
    ordered = np.sort(answered, axis=1)  # NaN sort last, so equal neighbours are repeated picks
    repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    return bool(1 - repeated.mean() >= 0.98)


def _with_overall(questions: pd.DataFrame) -> pd.DataFrame:
    """Mark the first rating of the overall quality of services as the `overall` item."""
    rated = questions[(questions["kind"] == "rating") & questions["label"].str.contains(_OVERALL)]
    if len(rated):
        # The overall question leads its battery; a truncated header can make a later item look the same.
        item = rated["question"].map(lambda c: split_column(c)[1] or 1_000)
        questions.loc[item.sort_values(kind="stable").index[0], "kind"] = "overall"
    return questions


def unique_labels(questions: pd.DataFrame) -> pd.Series:
    """Return item labels made unique within the survey: a repeated label gets its column in brackets."""
    labels = questions["label"].astype(str).str.strip()
    labels = labels.where(labels.str.lower() != labels, labels.str[:1].str.upper() + labels.str[1:])
    repeated = labels.duplicated(keep="first")
    return labels.where(~repeated, labels + " (" + questions["question"] + ")")


def pick_items(questions: pd.DataFrame, battery: str) -> list[str]:
    """Return the columns of a rating battery in item order: pick value k names the k-th of them."""
    members = questions[questions["question"].map(lambda c: split_column(c)[0]) == battery]
    members = members[members["kind"].isin(["rating", "overall"])]
    numbered = members.assign(item=members["question"].map(lambda c: split_column(c)[1]))
    return numbered.sort_values(["item", "position"])["question"].tolist()


def year_in(text: str) -> int | None:
    """Return the last four-digit year (19xx or 20xx) in a text, or None."""
    years = re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)
    return int(years[-1]) if years else None


def to_weights(values: pd.Series) -> np.ndarray:
    """Return survey weights as floats; missing or non-positive weights count as 0."""
    weights = pd.to_numeric(values, errors="coerce").fillna(0.0).clip(lower=0.0)
    return weights.to_numpy(dtype=float)
