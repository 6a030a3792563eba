"""Settings from VOC_* environment variables, read once per call so tests can change them."""

from __future__ import annotations

import functools
import getpass
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "voc.db"
DEFAULT_USERS_FILE = PROJECT_ROOT / ".streamlit" / "voc_users.toml"
DEFAULT_PARSE_MEMORY_MB = 4096
DEFAULT_PARSE_SECONDS = 120.0


@dataclass(frozen=True)
class ClosureRules:
    """What counts as a report of the same problem: again after closure, or at once by several residents."""

    repeat_metres: float = 100.0  # a report this close, of the same category ...
    repeat_days: float = 30.0  # ... within this many days after a closure reopens it
    incident_metres: float = 50.0  # reports of one category this close ...
    incident_hours: float = 3.0  # ... and this close in time are one incident
    holidays: str = "US"  # the county's days off: a country, or country-subdivision such as "US-MD"


DEFAULT_CLOSURE_RULES = ClosureRules()


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str
    max_upload_bytes: int
    redact_personal: bool
    user: str
    basemap_style: str | None = None  # a map style URL; without one, maps have no tiles (and need no internet)
    users_file: Path = DEFAULT_USERS_FILE  # local users and the identity provider's role rules (voc.core.users)
    # What reading one uploaded file may use, in a child process (voc.ingest.child).
    parse_memory_bytes: int = DEFAULT_PARSE_MEMORY_MB * 1024 * 1024
    parse_seconds: float = DEFAULT_PARSE_SECONDS
    first_year: int = 1990  # contacts dated before 1 January of this year are taken for mistyped years
    socrata_token: str | None = None  # a Socrata app token: pulls from Socrata portals are throttled less with one
    smtp_url: str | None = None  # where digests are sent from: smtp://user:pass@host:587 or smtps://...
    public_url: str | None = None  # the app's address as readers reach it, for the links in digests
    mail_from: str | None = None  # the digests' sender (default: the SMTP user when it is an address)
    closure: ClosureRules = DEFAULT_CLOSURE_RULES


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "false", "no", "off"}


def database_url_from(raw: str | None) -> str:
    """Return a SQLAlchemy URL, choosing the psycopg 3 driver for plain postgresql:// URLs."""
    if not raw:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    for prefix in ("postgresql://", "postgres://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


@functools.cache
def _login_name() -> str:
    """The process's login name, looked up once: a page run reads the settings a dozen times."""
    return getpass.getuser()


def load_settings() -> Settings:
    """Read the settings from the environment (see README, "Settings")."""
    env = os.environ
    return Settings(
        database_url=database_url_from(env.get("VOC_DATABASE_URL")),
        timezone=env.get("VOC_TIMEZONE", "America/New_York"),
        max_upload_bytes=int(float(env.get("VOC_MAX_UPLOAD_MB", "200")) * 1024 * 1024),
        redact_personal=_flag(env.get("VOC_REDACT_PERSONAL", "1")),
        user=env.get("VOC_USER") or _login_name(),
        basemap_style=env.get("VOC_BASEMAP_STYLE") or None,
        users_file=Path(env["VOC_USERS_FILE"]) if env.get("VOC_USERS_FILE") else DEFAULT_USERS_FILE,
        parse_memory_bytes=int(float(env.get("VOC_PARSE_MEMORY_MB", DEFAULT_PARSE_MEMORY_MB)) * 1024 * 1024),
        parse_seconds=float(env.get("VOC_PARSE_SECONDS", DEFAULT_PARSE_SECONDS)),
        first_year=int(env.get("VOC_FIRST_YEAR", "1990")),
        socrata_token=env.get("VOC_SOCRATA_TOKEN") or None,
        smtp_url=env.get("VOC_SMTP_URL") or None,
        public_url=(env.get("VOC_PUBLIC_URL") or "").rstrip("/") or None,
        mail_from=env.get("VOC_MAIL_FROM") or None,
        closure=ClosureRules(
            repeat_metres=float(env.get("VOC_REPEAT_METRES", ClosureRules.repeat_metres)),
            repeat_days=float(env.get("VOC_REPEAT_DAYS", ClosureRules.repeat_days)),
            incident_metres=float(env.get("VOC_INCIDENT_METRES", ClosureRules.incident_metres)),
            incident_hours=float(env.get("VOC_INCIDENT_HOURS", ClosureRules.incident_hours)),
            holidays=env.get("VOC_HOLIDAYS") or ClosureRules.holidays,
        ),
    )
