"""Plain text (.txt, .md): encoding detection (UTF-8/16, TCVN3, VNI, VISCII, Windows-1258) and NFC.

The file is read in 1 MiB chunks. Decisions:

* The encoding is chosen from the first 64 KiB: a BOM wins; else valid UTF-8; else the legacy encoding
  whose decoding best fits Vietnamese syllable structure (see ``vietnamese.py``).
* Without a BOM, decoding goes line by line: a line that is valid UTF-8 is UTF-8, any other line is
  decoded with the legacy encoding that best fits the file's non-UTF-8 lines (a file pasted together
  from a TCVN3 and a Unicode document), unless it is UTF-8 with a few stray bytes. A mix is a warning.
* The display text is capped at ``TRACUU_MAX_CHARS`` characters (``ingest/limits.py``), cut at a line
  break, with a warning; the rest of the file is still hashed but neither decoded nor kept, so a huge
  file costs bounded memory and bounded indexing time.
* A line longer than ``TRACUU_MAX_LINE_CHARS`` is broken (at a space when there is one), with a
  warning: later stages work line by line and a single 5 MB line would cost them hundreds of MB.
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
from retrieval.ingest.limits import ingest_limits
from retrieval.types import RawDocument

SAMPLE_BYTES = 1 << 16
MAX_PENDING_BYTES = 4 << 20  # a line longer than this (bytes) is decoded in pieces
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
_MIXED_NOTE = (
    "tệp trộn hai bảng mã: {n:,} dòng theo bảng mã cũ {name} và các dòng UTF-8; "
    "đã chuyển từng dòng sang Unicode, nên kiểm tra lại các dòng có dấu"
)
# C0 controls other than tab/newline/CR/form feed, DEL, BOM and NUL: dropped from the display text.
_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F, 0xFEFF])
_DROP[0x0C] = "\n"  # form feed (page break in exported text): a line break
_VISCII_C0 = {0x02, 0x05, 0x06, 0x14, 0x19, 0x1E}
_UNPRINTABLE = {"Cc", "Cn", "Co", "Cs"}
_NEWLINES = re.compile(r"\r\n?")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


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


def _decode_8bit(data: bytes, encoding: str) -> str:
    if encoding in vn.LEGACY_ENCODINGS:
        return vn.decode_legacy(data, encoding)
    return data.decode(encoding, errors="replace")


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def legacy_for(sample: bytes) -> str:
    """The 8-bit encoding of the lines of ``sample`` that are not UTF-8 (cp1252 when none looks
    Vietnamese): UTF-8 lines of a mixed file must not pull the choice towards noise."""
    invalid = b"\n".join(ln for ln in sample.split(b"\n") if not ln.isascii() and not _is_utf8(ln))
    enc, score = vn.best_legacy_decoding(invalid) if invalid else ("tcvn3", 0.0)
    return enc if score > 0 else "cp1252"


class LineDecoder:
    """Decode whole lines, each as UTF-8 when it is valid UTF-8 and else as ``legacy``; counts which."""

    def __init__(self, legacy: str) -> None:
        self.legacy = legacy
        self.utf8_lines = 0  # blocks/lines holding non-ASCII UTF-8
        self.legacy_lines = 0
        self.replaced_lines = 0  # UTF-8 with stray bytes

    def decode(self, data: bytes) -> str:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return "\n".join(self._line(ln) for ln in data.split(b"\n"))
        if not data.isascii():
            self.utf8_lines += 1
        return text

    def _line(self, line: bytes) -> str:
        if line.isascii():
            return line.decode("ascii")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            self.utf8_lines += 1
            return text
        legacy = _decode_8bit(line, self.legacy)
        utf8 = line.decode("utf-8", errors="replace")
        if _UTF8_SEQ.search(line) and vn.vietnamese_score(vn.to_nfc(utf8)) >= vn.vietnamese_score(
            vn.to_nfc(legacy)
        ):  # UTF-8 letters with a few stray bytes, not a legacy line
            self.replaced_lines += 1
            self.utf8_lines += 1
            return utf8
        self.legacy_lines += 1
        return legacy


def _cut_point(data: bytes, final: bool) -> int:
    """Where to split ``data`` so that only whole lines are decoded: after the last newline; a line
    longer than MAX_PENDING_BYTES is cut at a UTF-8 character boundary."""
    if final:
        return len(data)
    nl = data.rfind(b"\n")
    if nl >= 0:
        return nl + 1
    if len(data) < MAX_PENDING_BYTES:
        return 0
    cut = len(data)
    while cut > len(data) - 4 and 0x80 <= data[cut - 1] < 0xC0:
        cut -= 1
    return cut - 1 if data[cut - 1] >= 0xC0 else cut


def break_long_lines(text: str, col: int, limit: int) -> tuple[str, int, int]:
    """Break lines longer than ``limit`` characters, at the last space before the limit (the space
    becomes the newline) or else exactly at it. ``col``: length of the line already open before
    ``text``. Returns (text, open line length after it, number of breaks)."""
    parts = text.split("\n")
    if col + len(parts[0]) <= limit and all(len(p) <= limit for p in parts[1:]):
        return text, (col if len(parts) == 1 else 0) + len(parts[-1]), 0
    out: list[str] = []
    breaks = 0
    for i, part in enumerate(parts):
        if i:
            out.append("\n")
            col = 0
        while col + len(part) > limit:
            room = limit - col
            cut = part.rfind(" ", 0, room + 1)
            if cut > room // 2:
                out.append(part[:cut])
                part = part[cut + 1 :]
            else:
                out.append(part[:room])
                part = part[room:]
            out.append("\n")
            col = 0
            breaks += 1
        out.append(part)
        col += len(part)
    return "".join(out), col, breaks


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
    limits = ingest_limits()
    lines = None if encoding.startswith("utf-16") else LineDecoder(legacy_for(sample))
    decode = _decoder(encoding)
    pieces: list[str] = []
    n_chars = col = n_breaks = 0
    carry = ""
    pending = b""
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
        if lines is not None:
            pending += data
            cut = _cut_point(pending, final)
            decoded, pending = lines.decode(pending[:cut]), pending[cut:]
        else:
            decoded = decode(data, final)
        stable, carry = _split_stable(carry + decoded)
        if final:
            stable, carry = stable + carry, ""
        piece, col, breaks = break_long_lines(_clean(stable), col, limits.max_line_chars)
        n_breaks += breaks
        if n_chars + len(piece) > limits.max_chars:
            piece = piece[: limits.max_chars - n_chars]
            cut = piece.rfind("\n")
            piece = piece[: cut + 1] if cut > len(piece) // 2 else piece
            truncated = True
        pieces.append(piece)
        n_chars += len(piece)
        if final:
            break
        data = nxt
    text = "".join(pieces)
    return text, h.hexdigest(), _warnings(encoding, lines, text, n_breaks, truncated, n_chars)


def _warnings(
    encoding: str, lines: LineDecoder | None, text: str, n_breaks: int, truncated: bool, n_chars: int
) -> tuple[str, ...]:
    limits = ingest_limits()
    warnings: list[str] = []
    if lines is not None and lines.legacy_lines and lines.utf8_lines:
        name = ENCODING_NAMES[lines.legacy]
        warnings.append(_MIXED_NOTE.format(n=lines.legacy_lines, name=name).replace(",", "."))
    elif lines is not None and lines.legacy_lines:
        warnings.append(_LEGACY_NOTE.format(name=ENCODING_NAMES[lines.legacy]))
    if "\ufffd" in text and (encoding.startswith("utf-16") or (lines is not None and lines.replaced_lines)):
        name = ENCODING_NAMES.get(encoding, encoding) if encoding.startswith("utf-16") else "UTF-8"
        warnings.append(f"một số byte không hợp lệ theo {name} đã được thay bằng ký tự �")
    if n_breaks:
        note = f"{n_breaks:,} chỗ ngắt dòng đã được thêm vào các dòng dài quá {limits.max_line_chars:,} ký tự"
        warnings.append(note.replace(",", ".") + " (giới hạn TRACUU_MAX_LINE_CHARS)")
    if truncated:
        warnings.append(
            f"tệp quá lớn: chỉ lập chỉ mục {n_chars:,} ký tự đầu tiên".replace(",", ".")
            + f" (giới hạn TRACUU_MAX_CHARS={limits.max_chars})"
            + " — hãy tách tệp thành nhiều tệp nhỏ hơn để tìm được toàn bộ nội dung"
        )
    return tuple(warnings)


def load_text(path: Path, source: str) -> RawDocument:
    suffix = path.suffix.lower() or ".txt"
    with open_regular(path, source) as f:
        text, digest, warnings = read_text_stream(f, source, suffix)
    if not text.strip():
        raise no_text_error(source, "chỉ có khoảng trắng")
    return RawDocument(
        source=source, text=text, sha256=digest, format=suffix.lstrip(".") or "txt", warnings=warnings
    )
