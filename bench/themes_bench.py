"""How well themes recover the request types residents chose, against a TF-IDF + NMF baseline on the same texts.

Real descriptions that come with a request type: Gainesville's myGNV 311 (4,495 of 5,000 records
have a description, 67 types). Both methods group the same texts into the same number of groups:
voc's (WordLlama vectors, voc.ingest.embedding, grouped by voc.contacts.themes.group_vectors) and
the usual topic-model baseline (TF-IDF with English stop words, NMF, each text to its strongest
topic). Printed for each: purity (the share of texts whose group's most common type is their own;
higher with more groups, so compare at equal k) and the adjusted Rand index (0 for chance, 1 for
the types exactly), mean and range over 3 seeds, and seconds. The types are a noisy target ("Other",
"General Code Issue"), so neither figure can reach 1.

Then the names of voc's themes (seed 0, the store's number of themes) against the naming voc used
before (the terms most used in the theme among those over-represented in it, textmine.rising_terms):
each name term's precision is the share of the texts holding it whose request type is its theme's
commonest type; a place ("NW 2nd Ave", "behind the mall") is spread over every type and scores low,
a problem ("pothole", "light out") high. Printed: the mean precision of each naming and both names of
every theme. Not a pass/fail test.
Run `uv run python bench/themes_bench.py --help`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from voc.contacts.textmine import rising_terms, tokenize
from voc.contacts.theme_names import name_themes, theme_name
from voc.contacts.themes import group_vectors, theme_count
from voc.ingest.embedding import description_vectors

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT.parent / "shared" / "data" / "real" / "gainesville-fl-311" / "gainesville_mygnv_311_sample5000.csv"
TRIMMED = ROOT / "tests" / "data" / "real" / "gainesville_mygnv_311_sample5000.csv"
SEEDS = (0, 1, 2)


def purity(types: np.ndarray, groups: np.ndarray) -> float:
    """Return the share of texts whose group's most common type is their own."""
    table = pd.crosstab(groups, types)
    return float(table.max(axis=1).sum() / len(types))


def voc_groups(texts: list[str], k: int, seed: int) -> np.ndarray:
    return group_vectors(description_vectors(pd.Series(texts)), themes=k, seed=seed).labels


def nmf_groups(texts: list[str], k: int, seed: int) -> np.ndarray:
    weights = TfidfVectorizer(stop_words="english", min_df=2, sublinear_tf=True).fit_transform(texts)
    with threadpool_limits(1):  # as voc's grouping: the same footing on a busy machine
        topics = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400).fit_transform(weights)
    return topics.argmax(axis=1)


def measure(name: str, method, texts: list[str], types: np.ndarray, k: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    scores, seconds = [], []
    for seed in SEEDS:
        started = time.perf_counter()
        groups = method(texts, k, seed)
        seconds.append(time.perf_counter() - started)
        scores.append((purity(types, groups), adjusted_rand_score(types, groups)))
    purities, rands = np.array(scores).T
    return {
        "method": name,
        "k": k,
        "purity": f"{purities.mean():.3f} ({purities.min():.3f}-{purities.max():.3f})",
        "adjusted_rand": f"{rands.mean():.3f} ({rands.min():.3f}-{rands.max():.3f})",
        "seconds": f"{np.median(seconds):.2f}",
        "ari_mean": rands.mean(),
        "purity_mean": purities.mean(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=FULL if FULL.exists() else TRIMMED)
    args = parser.parse_args()
    records = pd.read_csv(args.file, usecols=["request_type", "description"]).dropna()
    records = records[records["description"].str.strip() != ""]
    texts, types = records["description"].tolist(), pd.factorize(records["request_type"])[0]
    print(f"{args.file.name}: {len(texts):,} descriptions, {types.max() + 1} request types")
    rows = []
    for k in sorted({theme_count(len(texts)), 40}):
        rows += [measure("voc themes (WordLlama + k-means)", voc_groups, texts, types, k)]
        rows += [measure("baseline (TF-IDF + NMF)", nmf_groups, texts, types, k)]
    table = pd.DataFrame(rows)
    print(table.drop(columns=["ari_mean", "purity_mean"]).to_string(index=False))
    for k, pair in table.groupby("k", sort=True):
        ours, baseline = pair.iloc[0], pair.iloc[1]
        print(
            f"k={k}: adjusted Rand {ours['ari_mean'] / baseline['ari_mean']:.2f}x the baseline's, "
            f"purity {ours['purity_mean'] / baseline['purity_mean']:.2f}x"
        )
    compare_names(texts, types)


def earlier_names(texts: pd.Series, labels: np.ndarray) -> list[list[str]]:
    """The naming voc used before: of the terms over-represented in a theme, its 3 most used."""
    names = []
    for theme in range(int(labels.max()) + 1):
        inside = labels == theme
        terms = rising_terms(texts[inside], texts[~inside], top=12, min_documents=3, max_n=2)
        names.append(terms.sort_values("current", ascending=False, kind="stable")["term"].head(3).tolist())
    return names


def term_precision(texts: pd.Series, types: np.ndarray, labels: np.ndarray, names: list[list[str]]) -> float:
    """Return the mean share, over every name term, of the texts holding it that have its theme's commonest type."""
    tokens = tokenize(texts).map(lambda words: " " + " ".join(words) + " ")
    shares = []
    for theme, terms in enumerate(names):
        commonest = pd.Series(types[labels == theme]).mode().iloc[0]
        for term in terms:
            holding = tokens.str.contains(f" {term} ", regex=False).to_numpy()
            shares.append(float((types[holding] == commonest).mean()))
    return float(np.mean(shares)) if shares else float("nan")


def compare_names(texts: list[str], types: np.ndarray) -> None:
    series = pd.Series(texts)
    labels = voc_groups(texts, theme_count(len(texts)), 0)
    before = earlier_names(series, labels)
    started = time.perf_counter()
    now = name_themes(series, labels, categories=pd.Series(types.astype(str)))
    seconds = time.perf_counter() - started
    print(
        f"\nname term precision: voc now {term_precision(series, types, labels, now):.3f} "
        f"({seconds:.2f} s), voc before {term_precision(series, types, labels, before):.3f}"
    )
    print(pd.DataFrame({"before": map(theme_name, before), "now": map(theme_name, now)}).to_string())


if __name__ == "__main__":
    main()
