"""Sentence vectors for contact descriptions, from a small static model that ships inside its wheel.

The model is WordLlama's "l2_supercat" (token embeddings distilled from a large language model; a
text's vector is the mean of its tokens'): 16 MB of weights, no download, thousands of texts a
second on a laptop CPU. Its two files are opened where the wheel installed them, without importing
the wordllama package: its loader looks for the tokenizer under a folder name the wheel does not
use and would fetch it from the internet, its batches pad every text to the longest one (a 4,000
character description made 4,500 texts take 8 s instead of 1 s), and importing it configures the
root logger.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.metadata import distribution
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import sqlalchemy as sa

from voc.ingest.places import without_places
from voc.store.models import Upload
from voc.store.theme_builds import read_build_state, record_checked
from voc.store.themes import descriptions_to_embed, drop_embeddings, save_embeddings, stamp_embeddings

UPLOADS = Upload.__table__

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# Descriptions are embedded without their place words (voc.ingest.places); the name says so, and a
# store's vectors made otherwise are embedded again by the next theme build.
MODEL = "wordllama-l2_supercat-128-noplaces"
# The model was trained so that its first 64, 128 or 256 dimensions each work as a smaller model;
# 128 group contacts as well as 256 do (bench/themes_bench.py) and halve what the store keeps.
DIMENSIONS = 128
# Token vectors gathered at once: 50,000 x 256 float32 is 50 MB.
_TOKENS_PER_STEP = 50_000


@cache
def _model() -> tuple[np.ndarray, Tokenizer]:
    from safetensors import safe_open
    from tokenizers import Tokenizer

    wheel = distribution("wordllama")
    weights_path = wheel.locate_file("wordllama/weights/l2_supercat_256.safetensors")
    with safe_open(str(weights_path), framework="np", device="cpu") as weights:
        table = weights.get_tensor("embedding.weight")[:, :DIMENSIONS].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(wheel.locate_file("wordllama/tokenizers/l2_supercat_tokenizer_config.json")))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return table, tokenizer


def embed(texts: Sequence[str]) -> np.ndarray:
    """Return one unit-length float32 vector of DIMENSIONS per text, in the order given.

    Similar meanings give vectors with a large dot product. A text without any token (empty) gets
    the zero vector. No text gives an empty (0, DIMENSIONS) array. Each distinct text is embedded once.
    """
    codes, distinct = pd.factorize(pd.Series(texts, dtype=object))
    return _embed_distinct(list(distinct))[codes] if len(codes) else np.empty((0, DIMENSIONS), dtype=np.float32)


def _embed_distinct(texts: list[str]) -> np.ndarray:
    table, tokenizer = _model()
    ids = [np.asarray(e.ids, dtype=np.int64) for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    counts = np.array([len(i) for i in ids], dtype=np.int64)
    flat = np.clip(np.concatenate(ids) if ids else np.empty(0, np.int64), 0, len(table) - 1)
    sums = np.zeros((len(ids), DIMENSIONS), dtype=np.float32)
    ends = np.cumsum(counts)
    starts = ends - counts
    first = 0
    while first < len(ids):
        # A step holds whole texts: as many as fit in _TOKENS_PER_STEP tokens, and at least one.
        last = max(int(np.searchsorted(ends, starts[first] + _TOKENS_PER_STEP, side="right")), first + 1)
        texts_here = np.flatnonzero(counts[first:last]) + first
        if texts_here.size:
            offsets = starts[texts_here] - starts[first]
            tokens = table[flat[starts[first] : ends[last - 1]]]
            sums[texts_here] = np.add.reduceat(tokens, offsets, axis=0)
        first = last
    lengths = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.divide(sums, lengths, out=np.zeros_like(sums), where=lengths > 0)


def description_vectors(descriptions: pd.Series) -> np.ndarray:
    """Return the vectors voc groups descriptions by: each embedded without its place words and numbers.

    Each distinct description loses its place words once: the regex is most of the time embedding takes
    (0.7 s of a 100,000-row upload whose descriptions are two-thirds distinct; an export repeats many more).
    """
    codes, distinct = pd.factorize(descriptions.fillna(""))
    if not len(codes):
        return np.empty((0, DIMENSIONS), dtype=np.float32)
    return embed(without_places(pd.Series(distinct, dtype=descriptions.dtype)).tolist())[codes]


def embed_new_descriptions(connection: sa.Connection, *, upload_id: int | None = None) -> int:
    """Embed and store the descriptions that have no vector for their current text; return how many.

    upload_id limits the work to the rows that upload wrote (the import path); None checks the rows of
    every upload since the last such check (voc.store.theme_builds.checked_upload: an undo lowers it,
    a change of MODEL starts again from the first) and records the newest upload as checked. Runs in
    the caller's transaction, which must be a write transaction: no upload then commits between the
    check and the record. The parts of at most 50,000 texts descriptions_to_embed returns are
    embedded and saved one at a time: a 1,000,000-row upload's tokens, vectors and driver rows all at
    once took 0.8 GB more than the rest of the import.
    """
    after = 0
    if upload_id is None:
        checked = read_build_state(connection)
        after = checked.checked_upload if checked.checked_model == MODEL else 0
    work = descriptions_to_embed(connection, model=MODEL, upload_id=upload_id, after_upload=after)
    drop_embeddings(connection, work.dropped)
    for part in work.parts:
        save_embeddings(connection, part, description_vectors(part["description"]), model=MODEL)
    stamp_embeddings(connection, work.current)
    if upload_id is None:
        newest = connection.execute(sa.select(sa.func.max(UPLOADS.c.id))).scalar()
        record_checked(connection, upload=newest or 0, model=MODEL)
    return sum(len(part) for part in work.parts)
