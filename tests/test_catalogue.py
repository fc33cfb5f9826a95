"""`tracuu docs`: one catalogue row per indexed document, read from the index folder.

Real files from ../shared/corpus/real are really loaded and parsed; the fake embedder only stands in
for the model (the catalogue never embeds). Expected metadata comes from the set's gold file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retrieval import indexer, store
from retrieval.catalog.catalogue import catalogue_rows
from retrieval.cli import app
from retrieval.indexer import build_index
from retrieval.indexing import writer
from retrieval.normalize import number_key
from retrieval.types import CATALOGUE_KEYS

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real"
FILES = ("lm_KH-MTTQ_tiep-cong-dan.docx", "lm_HD-MTTQ-BTT_gioi-thieu-ung-cu.docx", "md_65fe198460ffa9d9.md")
ROW_KEYS = {"source", "title", "metadata", "format", "pages", "ocr", "copies", "warnings"}

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/real is not available")


def _gold() -> dict[str, dict]:
    lines = (REAL / "gold_metadata.jsonl").read_text(encoding="utf-8").splitlines()
    return {(d := json.loads(x))["file"]: d for x in lines if x.strip()}


@pytest.fixture
def real_index(tmp_path, fake_settings, fake_embedder) -> Path:
    corpus = tmp_path / "real"
    corpus.mkdir()
    for name in FILES:
        shutil.copy(REAL / "docs" / name, corpus / name)
    shutil.copy(REAL / "docs" / FILES[2], corpus / "z_ban_sao.md")  # a byte-identical copy
    report = build_index(corpus, fake_settings.index_dir, fake_settings, embedder=fake_embedder)
    assert not report.failures
    return fake_settings.index_dir


def _docs_json(index_dir: Path) -> list[dict]:
    result = CliRunner().invoke(app, ["docs", "--json", "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_docs_json_rows_match_gold(real_index):
    rows = _docs_json(real_index)
    assert [r["source"] for r in rows] == sorted(FILES)  # the copy is not a row of its own
    gold = _gold()
    for row in rows:
        assert set(row) == ROW_KEYS
        assert set(row["metadata"]) == set(CATALOGUE_KEYS)
        g, m = gold[row["source"]], row["metadata"]
        for k in ("so_ky_hieu", "loai_van_ban", "ngay_ban_hanh", "nguoi_ky", "tinh", "dia_danh"):
            assert m[k] == g[k], (row["source"], k)
        assert {number_key(r) for r in m["references"]} == {number_key(r) for r in g["references"]}
        assert row["title"].startswith(m["loai_van_ban"])  # loại + trích yếu, not a section heading
        assert row["format"] == Path(row["source"]).suffix[1:]
        assert row["ocr"] is False and row["warnings"] == []
    by_source = {r["source"]: r for r in rows}
    assert by_source[FILES[2]]["copies"] == ["z_ban_sao.md"]


def test_docs_table_is_vietnamese(real_index):
    result = CliRunner().invoke(app, ["docs", "--index-dir", str(real_index)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Danh mục văn bản (3)" in result.output
    assert "Số/ký hiệu" in result.output and "Cơ quan ban hành" in result.output
    assert "3769/QĐ-UBND" in result.output
    assert "Trích yếu" in result.output  # a column of its own width, not one letter a line


def test_docs_without_index_is_a_clear_error(tmp_path, fake_settings):
    result = CliRunner().invoke(app, ["docs", "--index-dir", str(tmp_path / "khong-co")])
    assert result.exit_code == 1
    assert "Chưa có chỉ mục" in result.output


def test_rows_come_from_the_stored_records(real_index):
    """Rows reflect documents.jsonl as stored: warnings recorded at ingest time are shown."""
    manifest = store.read_manifest(real_index)
    path = store.generation_dir(real_index, manifest) / "documents.jsonl"
    records = store.read_jsonl(path)
    records[0]["warnings"] = ["trang 3 không đọc được"]
    store.write_jsonl(path, records)
    row = next(r for r in catalogue_rows(real_index) if r.source == records[0]["source"])
    assert row.warnings == ("trang 3 không đọc được",)


def test_new_structure_version_reparses(real_index, fake_settings, fake_embedder, monkeypatch):
    corpus = real_index.parent / "real"
    assert store.read_manifest(real_index)["structure_version"] == indexer.STRUCTURE_VERSION
    assert not build_index(corpus, real_index, fake_settings, embedder=fake_embedder).written
    monkeypatch.setattr(indexer, "STRUCTURE_VERSION", "structure-test")  # what the live index is checked
    monkeypatch.setattr(writer, "STRUCTURE_VERSION", "structure-test")  # against, what a write records
    report = build_index(corpus, real_index, fake_settings, embedder=fake_embedder)
    assert report.written and sorted(report.added) == sorted([*FILES, "z_ban_sao.md"])
    assert store.read_manifest(real_index)["structure_version"] == "structure-test"


def test_docs_in_a_narrow_terminal_is_one_block_a_document(real_index):
    """At 80 columns (a pipe, a small window) the eight columns would leave the trích yếu one character
    wide: each document is a block of labelled lines instead, every field whole."""
    result = CliRunner().invoke(app, ["docs", "--index-dir", str(real_index)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Danh mục văn bản (3)" in result.output
    lines = result.output.splitlines()
    assert any(ln.startswith("  Trích yếu: ") and len(ln) > 40 for ln in lines)
    assert any("3769/QĐ-UBND" in ln for ln in lines)
    assert all(len(ln) <= 80 or ln.startswith("  ") for ln in lines)
