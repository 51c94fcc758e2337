"""docs/REPORT.md is the schema's own rendering: regenerate it when the schema moves."""

from __future__ import annotations

from pathlib import Path

from tradewind.report import schema_markdown


def test_docs_report_md_matches_the_schema(repo_root: Path) -> None:
    doc = repo_root / "docs" / "REPORT.md"
    assert doc.read_text() == schema_markdown(), (
        "docs/REPORT.md is stale: run `.venv/bin/python -c \"from tradewind.report import "
        "schema_markdown; open('docs/REPORT.md','w').write(schema_markdown())\"`"
    )
