"""Plain-text ingest: encodings (UTF-8/16, TCVN3, VNI, VISCII, Windows-1258), NFC, bad input, big files."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pytest

from retrieval.ingest import IngestError, iter_corpus_files, load_document
from retrieval.ingest import text as text_mod
from retrieval.ingest import vietnamese as vn

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = (
    "Ban Thường vụ Tỉnh ủy xây dựng kế hoạch thực hiện như sau: đổi mới nội dung, phương thức hoạt động."
)


def plan_paragraphs() -> list[str]:
    text = next((ROOT / "corpus").glob("001_*.txt")).read_text(encoding="utf-8")
    return [p.strip() for p in text.replace("**", "").split("\n") if p.strip()]


def load(path: Path) -> object:
    return load_document(path, path.parent)


def assert_clear(err: IngestError, *words: str) -> None:
    """A reason and a hint in Vietnamese, naming the file."""
    assert err.reason and err.hint
    assert err.source in str(err)
    for w in words:
        assert w in f"{err.reason} {err.hint}", (w, str(err))


def test_empty_file(tmp_path):
    (tmp_path / "rong.txt").write_bytes(b"")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "rong.txt")
    assert_clear(exc.value, "rỗng")


def test_whitespace_only(tmp_path):
    (tmp_path / "trang.md").write_text(" \n\t\n  \r\n", encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "trang.md")
    assert_clear(exc.value, "không có nội dung")


def test_binary_file_with_txt_name(tmp_path):
    data = bytes((i * 37 + 11) % 256 for i in range(4096))  # deterministic, has NULs and controls
    (tmp_path / "anh.txt").write_bytes(data)
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "anh.txt")
    assert_clear(exc.value, "nhị phân")


def test_binary_that_looks_like_utf16(tmp_path):
    """NULs in every other byte but no text: still binary."""
    data = b"".join(bytes([(i * 97 + 3) % 256 or 1, 0]) for i in range(4096))
    (tmp_path / "gia_u16.txt").write_bytes(data)
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "gia_u16.txt")
    assert_clear(exc.value, "nhị phân")


def test_pdf_with_txt_name_says_rename(tmp_path):
    (tmp_path / "kh.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(IngestError) as exc:
        load(tmp_path / "kh.txt")
    assert_clear(exc.value, "PDF", ".pdf")


def test_nfd_text_becomes_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", SENTENCE)
    assert nfd != SENTENCE
    (tmp_path / "nfd.txt").write_text(nfd, encoding="utf-8")
    doc = load(tmp_path / "nfd.txt")
    assert doc.text == SENTENCE
    assert unicodedata.is_normalized("NFC", doc.text)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)],
)
def test_bom_encodings(tmp_path, encoding, bom):
    (tmp_path / "bom.txt").write_bytes(bom + SENTENCE.encode(encoding))
    doc = load(tmp_path / "bom.txt")
    assert doc.text == SENTENCE  # no BOM character left
    assert doc.warnings == ()


def test_utf16_without_bom(tmp_path):
    (tmp_path / "u16.txt").write_bytes((SENTENCE + "\n").encode("utf-16-le") * 3)
    assert load(tmp_path / "u16.txt").text.startswith(SENTENCE)


def test_utf16_python_default_writer(tmp_path):
    """What Notepad's "Unicode" and Python's "utf-16" codec write: BOM + native order."""
    (tmp_path / "notepad.txt").write_text(SENTENCE, encoding="utf-16")
    assert load(tmp_path / "notepad.txt").text == SENTENCE


def test_crlf_and_cr_newlines(tmp_path):
    (tmp_path / "dos.txt").write_bytes("Dòng một\r\nDòng hai\rDòng ba\n".encode())
    assert load(tmp_path / "dos.txt").text == "Dòng một\nDòng hai\nDòng ba\n"


def test_utf8_with_a_stray_byte_stays_utf8(tmp_path):
    data = (SENTENCE * 5).encode() + b"\xff" + (SENTENCE * 5).encode()
    (tmp_path / "lech.txt").write_bytes(data)
    doc = load(tmp_path / "lech.txt")
    assert SENTENCE in doc.text and "\ufffd" in doc.text
    assert any("không hợp lệ" in w for w in doc.warnings)


# Byte sequences checked by hand against the published tables (TCVN 5712:1993 VN3, VNI Windows,
# VISCII RFC 1456, Windows-1258): "Việt Nam", "Đảng", "ưu tiên", "Tỉnh ủy".
PUBLISHED = [
    ("tcvn3", b"Vi\xd6t Nam \xa7\xb6ng \xadu ti\xaan T\xd8nh \xf1y", "Việt Nam Đảng ưu tiên Tỉnh ủy"),
    ("vni", b"Vie\xe4t Nam \xd1a\xfbng \xf6u tie\xe2n T\xe6nh u\xfby", "Việt Nam Đảng ưu tiên Tỉnh ủy"),
    ("viscii", b"Vi\xaet Nam \xd0\xe4ng \xdfu ti\xean T\xefnh \xfcy", "Việt Nam Đảng ưu tiên Tỉnh ủy"),
    ("cp1258", b"Vi\xea\xf2t Nam \xd0a\xd2ng \xfdu ti\xean Ti\xd2nh u\xd2y", "Việt Nam Đảng ưu tiên Tỉnh ủy"),
]


@pytest.mark.parametrize(("encoding", "raw", "expected"), PUBLISHED)
def test_published_byte_sequences(encoding, raw, expected):
    assert vn.to_nfc(vn.decode_legacy(raw, encoding)) == expected
    assert vn.encode_legacy(expected, encoding) == raw


def _all_letters() -> set[str]:
    letters = {"đ", "Đ"}
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letters.add(unicodedata.normalize("NFC", base + tone))
    return {c for c in letters if not c.isascii()}


@pytest.mark.parametrize("encoding", ["vni", "viscii", "cp1258", "tcvn3"])
def test_every_vietnamese_letter_round_trips(encoding):
    letters = _all_letters()
    assert len(letters) == 134
    if encoding == "tcvn3":  # capitals with tones only exist in the .VnTimeH fonts
        letters = {c for c in letters if c.islower()} | set("ĂÂÊÔƠƯĐ")
    for ch in letters:
        assert vn.to_nfc(vn.decode_legacy(vn.encode_legacy(ch, encoding), encoding)) == ch, (encoding, ch)


def _encodable(encoding: str) -> str:
    out = []
    for para in plan_paragraphs()[:40]:
        try:
            vn.encode_legacy(para, encoding)
        except ValueError:
            continue
        out.append(para)
    return "\n".join(out) + "\n"


def test_mixed_encodings_in_one_folder(tmp_path):
    expected = {}
    for enc in ("tcvn3", "vni", "viscii", "cp1258"):
        text = _encodable(enc)
        assert len(text) > 1500, enc
        (tmp_path / f"kh_{enc}.txt").write_bytes(vn.encode_legacy(text, enc))
        expected[f"kh_{enc}.txt"] = (text, enc)
    utf8 = "\n".join(plan_paragraphs()[:40]) + "\n"
    (tmp_path / "kh_utf8.txt").write_text(utf8, encoding="utf-8")
    expected["kh_utf8.txt"] = (utf8, None)
    names = []
    for item in iter_corpus_files(tmp_path):
        assert isinstance(item, Path), item
        doc = load_document(item, tmp_path)
        text, enc = expected[doc.source]
        assert doc.text == text, doc.source
        if enc:
            assert any(text_mod.ENCODING_NAMES[enc] in w for w in doc.warnings)
        names.append(doc.source)
    assert names == sorted(expected)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viscii", "cp1258"])
def test_short_legacy_line(tmp_path, encoding):
    line = "Kế hoạch số 427 về công tác dân vận"
    (tmp_path / "ngan.txt").write_bytes(vn.encode_legacy(line, encoding))
    assert load(tmp_path / "ngan.txt").text == line


def test_long_ascii_prefix_then_legacy_bytes(tmp_path):
    """Detection must not stop at an ASCII-only first block."""
    prefix = ("Muc luc - trang " + "1234567890" * 6 + "\n") * 3000  # > 64 KiB of ASCII
    body = _encodable("vni")
    (tmp_path / "dai.txt").write_bytes(prefix.encode("ascii") + vn.encode_legacy(body, "vni"))
    doc = load(tmp_path / "dai.txt")
    assert doc.text == prefix + body


@pytest.mark.parametrize("encoding", ["utf-8-nfd", "vni", "cp1258", "utf-16", "tcvn3"])
def test_chunk_boundaries_do_not_split_letters(tmp_path, monkeypatch, encoding):
    """Tiny read chunks: combining marks and CRLF cut across chunks still compose correctly."""
    monkeypatch.setattr(text_mod, "READ_CHUNK", 7)
    text = _encodable("tcvn3").replace("\n", "\r\n") * 30  # past the 64 KiB detection sample
    assert len(text) > text_mod.SAMPLE_BYTES
    if encoding == "utf-8-nfd":
        data = unicodedata.normalize("NFD", text).encode()
    elif encoding == "utf-16":
        data = text.encode("utf-16")
    else:
        data = vn.encode_legacy(text, encoding)
    (tmp_path / "nho.txt").write_bytes(data)
    assert load(tmp_path / "nho.txt").text == text.replace("\r\n", "\n")


@pytest.fixture
def limits_env(monkeypatch):
    """Set TRACUU_* limit variables for one test; the process-wide limits are re-read around it."""
    from retrieval.ingest.limits import ingest_limits

    def set_env(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"TRACUU_{name.upper()}", str(value))
        ingest_limits.cache_clear()

    yield set_env
    monkeypatch.undo()
    ingest_limits.cache_clear()


def test_extremely_long_line(tmp_path):
    from retrieval.ingest.limits import ingest_limits

    line = (SENTENCE + " ") * 40_000  # one 4 MB line, no newline
    (tmp_path / "mot_dong.txt").write_text(line, encoding="utf-8")
    doc = load(tmp_path / "mot_dong.txt")
    limit = ingest_limits().max_line_chars
    assert doc.text.replace("\n", " ") == line  # broken at spaces: nothing lost or added
    assert max(len(ln) for ln in doc.text.split("\n")) <= limit
    assert len(doc.text.split("\n")) >= len(line) / limit
    assert any("TRACUU_MAX_LINE_CHARS" in w for w in doc.warnings), doc.warnings


def test_long_line_without_spaces_is_cut_at_the_limit(tmp_path, limits_env):
    limits_env(max_line_chars=1000)
    word = "Nghịquyết" * 500  # 4,500 letters, no space
    (tmp_path / "lien.txt").write_text(word + "\nDòng thường.\n", encoding="utf-8")
    doc = load(tmp_path / "lien.txt")
    assert doc.text.replace("\n", "") == word + "Dòng thường."
    assert [len(ln) for ln in doc.text.split("\n")][:5] == [1000, 1000, 1000, 1000, 500]


def test_text_cap_warns(tmp_path, limits_env):
    limits_env(max_chars=10_000)
    (tmp_path / "lon.txt").write_text((SENTENCE + "\n") * 1000, encoding="utf-8")
    doc = load(tmp_path / "lon.txt")
    assert len(doc.text) <= 10_000
    assert doc.text.endswith("\n")  # cut at a line break
    assert any("quá lớn" in w and "TRACUU_MAX_CHARS" in w for w in doc.warnings)
    # sha256 still covers the whole file
    import hashlib

    assert doc.sha256 == hashlib.sha256((tmp_path / "lon.txt").read_bytes()).hexdigest()


def test_100_mb_file_has_bounded_memory(tmp_path):
    path = tmp_path / "100mb.txt"
    block = ((SENTENCE + "\n") * 8000).encode()  # ~1 MB
    with path.open("wb") as fh:
        for _ in range(100):
            fh.write(block)
    assert path.stat().st_size >= 100 * 10**6
    # The child resets its peak-RSS mark first: Linux carries it over from the forking (pytest) process.
    code = textwrap.dedent(
        """
        import resource, sys
        from pathlib import Path
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        from retrieval.ingest import load_document
        p = Path(sys.argv[1])
        d = load_document(p, p.parent)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        status = Path("/proc/self/status")
        if status.exists():
            lines = status.read_text().splitlines()
            peak = next(int(ln.split()[1]) for ln in lines if ln.startswith("VmHWM"))
        print(len(d.text), len(d.warnings), peak)
        """
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    finally:
        path.unlink()
    assert out.returncode == 0, out.stderr
    n_chars, n_warnings, max_rss_kb = map(int, out.stdout.split())
    from retrieval.ingest.limits import ingest_limits

    max_chars = ingest_limits().max_chars
    assert max_chars * 0.9 < n_chars <= max_chars
    assert n_warnings == 1
    print(f"100 MB file: {n_chars} chars kept, peak RSS {max_rss_kb / 1024:.0f} MB")
    assert max_rss_kb < 150 * 1024, f"peak RSS {max_rss_kb / 1024:.0f} MB"
