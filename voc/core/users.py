"""The users file: local users with scrypt password hashes, and the role rules of an identity provider.

The file is TOML (default `.streamlit/voc_users.toml`, or VOC_USERS_FILE), written by voc with
owner-only permissions. It never holds a password, only its salted scrypt hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from voc.core.access import HashingLimit, Role, RoleRules, SignInThrottle, parse_role, require, role_rules
from voc.core.errors import NotFound, VocError

# OWASP's scrypt setting of equal strength to N=2^17, p=1 with a quarter of the memory (32 MiB):
# about 0.6 s a hash on this project's 2-core machines, so guessing passwords offline stays slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 3
SCRYPT_MAX_N = 2**20  # refuse a hash whose cost could exhaust memory
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
HEADER = (
    "# voc users and roles, written by `voc user ...` and the Users page (comments are not kept).\n"
    "# Passwords are stored as salted scrypt hashes only. Keep this file readable by voc's account alone.\n"
)


@dataclass(frozen=True)
class LocalUser:
    name: str
    role: Role
    password_hash: str


@dataclass(frozen=True)
class UsersFile:
    """What the users file holds: local users by name and the identity provider's role rules."""

    users: dict[str, LocalUser] = field(default_factory=dict)
    rules: RoleRules = field(default_factory=RoleRules)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Return a salted scrypt hash of a password, its parameters written in: scrypt$N$r$p$salt$hash."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20, dklen=32
    )
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded])


def verify_password(password: str, stored: str) -> bool:
    """Tell whether a password matches a stored hash, comparing in constant time; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if scheme != "scrypt" or not 1 < n_ <= SCRYPT_MAX_N or not 0 < r_ * p_ <= 64:
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=n_, r=r_, p=p_, maxmem=256 * 2**20, dklen=32
        )
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


# Checked against when the name is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(24))


def authenticate(users: UsersFile, name: str, password: str) -> LocalUser | None:
    """Return the user whose name and password these are, or None; an unknown name takes as long as a wrong password."""
    user = users.users.get(normalise_name(name))
    matches = verify_password(password[:MAX_PASSWORD], user.password_hash if user else _UNKNOWN_USER_HASH)
    return user if user and matches else None


def check_sign_in(
    users: UsersFile, throttle: SignInThrottle, name: str, password: str, *, now: float, hashing: HashingLimit
) -> LocalUser:
    """Return the user signing in; raises VocError saying only that the name or password is wrong, or to wait.

    The message never tells which of the two was wrong, and a name with too many recent failures
    is refused without checking the password. `hashing` bounds the hashes of the whole process: when
    it stays full, the attempt is refused as busy, and counts as no failure.
    """
    key = normalise_name(name)[:64]
    if throttle.blocked(key, now=now):
        raise VocError("Too many failed sign-ins with this user name: wait 15 minutes and try again.")
    with hashing.slot():
        user = authenticate(users, name, password)
    if user is None:
        throttle.failed(key, now=now)
        raise VocError("Wrong user name or password.")
    throttle.succeeded(key)
    return user


def normalise_name(name: str) -> str:
    """Return a user name as stored: trimmed and lower case."""
    return name.strip().lower()


def check_name(name: str) -> str:
    """Return a valid user name; raises VocError saying what a name may hold."""
    normalised = normalise_name(name)
    if not NAME_PATTERN.fullmatch(normalised):
        raise VocError(
            f"{name!r} cannot be a user name: use 1 to 64 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit."
        )
    return normalised


def check_password(password: str, name: str) -> None:
    """Raise VocError when a new password is too short, too long, or the user name itself."""
    if len(password) < MIN_PASSWORD:
        raise VocError(f"A password needs at least {MIN_PASSWORD} characters; a short sentence is easy to remember.")
    if len(password) > MAX_PASSWORD:
        raise VocError(f"A password may have at most {MAX_PASSWORD} characters.")
    if password.strip().lower() == name:
        raise VocError("A password must not be the user name.")


def load_users(path: Path) -> UsersFile:
    """Read the users file; a missing file holds nobody. Raises VocError on a file voc cannot read."""
    if not path.exists():
        return UsersFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        users = {
            check_name(name): LocalUser(check_name(name), parse_role(entry["role"]), str(entry["password"]))
            for name, entry in dict(data.get("users", {})).items()
        }
        return UsersFile(users=users, rules=role_rules(data.get("oidc", {})))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError, VocError) as error:
        message = f"The users file {path} cannot be read ({error}). Fix it, or remove it and add users again."
        raise VocError(message) from error


def save_users(path: Path, users: UsersFile) -> None:
    """Write the users file atomically, readable and writable by its owner alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".voc_users.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(_toml(users))
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _quoted(text: str) -> str:
    # A JSON string is a valid TOML basic string: quotes, backslashes and control characters escaped.
    return json.dumps(text, ensure_ascii=False)


def _toml(users: UsersFile) -> str:
    rules = users.rules
    lines = [HEADER, "[oidc]", f"group_claim = {_quoted(rules.group_claim)}"]
    lines.append(f"default_role = {_quoted(rules.default_role or 'none')}")
    for table, entries in (("groups", rules.groups), ("emails", rules.emails)):
        lines += ["", f"[oidc.{table}]"]
        lines += [f"{_quoted(key)} = {_quoted(role)}" for key, role in sorted(entries.items())]
    for user in sorted(users.users.values(), key=lambda u: u.name):
        lines += ["", f"[users.{_quoted(user.name)}]", f"role = {_quoted(user.role)}"]
        lines.append(f"password = {_quoted(user.password_hash)}")
    return "\n".join(lines) + "\n"


def add_user(path: Path, name: str, password: str, *, role: Role, acting_role: Role) -> LocalUser:
    """Add a local user (or give an existing one a new password and role); raises VocError on a bad name or password.

    Raises NotAllowed unless the acting role is admin.
    """
    require(acting_role, Role.ADMIN, doing="manage users")
    name = check_name(name)
    check_password(password, name)
    users = load_users(path)
    user = LocalUser(name, role, hash_password(password))
    save_users(path, replace(users, users={**users.users, name: user}))
    return user


def set_role(path: Path, name: str, *, role: Role, acting_role: Role) -> None:
    """Change a local user's role; raises VocError for an unknown user or for demoting the last admin."""
    require(acting_role, Role.ADMIN, doing="manage users")
    users = load_users(path)
    user = _existing(users, name)
    changed = {**users.users, user.name: replace(user, role=role)}
    _keep_an_admin(users, changed)
    save_users(path, replace(users, users=changed))


def remove_user(path: Path, name: str, *, acting_role: Role) -> None:
    """Remove a local user; raises VocError for an unknown user or for removing the last admin."""
    require(acting_role, Role.ADMIN, doing="manage users")
    users = load_users(path)
    user = _existing(users, name)
    kept = {key: value for key, value in users.users.items() if key != user.name}
    _keep_an_admin(users, kept)
    save_users(path, replace(users, users=kept))


def set_rule(path: Path, *, kind: str, key: str, role: Role | None, acting_role: Role) -> None:
    """Give an identity provider's group or e-mail a role (kind "groups" or "emails"); role None removes the rule."""
    require(acting_role, Role.ADMIN, doing="manage roles")
    if kind not in ("groups", "emails") or not key.strip():
        raise VocError("Name a group (as the identity provider sends it) or an e-mail address.")
    users = load_users(path)
    key = key.strip().lower() if kind == "emails" else key.strip()
    entries = {k: v for k, v in getattr(users.rules, kind).items() if k != key}
    if role is not None:
        entries[key] = role
    save_users(path, replace(users, rules=replace(users.rules, **{kind: entries})))


def _existing(users: UsersFile, name: str) -> LocalUser:
    user = users.users.get(normalise_name(name))
    if user is None:
        known = ", ".join(sorted(users.users)) or "none yet"
        raise NotFound(f"There is no user {name!r}. The users are: {known}.")
    return user


def _keep_an_admin(before: UsersFile, after: dict[str, LocalUser]) -> None:
    had_admin = any(u.role == Role.ADMIN for u in before.users.values())
    if had_admin and after and not any(u.role == Role.ADMIN for u in after.values()):
        raise VocError("That would leave no admin: give another user the admin role first.")
