"""Theme names: the words and phrases that tell a theme's problem apart from the other themes'.

Each term is scored by class-based TF-IDF (c-TF-IDF: its share of the theme's texts, times the log of
how rare it is over all themes), then weighed down where it names a place rather than a problem:
residents say where as often as what, and "behind the shopping center" or "NW 2nd Ave" is spread
over every kind of request. Two signals catch it: a term spread evenly over the request categories
(or, without categories, over the themes) says nothing about the problem, and address words
(street suffixes, directions, positions, landmarks) and generic request words are weighed down by
list, for the terms too rare for their spread to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from voc.contacts.textmine import term_counts
from voc.ingest.places import is_place_word

# Naming counts terms in at most this many texts (a seeded sample of a larger store).
NAMING_SAMPLE = 6_000
TERMS_PER_NAME = 3
MIN_DOCUMENTS = 3  # a term names a theme only when at least this many of its texts hold it

# Words any request may hold, whatever its problem.
_GENERIC_WORDS_TEXT = """
    question issue issues problem problems need needs needed help request requested complaint call called calling
    ask asking asked want wants know like think large big small again still today day days week weeks month months
    year years
"""
GENERIC_WORDS: frozenset[str] = frozenset(_GENERIC_WORDS_TEXT.split())
PLACE_WEIGHT = 0.1
GENERIC_WEIGHT = 0.3
PHRASE_BONUS = 1.25  # a two-word phrase ("water bill") says more than either word
# A name's later terms score at least this share of its first: a weak one says less than none.
RELATIVE_SCORE = 0.25


def name_themes(
    texts: pd.Series, labels: np.ndarray, *, categories: pd.Series | None = None, seed: int = 0
) -> list[list[str]]:
    """Return each theme's distinctive words and phrases, most distinctive first (at most TERMS_PER_NAME).

    texts and labels (theme 0..labels.max()) are aligned by position; categories, aligned too, are
    the contacts' request categories (None or "" for unknown). A term held by fewer than
    MIN_DOCUMENTS of a theme's texts does not name it, and no two terms of a name share a word. A
    theme without such a term gets an empty list. The same inputs and seed give the same names.
    """
    texts = texts.reset_index(drop=True)
    known = categories.reset_index(drop=True).fillna("") if categories is not None else pd.Series("", index=texts.index)
    chosen = naming_sample(len(texts), seed)
    texts, labels, known = texts.iloc[chosen].reset_index(drop=True), labels[chosen], known.iloc[chosen]
    themes = int(labels.max()) + 1 if len(labels) else 0
    by_theme = _documents_by_group(texts, labels)
    if by_theme.empty:
        return [[] for _ in range(themes)]
    by_theme = by_theme.reindex(range(themes), fill_value=0)
    sizes = np.bincount(labels, minlength=themes).astype(float)
    share = by_theme.div(np.maximum(sizes, 1), axis=0)
    rarity = np.log1p(sizes.mean() / by_theme.sum())
    scores = share * rarity * _focus(texts, labels, known, by_theme.columns) * _lexicon_weights(by_theme.columns)
    scores = scores.where(by_theme >= MIN_DOCUMENTS, 0.0)
    return [_pick(scores.loc[theme]) for theme in range(themes)]


def theme_name(terms: list[str]) -> str:
    """Return a theme's name from its terms: "pothole · road · hole"; "(no distinctive words)" without."""
    return " · ".join(terms) if terms else "(no distinctive words)"


def naming_sample(n: int, seed: int) -> np.ndarray:
    """Return the positions (ascending) of the texts name_themes counts terms in, out of n: all, or NAMING_SAMPLE."""
    if n <= NAMING_SAMPLE:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, NAMING_SAMPLE, replace=False))


def _documents_by_group(texts: pd.Series, groups: np.ndarray) -> pd.DataFrame:
    """Return how many texts of each group (rows) hold each word and two-word phrase (columns)."""
    counted = {
        group: term_counts(texts[groups == group], max_n=2).set_index("term")["documents"]
        for group in pd.unique(groups)
    }
    if not counted:
        return pd.DataFrame()
    return pd.DataFrame(counted).fillna(0).T.sort_index()


def _focus(texts: pd.Series, labels: np.ndarray, categories: pd.Series, terms: pd.Index) -> pd.Series:
    """Return 1 minus how evenly each term spreads over the categories (over the themes without two of them).

    Evenness is the entropy of the term's share of each group's texts, over its maximum: 1 for a term
    as common in every group, 0 for a term of one group only.
    """
    described = (categories != "").to_numpy()
    if pd.Series(categories[described]).nunique() >= 2:
        groups, group_of = categories[described].to_numpy(), texts[described]
    else:
        groups, group_of = labels, texts
    by_group = _documents_by_group(group_of, groups).reindex(columns=terms, fill_value=0)
    sizes = pd.Series(groups).value_counts().reindex(by_group.index).to_numpy(dtype=float)
    if len(sizes) < 2:
        return pd.Series(1.0, index=terms)
    rates = by_group.div(sizes, axis=0)
    spread = rates / rates.sum().replace(0, 1)
    entropy = -(spread * np.log(spread.where(spread > 0, 1))).sum()
    return 1 - entropy / np.log(len(sizes))


def _lexicon_weights(terms: pd.Index) -> pd.Series:
    """Return each term's weight: a phrase bonus, down for place and generic words (the lowest word counts)."""
    words = pd.Series(terms, index=terms).str.split()
    place = words.map(lambda ws: any(is_place_word(w) for w in ws))
    generic = words.map(lambda ws: all(w in GENERIC_WORDS or is_place_word(w) for w in ws))
    weights = pd.Series(np.where(words.map(len) > 1, PHRASE_BONUS, 1.0), index=terms)
    return weights * np.where(place, PLACE_WEIGHT, 1.0) * np.where(generic & ~place, GENERIC_WEIGHT, 1.0)


def _pick(scores: pd.Series) -> list[str]:
    """Return the best-scoring terms, up to TERMS_PER_NAME and down to RELATIVE_SCORE of the best, no word repeated.

    Words compare without a plural s, and a phrase also as one word: "signs" repeats "sign", "pot hole" "pothole".
    """
    taken: list[str] = []
    used: set[str] = set()
    ranked = scores[scores > 0].sort_values(ascending=False, kind="stable")
    for term in ranked[ranked >= RELATIVE_SCORE * ranked.max()].index:
        words = {word.removesuffix("s") for word in [*term.split(), term.replace(" ", "")]}
        if words & used:
            continue
        taken.append(term)
        used |= words
        if len(taken) == TERMS_PER_NAME:
            break
    return taken
