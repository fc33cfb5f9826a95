"""Legacy Vietnamese fonts (TCVN3 .VnTime/.VnTimeH, VNI-Times) decoded per run/cell by font name.

Fast tests build DOCX/XLSX files at test time with the bytes a legacy font shows (as Windows-1252
characters, the way Word and LibreOffice hand them over); the slow ones run the real ingest path
(LibreOffice included) on the shared legacy corpus and score against its hand-checked transcripts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from openpyxl.styles import Font

from retrieval.ingest import load_document
from retrieval.ingest import vietnamese as vn
from retrieval.ingest.legacy_fonts import FontCoding, font_coding, judge_font, redecode, run_coding
from retrieval.ingest.office import soffice_binary

ROOT = Path(__file__).resolve().parents[1]
LEGACY = ROOT.parent / "shared" / "corpus" / "legacy"
sys.path.insert(0, str(ROOT / "eval"))
import legacy_eval  # noqa: E402

needs_office = pytest.mark.skipif(soffice_binary() is None, reason="LibreOffice chưa cài (make setup-office)")
needs_corpus = pytest.mark.skipif(not (LEGACY / "docs").is_dir(), reason="thiếu ../shared/corpus/legacy")


def shown(text: str, encoding: str) -> str:
    """What a converter hands over for ``text`` typed in a legacy font: its bytes as Windows-1252."""
    return vn.encode_legacy(text, encoding).decode("cp1252", errors="strict")


def test_font_names_map_to_encodings():
    assert font_coding(".VnTime") == FontCoding("tcvn3")
    assert font_coding(".VnArial Narrow") == FontCoding("tcvn3")
    for upper in (".VnTimeH", ".VnArialH", "ABCDEF+.VnTimeH,Bold", "VnTimeH-Bold"):
        assert font_coding(upper) == FontCoding("tcvn3", upper=True), upper
    assert font_coding("VNI-Times") == FontCoding("vni")
    assert font_coding("VNI Helve") == FontCoding("vni")
    for plain in ("Times New Roman", "Arial", "Calibri", None, "", "Verdana"):
        assert font_coding(plain) is None, plain


def test_redecode_maps_cp1252_and_symbol_codes_back_to_bytes():
    text = "Cộng hòa xã hội chủ nghĩa Việt Nam – Độc lập “tự do” hạnh phúc"
    assert redecode(shown(text, "tcvn3"), FontCoding("tcvn3")) == text
    plain = "Cộng hòa xã hội chủ nghĩa Việt Nam, Độc lập tự do hạnh phúc"
    assert redecode(shown(plain, "vni"), FontCoding("vni")) == plain
    symbol = "".join(chr(0xF000 + b) for b in vn.encode_legacy("Quyết định", "tcvn3"))
    assert redecode(symbol, FontCoding("tcvn3")) == "Quyết định"
    capitals = FontCoding("tcvn3", upper=True)
    assert redecode(shown("Quyết định số", "tcvn3"), capitals) == "Quyết định số"  # as typed, by default


def test_capitals_only_fonts_upper_cased_when_asked(monkeypatch):
    monkeypatch.setenv("TRACUU_LEGACY_CAPITALS", "true")
    capitals = FontCoding("tcvn3", upper=True)
    assert redecode(shown("Quyết định số", "tcvn3"), capitals) == "QUYẾT ĐỊNH SỐ"
    assert redecode(shown("Quyết định số", "tcvn3"), FontCoding("tcvn3")) == "Quyết định số"


def test_unicode_text_left_in_a_legacy_font_is_not_redecoded():
    unicode_text = ["Báo cáo tình hình thực hiện nhiệm vụ năm 2005 của ủy ban nhân dân tỉnh"]
    assert judge_font(".VnTime", unicode_text) is None
    assert judge_font(".VnTime", [shown(unicode_text[0], "tcvn3")]) == FontCoding("tcvn3")
    assert judge_font("Arial", unicode_text) is None
    assert judge_font("Arial", [shown(unicode_text[0], "vni")]) == FontCoding("vni")  # font lost: by bytes


def _docx_with_runs(path: Path, paragraphs: list[list[tuple[str | None, str]]]) -> Path:
    doc = Document()
    for runs in paragraphs:
        p = doc.add_paragraph()
        for font, text in runs:
            run = p.add_run(text)
            if font:
                run.font.name = font
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).paragraphs[0].add_run(shown("Nơi nhận:", "tcvn3")).font.name = ".VnTime"
    table.cell(0, 1).paragraphs[0].add_run(shown("Chủ tịch", "vni")).font.name = "VNI-Times"
    doc.save(path)
    return path


def test_docx_runs_decoded_by_font_mixed_tcvn3_vni_unicode(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACUU_LEGACY_CAPITALS", "true")
    path = _docx_with_runs(
        tmp_path / "hon-hop.docx",
        [
            [(".VnTimeH", shown("Quyết định", "tcvn3"))],
            [
                (".VnTime", shown("Về việc ban hành quy chế ", "tcvn3")),
                ("VNI-Times", shown("tổ chức", "vni")),
            ],
            [("Times New Roman", "Điều 1. Phạm vi điều chỉnh")],
            [(".VnTime", shown("Trưởng phòng", "tcvn3"))],
        ],
    )
    doc = load_document(path, tmp_path)
    assert doc.text.split("\n\n") == [
        "QUYẾT ĐỊNH",
        "Về việc ban hành quy chế tổ chức",
        "Điều 1. Phạm vi điều chỉnh",
        "Trưởng phòng",
        "Nơi nhận: | Chủ tịch",
    ]
    assert any("TCVN3" in w and "VNI" in w for w in doc.warnings)


def test_xlsx_cells_decoded_by_font(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACUU_LEGACY_CAPITALS", "true")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bieu 1"
    ws.append([shown("Tên đơn vị", "tcvn3"), shown("Số vốn đăng ký", "vni"), "Ghi chú"])
    ws.append([shown("Tỉnh Lạng Sơn", "tcvn3"), 1250.0, "Đã cấp phép"])
    for cell, font in zip(ws[1], (".VnTime", "VNI-Times", "Arial"), strict=True):
        cell.font = Font(name=font)
    ws["A2"].font = Font(name=".VnTimeH")
    path = tmp_path / "bieu.xlsx"
    wb.save(path)
    doc = load_document(path, tmp_path)
    assert doc.format == "xlsx"
    assert doc.text.split("\n") == [
        "Bảng tính: Bieu 1",
        "Tên đơn vị | Số vốn đăng ký | Ghi chú",
        "TỈNH LẠNG SƠN | 1250 | Đã cấp phép",
    ]


def test_score_is_strict_and_counts_unread_text():
    truth = "Báo cáo tài chính của Đảng"
    assert legacy_eval.score(truth, truth).diacritic_accuracy == 1.0
    assert legacy_eval.score(truth, "Bao cao tai chinh cua Dang").diacritic_accuracy == 0.0
    half = legacy_eval.score(truth, "Báo cáo")
    assert 0 < half.diacritic_accuracy < 0.5 and half.char_accuracy < 0.5
    upper = legacy_eval.score(truth, truth.upper())
    assert upper.diacritic_accuracy < 0.2 and upper.diacritic_accuracy_folded == 1.0  # Đ is its own capital


def _pick(kind: str, n: int) -> list[Path]:
    if not (LEGACY / "docs").is_dir():
        return []
    return sorted(p for p in (LEGACY / "docs").iterdir() if p.suffix.lower() == f".{kind}")[:n]


# Per kind: the first files in name order (any file of the kind would do), and a floor on the
# benchmark's exact diacritic accuracy (letter case counted).
_FLOORS = {"doc": 0.99, "rtf": 0.99, "xls": 0.99, "pdf": 0.97}
_CASES = [(p, _FLOORS[k]) for k in _FLOORS for p in _pick(k, 2)] + [
    (p, 0.99) for p in sorted((LEGACY / "docs").glob("vni_*"))[:1] if (LEGACY / "docs").is_dir()
]


@pytest.mark.slow
@needs_office
@needs_corpus
@pytest.mark.parametrize(("path", "floor"), _CASES, ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_real_legacy_files_decode_above_floor(path: Path, floor: float):
    doc = load_document(path, path.parent)
    truth = (LEGACY / "truth" / f"{path.stem}.txt").read_text(encoding="utf-8")
    s = legacy_eval.score(truth, doc.text)
    assert s.diacritic_accuracy >= floor, (path.name, s)
    assert s.char_accuracy >= 0.9, (path.name, s)
    longest = max(truth.splitlines(), key=len)
    words = " ".join(longest.split()[:8])
    assert words.lower() in " ".join(doc.text.replace(" | ", " ").split()).lower(), words  # cells joined
    assert doc.format == path.suffix.lower().lstrip(".")


def test_font_named_for_one_encoding_holding_another_is_decoded_by_its_bytes():
    text = "Máy lưu điện 1000 VA, thiết bị mạng và các thiết bị phụ trợ cho văn phòng"
    assert judge_font("VNSTCVN3", [shown(text, "vni")]) == FontCoding("vni")
    assert judge_font("VNSTCVN3", [shown(text, "tcvn3")]) == FontCoding("tcvn3")
    mixed = [shown("Thiết bị mạng", "tcvn3"), shown("Máy lưu điện", "vni")]
    coding = judge_font("VNSTCVN3", mixed)
    assert [redecode(t, run_coding(t, coding)) for t in mixed] == ["Thiết bị mạng", "Máy lưu điện"]
    assert font_coding("VnArialH(Ds)") == FontCoding("tcvn3", upper=True)
