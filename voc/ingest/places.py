"""Words that say where, not what: street suffixes, directions, positions, landmarks and numbers.

Residents write where a problem is as often as what it is ("NW 2nd Ave", "behind the shopping
center"). Those words say nothing of the problem, yet in a short description they weigh as much as
the problem's own words: left out, descriptions group by their problem (bench/themes_bench.py) and
themes are named by it (voc.contacts.theme_names).
"""

from __future__ import annotations

import re

import pandas as pd

_PLACE_WORDS_TEXT = """
    street st road rd avenue ave av boulevard blvd lane ln drive dr court ct circle cir way parkway pkwy highway hwy
    terrace ter terr trail trl place pl plaza square sq loop route rte alley
    north south east west northbound southbound eastbound westbound nw ne sw se n s e w th nd
    front behind across near next corner side end block intersection entrance past
    house home address apartment apt unit residence neighborhood neighbourhood subdivision cul-de-sac
    center centre mall shopping church school elementary station
"""
PLACE_WORDS: frozenset[str] = frozenset(_PLACE_WORDS_TEXT.split())
# House and street numbers: "901-999", "5", "9th", "34th", "2nd".
_NUMBER = r"\d[\d-]*(?:st|nd|rd|th)?"


def _trie_alternation(words: frozenset[str]) -> str:
    """A regex alternation of the words with their shared prefixes factored out ("st(?:reet)?" for st, street).

    Python's re tries a flat alternation's branches one by one at every position of every text; sharing
    prefixes tests each letter once.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}

    def alternation(node: dict[str, dict]) -> str:
        branches = [re.escape(letter) + alternation(child) for letter, child in sorted(node.items()) if letter]
        if not branches:
            return ""
        grouped = f"(?:{'|'.join(branches)})"
        return grouped + "?" if "" in node else grouped

    return alternation(trie)


_PLACE = re.compile(
    r"(?<![\w'-])(?:" + _trie_alternation(PLACE_WORDS) + "|" + _NUMBER + r")(?![\w'-])\.?", re.IGNORECASE
)


def is_place_word(word: str) -> bool:
    """Tell whether a lower-case word says where: a PLACE_WORDS word or a number ("9th", "901-999")."""
    return word in PLACE_WORDS or re.fullmatch(_NUMBER, word) is not None


def without_places(texts: pd.Series) -> pd.Series:
    """Return the texts with their place words and numbers left out (case-insensitive, whole words only).

    "Large pothole on NW 2nd Ave." gives "Large pothole on" (spaces closed up); a missing text stays missing.
    """
    stripped = texts.str.replace(_PLACE, "", regex=True)
    return stripped.map(_closed_up, na_action="ignore")


def _closed_up(text: str) -> str:
    """The text's words with single spaces between them (split and join: a sixth of a regex replace's time)."""
    return " ".join(text.split())
