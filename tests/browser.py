"""Run the app with `streamlit run` on a free loopback port and drive it with Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = ROOT / "tests" / "artifacts"
SCRIPT_FINISHED = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_app(database_url: str, *, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """Serve app.py on a free loopback port; yield its base URL; stop it afterwards. `log` keeps its output."""
    port = _free_port()
    output = log.open("wb") if log else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT,
        env={**os.environ, "VOC_DATABASE_URL": database_url, **(env or {})},
        stdout=output,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = process.stdout.read().decode() if process.stdout else log.read_text() if log else ""
                    raise RuntimeError(f"streamlit did not start:\n{said}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        if log:
            output.close()


@contextmanager
def chromium_page(*, width: int = 1600, height: int = 1800, args: tuple[str, ...] = ()) -> Iterator[object]:
    """Yield a Playwright page in headless Debian Chromium, started with `args` besides the usual ones."""
    if not CHROMIUM.exists():
        unavailable("Chromium is missing: `apt-get install chromium` to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *args])
        page = browser.new_page(viewport={"width": width, "height": height})
        try:
            yield page
        finally:
            browser.close()


def open_page(page, url: str, *, timeout_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
    """Go to a URL and wait until the Streamlit script has finished running."""
    page.goto(url)
    page.wait_for_selector(SCRIPT_FINISHED, timeout=timeout_ms)


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
