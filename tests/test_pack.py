"""The meeting pack: `voc pack` as HTML (escaped, offline) and PDF (its pages rendered to PNG and checked)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pypdfium2
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests.browser import ARTIFACTS
from voc.cli import main
from voc.core.access import Role
from voc.priorities.funding import FundingRules
from voc.priorities.scenarios import save_scenario
from voc.store.engine import open_store

HOSTILE = '<script>alert("x")</script> & <b>Co</b>'


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch, demo_copy: str) -> CliRunner:
    """The demo county with a scenario "Wall" saved with a budget, and a candidate named like markup."""
    engine = open_store(demo_copy)
    rules = FundingRules(25e6, mandated=("CIP-026",), excluded=("CIP-014",),
                         fund_budgets=(("Penny for Pasco", 4e6),), year_budgets=((2027, 5e6),))  # fmt: skip
    save_scenario(engine, "Wall", {"demand": 40, "condition": 20}, funding=rules, user="ana", role=Role.ANALYST)
    save_scenario(engine, "Sliders", {"demand": 40}, user="ana", role=Role.ANALYST)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE candidates SET name = :name WHERE source_id = 'CIP-026'"), {"name": HOSTILE})
    engine.dispose()
    monkeypatch.setenv("VOC_DATABASE_URL", demo_copy)
    return CliRunner()


def test_the_html_pack_holds_the_funded_projects_escaped_and_offline(wall: CliRunner, tmp_path: Path) -> None:
    ranked = json.loads(wall.invoke(main, ["rank", "--scenario", "Wall", "--json"]).output)
    funded = [c["source_id"] for c in ranked["candidates"] if c["funded"]]
    out = tmp_path / "pack.html"
    written = wall.invoke(main, ["pack", "--scenario", "Wall", "--out", str(out), "--json"])
    assert written.exit_code == 0, written.output
    assert sorted(json.loads(written.output)["funded"]) == sorted(funded)
    html = out.read_text()
    assert html.count('<section class="project">') == len(funded)
    chosen = [c for c in ranked["candidates"] if c["funded"]]
    assert sum(c["estimated_cost"] for c in chosen if c["fund"] == "Penny for Pasco") <= 4e6
    assert sum(c["estimated_cost"] for c in chosen if c["fiscal_year"] == 2027) <= 5e6
    assert "Within the budgets by fund and fiscal year: Penny for Pasco $" in html and "of $5,000,000." in html
    assert html.count("<dt>Reopens</dt>") == html.count("<dt>Fund</dt>") == len(funded)
    assert "<th>Fund, year</th>" in html and "<td>Gas tax, FY2027</td>" in html
    most = max(chosen, key=lambda c: c["reopened"])
    assert most["reopened"] > 0  # the demo's fixes do not all hold: the committee reads how many came back
    assert f"{most['reopened']:,} of the {most['contacts']:,} linked contacts" in html
    assert "Funding line: $25,000,000. Below it, not funded." in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert "http:" not in html and "https:" not in html  # nothing to fetch: it opens offline
    assert "Palmetto County, FL demo data" in html and "2022-11 to 2026-10" in html  # provenance: upload, months

    refused = wall.invoke(main, ["pack", "--scenario", "Sliders", "--out", str(out), "--json"])
    assert refused.exit_code == 2 and "has no budget" in json.loads(refused.output)["error"]
    wrong = wall.invoke(main, ["pack", "--scenario", "Wall", "--out", str(tmp_path / "pack.docx")])
    assert wrong.exit_code == 2 and wrong.output.strip() == "Error: The pack is written as .html or .pdf, not .docx."


def test_the_pdf_pack_renders_a_page_per_funded_project(wall: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    written = wall.invoke(main, ["pack", "--scenario", "Wall", "--out", str(out), "--json"])
    assert written.exit_code == 0, written.output
    funded = json.loads(written.output)["funded"]
    pdf = pypdfium2.PdfDocument(str(out))
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert texts[0].startswith("Priorities for the budget meeting")
    assert "Funding line: $25,000,000" in "".join(texts)
    project_pages = [t for t in texts if "What residents say" in t]
    assert len(project_pages) == len(funded)
    assert any(HOSTILE in t for t in project_pages)  # the name printed as the characters it is
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number in (0, 1, len(pdf) - 1):
        image = pdf[number].render(scale=1.3).to_pil()
        image.save(ARTIFACTS / f"pack-page-{number + 1}.png")
        ink = np.asarray(image.convert("L")) < 128
        assert ink.mean() > 0.01  # not a blank page
