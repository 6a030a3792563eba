"""The mapping corpus (tests/mapping_corpus.py): every layout read as an upload and mapped without help.

Prints the accuracy per field: a field counts, for a layout, when the layout expects it or voc
proposes it; it is right when voc proposes exactly the expected column, or nothing when none is
expected.
"""

from __future__ import annotations

from collections import Counter

from tests.mapping_corpus import corpus
from voc.core.fields import REQUEST_FIELD_NAMES
from voc.ingest.mapping import propose_mapping
from voc.ingest.read import read_table

# Floors the corpus must stay above, per field, on the variants (the real layouts must be exact).
VARIANT_FLOOR = 0.9


def test_corpus_has_at_least_40_layouts_of_every_kind():
    layouts = corpus()
    assert len(layouts) >= 40
    kinds = Counter(layout.kind for layout in layouts)
    assert set(kinds) == {
        "real",
        "renamed",
        "abbreviated",
        "reordered",
        "cased",
        "title rows",
        "typed dates",
        "decoys",
        "no id",
    }


def test_corpus_accuracy_per_field(capsys):
    right: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    wrong_on_real: list[str] = []
    misses: list[str] = []
    for layout in corpus():
        data, file_name = layout.build()
        frame = read_table(data, file_name).frame
        proposed = propose_mapping(frame, **({} if layout.crosswalk else {"layouts": ()})).columns()
        for name in REQUEST_FIELD_NAMES:
            expected, got = layout.expected.get(name), proposed.get(name)
            if expected is None and got is None:
                continue
            counted[name] += 1
            if expected == got:
                right[name] += 1
                continue
            misses.append(f"{layout.name}: {name} expected {expected!r}, got {got!r}")
            if layout.kind == "real":
                wrong_on_real.append(misses[-1])
    accuracy = {name: right[name] / counted[name] for name in REQUEST_FIELD_NAMES if counted[name]}
    with capsys.disabled():
        print("\nmapping corpus accuracy per field:")
        for name, share in accuracy.items():
            print(f"  {name:<14} {share:6.1%}  ({right[name]}/{counted[name]})")
        total = sum(right.values()) / sum(counted.values())
        print(f"  {'all fields':<14} {total:6.1%}")
        print("\n".join(f"  miss: {miss}" for miss in misses))
    assert wrong_on_real == []
    assert {name: share for name, share in accuracy.items() if share < VARIANT_FLOOR} == {}
