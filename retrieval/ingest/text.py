"""Plain text (.txt, .md): encoding detection (UTF-8/16, TCVN3, VNI, VISCII, Windows-1258) and NFC.

The file is read in 1 MiB chunks. Decisions:

* The encoding is chosen from the first 64 KiB: a BOM wins; else valid UTF-8; else the legacy encoding
  whose decoding best fits Vietnamese syllable structure (see ``vietnamese.py``).
* The display text is capped at ``MAX_TEXT_CHARS`` characters (about 2,000 A4 pages), cut at a line
  break, with a warning; the rest of the file is still hashed but neither decoded nor kept, so a huge
  file costs bounded memory (a few tens of MB) and bounded indexing time.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from retrieval.ingest import vietnamese as vn
from retrieval.ingest.errors import IngestError
from retrieval.ingest.files import (
    READ_CHUNK,
    empty_file_error,
    no_text_error,
    open_regular,
    oserror_to_ingest,
    sniff,
)
from retrieval.types import RawDocument

SAMPLE_BYTES = 1 << 16
MAX_TEXT_CHARS = 5_000_000
MAX_ASCII_PREFIX = 8 << 20  # how far to look for the first non-ASCII byte

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (có BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "tcvn3": "TCVN3 (ABC)",
    "vni": "VNI",
    "viscii": "VISCII",
    "cp1258": "Windows-1258",
    "cp1252": "Windows-1252",
}
_LEGACY_NOTE = "tệp dùng bảng mã cũ {name}, đã chuyển sang Unicode"
# C0 controls other than tab/newline/CR/form feed, DEL, BOM and NUL: dropped from the display text.
_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0xFEFF])
_DROP[0x0C] = "\n"  # form feed (page break in exported text): a line break
_VISCII_C0 = {0x02, 0x05, 0x06, 0x14, 0x19, 0x1E}
_UNPRINTABLE = {"Cc", "Cn", "Co", "Cs"}
_NEWLINES = re.compile(r"\r\n?")
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _is_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if (b < 0x09 or 0x0E <= b < 0x20) and b not in _VISCII_C0)
    return controls > max(8, len(sample) // 50)


def _utf16_binary(sample: bytes, encoding: str) -> bool:
    """Binary data can pass for UTF-16; real UTF-16 text decodes to few unprintable characters."""
    if not encoding.startswith("utf-16"):
        return False
    decoded = sample[2:].decode(encoding, errors="replace")
    odd = sum(1 for ch in decoded if ch not in "\t\n\r\f" and unicodedata.category(ch) in _UNPRINTABLE)
    return odd > max(8, len(decoded) // 50)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 without a BOM shows NULs in every other byte of ASCII text."""
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _valid_utf8_prefix(sample: bytes, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 with a few stray bytes (a bad copy-paste) is still UTF-8: decode with replacement."""
    decoded = sample.decode("utf-8", errors="replace")
    bad = decoded.count("\ufffd")
    good = sum(1 for ch in decoded if ord(ch) >= 0x80) - bad
    return good >= 20 * max(bad, 1)


def detect_encoding(sample: bytes, complete: bool) -> tuple[str, int]:
    """(codec name, BOM length) for text starting with ``sample``; ``complete``: sample is the whole file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("utf-16-le" if sample.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"), 2
    if utf16 := _utf16_without_bom(sample):
        return utf16, 0
    if _valid_utf8_prefix(sample, complete) or _mostly_utf8(sample):
        return "utf-8", 0
    enc, score = vn.best_legacy_decoding(sample)
    if score <= 0:
        return "cp1252", 0  # not Vietnamese-looking in any legacy table: Western Windows text
    return enc, 0


def _decoder(encoding: str) -> Callable[[bytes, bool], str]:
    if encoding in vn.LEGACY_ENCODINGS:
        return lambda data, final: vn.decode_legacy(data, encoding)
    inc = codecs.getincrementaldecoder(encoding)("replace")
    return lambda data, final: inc.decode(data, final)


def _split_stable(text: str) -> tuple[str, str]:
    """Split off the tail that a following chunk may still change: from the last character that is not
    a combining mark (a later mark may compose with it) and a trailing CR (may be half of CRLF)."""
    i = len(text) - 1
    while i > 0 and unicodedata.combining(text[i]):
        i -= 1
    if i > 0 and text[i - 1] == "\r":
        i -= 1
    return text[:i], text[i:]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", _NEWLINES.sub("\n", text).translate(_DROP))


def _content_error(source: str, head: bytes, suffix: str) -> IngestError | None:
    found = sniff(head)
    if found:
        kind, real_suffix = found
        hint = (
            f"đổi phần mở rộng thành {real_suffix} rồi lập chỉ mục lại"
            if real_suffix
            else "xóa tệp này khỏi thư mục"
        )
        return IngestError(source, f"tệp có đuôi {suffix} nhưng nội dung là {kind}", hint)
    return None


def read_text_stream(f: BinaryIO, source: str, suffix: str) -> tuple[str, str, tuple[str, ...]]:
    """Decode an open binary stream: (NFC display text, sha256, warnings)."""
    h = hashlib.sha256()
    try:
        head = f.read(SAMPLE_BYTES)
    except OSError as exc:
        raise oserror_to_ingest(source, exc) from exc
    if not head:
        raise empty_file_error(source)
    if err := _content_error(source, head, suffix):
        raise err
    complete = len(head) < SAMPLE_BYTES
    sample, sample_complete = head, complete
    while sample.isascii() and not complete and len(head) < MAX_ASCII_PREFIX:
        # An ASCII-only start says nothing about the encoding: read on to the first non-ASCII byte.
        try:
            more = f.read(READ_CHUNK)
        except OSError as exc:
            raise oserror_to_ingest(source, exc) from exc
        complete = not more
        head += more
        first = _NON_ASCII.search(more)
        start = len(head) - len(more) + (first.start() if first else 0)
        sample = head[max(0, start - 1024) : start + SAMPLE_BYTES]
        sample_complete = complete and start + SAMPLE_BYTES >= len(head)
    h.update(head)
    encoding, bom = detect_encoding(sample, sample_complete)
    bom = bom if sample is head else 0
    if _utf16_binary(sample, encoding) or (
        not encoding.startswith("utf-16") and (b"\x00" in head or _is_binary(sample))
    ):
        raise IngestError(
            source,
            "tệp không phải văn bản (nội dung nhị phân)",
            "kiểm tra lại tệp; nếu là tài liệu Word/PDF hãy đặt đúng phần mở rộng",
        )
    decode = _decoder(encoding)
    pieces: list[str] = []
    n_chars = 0
    carry = ""
    truncated = False
    data = head[bom:]
    while True:
        try:
            nxt = f.read(READ_CHUNK)
        except OSError as exc:
            raise oserror_to_ingest(source, exc) from exc
        h.update(nxt)
        if truncated:
            if not nxt:
                break
            continue
        final = not nxt
        stable, carry = _split_stable(carry + decode(data, final))
        if final:
            stable, carry = stable + carry, ""
        piece = _clean(stable)
        if n_chars + len(piece) > MAX_TEXT_CHARS:
            piece = piece[: MAX_TEXT_CHARS - n_chars]
            cut = piece.rfind("\n")
            piece = piece[: cut + 1] if cut > len(piece) // 2 else piece
            truncated = True
        pieces.append(piece)
        n_chars += len(piece)
        if final:
            break
        data = nxt
    text = "".join(pieces)
    warnings: list[str] = []
    if encoding in vn.LEGACY_ENCODINGS or encoding == "cp1252":
        warnings.append(_LEGACY_NOTE.format(name=ENCODING_NAMES[encoding]))
    if encoding in ("utf-8", "utf-16-le", "utf-16-be") and "\ufffd" in text:
        warnings.append(f"một số byte không hợp lệ theo {ENCODING_NAMES[encoding]} đã được thay bằng ký tự �")
    if truncated:
        warnings.append(
            f"tệp quá lớn: chỉ lập chỉ mục {n_chars:,} ký tự đầu tiên".replace(",", ".")
            + " — hãy tách tệp thành nhiều tệp nhỏ hơn để tìm được toàn bộ nội dung"
        )
    return text, h.hexdigest(), tuple(warnings)


def load_text(path: Path, source: str) -> RawDocument:
    suffix = path.suffix.lower() or ".txt"
    with open_regular(path, source) as f:
        text, digest, warnings = read_text_stream(f, source, suffix)
    if not text.strip():
        raise no_text_error(source, "chỉ có khoảng trắng")
    return RawDocument(
        source=source, text=text, sha256=digest, format=suffix.lstrip(".") or "txt", warnings=warnings
    )
