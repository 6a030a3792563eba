"""Who may do what: roles, the check every write path makes, and which sign-in mode the app serves in."""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from voc.core.errors import NotAllowed, VocError


class Role(StrEnum):
    """What a user may do; each role may do everything the roles before it may."""

    VIEWER = "viewer"  # browse and download
    ANALYST = "analyst"  # upload, undo, edit mappings, targets and actions
    ADMIN = "admin"  # manage who has which role


RANKS = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


class Mode(StrEnum):
    """How people sign in."""

    OIDC = "oidc"  # the county's identity provider through st.login ([auth] in .streamlit/secrets.toml)
    LOCAL = "local"  # user names and hashed passwords in the users file
    DEMO = "demo"  # nobody signs in: only when nothing is configured and the server listens on loopback alone


@dataclass(frozen=True)
class Actor:
    """The person acting: a name for the audit log and the role the library checks."""

    name: str
    role: Role


class NotServing(VocError):
    """The app must not serve: no sign-in is configured and the server is reachable from the network."""


def parse_role(value: object) -> Role:
    """Return the role a text names; raises VocError listing the roles otherwise."""
    text = str(value).strip().lower()
    try:
        return Role(text)
    except ValueError:
        raise VocError(f"{value!r} is not a role. The roles are: {', '.join(RANKS)}.") from None


def allows(role: object, needed: Role) -> bool:
    """Tell whether a role may do what needs `needed`; anything that is not a role may do nothing."""
    return role in RANKS and RANKS[Role(role)] >= RANKS[needed]


def require(role: object, needed: Role, *, doing: str = "change the store") -> None:
    """Raise NotAllowed unless the role may do what needs `needed` (the library's own check before a write)."""
    if not allows(role, needed):
        shown = f"the {role} role" if role in RANKS else "no role"
        raise NotAllowed(
            f"You have {shown}, and only a user with the {needed} role can {doing}. Ask a voc admin for the role."
        )


def is_loopback(address: str | None) -> bool:
    """Tell whether a listening address is reachable from this machine alone.

    None or "" is not loopback: Streamlit then listens on every interface.
    """
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_host(host: str | None) -> bool:
    """Tell whether a request's Host header ("localhost:8501", "[::1]:8501") names this machine itself.

    A web page elsewhere can make a visitor's browser reach a server on loopback under its own name
    (DNS rebinding): the request then carries that name, which the open demo must not answer.
    """
    if not host:
        return False
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    return name == "localhost" or is_loopback(name)


def access_mode(*, oidc_configured: bool, local_users: int, address: str | None) -> Mode:
    """Choose how people sign in: the identity provider, else local users, else an open demo on loopback.

    Raises NotServing when nothing is configured and the server listens beyond this machine.
    """
    if oidc_configured:
        return Mode.OIDC
    if local_users:
        return Mode.LOCAL
    if is_loopback(address):
        return Mode.DEMO
    raise NotServing(
        f"voc will not serve on {address or 'every network interface'} with nobody able to sign in. "
        "Add a first admin with `voc user add NAME --role admin` (a local user with a password), or set up "
        "the county's identity provider in .streamlit/secrets.toml (see the README, Access). To try voc "
        "on this machine alone, serve it on localhost: `voc serve`."
    )


@dataclass(frozen=True)
class RoleRules:
    """How an identity provider's users get their role: by group claim, then by e-mail, then a default."""

    group_claim: str = "groups"
    groups: Mapping[str, Role] = field(default_factory=dict)
    emails: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None  # None: a user matching no rule is not let in


def role_rules(section: Mapping[str, Any]) -> RoleRules:
    """Read the [oidc] section of the users file; raises VocError naming a wrong entry."""
    default = section.get("default_role")
    return RoleRules(
        group_claim=str(section.get("group_claim", "groups")),
        groups={str(group): parse_role(role) for group, role in dict(section.get("groups", {})).items()},
        emails={str(email).lower(): parse_role(role) for email, role in dict(section.get("emails", {})).items()},
        default_role=None if default in (None, "", "none") else parse_role(default),
    )


def role_from_claims(claims: Mapping[str, Any], rules: RoleRules) -> Role | None:
    """Return the highest role the identity token's claims earn, or None when the user is not let in.

    A group claim may be a list or one string. The e-mail counts only when the provider has not said
    it is unverified (`email_verified` false), so nobody earns a role with an address they do not own.
    """
    groups = claims.get(rules.group_claim) or []
    groups = [groups] if isinstance(groups, str) else list(groups)
    earned = [rules.groups[str(group)] for group in groups if str(group) in rules.groups]
    email = str(claims.get("email") or "").strip().lower()
    if email and claims.get("email_verified") is not False and email in rules.emails:
        earned.append(rules.emails[email])
    if not earned:
        return rules.default_role
    return max(earned, key=RANKS.__getitem__)


@dataclass
class SignInThrottle:
    """Refuse sign-ins for a name after `limit` failures within `window` seconds, in one server process.

    Counted per name typed, known or not, so being throttled tells nothing about which names exist.
    """

    limit: int = 5
    window: float = 900.0
    max_names: int = 10_000  # bound the memory an attacker typing random names can take
    _failures: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, name: str, *, now: float) -> bool:
        """Tell whether sign-ins for this name are refused for now."""
        with self._lock:
            recent = [t for t in self._failures.get(name, []) if now - t < self.window]
            return len(recent) >= self.limit

    def failed(self, name: str, *, now: float) -> None:
        """Count a failed sign-in for this name."""
        with self._lock:
            if len(self._failures) >= self.max_names:
                self._failures = {k: v for k, v in self._failures.items() if now - v[-1] < self.window}
            recent = [t for t in self._failures.get(name, []) if now - t < self.window]
            self._failures[name] = [*recent, now][-self.limit :]

    def succeeded(self, name: str) -> None:
        """Forget this name's failures."""
        with self._lock:
            self._failures.pop(name, None)


class HashingLimit:
    """Bound how many password hashes run at once in one server process (each takes 32 MiB and a core).

    Throttling per name alone let 16 clients spraying names slow every viewer's page tenfold. An
    attempt beyond the bound waits up to `wait` seconds for a slot, then is refused with "try again".
    """

    def __init__(self, concurrent: int = max(1, (os.cpu_count() or 2) // 2), wait: float = 3.0) -> None:
        self.concurrent = concurrent
        self.wait = wait
        self._slots = threading.BoundedSemaphore(concurrent)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for a hash; raises VocError when none frees up within `wait` seconds."""
        if not self._slots.acquire(timeout=self.wait):
            raise VocError("voc is busy checking other sign-ins: wait a few seconds and try again.")
        try:
            yield
        finally:
            self._slots.release()
