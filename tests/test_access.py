"""Roles, sign-in modes, password hashes, the users file, and the library refusing writes a role may not make."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.files import REAL
from voc.contacts.actions import add_action
from voc.contacts.performance import save_targets
from voc.core.access import (
    HashingLimit,
    Mode,
    NotServing,
    Role,
    RoleRules,
    SignInThrottle,
    access_mode,
    allows,
    is_local_host,
    is_loopback,
    require,
    role_from_claims,
    role_rules,
)
from voc.core.config import load_settings
from voc.core.errors import NotAllowed, VocError
from voc.core.users import (
    UsersFile,
    add_user,
    authenticate,
    check_sign_in,
    hash_password,
    load_users,
    remove_user,
    set_role,
    set_rule,
    verify_password,
)
from voc.ingest.boundaries import import_districts
from voc.ingest.pipeline import import_requests
from voc.ingest.request_types import save_type_map
from voc.ingest.sessions import one_session, save_sessions
from voc.priorities.candidates import import_candidates
from voc.priorities.scenarios import save_scenario
from voc.store.districts import set_populations
from voc.store.engine import data_version, open_store
from voc.store.uploads import undo
from voc.survey.store import import_survey, save_benchmarks, save_links, save_questions

BALTIMORE = REAL / "baltimore311_2019-10_sample.csv"
BOUNDARIES = REAL / "baltimore_council_districts_2012.geojson"
SURVEY = REAL / "surveys" / "durham_2022_resident_survey_raw_first300.csv"
CANDIDATES = REAL.parent / "candidates" / "pgh_capital_projects_sample.csv"
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", Role.VIEWER, True),
        ("viewer", Role.ANALYST, False),
        ("analyst", Role.ANALYST, True),
        ("analyst", Role.ADMIN, False),
        ("admin", Role.ANALYST, True),
        (Role.ADMIN, Role.ADMIN, True),
        (None, Role.VIEWER, False),
        ("Admin", Role.VIEWER, False),  # roles are exact words: anything else may do nothing
        ("root", Role.VIEWER, False),
    ],
)
def test_roles_are_ordered_and_anything_else_may_do_nothing(role: object, needed: Role, allowed: bool) -> None:
    assert allows(role, needed) is allowed


def test_require_names_the_role_needed() -> None:
    require(Role.ANALYST, Role.ANALYST)
    with pytest.raises(NotAllowed, match="You have the viewer role, and only a user with the analyst role can undo"):
        require("viewer", Role.ANALYST, doing="undo an upload")
    with pytest.raises(NotAllowed, match="You have no role"):
        require(None, Role.VIEWER)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("localhost", True), ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("", False), (None, False), ("10.0.0.5", False), ("voc.county.gov", False), ("::", False)],
)  # fmt: skip
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_the_mode_follows_what_is_configured_and_refuses_an_open_server_on_the_network() -> None:
    assert access_mode(oidc_configured=True, local_users=2, address="0.0.0.0") == Mode.OIDC
    assert access_mode(oidc_configured=False, local_users=1, address=None) == Mode.LOCAL
    assert access_mode(oidc_configured=False, local_users=0, address="127.0.0.1") == Mode.DEMO
    for address in ("0.0.0.0", None, "192.168.1.20"):
        with pytest.raises(NotServing, match="will not serve on .* with nobody able to sign in"):
            access_mode(oidc_configured=False, local_users=0, address=address)


def test_identity_provider_roles_from_groups_and_verified_emails() -> None:
    rules = role_rules(
        {
            "group_claim": "roles",
            "groups": {"voc.analysts": "analyst", "voc.admins": "admin"},
            "emails": {"Dee.Head@County.gov": "viewer", "ana@county.gov": "analyst"},
        }
    )
    assert rules.emails == {"dee.head@county.gov": Role.VIEWER, "ana@county.gov": Role.ANALYST}
    assert role_from_claims({"roles": ["voc.analysts", "voc.admins"]}, rules) == Role.ADMIN
    assert role_from_claims({"roles": "voc.analysts"}, rules) == Role.ANALYST
    assert role_from_claims({"email": "DEE.HEAD@county.gov"}, rules) == Role.VIEWER
    assert role_from_claims({"email": "ana@county.gov", "roles": ["voc.admins"]}, rules) == Role.ADMIN
    assert role_from_claims({"email": "ana@county.gov", "email_verified": False}, rules) is None
    assert role_from_claims({"email": "someone@county.gov", "groups": ["voc.admins"]}, rules) is None
    assert role_from_claims({"email": "someone@county.gov"}, RoleRules(default_role=Role.VIEWER)) == Role.VIEWER
    with pytest.raises(VocError, match="'superuser' is not a role"):
        role_rules({"groups": {"x": "superuser"}})


def test_password_hashes_are_salted_scrypt_and_checked_exactly() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second and first.startswith("scrypt$32768$8$3$") and PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + " ", first)
    assert not verify_password("", first)
    for malformed in ("", "plain", "scrypt$1$8$1$AAAA$AAAA", "md5$1$1$1$AA$AA", "scrypt$99999999999$8$1$AA$AA"):
        assert not verify_password(PASSWORD, malformed)


def test_users_file_holds_hashes_only_owner_readable_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "voc_users.toml"
    add_user(path, " Ana ", PASSWORD, role=Role.ADMIN, acting_role=Role.ADMIN)
    add_user(path, "dee.head@county.gov", PASSWORD + "!", role=Role.VIEWER, acting_role=Role.ADMIN)
    set_rule(path, kind="emails", key="Bo@County.gov", role=Role.ANALYST, acting_role=Role.ADMIN)
    set_rule(path, kind="groups", key='g"1', role=Role.VIEWER, acting_role=Role.ADMIN)
    text = path.read_text()
    assert PASSWORD not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    users = load_users(path)
    assert {name: user.role for name, user in users.users.items()} == {"ana": "admin", "dee.head@county.gov": "viewer"}
    assert users.rules.emails == {"bo@county.gov": Role.ANALYST} and users.rules.groups == {'g"1': Role.VIEWER}
    assert authenticate(users, "ANA", PASSWORD).name == "ana"
    assert authenticate(users, "ana", PASSWORD + "!") is None
    assert authenticate(users, "nobody", PASSWORD) is None

    set_role(path, "dee.head@county.gov", role=Role.ANALYST, acting_role=Role.ADMIN)
    assert load_users(path).users["dee.head@county.gov"].role == Role.ANALYST
    with pytest.raises(VocError, match="leave no admin"):
        set_role(path, "ana", role=Role.VIEWER, acting_role=Role.ADMIN)
    with pytest.raises(VocError, match="leave no admin"):
        remove_user(path, "ana", acting_role=Role.ADMIN)
    remove_user(path, "dee.head@county.gov", acting_role=Role.ADMIN)
    with pytest.raises(VocError, match="There is no user 'dee.head@county.gov'. The users are: ana"):
        remove_user(path, "dee.head@county.gov", acting_role=Role.ADMIN)


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("ana", "short", "at least 12 characters"),
        ("ana smith", PASSWORD, "cannot be a user name"),
        ("<script>", PASSWORD, "cannot be a user name"),
        ("averylongname", "AveryLongName", "must not be the user name"),
    ],
)
def test_bad_names_and_passwords_are_refused(tmp_path: Path, name: str, password: str, message: str) -> None:
    with pytest.raises(VocError, match=message):
        add_user(tmp_path / "u.toml", name, password, role=Role.VIEWER, acting_role=Role.ADMIN)
    assert not (tmp_path / "u.toml").exists()


@pytest.mark.parametrize("acting", [Role.VIEWER, Role.ANALYST, None])
def test_only_an_admin_manages_users(tmp_path: Path, acting: Role | None) -> None:
    path = tmp_path / "u.toml"
    add_user(path, "ana", PASSWORD, role=Role.ADMIN, acting_role=Role.ADMIN)
    before = path.read_bytes()
    changes: list[Callable[[], object]] = [
        lambda: add_user(path, "eve", PASSWORD, role=Role.ADMIN, acting_role=acting),
        lambda: set_role(path, "ana", role=Role.VIEWER, acting_role=acting),
        lambda: remove_user(path, "ana", acting_role=acting),
        lambda: set_rule(path, kind="emails", key="eve@x.org", role=Role.ADMIN, acting_role=acting),
    ]
    for change in changes:
        with pytest.raises(NotAllowed, match="only a user with the admin role can manage"):
            change()
    assert path.read_bytes() == before


def test_a_failed_sign_in_never_says_which_part_was_wrong_and_is_throttled(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    add_user(path, "ana", PASSWORD, role=Role.ANALYST, acting_role=Role.ADMIN)
    users, throttle = load_users(path), SignInThrottle(limit=3, window=60)
    messages, seconds = [], []
    for name, password in (("ana", "wrong password!"), ("nobody", PASSWORD)):
        start = time.thread_time()  # CPU time of this thread, where the hash is computed: a busy machine leaves it be
        with pytest.raises(VocError) as refused:
            check_sign_in(users, throttle, name, password, now=0, hashing=HashingLimit())
        seconds.append(time.thread_time() - start)
        messages.append(str(refused.value))
    assert messages == ["Wrong user name or password."] * 2
    # An unknown name is checked against a dummy hash: both refusals cost a full scrypt.
    assert min(seconds) > 0.5 * max(seconds)
    assert check_sign_in(users, throttle, " ANA", PASSWORD, now=1, hashing=HashingLimit()).name == "ana"

    for _ in range(3):
        with pytest.raises(VocError, match="Wrong user name or password"):
            check_sign_in(users, throttle, "ana", "guess guess guess", now=2, hashing=HashingLimit())
    with pytest.raises(VocError, match="Too many failed sign-ins"):
        check_sign_in(users, throttle, "ana", PASSWORD, now=3, hashing=HashingLimit())
    assert check_sign_in(users, throttle, "ana", PASSWORD, now=63, hashing=HashingLimit()).name == "ana"


def test_concurrent_sign_ins_share_a_bounded_number_of_hashes(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    add_user(path, "ana", PASSWORD, role=Role.ANALYST, acting_role=Role.ADMIN)
    users, throttle, hashing = load_users(path), SignInThrottle(limit=1), HashingLimit(concurrent=2, wait=0.3)
    started, release = threading.Barrier(3), threading.Event()

    def hold() -> None:  # another session's hash, still running
        with hashing.slot():
            started.wait()
            release.wait()

    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    started.wait()
    waited = time.perf_counter()
    with pytest.raises(VocError, match="busy checking other sign-ins: wait a few seconds and try again"):
        check_sign_in(users, throttle, "ana", PASSWORD, now=0, hashing=hashing)
    assert time.perf_counter() - waited >= 0.3  # it waited for a slot before giving up
    assert not throttle.blocked("ana", now=0)  # a busy refusal counts as no failure (one would block: limit=1)
    release.set()
    for holder in holders:
        holder.join()
    assert check_sign_in(users, throttle, "ana", PASSWORD, now=1, hashing=hashing).name == "ana"

    # Eight sign-ins at once through one slot with time to wait: all run, one hash at a time.
    one_at_a_time, running, most = HashingLimit(concurrent=1, wait=60), [0], [0]
    lock = threading.Lock()

    def sign_in() -> None:
        with one_at_a_time.slot():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            authenticate(users, "ana", "wrong password!")
            with lock:
                running[0] -= 1

    spray = [threading.Thread(target=sign_in) for _ in range(8)]
    for thread in spray:
        thread.start()
    for thread in spray:
        thread.join()
    assert most == [1]


@pytest.mark.parametrize(
    ("host", "local"),
    [("localhost:8501", True), ("127.0.0.1:8501", True), ("[::1]:8501", True), ("LOCALHOST", True),
     ("127.0.0.2", True), ("evil.example:8501", False), ("localhost.evil.example", False), ("[::2]:80", False),
     ("10.0.0.1:8501", False), ("", False), (None, False)],
)  # fmt: skip
def test_only_this_machine_s_own_names_are_local_hosts(host: str | None, local: bool) -> None:
    assert is_local_host(host) is local


def test_a_broken_users_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "u.toml"
    path.write_text('[users.ana]\nrole = "owner"\npassword = "x"\n')
    with pytest.raises(VocError, match="cannot be read .*'owner' is not a role"):
        load_users(path)
    assert load_users(tmp_path / "missing.toml") == UsersFile()


def _audit_rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT * FROM audit_log ORDER BY id")).all()


def test_the_library_refuses_every_write_a_viewer_tries(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", sqlite_url)
    engine, settings = open_store(sqlite_url), load_settings()
    report = import_requests(engine, BALTIMORE.read_bytes(), BALTIMORE.name, settings, role=Role.ANALYST)
    before, version = _audit_rows(engine), data_version(engine)
    session = one_session(day=date(2019, 10, 3), district=None, category="Potholes", summary="x", raised=2)
    writes: dict[str, Callable[[object], object]] = {
        "import files": lambda role: import_requests(engine, BALTIMORE.read_bytes(), "again.csv", settings, role=role),
        "undo an upload": lambda role: undo(engine, report.upload_id, user="vee", role=role),
        "edit the request types": lambda role: save_type_map(
            engine,
            pd.DataFrame([{"raw_type": "A", "category": "B", "department": "C", "contact_type": "request"}]),
            user="vee",
            role=role,
        ),  # fmt: skip
        "set service targets": lambda role: save_targets(
            engine, pd.DataFrame([{"category": "B", "target_days": 1.0}]), user="vee", role=role
        ),
        "record actions": lambda role: add_action(
            engine, action_date=date(2019, 10, 1), description="x", user="vee", role=role
        ),
        "record stakeholder sessions": lambda role: save_sessions(
            engine, session, user="vee", role=role, timezone="America/New_York", file_name="form"
        ),
        "replace the district boundaries": lambda role: import_districts(
            engine, BOUNDARIES.read_bytes(), BOUNDARIES.name, user="vee", role=role
        ),
        "set district populations": lambda role: set_populations(engine, {"1": 5}, user="vee", role=role),
        "import surveys": lambda role: import_survey(engine, SURVEY.read_bytes(), SURVEY.name, user="vee", role=role),
        "edit survey links": lambda role: save_links(
            engine, pd.DataFrame([{"service_area": "Streets", "category": "B"}]), user="vee", role=role
        ),
        "edit survey benchmarks": lambda role: save_benchmarks(
            engine,
            pd.DataFrame([{"service_area": "Streets", "benchmark_share": 0.5, "source": "x"}]),
            user="vee",
            role=role,
        ),  # fmt: skip
        "edit survey dictionaries": lambda role: save_questions(
            engine, "Any", pd.DataFrame(columns=["question", "label", "kind"]), user="vee", role=role
        ),
        "import candidates": lambda role: import_candidates(
            engine, CANDIDATES.read_bytes(), CANDIDATES.name, user="vee", role=role
        ),
        "save weight scenarios": lambda role: save_scenario(engine, "Safety", {"demand": 1}, user="vee", role=role),
    }
    for doing, write in writes.items():
        for role in (Role.VIEWER, "viewer", None, "superuser"):
            with pytest.raises(NotAllowed, match=f"only a user with the analyst role can {doing}"):
                write(role)
    assert _audit_rows(engine) == before and data_version(engine) == version
    assert undo(engine, report.upload_id, user="ana", role=Role.ANALYST).deleted == 300
