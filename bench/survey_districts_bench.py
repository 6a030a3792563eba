"""The district heat map on real surveys: cells flagged before and after the false-discovery correction, and the
rest-of-county share from weight totals against the one from effective sizes.

For Kansas City's two FY2022 waves (1,033 and 984 respondents, 6 council districts) and San Diego 2015 (2,477 rows,
weighted by replication, 9 districts), imported from shared/data/real into a temporary store, it prints per wave:
the cells tested, the cells flagged by a 95% test each (the heat map before), the cells flagged with the
Benjamini-Hochberg correction over the map (after), and how many a 95% test flags by chance alone. For the weighted
San Diego file it also prints the largest gap between the rest-of-county share built from effective sizes (before)
and from weight totals (after), and how many 95% calls that gap flips.

Not a pass/fail test. Run `uv run python bench/survey_districts_bench.py [--data DIR]`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from voc.core.access import Role
from voc.store.engine import open_store
from voc.survey.compare import districts_against_county, waves_of
from voc.survey.stats import ALPHA, district_against_rest, with_margins
from voc.survey.store import current_results, import_survey

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
FILES = {
    "Kansas City": (["kc-resident-survey/kcmo_resident_survey_fy2022_q1_sep2021.csv",
                     "kc-resident-survey/kcmo_resident_survey_fy2022_q3_mar2022.csv"],
                    "kc-resident-survey/kcmo_resident_survey_dictionary_DERIVED.csv"),
    "San Diego": (["sandiego-resident-survey/resident_survey_2015_weighted_datasd.csv"],
                  "sandiego-resident-survey/resident_survey_2015_dictionary_datasd.csv"),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the folder of real public data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{Path(folder) / 'voc.db'}")
        for survey, (files, dictionary) in FILES.items():
            words = (args.data / dictionary).read_bytes()
            for name in files:
                path = args.data / name
                import_survey(engine, path.read_bytes(), path.name, user="bench", role=Role.ANALYST, survey=survey,
                              dictionary=words, dictionary_name=Path(dictionary).name)  # fmt: skip
        results = current_results(engine)
        print(f"{'survey, wave':34}{'cells':>7}{'95% each':>10}{'BH 5%':>7}{'by chance':>11}")
        for survey in FILES:
            for wave in waves_of(results, survey):
                table = districts_against_county(results, survey=survey, wave=wave)
                tested = table["p_value"].notna()
                print(f"{survey + ', ' + wave:34}{tested.sum():>7}{(table['p_value'] < ALPHA).sum():>10}"
                      f"{table['significant'].sum():>7}{tested.sum() * ALPHA:>11.1f}")  # fmt: skip
        weighted_against_effective(results[results["survey"] == "San Diego"])
        engine.dispose()


def weighted_against_effective(results) -> None:
    """Compare the rest of the county built from weight totals with the one built from effective sizes."""
    county = results[results["district_code"].isna()]
    districts = with_margins(results[results["district_code"].notna()])
    weighted = district_against_rest(county, districts)
    effective = district_against_rest(county.drop(columns="weight_total"), districts.drop(columns="weight_total"))
    gap = (weighted["rest_share"] - effective["rest_share"]).abs() * 100
    calls = (weighted["p_value"] < ALPHA) != (effective["p_value"] < ALPHA)
    corrected = weighted["significant"] != effective["significant"]
    tested = int(weighted["p_value"].notna().sum())
    print(f"San Diego rest of the county, weights against effective sizes: largest gap {np.nanmax(gap):.2f} points, "
          f"mean {np.nanmean(gap):.3f}; 95% calls flipped {int(calls.sum())} of {tested}; "
          f"corrected calls flipped {int(corrected.sum())}")  # fmt: skip


if __name__ == "__main__":
    main()
