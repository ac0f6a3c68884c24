"""`accord review --lang … --format pdf`: the review in English, Chinese or both, written as a
PDF file, and a plain error when the PDF renderer cannot run."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from tests.e2e.conftest import OWN_PARTY, PARTNER, NodeDatabases, created, run_accord


@pytest.fixture(scope="module")
def node(module_databases: NodeDatabases) -> tuple[str, list[str]]:
    work = module_databases.folder
    db = module_databases.new("node")
    created("init", "--party", OWN_PARTY, db=db)
    created("party", "add", PARTNER, db=db)
    rules = work / "guidelines.toml"
    rules.write_text('[required]\ninformation = ["summary"]\n')
    created("guidelines", "set", str(rules), db=db)
    rid = created("request", "create", "--to", PARTNER, "--kind", "information", "--category",
                  "intrusion", "--urgency", "priority", "--summary", "Who?", db=db)
    assert run_accord("request", "ack", rid, "--as", PARTNER, db=db).returncode == 0
    today = datetime.now(UTC).date()
    return db, ["review", "--from", str(today), "--to", str(today + timedelta(days=1))]


def test_the_review_is_written_as_a_pdf_in_both_languages(node, tmp_path: Path):
    db, review = node
    target = tmp_path / "review.pdf"
    done = run_accord(*review, "--format", "pdf", "--lang", "both", "-o", str(target), db=db)
    assert done.returncode == 0, done.stderr
    assert "Review written to" in done.stderr
    reader = PdfReader(io.BytesIO(target.read_bytes()))
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) >= 1
    assert "Acknowledgedontime" in text and "按时确认收到" in text
    # The same figures in each language: one request, acknowledged on time, in each column.
    assert text.count("1(100.0%)") == 2


def test_the_review_in_chinese_markdown_and_a_wrong_language(node):
    db, review = node
    chinese = run_accord(*review, "--lang", "zh-Hans", db=db)
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout.startswith("# 信息与协助请求评估") and "| 按时确认收到 | 1 (100.0%) |" \
        in chinese.stdout
    wrong = run_accord(*review, "--lang", "fr", db=db)
    assert wrong.returncode == 2 and "--lang 'fr': use en, zh-Hans or both" in wrong.stderr
    wrong = run_accord(*review, "--format", "docx", db=db)
    assert wrong.returncode == 2 and "html, pdf, md, json or csv" in wrong.stderr


def test_without_the_pdf_renderer_the_command_says_what_to_install(node, tmp_path: Path):
    db, review = node
    # A weasyprint that cannot load, first on the path, as when Pango is missing.
    (tmp_path / "weasyprint.py").write_text("raise OSError('cannot load library pango')\n")
    path = os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])
    done = run_accord(*review, "--format", "pdf", "-o", str(tmp_path / "r.pdf"), db=db,
                      env={"PYTHONPATH": path})
    assert done.returncode == 1
    assert "cannot be made into a PDF" in done.stderr and "Pango" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r.pdf").exists()
