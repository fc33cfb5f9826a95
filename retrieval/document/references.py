"""References: the document numbers a document's preamble says it is based on or implements.

The preamble is the run of paragraphs right after the header that open with a basis cue: "Căn cứ …",
"Thực hiện …", "Thi hành …", "Xét …", "Sau khi xem xét …", "Theo đề nghị …", "Trên cơ sở …",
"Tiếp theo …" (a letter's opening "Ngày …, <cơ quan> nhận được văn bản số …" or "<cơ quan> nhận được
Công văn số …" too; "Pursuant to …" in translations). Lines wrapped inside a paragraph are joined; a
"Kính gửi" line or the issuer's authority line ("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH …", "QUỐC HỘI") before
the first cue is skipped. The preamble ends at the first
other paragraph: numbers cited in the body are not references. Numbers are normalized
(``normalize_so_ky_hieu``) and deduplicated by ``number_key``; the document's own number is left out.
"""

from __future__ import annotations

import re

from retrieval.document.header_lines import cells, is_caps, key
from retrieval.normalize import find_document_numbers, number_key

_CUES = (
    "can cu", "thuc hien", "thi hanh", "xet ", "theo de nghi", "tren co so", "tiep theo", "theo ",
    "ngay ", "phuc dap", "tra loi", "sau khi xem xet", "sau khi nghe", "pursuant", "at the proposal",
    "at the request", "in furtherance",
)  # fmt: skip
# a letter that opens on what it answers: "Ủy ban nhân dân tỉnh nhận được Công văn số … của …"
_RECEIVED_RE = re.compile(
    r"^[^.;:]{0,120}\b(?:nhan duoc|phuc dap|tra loi)\s+(?:cong van|van ban|to trinh|de nghi)"
)
_SKIP = ("kinh gui", "dong kinh gui")
_TERMINAL = ".;:!?"
_ITEM_RE = re.compile(r"^[-+•]|^\d{1,2}(?:\.\d{1,2})*\.\s")  # a list item ("1. …"), not "2025. Trên cơ sở …"
_BULLET = re.compile(r"^[-–+•*]\s*")  # "- Căn cứ …", "-Căn cứ …": a preamble written as a list


def _paragraphs(texts: list[str]) -> list[str]:
    """Join wrapped lines: a line continues the previous one when that one did not end a sentence and
    this one does not open a cue or start a new numbered/bulleted item."""
    out: list[str] = []
    for t in texts:
        t = " ".join(c.strip() for c in cells(t) if c.strip())
        if not re.search(r"\w", t):  # a rule ("-----") under the title
            continue
        k = key(_BULLET.sub("", t))
        opens = k.startswith(_CUES) or k.startswith(_SKIP) or is_caps(t) or _ITEM_RE.match(t)
        # "Kính gửi: Phòng …" / "Ủy ban nhân dân huyện nhận được …": a capital after the addressee opens
        opens = opens or bool(out and key(out[-1]).startswith(_SKIP) and t[:1].isupper())
        if out and out[-1][-1:] not in _TERMINAL and not opens and not is_caps(out[-1]):
            out[-1] = f"{out[-1]} {t}"
        else:
            out.append(t)
    return out


def preamble_references(texts: list[str], own: str | None = None, limit: int = 40) -> tuple[str, ...]:
    """Numbers cited by the preamble among ``texts`` (the lines after the header, in order)."""
    found: list[str] = []
    seen = {number_key(own)} if own else set()
    started = recipients = False
    for i, para in enumerate(_paragraphs(texts[: limit * 3])[:limit]):
        k = key(_BULLET.sub("", para))
        if recipients and not started and _BULLET.match(para):
            continue  # "Kính gửi:" / "– Ban …" / "– Phòng …": the addressees, one a line
        recipients = k.startswith(_SKIP) or (recipients and bool(_BULLET.match(para)))
        opening = not started and _RECEIVED_RE.match(k)  # the first paragraph: others break below
        if opening or (k.startswith(_CUES) and (started or not k.startswith("ngay ") or i < 3)):
            started = True
            for num in find_document_numbers(para):
                nk = number_key(num)
                if nk not in seen:
                    seen.add(nk)
                    found.append(num)
        elif not started and (k.startswith(_SKIP) or is_caps(para)) and i < 6:
            continue
        else:
            break
    return tuple(found)
