"""`voc themes build --if-requested` whose grouping takes SECONDS longer: a build that outlasts a page's run.

Usage: python tests/slow_theme_build.py SECONDS. The tests point voc.contacts.regrouping.BUILD_COMMAND
here, so the app starts this instead of the real command; everything but the delay is the real build.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voc.cli import main  # noqa: E402
from voc.contacts import theming  # noqa: E402

delay = float(sys.argv[1])
group_vectors = theming.group_vectors


def slow_group_vectors(*args, **kwargs):  # type: ignore[no-untyped-def]
    time.sleep(delay)
    return group_vectors(*args, **kwargs)


theming.group_vectors = slow_group_vectors
main(["themes", "build", "--if-requested"], prog_name="voc")
