"""Time every hostile input of the tests through the app's own entry points, and show what each costs.

The files come from tests/hostile_inputs.py (issue 14's spreadsheets and boundary files, the caps on
columns, districts and vertices, the VRT and /vsicurl tricks) and tests/test_read.py's long-header and
no-line CSVs, plus the boundary files at the caps, which are read. Spreadsheets go through
voc.ingest.pipeline.import_requests, boundary files through voc.ingest.boundaries.import_districts,
into a fresh SQLite store seeded as tests/test_hostile_files.py seeds its own.

Memory: `self MB` is this process's ru_maxrss (RUSAGE_SELF) after the input, a high-water mark over the
run so far. `children MB` is ru_maxrss of RUSAGE_CHILDREN after the input: the parse children fork from
the forkserver and are reaped by it, not by this process, so it does not see them (it stays at 0 while
the forkserver lives) beyond what the seeding import left in it (printed before the table); it is shown
to make that plain, not as the parse's peak. The seeding import also starts the background contact
regrouping (voc.contacts.regrouping), which may share the cores with the first rows. The parse's own
memory is capped by voc.ingest.child (VOC_PARSE_MEMORY_MB). Not a pass/fail test.
Run `uv run python bench/hostile_bench.py`.
"""

from __future__ import annotations

import http.server
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.files import REAL  # noqa: E402
from tests.hostile_inputs import (  # noqa: E402
    BOUNDARIES,
    SECRET,
    SPREADSHEETS,
    RequestRecorder,
    jagged_district,
    long_header_csv,
    no_line_csv,
    squares,
    vrt,
)
from voc.core.access import Role  # noqa: E402
from voc.core.config import Settings  # noqa: E402
from voc.core.errors import FileRefused, VocError  # noqa: E402
from voc.ingest.boundaries import import_districts  # noqa: E402
from voc.ingest.child import start_forkserver  # noqa: E402
from voc.ingest.limits import MAX_DISTRICTS, MAX_VERTICES  # noqa: E402
from voc.ingest.pipeline import ImportOptions, import_requests  # noqa: E402
from voc.store.engine import open_store  # noqa: E402

SETTINGS = Settings(database_url="", timezone="America/New_York", max_upload_bytes=200 * 1024**2,
                    redact_personal=True, user="ana")  # fmt: skip


def _mb(usage: resource.struct_rusage) -> float:
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def measure(name: str, run: Callable[[], object]) -> None:
    started = time.perf_counter()
    try:
        run()
        outcome = "accepted"
    except FileRefused as refusal:
        outcome = f"refused: {str(refusal)[:80]}"
    except VocError as error:
        outcome = f"refused ({type(error).__name__}): {str(error)[:80]}"
    except Exception as error:  # a bug: show it, keep going
        outcome = f"ERROR {type(error).__name__}: {str(error)[:80]}"
    seconds = time.perf_counter() - started
    own = _mb(resource.getrusage(resource.RUSAGE_SELF))
    children = _mb(resource.getrusage(resource.RUSAGE_CHILDREN))
    print(f"{name[:44]:44} | {seconds:6.2f} | {own:7.0f} | {children:7.0f} | {outcome}", flush=True)


def main() -> None:
    print(subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip())
    start_forkserver()
    folder = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    (folder / "secret.txt").write_text(f"{SECRET}\n")
    engine = open_store(f"sqlite:///{folder / 'voc.db'}")
    baltimore = REAL / "baltimore_council_districts_2012.geojson"
    import_districts(engine, baltimore.read_bytes(), baltimore.name, user="ana", role=Role.ANALYST)
    month = (REAL / "baltimore311_2019-10_sample.csv").read_bytes()
    import_requests(engine, month, "baltimore.csv", SETTINGS, ImportOptions(), role=Role.ANALYST)
    print(f"children ru_maxrss after seeding the store: {_mb(resource.getrusage(resource.RUSAGE_CHILDREN)):.0f} MB "
          "(processes the seeding import started and reaped, not parse children)")  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestRecorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/secret.csv"

    def spreadsheet(data: bytes, file_name: str) -> Callable[[], object]:
        return lambda: import_requests(engine, data, file_name, SETTINGS, ImportOptions(), role=Role.ANALYST)

    def boundary(data: bytes, file_name: str) -> Callable[[], object]:
        return lambda: import_districts(engine, data, file_name, user="ana", role=Role.ANALYST)

    print(f"{'input':44} | {'wall s':>6} | self MB | chld MB | outcome")
    for case in SPREADSHEETS:
        measure(case.name, spreadsheet(case.make(folder), case.file_name))
    measure("a CSV whose 300 KB header passes the sample", spreadsheet(long_header_csv(), "survey.csv"))
    measure("a CSV of no line in its first 4 MB", spreadsheet(no_line_csv(), "one-line.csv"))
    for case in BOUNDARIES:
        measure(case.name, boundary(case.make(folder), case.file_name))
    measure("a VRT reading a /vsicurl/ URL", boundary(vrt(f"/vsicurl/{url}"), "districts.geojson"))
    measure("a bare /vsicurl/ URL", boundary(f"/vsicurl/{url}".encode(), "d.json"))
    measure(f"{MAX_DISTRICTS:,} districts (at the cap)", boundary(squares(MAX_DISTRICTS), "grid.geojson"))
    measure(f"{MAX_VERTICES - 1:,} vertices (under the cap)", boundary(jagged_district(MAX_VERTICES - 1), "r.geojson"))
    server.shutdown()
    print(f"requests the /vsicurl inputs made to the local server: {len(RequestRecorder.paths)}")
    engine.dispose()


if __name__ == "__main__":
    main()
