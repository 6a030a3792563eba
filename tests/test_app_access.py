"""AppTest of sign-in and roles: each role's navigation, pages unreachable by URL, the three modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import plain_texts
from voc.core.access import Role
from voc.core.users import add_user, load_users, set_rule

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PASSWORD = "a long enough passphrase"
ALL_PAGES = ["pages/overview.py", "pages/trends.py", "pages/upload.py", "pages/data.py", "pages/users.py"]


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A users file with a viewer, an analyst and an admin (hashing costs, so made once)."""
    path = tmp_path_factory.mktemp("users") / "voc_users.toml"
    for name, role in (("vera", Role.VIEWER), ("ana", Role.ANALYST), ("ada", Role.ADMIN)):
        add_user(path, name, PASSWORD, role=role, acting_role=Role.ADMIN)
    return path


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch, users_file: Path, demo_store_url: str) -> Path:
    monkeypatch.setenv("VOC_USERS_FILE", str(users_file))
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    return users_file


def _app(*, user: str | None = None, page: str | None = None) -> AppTest:
    """Run the app as a signed-in local user (or nobody), opening `page` as its URL would on a fresh session."""
    app = AppTest.from_file(APP, default_timeout=90)
    if user:
        app.session_state["voc_user"] = user
    if page:
        app.switch_page(page)  # before the first run: the page as named in a hand-typed URL
    app.run()
    assert not app.exception
    return app


def _routable(app: AppTest) -> list[str]:
    """Return the pages the app's navigation holds (AppTest refuses to switch to any other)."""
    held = []
    for page in ALL_PAGES:
        try:
            app.switch_page(page)
            held.append(page)
        except ValueError as error:
            assert "Could not find a navigation page" in str(error)
    return held


def test_open_demo_on_loopback_holds_every_page(monkeypatch: pytest.MonkeyPatch, demo_store_url: str) -> None:
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    app = _app()
    assert app.title[0].value == "Overview"
    assert "Open demo on this machine" in app.sidebar.caption[0].value
    assert _routable(app) == ALL_PAGES


def test_no_open_demo_beyond_loopback(monkeypatch: pytest.MonkeyPatch, demo_store_url: str) -> None:
    from streamlit import config

    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)
    config.set_option("server.address", "0.0.0.0")
    app = _app(page="pages/upload.py")
    assert [t.value for t in app.title] == ["voc"]
    assert plain_texts(app, "error")[0].startswith("voc will not serve on 0.0.0.0 with nobody able to sign in.")
    assert not app.file_uploader and _routable(app) == []


def test_sign_in_is_all_a_stranger_sees_whatever_the_url(local: Path) -> None:
    for page in (None, "pages/upload.py", "pages/users.py"):
        app = _app(page=page)
        assert [t.value for t in app.title] == ["Sign in to voc"]
        assert not app.file_uploader and not app.metric
        assert _routable(app) == []


def test_a_failed_sign_in_says_the_same_for_a_wrong_name_or_password(local: Path) -> None:
    app = _app()
    errors = []
    for name, password in (("vera", "not her password"), ("valerie", PASSWORD)):
        app.text_input(key="sign_in_name").input(name)
        app.text_input(key="sign_in_password").input(password)
        app.button(key="FormSubmitter:sign_in_form-Sign in").click().run()
        assert not app.exception
        errors.append(app.error[0].value)
        assert app.title[0].value == "Sign in to voc"
    assert errors == ["Wrong user name or password."] * 2
    assert "voc_user" not in app.session_state

    app.text_input(key="sign_in_name").input(" Vera ")
    app.text_input(key="sign_in_password").input(PASSWORD)
    app.button(key="FormSubmitter:sign_in_form-Sign in").click().run()
    assert not app.exception
    assert app.title[0].value == "Overview"
    assert plain_texts(app.sidebar, "caption") == ["Signed in as vera (viewer)"]
    # The session keeps the user's name and nothing else: no password, nothing from before sign-in.
    widgets = {"account_sign_out", *(button.key for button in app.download_button)}
    kept = {key: value for key, value in app.session_state.to_dict().items() if key not in widgets}
    assert kept == {"voc_user": "vera"}

    app.button(key="account_sign_out").click().run()
    assert app.title[0].value == "Sign in to voc" and "voc_user" not in app.session_state


@pytest.mark.parametrize(
    ("user", "pages"),
    [
        ("vera", ALL_PAGES[:2]),
        ("ana", ALL_PAGES[:4]),
        ("ada", ALL_PAGES),
    ],
)
def test_each_role_navigation_holds_only_its_pages(local: Path, user: str, pages: list[str]) -> None:
    assert _routable(_app(user=user)) == pages


@pytest.mark.parametrize("page", ["pages/upload.py", "pages/data.py", "pages/users.py"])
def test_a_viewer_opening_an_analyst_page_by_url_gets_the_overview(local: Path, page: str) -> None:
    app = _app(user="vera", page=page)
    assert [t.value for t in app.title] == ["Overview"]
    assert not app.file_uploader and not app.data_editor and not app.text_input


def test_a_viewer_sees_actions_but_cannot_record_one(local: Path) -> None:
    app = _app(user="vera", page="pages/trends.py")
    assert app.title[0].value == "Trends"
    app.session_state["trends_tab"] = "Actions"
    app.run()
    assert "Analysts record actions here" in " ".join(c.value for c in app.caption)
    assert not [b for b in app.button if b.key and "trends_action_form" in b.key]
    assert not [t for t in app.text_area if t.key == "trends_action_description"]


def test_a_removed_user_is_signed_out_at_the_next_click(local: Path, tmp_path: Path, monkeypatch) -> None:
    moved = tmp_path / "voc_users.toml"
    moved.write_bytes(local.read_bytes())
    monkeypatch.setenv("VOC_USERS_FILE", str(moved))
    app = _app(user="ana", page="pages/upload.py")
    assert app.title[0].value == "Upload"
    from voc.core.users import remove_user

    remove_user(moved, "ana", acting_role=Role.ADMIN)
    app.run()
    assert [t.value for t in app.title] == ["Sign in to voc"]


def test_an_admin_adds_a_user_on_the_users_page(local: Path, tmp_path: Path, monkeypatch) -> None:
    moved = tmp_path / "voc_users.toml"
    moved.write_bytes(local.read_bytes())
    monkeypatch.setenv("VOC_USERS_FILE", str(moved))
    app = _app(user="ada", page="pages/users.py")
    assert app.title[0].value == "Users"
    app.text_input(key="users_add_name").input("dee")
    app.selectbox(key="users_add_role").set_value("viewer")
    app.text_input(key="users_add_password").input(PASSWORD)
    app.text_input(key="users_add_again").input(PASSWORD)
    app.button(key="FormSubmitter:users_add_form-Save the user").click().run()
    assert not app.exception
    assert plain_texts(app, "success") == ["Saved dee (viewer)."]
    assert load_users(moved).users["dee"].role == Role.VIEWER
    (table,) = (frame.value for frame in app.dataframe if "user" in frame.value.columns)
    assert table["user"].tolist() == ["ada", "ana", "dee", "vera"]


AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "voc",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def _oidc_app(claims: dict | None, *, page: str | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=90)
    app.secrets["auth"] = AUTH
    if claims is not None:
        app.user = {"is_logged_in": True, **claims}
    if page:
        app.switch_page(page)
    app.run()
    assert not app.exception
    return app


def test_identity_provider_sign_in_and_roles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, demo_store_url) -> None:
    from streamlit import config

    config.set_option("server.address", "0.0.0.0")  # sign-in is configured: voc may serve the network
    path = tmp_path / "voc_users.toml"
    set_rule(path, kind="emails", key="ana@county.gov", role=Role.ANALYST, acting_role=Role.ADMIN)
    set_rule(path, kind="groups", key="voc-admins", role=Role.ADMIN, acting_role=Role.ADMIN)
    monkeypatch.setenv("VOC_USERS_FILE", str(path))
    monkeypatch.setenv("VOC_DATABASE_URL", demo_store_url)

    stranger = _oidc_app(None, page="pages/upload.py")
    assert stranger.title[0].value == "Sign in to voc" and stranger.button(key="sign_in_oidc")
    assert not stranger.text_input  # no password form when the county's identity provider signs people in

    analyst = _oidc_app({"email": "Ana@County.gov", "name": "Ana"})
    assert plain_texts(analyst.sidebar, "caption") == ["Signed in as Ana@County.gov (analyst)"]
    assert _routable(analyst) == ALL_PAGES[:4]
    admin = _oidc_app({"email": "boss@county.gov", "groups": ["staff", "voc-admins"]})
    assert _routable(admin) == ALL_PAGES
    users = _oidc_app({"email": "boss@county.gov", "groups": ["voc-admins"]}, page="pages/users.py")
    assert "from the groups in the 'groups' claim of their identity token" in plain_texts(users, "body")[0]
    unverified = _oidc_app({"email": "ana@county.gov", "email_verified": False}, page="pages/trends.py")
    assert "gives your account no role" in plain_texts(unverified, "error")[0]
    assert _routable(unverified) == []
