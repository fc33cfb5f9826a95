"""The kinds of bad input that eval/robustness.py puts into a corpus (one builder per kind)."""

from __future__ import annotations

import io
import os
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.ingest import vietnamese as vn

SECRET = "root:x:0:0:MẬT KHẨU QUẢN TRỊ:/root:/bin/bash\n"
PARA = "Ban Thường vụ Tỉnh ủy xây dựng kế hoạch tuyên truyền chuyển đổi số trong hợp tác xã năm 2024."
TEXT = "KẾ HOẠCH\n\nI. MỤC ĐÍCH, YÊU CẦU\n\n" + "\n".join(f"{i}. {PARA}" for i in range(1, 30)) + "\n"

Make = Callable[[Path, Path], None]


@dataclass(frozen=True)
class Kind:
    name: str
    group: str
    expect: str  # refused | warned | indexed | skipped | kept | removed
    source: str  # the name the summary and the manifest use
    make: Make
    change: Make | None = None  # applied between the two runs


def _bytes(name: str, data: bytes) -> Make:
    return lambda c, o: (c / name).parent.mkdir(parents=True, exist_ok=True) or (c / name).write_bytes(data)


def _text(name: str, text: str, enc: str = "utf-8") -> Make:
    data = vn.encode_legacy(text, enc) if enc in vn.LEGACY_ENCODINGS else text.encode(enc)
    return _bytes(name, data)


def _unique(tag: str) -> str:
    return TEXT.replace("chuyển đổi số", f"chuyển đổi số ({tag})")


def _pdf(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in range(pages):
        w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.encrypt(user_password="matkhau", owner_password="chu", algorithm="AES-128")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def _docx(text: str) -> bytes:
    from docx import Document

    d = Document()
    for para in text.split("\n"):
        d.add_paragraph(para)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _docx_bomb() -> bytes:
    good = zipfile.ZipFile(io.BytesIO(_docx("Kế hoạch")))
    entries = {n: good.read(n) for n in good.namelist()}
    entries["word/document.xml"] = b"<w:document>" + b" " * (200 << 20) + b"</w:document>"
    return _zip(entries)


def _symlink(name: str, target: Callable[[Path, Path], Path], directory: bool = False) -> Make:
    return lambda c, o: (c / name).symlink_to(target(c, o), target_is_directory=directory)


def _fifo(name: str) -> Make:
    return lambda c, o: os.mkfifo(c / name)


def _nested(c: Path, o: Path) -> None:
    d = c.joinpath(*[f"cap{i}" for i in range(30)])
    d.mkdir(parents=True)
    (d / "sau.txt").write_text(_unique("sâu"), encoding="utf-8")


def _dir_named_file(c: Path, o: Path) -> None:
    (c / "thu_muc.txt").mkdir()
    (c / "thu_muc.txt" / "ben_trong.md").write_text(_unique("bên trong"), encoding="utf-8")


def _non_utf8_name(c: Path, o: Path) -> None:
    with open(os.fsencode(c) + b"/k\xe9_ho\xe1ch.txt", "wb") as fh:
        fh.write(_unique("tên lạ").encode())


def _mixed(c: Path, o: Path) -> None:
    lines = [_unique("trộn").split("\n")[i] for i in range(4, 12)]
    data = b"\n".join(
        vn.encode_legacy(ln.lower(), "tcvn3") if i % 2 else ln.encode() for i, ln in enumerate(lines)
    )
    (c / "tron_bang_ma.txt").write_bytes(data + b"\n")


def _stray(c: Path, o: Path) -> None:
    (c / "byte_la.txt").write_bytes(_unique("byte lạ").encode().replace(b"2024", b"20\xff24", 1))


def _twin(c: Path, o: Path) -> None:
    for n in ("ban_a.txt", "ban_b.txt"):
        (c / n).write_text(_unique("bản sao"), encoding="utf-8")


def _twin_change(c: Path, o: Path) -> None:
    (c / "ban_a.txt").unlink()
    (c / "ban_b.txt").write_bytes(b"")


def _text_kinds() -> list[Kind]:
    big = "".join(f"Đoạn {i}. {PARA}\n" for i in range(4000))  # > TRACUU_MAX_CHARS of the run
    return [
        Kind("empty .txt", "text", "refused", "rong.txt", _bytes("rong.txt", b"")),
        Kind("whitespace only", "text", "refused", "trang.txt", _bytes("trang.txt", b" \n\t\r\n  ")),
        Kind(
            "binary named .txt", "text", "refused", "nhi_phan.txt", _bytes("nhi_phan.txt", bytes(range(256)))
        ),
        Kind("NUL bytes in text", "text", "refused", "nul.txt", _bytes("nul.txt", b"abc\x00def" * 50)),
        Kind(
            "PDF named .txt", "text", "refused", "la_pdf.txt", _bytes("la_pdf.txt", b"%PDF-1.4\n" + b"x" * 99)
        ),
        Kind(
            "PNG named .txt",
            "text",
            "refused",
            "la_anh.txt",
            _bytes("la_anh.txt", b"\x89PNG\r\n\x1a\n" + b"\0" * 50),
        ),
        Kind("ZIP named .txt", "text", "refused", "la_zip.txt", _bytes("la_zip.txt", _zip({"a": b"b"}))),
        Kind(
            "ELF program named .txt",
            "text",
            "refused",
            "la_elf.txt",
            _bytes("la_elf.txt", b"\x7fELF" + b"\1" * 60),
        ),
        Kind(
            "gzip named .txt",
            "text",
            "refused",
            "la_gz.txt",
            _bytes("la_gz.txt", b"\x1f\x8b\x08" + b"\0" * 40),
        ),
        Kind(
            "binary passing for UTF-16",
            "text",
            "refused",
            "gia_utf16.txt",
            _bytes("gia_utf16.txt", b"\xff\xfe" + bytes(range(1, 256)) * 8),
        ),
        Kind(
            "control characters only",
            "text",
            "refused",
            "dieu_khien.txt",
            _bytes("dieu_khien.txt", bytes([1, 2, 3, 4, 5, 6, 7]) * 40),
        ),
        Kind(
            "UTF-8 with BOM",
            "text",
            "indexed",
            "bom.txt",
            _bytes("bom.txt", b"\xef\xbb\xbf" + _unique("bom").encode()),
        ),
        Kind("UTF-16 LE with BOM", "text", "indexed", "u16.txt", _text("u16.txt", _unique("u16"), "utf-16")),
        Kind(
            "UTF-16 BE without BOM",
            "text",
            "indexed",
            "u16be.txt",
            _text("u16be.txt", _unique("u16be"), "utf-16-be"),
        ),
        Kind(
            "NFD text",
            "text",
            "indexed",
            "nfd.txt",
            lambda c, o: (c / "nfd.txt").write_bytes(unicodedata.normalize("NFD", _unique("nfd")).encode()),
        ),
        Kind(
            "CR-only newlines",
            "text",
            "indexed",
            "cr.txt",
            _bytes("cr.txt", _unique("cr").replace("\n", "\r").encode()),
        ),
        Kind(
            "TCVN3 file", "text", "warned", "tcvn3.txt", _text("tcvn3.txt", _unique("tcvn3").lower(), "tcvn3")
        ),
        Kind("VNI file", "text", "warned", "vni.txt", _text("vni.txt", _unique("vni"), "vni")),
        Kind("VISCII file", "text", "warned", "viscii.txt", _text("viscii.txt", _unique("viscii"), "viscii")),
        Kind(
            "Windows-1258 file",
            "text",
            "warned",
            "cp1258.txt",
            _text("cp1258.txt", _unique("cp1258"), "cp1258"),
        ),
        Kind("TCVN3 and UTF-8 lines mixed", "text", "warned", "tron_bang_ma.txt", _mixed),
        Kind("UTF-8 with a stray byte", "text", "warned", "byte_la.txt", _stray),
        Kind(
            "line over TRACUU_MAX_LINE_CHARS",
            "text",
            "warned",
            "dong_dai.txt",
            _text("dong_dai.txt", " ".join(f"Đoạn {i}. {PARA}" for i in range(200))),
        ),
        Kind("text over TRACUU_MAX_CHARS", "text", "warned", "qua_lon.txt", _text("qua_lon.txt", big)),
        Kind("Markdown empty", "text", "refused", "rong.md", _bytes("rong.md", b"")),
    ]


def _file_kinds() -> list[Kind]:
    return [
        Kind("unknown extension", "files", "refused", "bang.xyz", _bytes("bang.xyz", b"abc")),
        Kind(
            "old Word .doc",
            "files",
            "refused",
            "cu.doc",
            _bytes("cu.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500),
        ),
        Kind("program .exe", "files", "refused", "chay.exe", _bytes("chay.exe", b"MZ" + b"\0" * 100)),
        Kind("folder named x.txt (inner file indexed)", "files", "indexed", "thu_muc.txt", _dir_named_file),
        Kind("FIFO", "files", "refused", "ong.txt", _fifo("ong.txt")),
        Kind(
            "broken symlink",
            "files",
            "refused",
            "hong.txt",
            _symlink("hong.txt", lambda c, o: c / "khong_co.txt"),
        ),
        Kind(
            "symlink loop", "files", "refused", "vong.txt", _symlink("vong.txt", lambda c, o: c / "vong.txt")
        ),
        Kind(
            "folder link to its parent",
            "files",
            "refused",
            "len_tren",
            _symlink("len_tren", lambda c, o: c, True),
        ),
        Kind(
            "symlink to a file outside the corpus",
            "files",
            "refused",
            "passwd.txt",
            _symlink("passwd.txt", lambda c, o: o / "passwd.txt"),
        ),
        Kind(
            "symlink to a folder outside the corpus",
            "files",
            "refused",
            "ngoai",
            _symlink("ngoai", lambda c, o: o, True),
        ),
        Kind(
            "symlink to a file inside (a copy)",
            "files",
            "indexed",
            "lien_ket.txt",
            _symlink("lien_ket.txt", lambda c, o: next(c.glob("000_*.txt"))),
        ),
        Kind("non-UTF-8 file name", "files", "refused", "k�_ho�ch.txt", _non_utf8_name),
        Kind(
            "Vietnamese name with spaces",
            "files",
            "indexed",
            "kế hoạch năm.txt",
            _text("kế hoạch năm.txt", _unique("tên có dấu")),
        ),
        Kind("hidden file", "files", "skipped", ".an.txt", _text(".an.txt", _unique("ẩn"))),
        Kind("Office lock file", "files", "skipped", "~$khoa.docx", _bytes("~$khoa.docx", b"\0" * 162)),
        Kind("Thumbs.db", "files", "skipped", "Thumbs.db", _bytes("Thumbs.db", b"\0" * 100)),
        Kind("30 nested folders", "files", "indexed", "cap0", _nested),
        Kind(
            "very long file name",
            "files",
            "indexed",
            "d" * 200 + ".txt",
            _text("d" * 200 + ".txt", _unique("dài")),
        ),
    ]


def _format_kinds() -> list[Kind]:
    return [
        Kind("zero-byte PDF", "pdf", "refused", "rong.pdf", _bytes("rong.pdf", b"")),
        Kind(
            "PDF header then garbage",
            "pdf",
            "refused",
            "rac.pdf",
            _bytes("rac.pdf", b"%PDF-1.7\n" + os.urandom(3000)),
        ),
        Kind(
            "truncated PDF",
            "pdf",
            "refused",
            "cut.pdf",
            lambda c, o: (c / "cut.pdf").write_bytes(_pdf(3)[:300]),
        ),
        Kind(
            "PDF with a password",
            "pdf",
            "refused",
            "khoa.pdf",
            lambda c, o: (c / "khoa.pdf").write_bytes(_encrypted_pdf()),
        ),
        Kind(
            "PDF of blank pages",
            "pdf",
            "refused",
            "trang_trang.pdf",
            lambda c, o: (c / "trang_trang.pdf").write_bytes(_pdf(2)),
        ),
        Kind("text named .pdf", "pdf", "refused", "van_ban.pdf", _text("van_ban.pdf", _unique("pdf giả"))),
        Kind("zero-byte DOCX", "docx", "refused", "rong.docx", _bytes("rong.docx", b"")),
        Kind("DOCX that is not a ZIP", "docx", "refused", "rac.docx", _bytes("rac.docx", os.urandom(2000))),
        Kind(
            "ZIP without document.xml",
            "docx",
            "refused",
            "zip.docx",
            _bytes("zip.docx", _zip({"a.txt": b"x"})),
        ),
        Kind(
            "truncated DOCX",
            "docx",
            "refused",
            "cut.docx",
            lambda c, o: (c / "cut.docx").write_bytes(_docx(TEXT)[:900]),
        ),
        Kind(
            "DOCX without text",
            "docx",
            "refused",
            "trong.docx",
            lambda c, o: (c / "trong.docx").write_bytes(_docx("")),
        ),
        Kind(
            "DOCX zip bomb (200 MB XML)",
            "docx",
            "refused",
            "bom.docx",
            lambda c, o: (c / "bom.docx").write_bytes(_docx_bomb()),
        ),
        Kind(
            "old .doc renamed .docx",
            "docx",
            "refused",
            "doi_ten.docx",
            _bytes("doi_ten.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500),
        ),
        Kind("zero-byte HTML", "html", "refused", "rong.html", _bytes("rong.html", b"")),
        Kind("binary named .html", "html", "refused", "rac.html", _bytes("rac.html", bytes(range(256)) * 4)),
        Kind(
            "HTML without text",
            "html",
            "refused",
            "trong.html",
            _text("trong.html", "<html><body><div></div></body></html>"),
        ),
        Kind(
            "HTML nested 5,000 deep",
            "html",
            "refused",
            "sau.html",
            _text("sau.html", "<html><body>" + "<div>" * 5000 + "chữ" + "</div>" * 5000 + "</body></html>"),
        ),
        Kind("zero-byte PNG", "image", "refused", "rong.png", _bytes("rong.png", b"")),
        Kind(
            "corrupt PNG",
            "image",
            "refused",
            "hong.png",
            _bytes("hong.png", b"\x89PNG\r\n\x1a\n" + os.urandom(200)),
        ),
        Kind("text named .jpg", "image", "refused", "chu.jpg", _text("chu.jpg", _unique("jpg giả"))),
    ]


def _index_kinds() -> list[Kind]:
    return [
        Kind(
            "copy whose indexed twin is deleted and which turns empty",
            "index",
            "kept",
            "ban_b.txt",
            _twin,
            _twin_change,
        ),
        Kind(
            "indexed file turned binary (old version kept)",
            "index",
            "kept",
            "se_hong.txt",
            _text("se_hong.txt", _unique("sẽ hỏng")),
            _bytes("se_hong.txt", bytes(range(256)) * 4),
        ),
        Kind(
            "indexed file deleted",
            "index",
            "skipped",
            "se_xoa.txt",
            _text("se_xoa.txt", _unique("sẽ xóa")),
            lambda c, o: (c / "se_xoa.txt").unlink(),
        ),
        Kind(
            "indexed file replaced by an outside link",
            "index",
            "refused",
            "thay_lien_ket.txt",
            _text("thay_lien_ket.txt", _unique("thay")),
            lambda c, o: (
                (c / "thay_lien_ket.txt").unlink() or (c / "thay_lien_ket.txt").symlink_to(o / "passwd.txt")
            ),
        ),
        Kind(
            "new file in the second run",
            "index",
            "indexed",
            "moi.txt",
            lambda c, o: None,
            _text("moi.txt", _unique("mới")),
        ),
    ]


KINDS: list[Kind] = [*_text_kinds(), *_file_kinds(), *_format_kinds(), *_index_kinds()]
