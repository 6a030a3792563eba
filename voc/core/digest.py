"""What a watch's digest says, as plain data: voc.contacts.digest fills it, voc.present.digest_mail mails it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DigestIssue:
    """An emerging issue under the watch: its sentence, state and the monthly series its chart shows."""

    issue_id: str
    sentence: str
    state: str
    series: str  # what the chart counts, e.g. "Illegal dumping in District 5"
    monthly: tuple[tuple[str, int], ...]  # (YYYY-MM, contacts), oldest first; the last month is the one tested
    link: str | None


@dataclass(frozen=True)
class DigestAction:
    """An issue acted on: how it read, the action taken and its effect so far."""

    sentence: str
    action: str
    effect: str
    link: str | None


@dataclass(frozen=True)
class DigestQuestion:
    """Questions a published answer could save: what they cost, and the latest information action's effect."""

    sentence: str
    action: str | None
    effect: str | None


@dataclass(frozen=True)
class Digest:
    """One e-mail: a watch's emerging issues and actions of a period.

    watch is "" for the county-wide digest; period is the YYYY-MM or YYYY-Www it is sent for, and
    month the complete month whose detection it reports.
    """

    watch: str
    period: str
    month: str
    subject: str
    scope: str  # the watch's filter in words
    issues: tuple[DigestIssue, ...]
    acted: tuple[DigestAction, ...]
    dismissed: int  # issues under the filter an analyst dismissed: counted, not shown
    questions: tuple[DigestQuestion, ...]
    closed_not_fixed: tuple[str, ...]  # the month's reopen rate and times under the watch, then the worst categories
    link: str | None
