"""A digest as an e-mail: plain text and HTML, each issue's chart an inline PNG; every text from data escaped."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

import pandas as pd

from voc.core.digest import Digest, DigestIssue
from voc.core.periods import month_label
from voc.present.charts import monthly_bars
from voc.present.export import chart_png

CHART_WIDTH = 520  # CSS pixels in the mail (the PNG has twice as many, sharp on a phone)
CHART_HEIGHT = 150
_STATE_COLOURS = {"new": "#D55E00", "seen": "#0072B2", "acted": "#009E73"}


def issue_chart(issue: DigestIssue) -> bytes:
    """Render an issue's monthly series as a small PNG, the month tested in strong blue."""
    monthly = pd.DataFrame(list(issue.monthly), columns=["month", "contacts"])
    chart = monthly_bars(monthly, highlight=monthly["month"].iloc[-1], height=CHART_HEIGHT)
    return chart_png(chart, title=f"{issue.series}: contacts per month", width=CHART_WIDTH)


def digest_html(digest: Digest, images: Mapping[str, str]) -> str:
    """Return the digest as an HTML page; images maps issue ids to each chart's src (cid: or data: URL)."""
    issues = "".join(_issue_html(issue, images.get(issue.issue_id)) for issue in digest.issues) or (
        f"<p>Nothing emerging under this watch in {month_label(digest.month)}.</p>"
    )
    if digest.dismissed:
        issues += f"<p style='color:#555'>{digest.dismissed} dismissed by an analyst, not shown.</p>"
    acted = (
        "".join(
            f"<div style='margin:0 0 16px'><p style='margin:0'>{escape(item.sentence)}</p>"
            f"<p style='margin:4px 0'><b>Action:</b> {escape(item.action)}</p>"
            f"<p style='margin:4px 0'><b>Effect so far:</b> {escape(item.effect)}</p>{_link_html(item.link)}</div>"
            for item in digest.acted
        )
        or "<p>No issue under this watch was acted on in the last 12 months.</p>"
    )
    questions = (
        "".join(
            f"<div style='margin:0 0 12px'><p style='margin:0'>{escape(item.sentence)}</p>"
            + (
                f"<p style='margin:4px 0'><b>{escape(item.action)}:</b> {escape(item.effect or '')}</p>"
                if item.action
                else ""
            )
            + "</div>"
            for item in digest.questions
        )
        or "<p>No topic's questions rose or stayed high.</p>"
    )
    closure = "".join(f"<p style='margin:0 0 8px'>{escape(line)}</p>" for line in digest.closed_not_fixed) or (
        f"<p>No contacts under this watch in {month_label(digest.month)}.</p>"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(digest.subject)}</title></head>"
        "<body style='font-family:Arial,Helvetica,sans-serif;font-size:16px;color:#111;max-width:640px'>"
        f"<h1 style='font-size:22px'>{escape(digest.subject)}</h1>"
        f"<p>Following: {escape(digest.scope)}. Emerging issues of {month_label(digest.month)}, each against what "
        "its own seasonal history predicts.</p>"
        f"<h2 style='font-size:19px'>What is emerging</h2>{issues}"
        f"<h2 style='font-size:19px'>What was acted on, and its effect so far</h2>{acted}"
        f"<h2 style='font-size:19px'>Closed, but not fixed?</h2>{closure}"
        f"<h2 style='font-size:19px'>Questions a published answer could save</h2>{questions}"
        f"{_link_html(digest.link, 'Open this view in voc')}</body></html>"
    )


def _issue_html(issue: DigestIssue, image: str | None) -> str:
    colour = _STATE_COLOURS.get(issue.state, "#555")
    picture = (
        f"<img src='{escape(image)}' width='{CHART_WIDTH}' alt='{escape(issue.series)}: contacts per month' "
        "style='display:block;max-width:100%;height:auto'>"
        if image
        else ""
    )
    return (
        f"<div style='margin:0 0 20px'><p style='margin:0 0 6px'><b style='color:{colour}'>"
        f"[{escape(issue.state)}]</b> {escape(issue.sentence)}</p>{picture}{_link_html(issue.link)}</div>"
    )


def _link_html(link: str | None, text: str = "See it in voc") -> str:
    return f"<p style='margin:4px 0'><a href='{escape(link)}'>{escape(text)}</a></p>" if link else ""


def digest_text(digest: Digest) -> str:
    """Return the digest as plain text, for mail readers that show no HTML."""
    lines = [digest.subject, "", f"Following: {digest.scope}.", "", "WHAT IS EMERGING"]
    lines += [
        f"[{issue.state}] {issue.sentence}" + (f"\n  {issue.link}" if issue.link else "") for issue in digest.issues
    ]
    if not digest.issues:
        lines.append(f"Nothing emerging under this watch in {month_label(digest.month)}.")
    if digest.dismissed:
        lines.append(f"{digest.dismissed} dismissed by an analyst, not shown.")
    lines += ["", "WHAT WAS ACTED ON"]
    lines += [f"{item.sentence}\n  Action: {item.action}\n  Effect so far: {item.effect}" for item in digest.acted]
    if not digest.acted:
        lines.append("No issue under this watch was acted on in the last 12 months.")
    lines += ["", "CLOSED, BUT NOT FIXED?", *digest.closed_not_fixed]
    if not digest.closed_not_fixed:
        lines.append(f"No contacts under this watch in {month_label(digest.month)}.")
    lines += ["", "QUESTIONS A PUBLISHED ANSWER COULD SAVE"]
    lines += [item.sentence + (f"\n  {item.action}: {item.effect}" if item.action else "") for item in digest.questions]
    if not digest.questions:
        lines.append("No topic's questions rose or stayed high.")
    if digest.link:
        lines += ["", f"Open this view in voc: {digest.link}"]
    return "\n".join(lines) + "\n"


def digest_message(digest: Digest, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """Return the e-mail: text and HTML alternatives, each issue's chart attached inline (cid:)."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(digest_text(digest))
    charts = {issue.issue_id: (make_msgid(domain="voc.digest"), issue_chart(issue)) for issue in digest.issues}
    message.add_alternative(
        digest_html(digest, {issue: f"cid:{cid[1:-1]}" for issue, (cid, _) in charts.items()}), subtype="html"
    )
    html_part = message.get_payload()[1]
    for issue, (cid, png) in charts.items():
        html_part.add_related(png, "image", "png", cid=cid, filename=f"{issue}.png", disposition="inline")
    return message


def standalone_html(digest: Digest) -> str:
    """Return the digest's HTML with its charts embedded (data: URLs), to open in a browser."""
    images = {
        issue.issue_id: "data:image/png;base64," + base64.b64encode(issue_chart(issue)).decode("ascii")
        for issue in digest.issues
    }
    return digest_html(digest, images)
