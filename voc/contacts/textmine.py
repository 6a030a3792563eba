"""Free-text mining of contact descriptions: tokens, term counts, frequent and rising words and phrases."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import gammaln
from scipy.stats import hypergeom, norm

# English function words, plus courtesy words that residents add to any request ("please", "thanks").
# Apostrophes are removed before the lookup, so contractions appear without them.
_STOP_WORDS_TEXT = """
    a about above across after again against all almost along already also although always am among an and
    another any anyone anything are around as at away back be because been before behind being below beside
    besides between both but by can cannot could did do does doing done down during each either else even ever
    every few for from further get gets getting got had has have having he her here hers herself him himself his
    how however i if in inside instead into is it its itself just less let many may me might more most much must
    my myself near nearly neither never next no nobody none nor not nothing now of off often on once only onto
    or other others otherwise our ours ourselves out outside over own past per perhaps please quite rather
    really same several she should since so some someone something sometimes still such than thank thanks that
    the their theirs them themselves then there these they this those though through throughout thru to together
    too toward towards under unless until up upon us very via was we were what whatever when whenever where
    whether which while who whoever whom whose why will with within without would yet you your yours yourself
    yourselves aint arent cant couldnt didnt doesnt dont hadnt hasnt havent hes im isnt ive lets shes shouldnt
    thats theres theyd theyll theyre theyve wasnt weve whats wont wouldnt youd youll youre youve
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())
# Stop words that may end a phrase: they finish many reports ("streetlight out", "tree down", "water
# off") but mean nothing alone.
PHRASE_ENDS: frozenset[str] = frozenset({"down", "off", "out"})

# A longer phrase replaces a word or shorter phrase inside it when it is found in at least this share
# of the shorter one's texts ("standing water" in 95% of the texts with "standing" says more).
NEARLY = 0.8

# Redaction markers, e-mail addresses (personal data: their parts must never surface as terms) and web
# addresses (boilerplate such as "reported via https://...") are not words.
_NOT_WORDS = r"\[(?:phone|e-mail)\]|\S+@\S+|(?:https?://|www\.)\S+"
_BREAK = "|"
_COUNT_COLUMNS = ["term", "n", "documents"]
_FREQUENT_COLUMNS = [*_COUNT_COLUMNS, "share"]
_RISING_COLUMNS = ["term", "n", "current", "previous", "current_share", "previous_share", "ratio", "z", "status"]


def tokenize(texts: pd.Series) -> pd.Series:
    """Split each text into lower-case word tokens, in order and with stop words kept.

    Hyphenated words stay whole ("cul-de-sac"); possessive 's and apostrophes go ("neighbor's" ->
    "neighbor", "don't" -> "dont"). Punctuation, tokens without a letter ("123", "555-0143"), the
    redaction markers "[phone]" and "[e-mail]", unredacted e-mail addresses and web addresses are
    dropped. Stop words stay so that phrases can span them; term_counts keeps them out of its
    terms. A missing text gives an empty list. The result has the index and name of texts.
    """
    doc, _, code, vocabulary = _tokens(texts)
    offsets = pa.array(np.searchsorted(doc, np.arange(len(texts) + 1)), type=pa.int64())
    lists = pa.LargeListArray.from_arrays(offsets, vocabulary.take(pa.array(code))).to_pylist()
    return pd.Series(lists, index=texts.index, dtype=object, name=texts.name)


def term_counts(texts: pd.Series, *, max_n: int = 2) -> pd.DataFrame:
    """Count in how many texts each word and phrase of up to max_n words appears.

    Returns term, n (words in the term) and documents (texts holding it at least once), most
    documents first, then longest, then alphabetically. A phrase never spans punctuation, a number
    or a redaction marker; no term begins with a stop word or a one-letter token, nor ends with one
    other than PHRASE_ENDS: "water up to the curb" gives "water" and "curb", while "sinkhole near
    school" and "streetlight out" are terms. Empty input gives an empty frame with those columns.
    """
    grams = _grams(texts, max_n)
    counts = _counts(grams, split=len(texts)).rename(columns={"current": "documents"})
    return _spelled(grams, counts, by="documents")[_COUNT_COLUMNS]


def frequent_terms(texts: pd.Series, *, top: int = 15, max_n: int = 3) -> pd.DataFrame:
    """Return the top words and phrases by the number of texts holding them.

    Returns term, n, documents and share (of the texts with at least one word), most documents
    first, then longest. A term is left out when a longer term containing it is in at least
    NEARLY (80%) as many texts: "standing water" is shown instead of "standing", but "water" stays
    if it is common elsewhere too.
    """
    grams = _grams(texts, max_n)
    counts = _counts(grams, split=len(texts)).rename(columns={"current": "documents"})
    kept = _spelled(grams, _frequent_pool(grams, counts, top), by="documents").head(top)
    kept["share"] = kept["documents"] / max(_texts_with_words(grams.doc), 1)
    return kept[_FREQUENT_COLUMNS]


def rising_terms(
    current: pd.Series,
    previous: pd.Series,
    *,
    top: int = 15,
    min_documents: int = 5,
    min_z: float = 2.33,
    max_n: int = 3,
) -> pd.DataFrame:
    """Return the words and phrases whose share of texts rose most from previous to current.

    previous should be the same period a year before, so seasons cancel out. Terms are compared by
    their share of texts (with at least one word), not by counts, so a category that doubled
    overall does not make every word "rising". z is the normal score of a one-sided Fisher exact
    test of the rise in share: min_z=2.33 keeps rises that chance would give a term whose share
    did not change less than 1% of the time (across the demo's 210 stationary category-district
    panels, 3% still show one such term). ratio is (current + 0.5) / (current texts + 1) over
    (previous + 0.5) / (previous texts + 1), finite for new terms.

    Returns term, n, current and previous (texts holding the term), current_share and
    previous_share (raw), ratio, z and status ("new" when absent from previous, else "rising"),
    strongest then longest first. Only terms whose share grew, in at least min_documents current
    texts and with z >= min_z, are kept, and a term inside a kept term at least as strong is
    dropped: its rise is that phrase's. With no previous texts nothing can rise.
    """
    split = len(current)
    grams = _grams(pd.concat([current, previous], ignore_index=True), max_n)
    n_current = _texts_with_words(grams.doc[grams.doc < split])
    n_previous = _texts_with_words(grams.doc[grams.doc >= split])
    terms = _counts(grams, split=split, min_current=min_documents)
    terms = terms[terms["current"] * n_previous > terms["previous"] * n_current]
    terms = share_rises(terms, n_current, n_previous, min_z=min_z)
    terms = _spelled(grams, terms[~_absorbed(grams, terms, terms["z"], nearly=1.0)], by="z").head(top)
    terms["current_share"] = terms["current"] / max(n_current, 1)
    terms["previous_share"] = terms["previous"] / max(n_previous, 1)
    terms["status"] = np.where(terms["previous"] == 0, "new", "rising")
    return terms[_RISING_COLUMNS]


class _Grams(NamedTuple):
    """The tokens of a set of texts and the n-grams starting at each token, as integer keys."""

    doc: np.ndarray  # position of each token's text, ascending
    code: np.ndarray  # each token's index in vocabulary
    vocabulary: pa.Array
    keys: list[np.ndarray]  # keys[n - 1][s]: the n-gram starting at token s (same key, same words), -1 if none
    countable: list[np.ndarray]  # keys[n - 1][s] is a term: in one run, no stop word at its start or end


def _tokens(texts: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    r"""Return each word's text position, its run (stretch between two breaks), its code and the vocabulary.

    pyarrow's kernels split and flatten 100k texts several times faster than str.split and explode,
    and tokens are cleaned once per distinct token. Its regex engine (RE2) reads \w as ASCII only,
    hence \pL and friends.
    """
    text = pa.array(texts.astype("str").fillna(""), type=pa.large_string())
    # A concatenated Series comes in chunks, and list_parent_indices would number rows per chunk.
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    text = pc.utf8_lower(text)
    text = pc.replace_substring_regex(text, _NOT_WORDS, f" {_BREAK} ")
    text = pc.replace_substring_regex(text, r"['’](?:s\b)?", "")
    # Punctuation ends a phrase: "bus stop, water up to the curb" holds no "stop water".
    text = pc.replace_substring_regex(text, r"--+|[^\pL\pN\pM\s-]+", f" {_BREAK} ")
    lists = pc.utf8_split_whitespace(text)
    parent = pc.list_parent_indices(lists).to_numpy()
    raw = pc.dictionary_encode(pc.list_flatten(lists))
    raw_code = raw.indices.to_numpy(zero_copy_only=False)
    # Hyphens join words; at a word's edge they are dashes.
    trimmed = pc.dictionary_encode(pc.utf8_trim(raw.dictionary, "-"))
    is_word = pc.match_substring_regex(trimmed.dictionary, r"\pL").to_numpy(zero_copy_only=False)
    is_word = is_word[trimmed.indices.to_numpy(zero_copy_only=False)][raw_code]
    # Anything else but the empty strings of trailing spaces (a number, a dash, a break) ends a run.
    ends_run = ~is_word & (pc.not_equal(raw.dictionary, "").to_numpy(zero_copy_only=False)[raw_code])
    code = trimmed.indices.to_numpy(zero_copy_only=False).astype("int64")[raw_code[is_word]]
    return parent[is_word].astype("int64"), np.cumsum(ends_run)[is_word], code, trimmed.dictionary


def _grams(texts: pd.Series, max_n: int) -> _Grams:
    """Key every n-gram (n = 1..max_n) of texts by integers, so that counting never touches strings."""
    doc, run, code, vocabulary = _tokens(texts)
    # One-letter tokens ("e", "x") mean nothing alone, like stop words.
    is_stop = pc.or_(pc.is_in(vocabulary, pa.array(sorted(STOP_WORDS))), pc.less(pc.utf8_length(vocabulary), 2))
    stop = is_stop.to_numpy(zero_copy_only=False)[code]
    ends = ~stop | pc.is_in(vocabulary, pa.array(sorted(PHRASE_ENDS))).to_numpy(zero_copy_only=False)[code]
    same_run = (doc[1:] == doc[:-1]) & (run[1:] == run[:-1])
    keys, countable, joined = [pd.factorize(code)[0]], [~stop], np.ones(code.size, dtype=bool)
    for n in range(2, max_n + 1):
        joined = joined[:-1] & same_run[n - 2 :]
        chained = keys[-1][:-1] * max(len(vocabulary), 1) + code[n - 1 :]
        key = np.full(chained.size, -1, dtype="int64")
        key[joined] = pd.factorize(chained[joined])[0]
        keys.append(key)
        countable.append(joined & ~stop[: chained.size] & ends[n - 1 :])
    return _Grams(doc, code, vocabulary, keys, countable)


def _texts_with_words(doc: np.ndarray) -> int:
    """Return how many texts have at least one word: the denominator of every share."""
    return int(np.count_nonzero(np.diff(doc, prepend=-1)))


def _counts(grams: _Grams, *, split: int, min_current: int = 1) -> pd.DataFrame:
    """Count the texts holding each term before position split (current) and from it on (previous).

    Returns n, key, first (a token where the term starts, to spell it), current and previous, for
    the terms in at least min_current current texts.
    """
    frames = []
    for n, (key, countable) in enumerate(zip(grams.keys, grams.countable, strict=True), start=1):
        size = int(key.max()) + 1 if key.size else 0
        start = np.flatnonzero(countable)
        pairs = _distinct(grams.doc[start] * size + key[start])  # each (text, term) once
        doc, term = np.divmod(pairs, max(size, 1))
        current = np.bincount(term[doc < split], minlength=size)
        previous = np.bincount(term[doc >= split], minlength=size)
        rows = np.flatnonzero(current >= max(min_current, 1))
        frames.append(
            pd.DataFrame(
                {"n": n, "key": rows, "first": _first_positions(key)[rows]}
                | {"current": current[rows], "previous": previous[rows]}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Return the distinct values, sorted; sorting beats numpy's hashing unique on these arrays."""
    ordered = np.sort(values)
    return ordered[np.diff(ordered, prepend=-1) != 0]


def _first_positions(key: np.ndarray) -> np.ndarray:
    """Return, for each key 0..max, the first token where it starts.

    Keys come from pd.factorize, which numbers values in order of appearance: a key's first token is
    where the running maximum grows.
    """
    at = np.flatnonzero(key >= 0)
    running = np.maximum.accumulate(key[at])
    return at[np.diff(running, prepend=-1) > 0]


def _spelled(grams: _Grams, terms: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Add the words of each term and sort by `by`, largest first, then longest, then alphabetically."""
    term = np.empty(len(terms), dtype=object)
    n_words, first = terms["n"].to_numpy(), terms["first"].to_numpy()
    space = pa.scalar(" ", pa.large_string())
    for n in np.unique(n_words):
        rows = n_words == n
        words = [grams.vocabulary.take(grams.code[first[rows] + k]) for k in range(n)]
        term[rows] = pc.binary_join_element_wise(*words, space).to_numpy(zero_copy_only=False)
    spelled = terms.assign(term=pd.array(term, dtype="str"))
    return spelled.sort_values([by, "n", "term"], ascending=[False, False, True], kind="stable").reset_index(drop=True)


def _frequent_pool(grams: _Grams, counts: pd.DataFrame, top: int) -> pd.DataFrame:
    """Return the terms not absorbed by a longer one, enough of them to hold the top ones by documents.

    A term in d texts can only be absorbed by one in NEARLY * d or more, so comparing the terms above
    NEARLY * floor settles every term above floor. The first floor is usually enough; it halves if not.
    """
    ranked = np.sort(counts["documents"].to_numpy())[::-1]
    floor = int(ranked[min(6 * top, ranked.size) - 1]) if ranked.size and top > 0 else 1
    while True:
        pool = counts[counts["documents"] >= NEARLY * floor]
        kept = pool[~_absorbed(grams, pool, pool["documents"], nearly=NEARLY)]
        settled = kept[kept["documents"] >= floor]
        if floor == 1 or len(settled) >= top:
            return settled
        floor //= 2


def _absorbed(grams: _Grams, terms: pd.DataFrame, strength: pd.Series, *, nearly: float) -> np.ndarray:
    """Flag each of terms that lies inside a longer one of terms at least nearly times as strong."""
    parts = []
    for n in range(2, len(grams.keys) + 1):
        rows = (terms["n"] == n).to_numpy()
        first, container = terms["first"].to_numpy()[rows], strength.to_numpy()[rows]
        for m in range(1, n):
            for offset in range(n - m + 1):
                key = grams.keys[m - 1][first + offset]
                parts.append(pd.DataFrame({"n": m, "key": key, "container": container}))
    if not parts:
        return np.zeros(len(terms), dtype=bool)
    best = pd.concat(parts).groupby(["n", "key"])["container"].max()
    found = best.reindex(pd.MultiIndex.from_arrays([terms["n"], terms["key"]])).to_numpy()
    return np.nan_to_num(found, nan=-np.inf) >= nearly * strength.to_numpy()


def share_rises(terms: pd.DataFrame, n_current: int, n_previous: int, *, min_z: float) -> pd.DataFrame:
    """Add ratio and z (see rising_terms) to terms and keep the rows with z >= min_z.

    terms has columns current and previous: how many of the n_current and n_previous texts (or
    contacts) hold the term (or belong to the group).

    z is the normal score of the one-sided Fisher exact test: the chance of at least this many of
    the term's texts falling in the current period if its share had not changed. It is capped near
    37.5, where that chance drops below 1e-308.
    """
    current, previous = terms["current"].to_numpy(), terms["previous"].to_numpy()
    total, having = n_current + n_previous, current + previous
    # The tail holds its first point, P(X >= c) >= P(X = c): a term whose point is already too likely
    # cannot pass, and skipping it spares summing its tail, the slow part on a large corpus.
    point = _log_choose(having, current) + _log_choose(total - having, n_current - current)
    hopeful = norm.isf(np.minimum(np.exp(point - _log_choose(total, n_current)), 1)) >= min_z
    terms, current, previous, having = terms[hopeful], current[hopeful], previous[hopeful], having[hopeful]
    chance = hypergeom.sf(current - 1, total, having, n_current)
    terms = terms.assign(
        ratio=((current + 0.5) / (n_current + 1)) / ((previous + 0.5) / (n_previous + 1)),
        z=norm.isf(np.maximum(chance, np.finfo(float).tiny)),
    )
    return terms[terms["z"] >= min_z]


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    """Return the natural logarithm of n choose k."""
    return gammaln(np.add(n, 1)) - gammaln(np.add(k, 1)) - gammaln(np.subtract(n, k) + 1)
