"""Text that is data (names from uploads, the store or the URL) shown exactly as typed: the one way voc shows it.

Every Streamlit element that takes a string (st.markdown, headings, captions, alerts, labels) renders
it as Markdown, and its renderer turns bare URLs, `www.` names and e-mail addresses into links after
any escaping has been decoded (checked in Chromium: backslashes and HTML entities both still link),
and `:material/...:` into an icon even inside a code span. So data never goes into those strings:
it is HTML-escaped into st.html, which no Markdown reaches, and shows as typed, links and all, as text.
"""

from __future__ import annotations

import html
from typing import Any, Literal

import streamlit as st

Kind = Literal["title", "heading", "body", "caption", "info", "success", "warning", "error"]

_TAGS: dict[Kind, str] = {"title": "h1", "heading": "h3"}
# Sizes and colours of the Streamlit elements each kind stands in for (light theme, base font 18 px).
_STYLES: dict[Kind, str] = {
    "title": "font-size:2.75rem;font-weight:700;line-height:1.2;margin:0;padding:0.5rem 0",
    "heading": "font-size:1.5rem;font-weight:600;line-height:1.2;margin:0;padding:0.5rem 0",
    "body": "",
    "caption": "font-size:0.875rem;color:rgba(17,17,17,0.6)",
    "info": "background:rgba(28,131,225,0.1);color:rgb(0,66,128);padding:1rem;border-radius:0.5rem",
    "success": "background:rgba(33,195,84,0.1);color:rgb(23,114,51);padding:1rem;border-radius:0.5rem",
    "warning": "background:rgba(255,227,18,0.1);color:rgb(146,108,5);padding:1rem;border-radius:0.5rem",
    "error": "background:rgba(255,43,43,0.09);color:rgb(125,53,59);padding:1rem;border-radius:0.5rem",
}


def markup(text: object, *, kind: Kind = "body") -> str:
    """Return the HTML that shows `text` as typed in the look of `kind` (its tag carries data-voc-text=kind)."""
    tag = _TAGS.get(kind, "div")
    style = f"white-space:pre-wrap;overflow-wrap:anywhere;{_STYLES[kind]}"
    return f'<{tag} data-voc-text="{kind}" style="{style}">{html.escape(str(text))}</{tag}>'


def show(text: object, *, kind: Kind = "body", where: Any = None) -> None:
    """Show text that is or holds data exactly as typed, as a title, heading, line, caption or alert.

    `where` is a container or column (the main area when None). Nothing in the text is rendered:
    a link, an image, a formula or a directive shows as the characters typed.
    """
    (where or st).html(markup(text, kind=kind))
