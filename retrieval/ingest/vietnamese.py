"""Legacy Vietnamese 8-bit encodings and a syllable-structure score to choose between them.

Tables are written from the encodings' definitions:

* TCVN3 ("ABC", TCVN 5712:1993 VN3): one byte per letter; lowercase letters with tone marks plus the
  seven toneless capitals Ă Â Ê Ô Ơ Ư Đ. Capitals with tones are typed with the same lowercase codes and
  shown in capitals by the "H" fonts (.VnTimeH), which a plain-text file cannot tell us about.
* VNI (VNI Windows fonts): ASCII base letter followed by a modifier byte (tone, shape or shape+tone),
  plus standalone codes for ơ ư đ and the i/ỵ letters. Decoded to base + combining marks, then NFC.
* VISCII (RFC 1456): one byte per letter for all 134 letters, six of them in the C0 range.
* Windows-1258: Python's ``cp1258`` codec (base letters + combining tone marks), then NFC.

Bytes 0x80-0x9F that a table leaves undefined decode as Windows-1252 punctuation (“ ” – …), since
TCVN3 and VNI text was typed on Windows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

LEGACY_ENCODINGS = ("tcvn3", "vni", "viscii", "cp1258")

_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
TONE_MARKS = frozenset((_GRAVE, _ACUTE, _TILDE, _HOOK, _DOT))
_CIRC, _BREVE = "\u0302", "\u0306"

# Lowercase letters in TCVN3 code order; each run is one base letter with no tone, grave, hook, tilde,
# acute, dot below (the table's own order).
_TCVN3_LOWER = {
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
_TCVN3_UPPER = {0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ"}

# VISCII, RFC 1456: 0x80..0xFF in order, and the six C0 positions it reuses.
_VISCII_HIGH = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐ"
    "ỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"
    "Õắằặấầẩậẽẹếềểễệố"
    "ồổỗỠƠộờởịỰỨỪỬơớƯ"
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳ"
    "ĐứÒÓÔạỷừửÙÚỹỵÝỡư"
    "àáâãảăữẫèéêẻìíĩỉ"
    "đựòóôõỏọụùúũủýợỮ"
)
_VISCII_C0 = {0x02: "Ẳ", 0x05: "Ẵ", 0x06: "Ẫ", 0x14: "Ỷ", 0x19: "Ỹ", 0x1E: "Ỵ"}

# VNI: modifier bytes (lowercase code, uppercase code) -> combining marks they add to the base letter.
_VNI_MODIFIERS = {
    (0xF9, 0xD9): _ACUTE, (0xF8, 0xD8): _GRAVE, (0xFB, 0xDB): _HOOK, (0xF5, 0xD5): _TILDE,
    (0xEF, 0xCF): _DOT,
    (0xE2, 0xC2): _CIRC, (0xE1, 0xC1): _CIRC + _ACUTE, (0xE0, 0xC0): _CIRC + _GRAVE,
    (0xE5, 0xC5): _CIRC + _HOOK, (0xE3, 0xC3): _CIRC + _TILDE, (0xE4, 0xC4): _CIRC + _DOT,
    (0xEA, 0xCA): _BREVE, (0xE9, 0xC9): _BREVE + _ACUTE, (0xE8, 0xC8): _BREVE + _GRAVE,
    (0xFA, 0xDA): _BREVE + _HOOK, (0xFC, 0xDC): _BREVE + _TILDE, (0xEB, 0xCB): _BREVE + _DOT,
}  # fmt: skip
_VNI_STANDALONE = {
    (0xF4, 0xD4): "ơ", (0xF6, 0xD6): "ư", (0xF1, 0xD1): "đ",
    (0xED, 0xCD): "í", (0xEC, 0xCC): "ì", (0xE6, 0xC6): "ỉ", (0xF3, 0xD3): "ĩ", (0xF2, 0xD2): "ị",
    (0xEE, 0xCE): "ỵ",
}  # fmt: skip


def _cp1252_high() -> dict[int, str]:
    out = {}
    for b in range(0x80, 0xA0):
        try:
            out[b] = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return out


@cache
def _tables() -> dict[str, dict[int, str]]:
    """Per encoding: a ``str.translate`` table applied to the bytes decoded as Latin-1."""
    punct = _cp1252_high()
    tcvn3 = dict(punct)
    tcvn3.update(_TCVN3_LOWER)
    tcvn3.update(_TCVN3_UPPER)
    viscii = {0x80 + i: ch for i, ch in enumerate(_VISCII_HIGH)}
    viscii.update(_VISCII_C0)
    vni = dict(punct)
    for (lo, up), marks in _VNI_MODIFIERS.items():
        vni[lo] = vni[up] = marks
    for (lo, up), ch in _VNI_STANDALONE.items():
        vni[lo], vni[up] = ch, ch.upper()
    return {"tcvn3": tcvn3, "vni": vni, "viscii": viscii}


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode bytes in a legacy Vietnamese encoding; the result may need NFC (VNI, cp1258).

    Stateless per byte, so it can be applied chunk by chunk.
    """
    if encoding == "cp1258":
        return data.decode("cp1258", errors="replace")
    return data.decode("latin-1").translate(_tables()[encoding])


def to_nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@cache
def _encoder(encoding: str) -> dict[str, bytes]:
    """Inverse of the decoding tables (NFC character -> bytes), for fixtures and round-trip checks."""
    inverse: dict[str, bytes] = {}
    if encoding == "vni":
        # Standalone codes first (ĩ is 0xF3, not "i" + tilde), then base letter + modifier.
        for (lo, up), ch in _VNI_STANDALONE.items():
            inverse[ch], inverse[ch.upper()] = bytes([lo]), bytes([up])
        bases = [bytes([b]) for b in b"aeouyAEOUY"] + [bytes([b]) for pair in _VNI_STANDALONE for b in pair]
        for base in bases:
            for lo_up in _VNI_MODIFIERS:
                mod = lo_up[0] if base.islower() or base[0] >= 0xE0 else lo_up[1]
                ch = to_nfc(decode_legacy(base + bytes([mod]), "vni"))
                if len(ch) == 1:
                    inverse.setdefault(ch, base + bytes([mod]))
    elif encoding == "cp1258":
        raise ValueError("cp1258 is encoded with Python's codec")
    else:
        for b, ch in sorted(_tables()[encoding].items()):
            inverse.setdefault(ch, bytes([b]))
    return inverse


def encode_legacy(text: str, encoding: str) -> bytes:
    """Encode NFC text into a legacy encoding; ValueError for a character the encoding lacks.

    Windows-1258 uses its precomposed letters where it has them, else base letter + combining tone.
    """
    out = bytearray()
    for ch in to_nfc(text):
        if ord(ch) < 0x80:
            out += ch.encode("ascii")
            continue
        if encoding == "cp1258":
            try:
                out += ch.encode("cp1258")
                continue
            except UnicodeEncodeError:
                decomposed = unicodedata.normalize("NFD", ch)
                tones = "".join(c for c in decomposed if c in TONE_MARKS)
                base = to_nfc("".join(c for c in decomposed if c not in TONE_MARKS))
                try:
                    out += (base + tones).encode("cp1258")
                    continue
                except UnicodeEncodeError:
                    raise ValueError(f"{ch!r} không mã hóa được bằng cp1258") from None
        seq = _encoder(encoding).get(ch)
        if seq is None:
            raise ValueError(f"{ch!r} không mã hóa được bằng {encoding}")
        out += seq
    return bytes(out)


# --- scoring decoded text against Vietnamese syllable structure ---------------------------------------

_NUCLEI = [
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iê",
    "iu",
    "oa",
    "oă",
    "oe",
    "oi",
    "oo",
    "ôi",
    "ơi",
    "ua",
    "uâ",
    "uê",
    "ui",
    "uô",
    "uơ",
    "uy",
    "ưa",
    "ưi",
    "ươ",
    "ưu",
    "yê",
    "iêu",
    "oai",
    "oay",
    "oao",
    "oeo",
    "uây",
    "uôi",
    "uya",
    "uyê",
    "uyu",
    "ươi",
    "ươu",
    "yêu",
]
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    r"(?:" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + r")"
    r"(?:ch|ng|nh|[cmnpt])?"
)
_WORD = re.compile(r"[^\s\d.,;:!?()\[\]{}\"'“”‘’/\\\-–—…]+")


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """True when ``word`` (NFC) is spelled like one Vietnamese syllable: onset, vowel nucleus, coda, and
    at most one tone mark; lowercase, capitalized or all caps."""
    if not (word.islower() or word.isupper() or (word[0].isupper() and word[1:].islower())):
        return False
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(c in TONE_MARKS for c in decomposed)
    if tones > 1:
        return False
    base = to_nfc("".join(c for c in decomposed if c not in TONE_MARKS))
    return _SYLLABLE.fullmatch(base) is not None


def vietnamese_score(text: str) -> float:
    """How Vietnamese the non-ASCII part of ``text`` looks, in [-1, 1]; 0 when it has none.

    Each word holding a non-ASCII character counts +1 when it is a well-formed syllable, -1 otherwise;
    non-ASCII symbols (¹ µ ¸ ...) and control characters count -1 each.
    """
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if is_vietnamese_syllable(word):
            good += 1
        else:
            bad += 1
    for ch in text:
        if ord(ch) >= 0x80 and not ch.isalpha() and not unicodedata.combining(ch):
            if unicodedata.category(ch) not in ("Pd", "Pi", "Pf", "Po", "Zs", "Cf"):
                bad += 1
        elif ord(ch) < 0x20 and ch not in "\t\n\r\f":
            bad += 1
    total = good + bad
    return 0.0 if total == 0 else (good - bad) / total


def best_legacy_decoding(sample: bytes) -> tuple[str, float]:
    """The legacy encoding whose decoding of ``sample`` looks most Vietnamese, and its score."""
    scored = []
    for enc in LEGACY_ENCODINGS:
        scored.append((vietnamese_score(to_nfc(decode_legacy(sample, enc))), enc))
    score, enc = max(scored, key=lambda s: s[0])
    return enc, score


def repair_mojibake(text: str) -> tuple[str, str] | None:
    """Text extracted from a PDF typed with legacy fonts (.VnTime, VNI-Times) and no Unicode map reads
    like "KÕ ho¹ch"; re-decode it as the legacy bytes it was. Returns (fixed text, encoding) when the
    fix looks clearly more Vietnamese, else None."""
    try:
        raw = text.encode("cp1252")
    except UnicodeEncodeError:
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return None
    if raw.isascii():
        return None
    before = vietnamese_score(text)
    enc, after = best_legacy_decoding(raw)
    if after > 0.5 and after > before + 0.3:
        return to_nfc(decode_legacy(raw, enc)), enc
    return None
