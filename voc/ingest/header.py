"""Read a column header as words and score how well each column's name fits a request field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache

from rapidfuzz import fuzz

from voc.ingest.vocabulary import ABBREVIATIONS, SYNONYMS, VETO_WORDS

_MIN_SIMILARITY = 0.75
_EXACT_NAMES: dict[str, str] = {synonym: field for field, synonyms in SYNONYMS.items() for synonym in synonyms}


def _key(name: object) -> str:
    """Return a column name without case, spaces or a byte-order mark."""
    return "".join(str(name).replace("\ufeff", "").split()).casefold()


def layout_key(name: object) -> str:
    """Return a column name reduced to lower-case letters and digits."""
    return re.sub(r"[^0-9a-z]", "", str(name).casefold())


def header_key(columns: Sequence[str]) -> str:
    """Return a sha256 hex digest of a header, ignoring case, spaces and column order."""
    normalised = sorted(_key(column) for column in columns)
    return hashlib.sha256("\x1f".join(normalised).encode("utf-8")).hexdigest()


@cache
def header_words(name: str) -> tuple[str, ...]:
    """Split a column name into lower-case words, abbreviations spelled out.

    "SRType" -> ("sr", "type"), "open_dt" -> ("open", "date"), "Case #" -> ("case", "number").
    """
    spaced = re.sub(r"#", " number ", name)
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", spaced)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    words = re.findall(r"[a-z0-9]+", spaced.casefold())
    return tuple(ABBREVIATIONS.get(word, word) for word in words)


def _word_similarity(words: Sequence[str], other: Sequence[str]) -> float:
    """Score 0..100 how well every word of each name matches some word of the other."""
    forward = min(max(fuzz.ratio(word, match) for match in other) for word in words)
    backward = min(max(fuzz.ratio(word, match) for match in words) for word in other)
    return min(forward, backward)


def _similarity(column_words: tuple[str, ...], synonym: str) -> float:
    """Score 0..1 how well a column name matches a synonym."""
    synonym_words = tuple(synonym.split())
    if len(column_words) == 1 < len(synonym_words):
        # A name written without separators ("srnumber", "ZIPCODE").
        whole = fuzz.ratio(column_words[0], synonym.replace(" ", ""))
    else:
        # Word by word, so that one shared word ("Contact Name" / "Contact Method") is
        # not enough.
        whole = _word_similarity(column_words, synonym_words)
    if whole < _MIN_SIMILARITY * 100:
        whole = 0.0
    # Squared, so that a near miss of a precise name ranks below an exact vague one.
    score = (whole / 100) ** 2
    if set(synonym_words) <= set(column_words):
        # The column says more than the synonym ("Ticket Created Date / Time"): a match,
        # a little less certain the more it adds.
        score = max(score, 0.85 + 0.1 * len(synonym_words) / len(column_words))
    return score


def name_similarity(column: str, name: str) -> float:
    """Score 0..1 how well a column's header matches a name, both read as words ("CIP No." ~ "cip number")."""
    words = header_words(column)
    return _similarity(words, " ".join(header_words(name))) if words else 0.0


def name_score(field: str, column: str) -> tuple[float, str]:
    """Return the best weighted similarity of `column` to `field`'s synonyms, and why."""
    words = header_words(column)
    if not words or set(words) & VETO_WORDS.get(field, frozenset()):
        return 0.0, ""
    # A column named exactly as another field ("Category") is not a look-alike of this
    # one ("Subcategory").
    name = " ".join(words)
    owner = _EXACT_NAMES.get(name)
    if owner is not None and owner != field and name not in SYNONYMS[field]:
        return 0.0, ""
    best, reason = 0.0, ""
    for synonym, weight in SYNONYMS[field].items():
        similarity = _similarity(words, synonym)
        if similarity * weight > best:
            best = similarity * weight
            reason = f"name resembles '{synonym}' ({round(similarity * 100)}%)"
    if reason and name != column.casefold().strip():
        reason += f", read as '{name}'"
    return best, reason
