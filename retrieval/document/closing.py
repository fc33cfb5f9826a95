"""The closing lines: "Nơi nhận" (recipients), the signature block, a web site's footer.

The body ends at whichever comes first. A "Nơi nhận" list and a signature block may share one table row
("Nơi nhận: - … | TM. BAN THƯỜNG TRỰC CHỦ TỊCH Nguyễn Văn A"): each cell is looked at. The block is read
by ``retrieval.document.signature``; without an authority line ("TM.", "KT." …) it is the lines right
after the recipients list.
"""

from __future__ import annotations

import re

from retrieval.document.header_lines import cells, clean, is_caps, key, logical_lines
from retrieval.document.signature import SIG_RE, TITLE_RE, caps_name, name_of, signature

BULLET_RE = re.compile(r"^[-–—+•●▪◦○]\s*(?=\S)")


def is_footer(text: str) -> bool:
    """A web site's footer: "Các văn bản khác", "TRANG THÔNG TIN ĐIỆN TỬ …", "Bản quyền thuộc …"."""
    k = key(text)
    if k.rstrip(" :") in ("cac van ban khac", "van ban lien quan", "van ban khac"):
        return True
    site = is_caps(text) and k.startswith("trang thong tin")
    return k.startswith(("ban quyen thuoc", "copyright")) or site


def _is_sig_cell(cell: str) -> bool:
    """An authority line ("TM. …", caps) or a flattened block: capitals opening with an authority or a
    position title, then a name ("CHỦ TỊCHLê Thị C", "BỘ TRƯỞNG Đại tướng …")."""
    if len(cell) > 160:
        return False
    got = name_of(cell)
    if SIG_RE.match(cell):
        return is_caps(cell) or bool(got and is_caps(got[0]))
    return bool(got and got[0] and is_caps(got[0]) and TITLE_RE.match(got[0]))


_NOTE_RE = re.compile(r"^[(\[]\s*(?:đã ký|da ky|ký|ky|ký tên,? đóng dấu)[^)\]]*[)\]]$", re.I)  # "(Đã ký)"


def _is_bare_title(lines: list, i: int) -> bool:
    """A position alone in capitals ("CHỦ TỊCH", "BỘ TRƯỞNG") with a name under it, at most a
    "(Đã ký)" note between: the block of a body that signs in its own name, without "TM."/"KT."."""
    text = clean(lines[i].text).strip(" .,:")
    if not (is_caps(text) and TITLE_RE.fullmatch(text)):
        return False
    seen = 0
    for ln in lines[i + 1 : i + 12]:
        t = clean(ln.text).strip()
        if not t or t == "|":
            continue
        seen += 1
        if seen > 3:
            return False
        if _NOTE_RE.match(t) or (is_caps(t) and TITLE_RE.fullmatch(t.strip(" .,:"))):
            continue
        got = name_of(t)
        return bool(got) and not got[0]
    return False


def _is_recipients(cell: str, row: list[str]) -> bool:
    """ "Nơi nhận: - …" opening the recipients list; not the bare column header "Nơi nhận" of a table
    ("STT | Ký hiệu | Tên biểu | Thời hạn | Nơi nhận")."""
    k = key(cell)
    if not re.match(r"noi nhan\s*(:|$|-)", k):
        return False
    return len(row) <= 2 or not re.fullmatch(r"noi nhan\s*:?", k.strip())


def closing(lines: list, body_start: int, raw_text: str) -> tuple[list[str], str | None, str | None, int]:
    """(recipients, signer position, signer name, body end) from the closing lines."""
    n = len(lines)
    noi_idx = sig_idx = foot_idx = None
    for ln in lines[body_start:]:
        if ln.blank:
            continue
        row = [clean(c) for c in cells(ln.text)]
        if noi_idx is None and any(_is_recipients(c, row) for c in row):
            noi_idx = ln.index
        if sig_idx is None and (any(_is_sig_cell(c) for c in row) or _is_bare_title(lines, ln.index)):
            sig_idx = ln.index
        if foot_idx is None and is_footer(ln.text):
            foot_idx = ln.index
        if sig_idx is not None and noi_idx is not None:
            break
    body_end = min(i for i in (noi_idx, sig_idx, foot_idx, n) if i is not None)
    recipients: list[str] = []
    after_list = None
    if noi_idx is not None:
        cell = next(c for c in cells(lines[noi_idx].text) if re.match(r"noi nhan", key(clean(c))))
        first = re.sub(r"^\S+\s+\S+\s*:?\s*", "", clean(cell))
        parts = re.split(r"\s*;?\s+-\s*|^-\s*|;\s*-", first)
        recipients.extend(_clean_recipient(p) for p in parts if p.strip())
        for ln in lines[noi_idx + 1 :]:
            if ln.blank:
                continue
            if not BULLET_RE.match(ln.text):
                after_list = ln.index
                break
            recipients.append(_clean_recipient(BULLET_RE.sub("", cells(ln.text)[0])))
    start = sig_idx if sig_idx is not None else after_list
    position = signer = None
    tails: list[str] = []
    if noi_idx is not None and (sig_idx is None or sig_idx > noi_idx):
        # PDF text puts the signature column at the end of the recipients' lines
        # ("Nơi nhận: KT. CHỦ TỊCH", "- Như Điều 2; PHÓ CHỦ TỊCH"): those ends open the block.
        stop_at = after_list if after_list is not None else min(n, noi_idx + 12)
        for ln in lines[noi_idx:stop_at]:
            if len(cells(ln.text)) > 1:
                continue  # a table row: its cells are read as cells below
            if tail := _signature_tail(clean(ln.text)):
                tails.append(tail)
            elif tails and (name := _name_tail(clean(ln.text))):
                tails.append(name)  # "- Lưu: VT. Nguyễn Văn A": the name closes the column
                break
        recipients = [r for r in (_without_tail(r, tails) for r in recipients) if r]
    texts: list[str] = []
    if start is not None:
        stop = foot_idx if foot_idx and foot_idx > start else n
        block = logical_lines(raw_text, lines, start, min(stop, start + 40))
        texts = [t if len(cells(t)) > 1 else clean(t) for _, _, t in block]
    if start is not None or tails:
        position, signer = signature([*tails, *(t for t in texts if t)])
    return [r for r in recipients if r], position, signer, body_end


def _signature_tail(text: str) -> str | None:
    """The capitals ending a recipients line that open or title a signature ("KT. CHỦ TỊCH", "PHÓ
    CHỦ TỊCH", "T/M BAN THƯỜNG VỤ"); None when the line ends otherwise."""
    words = text.split()
    for i in range(1, len(words)):
        tail = " ".join(words[i:])
        title = TITLE_RE.match(tail)
        if is_caps(tail) and (SIG_RE.match(tail) or (title and len(tail[title.end() :].split()) <= 6)):
            return tail
    return None


def _name_tail(text: str) -> str | None:
    """A person's name ending a recipients line after its ";" or "." ("- Lưu VP, Ban DC. Đinh Văn A")."""
    m = re.search(r"[;.]\s+([^;.]+)$", text)
    if not m:
        return None
    got = name_of(m.group(1))
    return got[1] if got and not got[0] and got[1] == m.group(1).strip() else caps_name(m.group(1).strip())


def _without_tail(recipient: str, tails: list[str]) -> str:
    for tail in tails:
        if recipient.endswith(tail):
            return recipient[: -len(tail)].rstrip(" ,;.")
    return recipient


def _clean_recipient(text: str) -> str:
    return text.strip().rstrip(",;.").strip()
