"""The lines around a document's subject (trích yếu) that are not the subject.

Under the type line an elected body prints itself and its session ("HỘI ĐỒNG NHÂN DÂN TỈNH" / "KHÓA XI,
KỲ HỌP THỨ 2"), a Party resolution the conference that passed it ("HỘI NGHỊ LẦN THỨ 6 BAN CHẤP HÀNH …
KHÓA XI" above "VỀ …"), a decision its issuer's authority ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …") — which
also completes an issuer a copy printed without its level and place. Pure functions.
"""

from __future__ import annotations

import re

from retrieval.document.header_lines import Piece, is_caps, key
from retrieval.document.issuer import place_of, recase

_AUTHORITY_TITLE_RE = re.compile(r"^(?:PHÓ\s+)?(?:CHỦ TỊCH|BỘ TRƯỞNG|GIÁM ĐỐC|TRƯỞNG BAN)\s+")
SESSION_RE = re.compile(r"^KH[ÓO]A\s+[IVXLC\d]+\s*,?\s*K[ỲY]\s+H[ỌO]P\b")  # "KHÓA XI, KỲ HỌP THỨ 2"
_SESSION_TAIL_RE = re.compile(r"\s+KH[ÓO]A\s+[IVXLC\d]+\b.*$")  # "… QUẬN TÂN PHÚ KHÓA I, KỲ HỌP …"
_CONFERENCE_RE = re.compile(r"^HỘI NGHỊ\b.*\b(?:LẦN THỨ|KHÓA|KHOÁ)\b")
_ELECTED = ("uy ban nhan dan", "hoi dong nhan dan")
_BODY_KEYS = ("hoi dong nhan dan", "uy ban nhan dan", "ban thuong vu", "ban chap hanh", "dang uy", "uy ban")


def capitalized(text: str | None) -> str | None:
    """A trích yếu starts with a capital ("HƯỚNG DẪN" / "tiêu chuẩn …", "V/v đề xuất …")."""
    return text[:1].upper() + text[1:] if text else text


def named_in_full(org: str | None, authority: str | None) -> str | None:
    """A body named without its level and place ("ỦY BAN NHÂN DÂN" alone: a copy dropped the header's
    second line) completed from the authority line ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH THANH HÓA")."""
    if not org or not authority or place_of(org):
        return org
    full = recase(_SESSION_TAIL_RE.sub("", _AUTHORITY_TITLE_RE.sub("", authority)))
    return full if key(full).startswith(key(org)) and place_of(full) else org


def names_issuer(text: str, org_keys: set[str]) -> bool:
    """A line under the subject that names the issuing body ("HỘI ĐỒNG NHÂN DÂN TỈNH" above "KHÓA XI,
    KỲ HỌP THỨ 2"; "ỦY BAN NHÂN DÂN TỈNH X"), or the session of an elected body."""
    k = key(text)
    if k in org_keys or SESSION_RE.match(text):
        return True
    if len(k.split()) < 3 or not k.startswith(_BODY_KEYS):
        return False
    # "HỘI ĐỒNG NHÂN DÂN TỈNH" under "HỘI ĐỒNG NHÂN DÂN TỈNH X"; "HỘI ĐỒNG NHÂN DÂN QUẬN X KHÓA I, KỲ HỌP …"
    # under a header that printed "HỘI ĐỒNG NHÂN DÂN" alone
    return any(o.startswith(k) or (k.startswith(o) and len(o.split()) >= 3) for o in org_keys if o)


def without_session(parts: list[str]) -> list[str]:
    """A Party resolution's conference line ("HỘI NGHỊ LẦN THỨ 6 BAN CHẤP HÀNH … KHÓA XI") is the
    session that passed it, not its subject, when a "VỀ …" line follows."""
    if parts and _CONFERENCE_RE.match(parts[0]):
        at = next((i for i, t in enumerate(parts) if i and t.startswith("VỀ ")), None)
        if at is not None:
            return parts[at:]
    return parts


def authority_after(items: list[Piece]) -> str | None:
    """Without a type line, the enacting body's line among the header's pieces and those after it
    ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH", "ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ")."""
    for p in items:
        body = key(_AUTHORITY_TITLE_RE.sub("", p.text))
        if is_caps(p.text) and body.startswith(_ELECTED) and body not in _ELECTED:  # more than the bare name
            return p.text
    return None


def with_level(org: str | None, authority: str | None, province: str | None) -> str | None:
    """A bare "Ủy ban nhân dân" whose authority line gives only its level ("CHỦ TỊCH ỦY BAN NHÂN DÂN
    TỈNH"), completed with the document's province."""
    if not (org and authority and province) or key(org) not in _ELECTED:
        return org
    m = re.search(r"\b(TỈNH|THÀNH PHỐ)\s*$", authority)
    return f"{org} {m.group(1).lower()} {province}" if m else org
