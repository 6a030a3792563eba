"""What the proactive features cost on the demo county, against the emerging-issue detection they build on.

Printed, each the median of --repeat runs after one to warm up, and its ratio to the baseline measured in the same run
(`emerging_report`: what `voc alerts` computes): the issues with their triage states, a district
watch's digest and the county-wide one (built), the county-wide e-mail (three inline charts
rendered), and the information opportunities. Also the machine's load (`uptime`).
Run: uv run python bench/digest_bench.py [--store URL] [--repeat N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scale_bench import warm  # noqa: E402  (bench/ is the script's own directory on sys.path)

from voc.contacts.digest import build_digest  # noqa: E402
from voc.contacts.questions import opportunities  # noqa: E402
from voc.contacts.trends import emerging_report  # noqa: E402
from voc.contacts.triage import acknowledge, with_states  # noqa: E402
from voc.contacts.watches import SavedWatch  # noqa: E402
from voc.core.access import Role  # noqa: E402
from voc.core.config import DEFAULT_CLOSURE_RULES  # noqa: E402
from voc.present.digest_mail import digest_message  # noqa: E402
from voc.store.engine import open_store  # noqa: E402

MONTH = "2026-10"
CLOSURE = {"closure": DEFAULT_CLOSURE_RULES, "timezone": "America/New_York"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="a store holding the demo county (default: load it into a temporary one)")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    url = options.store
    if url is None:
        from voc.demo.load import load_demo

        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'voc.db'}"
        load_demo(open_store(url), user="bench")
    engine = open_store(url)
    issues = emerging_report(engine, month=MONTH).issues
    acknowledge(engine, issues["issue_id"].iloc[0], "seen", month=MONTH, user="bench", role=Role.ANALYST)
    district = SavedWatch("District 5", districts=("5",), recipients=("head@example.org",))
    county = SavedWatch("", recipients=("all@example.org",))
    built = build_digest(engine, county, period=MONTH, month=MONTH, public_url="https://voc.example.org", **CLOSURE)
    steps: dict[str, Callable[[], object]] = {
        "emerging_report (baseline: voc alerts)": lambda: emerging_report(engine, month=MONTH),
        "issues with their triage states": lambda: with_states(
            engine, emerging_report(engine, month=MONTH).issues, last_month=MONTH
        ),
        "digest of a district watch (built)": lambda: build_digest(
            engine, district, period=MONTH, month=MONTH, public_url="https://voc.example.org", **CLOSURE
        ),
        "county-wide digest (built)": lambda: build_digest(
            engine, county, period=MONTH, month=MONTH, public_url="https://voc.example.org", **CLOSURE
        ),
        f"county-wide e-mail ({len(built.issues)} charts rendered)": lambda: digest_message(
            built, sender="voc@example.org", recipients=county.recipients
        ),
        "information opportunities": lambda: opportunities(engine, month=MONTH),
    }
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    baseline = None
    for name, work in steps.items():
        seconds = warm(work, options.repeat)
        baseline = baseline or seconds
        print(f"{name:<45} {seconds:6.2f} s  x{seconds / baseline:.2f}")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
