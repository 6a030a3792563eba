"""`voc themes build --if-requested` whose grouping takes SECONDS longer: a build that outlasts a page's run.

Usage: python tests/slow_theme_build.py SECONDS [RELEASE]: with RELEASE, the grouping waits at most SECONDS,
until a file of that path exists (a test creates it once it has seen what it waits for). The tests point
voc.contacts.regrouping.BUILD_COMMAND here, so the app starts this instead of the real command; everything
but the delay is the real build.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voc.cli import main  # noqa: E402
from voc.contacts import theming  # noqa: E402

delay = float(sys.argv[1])
release = Path(sys.argv[2]) if len(sys.argv) > 2 else None
group_vectors = theming.group_vectors


def slow_group_vectors(*args, **kwargs):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and not (release and release.exists()):
        time.sleep(0.1)
    return group_vectors(*args, **kwargs)


theming.group_vectors = slow_group_vectors
main(["themes", "build", "--if-requested"], prog_name="voc")
