"""What "closed" meant, on the demo county: how long the closure figures take against service performance.

For 3, 12 and 24 months ending at the demo's last month, county-wide and in one district, prints
the seconds of voc.contacts.closure.closure_contacts (store read, reports again, incidents,
business days) split into read and flags, against voc.contacts.performance.service_performance
(SQL aggregates) measured in the same run, and the figures themselves. Records `uptime`: the
machine is shared.
Run: uv run python bench/closure_bench.py [--store sqlite:///data/voc.db]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voc.contacts.closure import closure_contacts, closure_flags, closure_summary  # noqa: E402
from voc.contacts.performance import service_performance  # noqa: E402
from voc.contacts.trends import Filters  # noqa: E402
from voc.core.config import ClosureRules  # noqa: E402
from voc.core.periods import month_shift  # noqa: E402
from voc.store.closure import read_closure_contacts  # noqa: E402
from voc.store.engine import open_store  # noqa: E402

TIMEZONE = "America/New_York"
LAST = "2026-10"


def timed(work):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="sqlite:///data/voc.db", help="a store holding the demo county")
    engine = open_store(parser.parse_args().store)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rules = ClosureRules()
    closure_flags(read_closure_contacts(engine, first_month=LAST, last_month=LAST), rules=rules, timezone=TIMEZONE)
    print(f"{'months':>6} {'district':>8} {'contacts':>9} {'read s':>7} {'flags s':>8} {'closure s':>9} "
          f"{'perf. s':>8} {'ratio':>6}  reopen rate, median/p90 business vs calendar days, incidents")  # fmt: skip
    for months in (3, 12, 24):
        for district in ((), ("3",)):
            filters = Filters(month_shift(LAST, 1 - months), LAST, districts=district)
            read, read_s = timed(lambda f=filters: read_closure_contacts(
                engine, first_month=f.first_month, last_month=f.last_month, districts=f.districts))  # fmt: skip
            _, flags_s = timed(lambda r=read: closure_flags(r, rules=rules, timezone=TIMEZONE))
            flags, closure_s = timed(lambda f=filters: closure_contacts(engine, f, rules=rules, timezone=TIMEZONE))
            _, performance_s = timed(lambda f=filters: service_performance(engine, f))
            s = closure_summary(flags)
            print(f"{months:>6} {district[0] if district else 'all':>8} {s.contacts:>9,} {read_s:>7.2f} "
                  f"{flags_s:>8.2f} {closure_s:>9.2f} {performance_s:>8.2f} {closure_s / performance_s:>6.1f}  "
                  f"{s.reopen_rate:.1%}, {s.business_median_days:g}/{s.business_p90_days:g} vs "
                  f"{s.median_days:.1f}/{s.p90_days:.1f}, {s.incidents:,}")  # fmt: skip


if __name__ == "__main__":
    main()
