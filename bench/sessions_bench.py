"""Page times with several people browsing at once: p50 and p95 per page, one session against N together.

Serves the app (`streamlit run app.py`, as `voc serve` does) on a loopback port over a store of the
demo county and drives it with Streamlit's own websocket protocol, as a browser tab does but without
a browser's CPU on this machine: each session asks for a page (a rerun with that page's script hash)
and the time until the server reports the script finished is the page time the user waits for on the
server. Each session visits every page `--rounds` times in its own seeded random order, pausing a
random think time between visits (exponential, mean `--think` seconds: people read a page before the
next click; `--think 0` gives the worst case of everyone clicking at once). First one session alone,
then `--sessions` together, after one warm-up visit of every page (the first visit after an upload is
timed by bench/pages_bench.py). Goal (issue 17): p95 with 8 sessions under 2x one session's.
Run: uv run python bench/sessions_bench.py [--sessions 8] [--rounds 3] [--think 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import running_app  # noqa: E402

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


class Session:
    """One browser tab's websocket session: asks for pages, times each until the script has finished."""

    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket
        self.pages: dict[str, str] = {}

    async def visit(self, page_hash: str = "", page_name: str = "") -> float:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = page_hash
        message.rerun_script.page_name = page_name
        started = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        failure = None
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await self.socket.recv())
            kind = reply.WhichOneof("type")
            if kind == "navigation":
                self.pages = {page.page_name: page.page_script_hash for page in reply.navigation.app_pages}
            elif kind == "delta" and reply.delta.new_element.WhichOneof("type") == "exception":
                failure = reply.delta.new_element.exception.message
            elif kind == "script_finished" and reply.script_finished in FINISHED:
                elapsed = time.perf_counter() - started
                if failure:
                    raise RuntimeError(f"page {page_name or 'home'} failed: {failure}")
                return elapsed


async def browse(url: str, *, seed: int, rounds: int, think: float, times: dict[str, list[float]]) -> None:
    """One person: open the app, then visit every page `rounds` times in a seeded random order."""
    rng = random.Random(seed)
    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(
        address, subprotocols=["streamlit"], origin=url, max_size=None, open_timeout=60, ping_interval=None
    ) as socket:
        session = Session(socket)
        await session.visit()
        for _ in range(rounds):
            names = list(session.pages)
            rng.shuffle(names)
            for name in names:
                await asyncio.sleep(rng.expovariate(1 / think) if think > 0 else 0)
                times.setdefault(name, []).append(await session.visit(session.pages[name], name))


async def run(url: str, *, sessions: int, rounds: int, think: float, first_seed: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    await asyncio.gather(
        *(browse(url, seed=first_seed + n, rounds=rounds, think=think, times=times) for n in range(sessions))
    )
    return times


def demo_store(folder: Path) -> str:
    """A new SQLite store of the demo county (themes grouped before timing starts)."""
    url = f"sqlite:///{folder / 'sessions.db'}"
    environment = {**os.environ, "VOC_DATABASE_URL": url, "VOC_USER": "bench"}
    for arguments in (["db", "upgrade"], ["demo"], ["themes", "build"]):
        subprocess.run([sys.executable, "-m", "voc.cli", *arguments], env=environment, check=True, capture_output=True)
    return url


def summary(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    figures = {
        name: {"p50_s": float(np.percentile(values, 50)), "p95_s": float(np.percentile(values, 95)), "n": len(values)}
        for name, values in sorted(times.items())
    }
    every = [value for values in times.values() for value in values]
    figures["all pages"] = {"p50_s": float(np.percentile(every, 50)), "p95_s": float(np.percentile(every, 95)),
                            "n": len(every)}  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=8, help="people browsing at once")
    parser.add_argument("--rounds", type=int, default=3, help="visits of every page per session")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between a session's visits")
    parser.add_argument("--database-url", help="an existing store (default: a new demo county store)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or demo_store(Path(folder))
        with running_app(url, env={"VOC_USER": "bench"}) as app:
            load = os.getloadavg()[0]
            asyncio.run(run(app, sessions=1, rounds=1, think=0, first_seed=0))
            alone = summary(asyncio.run(run(app, sessions=1, rounds=arguments.rounds, think=arguments.think,
                                            first_seed=100)))  # fmt: skip
            together = summary(asyncio.run(run(app, sessions=arguments.sessions, rounds=arguments.rounds,
                                               think=arguments.think, first_seed=200)))  # fmt: skip
    result = {
        "sessions": arguments.sessions,
        "think_s": arguments.think,
        "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
        "pages": {
            name: {
                "alone_p50_s": round(alone[name]["p50_s"], 3),
                "alone_p95_s": round(alone[name]["p95_s"], 3),
                "together_p50_s": round(together[name]["p50_s"], 3),
                "together_p95_s": round(together[name]["p95_s"], 3),
                "p95_ratio": round(together[name]["p95_s"] / alone[name]["p95_s"], 2),
            }
            for name in together
        },
    }
    if arguments.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{arguments.sessions} sessions, think time {arguments.think} s, load average {result['load_average']}")
    print(f"{'page':<24} {'alone p50':>10} {'p95':>8} {'together p50':>13} {'p95':>8}  p95 ratio")
    for name, figures in result["pages"].items():
        print(
            f"{name:<24} {figures['alone_p50_s']:>9.2f}s {figures['alone_p95_s']:>7.2f}s"
            f" {figures['together_p50_s']:>12.2f}s {figures['together_p95_s']:>7.2f}s  x{figures['p95_ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
