"""docs/reports.md lists every study section and every scorecard claim the code has, and no other."""
from __future__ import annotations

import re
from pathlib import Path

from claim_lookup import claim_ids
from reports.studies import discover

DOC = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def first_column(heading: str) -> list[str]:
    """The backquoted first cells of the table under ``## heading``."""
    text = DOC.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE)


def test_the_doc_lists_every_section_in_report_order():
    sections, _ = discover()
    assert first_column("Study sections") == list(sections)


def test_the_doc_lists_every_claim_by_id_in_scorecard_order():
    assert first_column("The scorecard") == claim_ids()


def test_the_doc_gives_each_section_its_title():
    sections, _ = discover()
    text = DOC.read_text(encoding="utf-8")
    for name, section in sections.items():
        assert f"| `{name}` | {section.title} |" in text, name
