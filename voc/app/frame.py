"""The app's frame: its pages, who is visiting and with which role, and the presentation view."""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import sqlalchemy as sa
import streamlit as st

from voc.app import plain
from voc.app.cache import one_data_version_per_run
from voc.core.access import (
    Actor,
    HashingLimit,
    Mode,
    NotServing,
    Role,
    SignInThrottle,
    allows,
    is_local_host,
    role_from_claims,
)
from voc.core.access import access_mode as access_mode_for
from voc.core.config import PROJECT_ROOT, Settings, load_settings
from voc.core.errors import NotAllowed, StoreUnavailable, VocError
from voc.core.users import UsersFile, check_sign_in, load_users
from voc.ingest.child import start_forkserver
from voc.store.engine import reason_of

_IN_FRAME: ContextVar[bool] = ContextVar("voc_in_frame", default=False)
_ACTOR: ContextVar[Actor | None] = ContextVar("voc_actor", default=None)
_LOG = logging.getLogger("voc.access")


class Page(NamedTuple):
    """A page of the navigation and the least role that may open it."""

    path: str
    title: str
    icon: str
    role: Role


# The navigation, in order; the first page a role may open is its home. Adding a page is one line:
# its file, title, icon and the least role that may open it. A user's navigation holds only the
# pages their role allows, so the others are not routable: their URL runs the home page instead.
PAGES = (
    Page("pages/overview.py", "Overview", ":material/dashboard:", Role.VIEWER),
    Page("pages/trends.py", "Trends", ":material/trending_up:", Role.VIEWER),
    Page("pages/map.py", "Map", ":material/map:", Role.VIEWER),
    Page("pages/surveys.py", "Surveys", ":material/reviews:", Role.VIEWER),
    Page("pages/priorities.py", "Priorities", ":material/format_list_numbered:", Role.VIEWER),
    Page("pages/upload.py", "Upload", ":material/upload_file:", Role.ANALYST),
    Page("pages/data.py", "Data", ":material/tune:", Role.ANALYST),
    Page("pages/users.py", "Users", ":material/manage_accounts:", Role.ADMIN),
)
# The only page of someone who has not signed in, whatever URL they open.
SIGN_IN = Page("pages/sign_in.py", "Sign in", ":material/login:", Role.VIEWER)
SESSION_USER = "voc_user"  # the one thing sign-in keeps in the session: the local user's name


def run_app() -> None:
    """Set the page frame, then serve the visitor (one data-version lookup for the whole run)."""
    # A shipped file, not a Material icon: those favicons are fetched from Google's servers.
    icon = str(PROJECT_ROOT / "data" / "voc-icon.png")
    present = presenting()
    st.set_page_config(
        page_title="voc · Voice of the Customer", page_icon=icon, layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )  # fmt: skip
    token = _IN_FRAME.set(True)
    try:
        with one_data_version_per_run():
            _serve(present)
    finally:
        _IN_FRAME.reset(token)


def _serve(present: bool) -> None:
    """Find who is visiting and run the page the URL asks for among those their role allows."""
    try:
        actor = _visitor()
    except VocError as error:
        _refuse(str(error))
        return
    actor_token = _ACTOR.set(actor)
    try:
        if actor is None:
            pages = [st.Page(SIGN_IN.path, title=SIGN_IN.title, icon=SIGN_IN.icon, default=True)]
        else:
            if allows(actor.role, Role.ANALYST):
                _readers_started()
            allowed = [page for page in PAGES if allows(actor.role, page.role)]
            pages = [
                st.Page(page.path, title=page.title, icon=page.icon, default=index == 0)
                for index, page in enumerate(allowed)
            ]
            _account_panel(actor)
        try:
            st.navigation(pages, position="hidden" if present else "sidebar").run()
        except (StoreUnavailable, sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            _store_down(error)
    finally:
        _ACTOR.reset(actor_token)


def _store_down(error: Exception) -> None:
    """Say on the page, and in one line of the server's log, that the store cannot be reached."""
    message = (
        str(error)
        if isinstance(error, StoreUnavailable)
        else f"The store cannot be reached ({reason_of(error)}). Check that the database is running, then reload."
    )
    _LOG.error("%s", message)
    plain.show(message, kind="error")


def require_frame() -> None:
    """Run the app frame first when a page script is started on its own.

    Streamlit runs a file of pages/ directly when the first request of a server process asks for
    its URL; the frame must decide what runs (page config, sign-in, the role's navigation), so a
    page the role may not open does not run even then.
    """
    if not _IN_FRAME.get():
        run_app()
        st.stop()


def _refuse(message: str) -> None:
    """Serve nothing but the reason (no page of the app is routable), with a way out for a signed-in user."""

    def refused() -> None:
        st.title("voc")
        plain.show(message, kind="error")
        if _oidc_configured() and st.user.get("is_logged_in"):
            st.button("Sign out", key="refused_sign_out", on_click=st.logout)

    st.navigation([st.Page(refused, title="voc", url_path="refused")], position="hidden").run()


def access_mode() -> Mode:
    """Return how people sign in here (raises NotServing when voc must not serve)."""
    return access_mode_for(
        oidc_configured=_oidc_configured(),
        local_users=len(users_file().users),
        address=st.get_option("server.address"),
    )


def _visitor() -> Actor | None:
    """Return who is visiting and their role, or None when they must sign in first.

    The role is looked up again on every run, so a removed user or a changed role takes effect at
    their next click. Raises VocError when voc must not serve, or the visitor has no role.
    """
    mode = access_mode()
    if mode == Mode.DEMO:
        # Nobody is configured and only this machine can connect: its operator, as on the command line.
        # Unless a remote page reached it under its own name (DNS rebinding); a browser always sends
        # Host, so only a test harness without a request (AppTest) has none.
        host = st.context.headers.get("Host")
        if host is not None and not is_local_host(host):
            raise NotServing(
                f"This open demo answers only to localhost, and it was reached as {host!r}: a web page elsewhere "
                "can arrange that to act in your name. Open voc at http://localhost, or set up sign-in "
                "(see the README, Access)."
            )
        return Actor(load_settings().user, Role.ADMIN)
    if mode == Mode.LOCAL:
        user = users_file().users.get(st.session_state.get(SESSION_USER, ""))
        if user is None:
            st.session_state.pop(SESSION_USER, None)
            return None
        return Actor(user.name, user.role)
    if not st.user.get("is_logged_in"):
        return None
    claims = st.user.to_dict()
    name = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "")
    role = role_from_claims(claims, users_file().rules)
    if role is None:
        raise NotAllowed(
            f"You are signed in as {name}, but voc gives your account no role. Ask a voc admin to add your "
            "e-mail address or one of your groups (see the README, Access)."
        )
    return Actor(name, role)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False


def _account_panel(actor: Actor) -> None:
    """Say in the sidebar who is signed in, with which role, and offer to sign out."""
    mode = access_mode()
    with st.sidebar:
        if mode == Mode.DEMO:
            st.caption("Open demo on this machine: nobody signs in. Add a user to require sign-in (README, Access).")
            return
        plain.show(f"Signed in as {actor.name} ({actor.role})", kind="caption")
        st.button("Sign out", key="account_sign_out", on_click=_sign_out, args=(mode,))


def _sign_out(mode: Mode) -> None:
    # A callback, so the run the click starts already sees the visitor signed out.
    st.session_state.clear()
    if mode == Mode.OIDC:
        st.logout()


@st.cache_resource(show_spinner=False)
def _throttle() -> SignInThrottle:
    return SignInThrottle()


@st.cache_resource(show_spinner=False)
def _readers_started() -> bool:
    # Once a process, on an analyst's first page: the upload readers load in the background by their first file.
    start_forkserver()
    return True


@st.cache_resource(show_spinner=False)
def _hashing() -> HashingLimit:
    return HashingLimit()  # one for the server process: every session's sign-ins share its slots


def sign_in(name: str, password: str) -> None:
    """Sign a local user in for this session; raises VocError without saying whether name or password was wrong."""
    try:
        user = check_sign_in(users_file(), _throttle(), name, password, now=time.monotonic(), hashing=_hashing())
    except VocError:
        _LOG.warning("Failed local sign-in")  # never the name typed (it may be a password) nor the password
        raise
    # A new session state on sign-in: nothing chosen before it carries over into the signed-in session.
    st.session_state.clear()
    st.session_state[SESSION_USER] = user.name
    _LOG.info("Local user %s signed in", user.name)


@st.cache_data(show_spinner=False, max_entries=4)
def _users_file(path: str, modified: int) -> UsersFile:
    return load_users(Path(path))


def users_file() -> UsersFile:
    """Return the users file's content, read again whenever the file changes."""
    path = load_settings().users_file
    modified = path.stat().st_mtime_ns if path.exists() else 0
    return _users_file(str(path), modified)


def actor() -> Actor:
    """Return who is using the page; only pages run inside the frame have one."""
    visitor = _ACTOR.get()
    if visitor is None:
        raise NotAllowed("Sign in first.")
    return visitor


def role() -> Role:
    """Return the signed-in user's role, which the library checks before any change."""
    return actor().role


def settings() -> Settings:
    """Return the settings, with the signed-in user as the one who makes changes (upload history, audit log)."""
    return replace(load_settings(), user=current_user())


def current_user() -> str:
    """Return who is making a change, for the upload history and the audit log."""
    return actor().name


# The budget meeting's wall: large type, the whole width, no sidebar control. Static CSS only.
_PRESENTATION_CSS = """<style>
[data-testid="stMainBlockContainer"] { max-width: 100%; padding: 3.5rem 3rem 1.5rem; }
[data-testid="stSidebarCollapsedControl"], [data-testid="stSidebar"] { display: none; }
[data-testid="stMain"] h1 { font-size: 3.6rem !important; }
[data-testid="stMain"] h2, [data-testid="stMain"] h3 { font-size: 2.6rem !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] button p { font-size: 1.7rem; }
</style>"""


def presenting() -> bool:
    """Tell whether the URL asks for the presentation view (?present=1): large type, no sidebar."""
    return st.query_params.get("present", "0") not in ("", "0")


def presentation_link() -> str:
    """Return the relative URL of this view in presentation mode, keeping its filters and weights."""
    pairs = [(key, value) for key in st.query_params if key != "present" for value in st.query_params.get_all(key)]
    return "?" + urlencode([*pairs, ("present", "1")])


def leave_presentation() -> None:
    """Drop the presentation mode from the URL (a button's callback)."""
    st.query_params.pop("present", None)


def presentation_style() -> None:
    """Set the presentation view's large type and hide the sidebar."""
    st.html(_PRESENTATION_CSS)
